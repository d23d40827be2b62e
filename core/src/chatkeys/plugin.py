"""What a provider imports: the hook marker and the description types.

A provider is a module registered under the entry-point group
``chatkeys.providers`` whose functions are marked with `hookimpl` and named
after the hooks in `chatkeys.hookspecs`. See that module for the contract of
each hook.
"""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

PROJECT_NAME = "chatkeys"
ENTRY_POINT_GROUP = "chatkeys.providers"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for a provider's hook implementations."""

PROFILE_KOMANDOR = "komandor"
"""Wire profile of the Komandor clients: SIMPLEBLOB copies, CryptoAPI byte order."""

PROFILE_CMS = "cms"
"""Wire profile of the standards: CMS RecipientInfo copies, standard signatures."""


@dataclass(frozen=True, slots=True)
class AlgorithmInfo:
    """One key algorithm a provider handles.

    `name` is the identifier used on the command line (``"ec-p256"``,
    ``"gost2012-256a"``), `oid` the SubjectPublicKeyInfo algorithm it matches,
    `profiles` the wire profiles it supports with the default first, and
    `can_generate` whether `chatkeys_generate_identity` accepts `name`.
    """

    name: str
    oid: str
    description: str
    profiles: tuple[str, ...]
    can_generate: bool = True


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What a provider is and whether it can work here.

    `available` is False when a native library, token module or other
    requirement is missing; `reason` then says what and how to fix it. An
    unavailable provider still lists its algorithms but is never called.
    """

    name: str
    distribution: str
    version: str
    algorithms: tuple[AlgorithmInfo, ...]
    available: bool = True
    reason: str = ""
