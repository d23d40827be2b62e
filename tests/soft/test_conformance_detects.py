"""The conformance suite fails for providers that break the hook contract.

A provider built from the soft provider's hooks with three deliberate faults
runs through the suite in a separate pytest process; the tests that cover
each fault must fail and the others pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BROKEN_PROVIDER_TESTS = """
import types

import chatkeys_soft.plugin as soft
from chatkeys.plugin import hookimpl
from chatkeys.testing.conformance import ProviderConformance

broken = types.ModuleType("broken")
for name in dir(soft):
    if name.startswith("chatkeys_"):
        setattr(broken, name, getattr(soft, name))


@hookimpl
def chatkeys_verify(data, signature, certificate, profile):
    # Fault: an empty signature verifies.
    if signature == b"":
        return True
    return soft.chatkeys_verify(data, signature, certificate, profile)


@hookimpl
def chatkeys_import_chat_key(key_copy, identity, candidates):
    # Fault: an empty copy raises an untyped exception.
    if key_copy == b"":
        raise RuntimeError("empty copy")
    return soft.chatkeys_import_chat_key(key_copy, identity, candidates)


@hookimpl
def chatkeys_decrypt_message(chat_key, ciphertext):
    # Fault: a message that fails authentication decrypts to junk.
    try:
        return soft.chatkeys_decrypt_message(chat_key, ciphertext)
    except Exception:
        return b"junk"


broken.chatkeys_verify = chatkeys_verify
broken.chatkeys_import_chat_key = chatkeys_import_chat_key
broken.chatkeys_decrypt_message = chatkeys_decrypt_message


class TestBrokenConformance(ProviderConformance):
    provider_plugin = broken
    algorithms = ("ec-p256",)
"""

EXPECTED_FAILURES = {
    "test_truncated_copy_rejected",  # the empty prefix of the copy
    "test_garbage_copy_rejected",  # hypothesis finds b""
    "test_tampered_signature_rejected",  # the empty prefix of the signature
    "test_garbage_signature_returns_false",  # hypothesis finds b""
    "test_message_round_trip_and_tamper",
}


def test_suite_fails_broken_provider(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text(BROKEN_PROVIDER_TESTS, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
         "--import-mode=importlib", "test_broken.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip

    failed = set(re.findall(r"^FAILED \S+::(test_\w+)", result.stdout, re.MULTILINE))
    assert failed == EXPECTED_FAILURES, result.stdout[-3000:]
    assert "8 passed" in result.stdout
