"""The conformance suite on the example provider of docs/providers.md.

Running it here proves that the example the documentation shows passes the
suite it documents.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from chatkeys.testing.conformance import ProviderConformance

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "example_provider.py"


def _load_example() -> object:
    spec = importlib.util.spec_from_file_location("chatkeys_example_provider", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class TestExampleProviderConformance(ProviderConformance):
    provider_plugin = _load_example()
    algorithms = ("example-rsa-2048",)
