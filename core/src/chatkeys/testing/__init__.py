"""Test support for integrators: the pytest plugin and the conformance suite."""

from __future__ import annotations

import os

import pytest

REQUIRE_TOOLS_VARIABLE = "CHATKEYS_REQUIRE_TOOLS"


def tools_required() -> bool:
    """Return whether a missing tool must fail the test instead of skipping it.

    CI sets ``CHATKEYS_REQUIRE_TOOLS=1`` so that a test never passes there by
    skipping for lack of SoftHSM, OpenSSL's GOST engine or another tool.
    """
    return os.environ.get(REQUIRE_TOOLS_VARIABLE, "") not in ("", "0")


def skip_unless_tool(available: bool, reason: str) -> None:
    """Skip the calling test when a tool is absent; fail instead in CI.

    `reason` names the tool and how to install it.
    """
    if available:
        return
    if tools_required():
        pytest.fail(f"{reason} ({REQUIRE_TOOLS_VARIABLE} is set, so this cannot skip)")
    pytest.skip(reason)
