"""pytest plugin of chatkeys, registered under the ``pytest11`` entry point.

Fixtures for integrators are defined here; each imports what it needs only
when used, so installing chatkeys adds no cost to unrelated test runs.
"""

from __future__ import annotations
