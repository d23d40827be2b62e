"""Benchmark signing and key-copy import on a SoftHSM token: chatkeys vs bare.

Run from the repository root:

    .venv/bin/python bench/pkcs11_ops.py

It prints a Markdown report and writes it to bench/results/pkcs11.md.

For each operation the same work runs twice in this process, on the same
token and keys. One variant goes through `chatkeys.providers.Providers`
(hook dispatch, the module lock, the shared session, copy parsing by
chatkeys-soft). The other is a bare python-pkcs11 loop that does only the
token calls and the host steps the result needs:

- ECDSA P-256: SHA-256 on the host, ``CKM_ECDSA``, DER encoding;
- RSA-2048: ``CKM_SHA256_RSA_PKCS``;
- EC import: ``CKM_ECDH1_DERIVE`` into a readable session object, read,
  destroy, X9.63 SHA-256 KDF and AES key unwrap on the host, with the copy's
  fields parsed once beforehand;
- RSA import: ``CKM_RSA_X_509`` and the same host-side OAEP decoding
  (`chatkeys_pkcs11.oaep.oaep_decode`), because SoftHSM 2.6.1 rejects OAEP
  with SHA-256.

Rounds of the two variants alternate. Each figure is the fastest round's
mean in wall-clock microseconds per operation (the figure least disturbed
by other processes on a shared machine), with the median round beside it;
the ratio compares the fastest rounds.
"""

from __future__ import annotations

import hashlib
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from pkcs11 import KDF, Attribute, KeyType, Mechanism
from pkcs11.util.ec import encode_ecdsa_signature

from chatkeys.providers import Providers
from chatkeys.testing.softhsm import SoftHsmDirectory
from chatkeys_pkcs11 import TokenIdentity, create_key_and_certificate
from chatkeys_pkcs11.oaep import oaep_decode
from chatkeys_pkcs11.operations import TokenKeyOperations
from chatkeys_soft import cms

RESULTS = Path(__file__).parent / "results" / "pkcs11.md"
COMMAND = ".venv/bin/python bench/pkcs11_ops.py"
ROUNDS = 15
CALLS_PER_ROUND = {"sign-ec": 300, "sign-rsa": 60, "import-ec": 200, "import-rsa": 60}
TARGET_RATIO = 1.2
DATA = b"x" * 300


class Pin:
    def __init__(self, pin: str) -> None:
        self.pin = pin

    def get(self, name: str, description: str) -> str | None:
        return self.pin


def mean_microseconds(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


Row = tuple[str, float, float, float, float]
"""Operation, chatkeys fastest and median µs, bare fastest and median µs."""


def compare(
    operation: str,
    chatkeys_call: Callable[[], object],
    bare_call: Callable[[], object],
    calls: int,
) -> Row:
    """Time both variants over alternating rounds of `calls` calls each."""
    for function in (chatkeys_call, bare_call):
        mean_microseconds(function, max(1, calls // 10))
    chatkeys_rounds, bare_rounds = [], []
    for _ in range(ROUNDS):
        chatkeys_rounds.append(mean_microseconds(chatkeys_call, calls))
        bare_rounds.append(mean_microseconds(bare_call, calls))
    return (
        operation,
        min(chatkeys_rounds),
        statistics.median(chatkeys_rounds),
        min(bare_rounds),
        statistics.median(bare_rounds),
    )


def bare_ec_import(
    key: Any, identity: TokenIdentity, key_copy: bytes
) -> Callable[[], bytes]:
    copy = cms.parse_key_copy(key_copy)
    assert isinstance(copy, cms.KeyAgreeCopy)
    own = load_der_public_key(identity.certificate.spki)
    assert isinstance(own, ec.EllipticCurvePublicKey)
    point = ec.EllipticCurvePublicKey.from_encoded_point(
        own.curve, copy.originator_point
    ).public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    shared_info = cms.kari_shared_info(copy)
    wrapped = copy.encrypted_key_for(identity.certificate)

    def run() -> bytes:
        secret = key.derive_key(
            KeyType.GENERIC_SECRET,
            256,
            mechanism=Mechanism.ECDH1_DERIVE,
            mechanism_param=(KDF.NULL, None, point),
            template={
                Attribute.SENSITIVE: False,
                Attribute.EXTRACTABLE: True,
                Attribute.TOKEN: False,
            },
        )
        try:
            value = secret[Attribute.VALUE]
        finally:
            secret.destroy()
        kek = hashlib.sha256(value + b"\x00\x00\x00\x01" + shared_info).digest()
        return aes_key_unwrap(kek, wrapped)

    return run


def bare_rsa_import(
    key: Any, identity: TokenIdentity, key_copy: bytes
) -> Callable[[], bytes]:
    copy = cms.parse_key_copy(key_copy)
    assert isinstance(copy, cms.KeyTransCopy)

    def run() -> bytes:
        encoded = bytes(key.decrypt(copy.encrypted_key, mechanism=Mechanism.RSA_X_509))
        return oaep_decode(encoded.rjust(256, b"\x00"), "sha256")

    return run


def measure(
    providers: Providers,
    family: str,
    identity: TokenIdentity,
    host_times: dict[str, float],
) -> list[Row]:
    """Time signing and importing with `identity`, through chatkeys and bare.

    Also stores in `host_times` the fastest round of the host-side part of
    the chatkeys import (chatkeys-soft's `open_key_copy` with the token's
    result replayed from memory).
    """
    # The bare loop uses the provider's own key object under the same module
    # lock, so both variants see the same session and token state.
    key = identity.run(lambda session, key: key)
    lock = identity.module.lock
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )

    def chatkeys_sign() -> bytes:
        return providers.sign(DATA, identity, "cms")

    def bare_ec_sign() -> bytes:
        with lock:
            raw = key.sign(hashlib.sha256(DATA).digest(), mechanism=Mechanism.ECDSA)
        return bytes(encode_ecdsa_signature(raw))

    def bare_rsa_sign() -> bytes:
        with lock:
            return bytes(key.sign(DATA, mechanism=Mechanism.SHA256_RSA_PKCS))

    if family == "ec":
        bare_sign, import_body = bare_ec_sign, bare_ec_import(key, identity, key_copy)
    else:
        bare_sign, import_body = bare_rsa_sign, bare_rsa_import(key, identity, key_copy)

    def bare_import() -> bytes:
        with lock:
            return import_body()

    def chatkeys_import() -> object:
        return providers.import_chat_key(key_copy, identity, [])

    assert bare_import() == chat_key.secret
    assert chatkeys_import() == chat_key
    rows = [
        compare(operation, chatkeys_call, bare_call, CALLS_PER_ROUND[operation])
        for operation, chatkeys_call, bare_call in (
            (f"sign-{family}", chatkeys_sign, bare_sign),
            (f"import-{family}", chatkeys_import, bare_import),
        )
    ]
    recorded = RecordedOperations(TokenKeyOperations(identity))
    cms.open_key_copy(key_copy, identity.certificate, recorded)
    host_rounds = [
        mean_microseconds(
            lambda: cms.open_key_copy(key_copy, identity.certificate, recorded), 2000
        )
        for _ in range(ROUNDS)
    ]
    host_times[family] = min(host_rounds)
    return rows


class RecordedOperations:
    """Replay the first result of each private-key operation from memory."""

    def __init__(self, operations: TokenKeyOperations) -> None:
        self.operations = operations
        self.results: dict[str, bytes] = {}

    def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
        if "rsa" not in self.results:
            self.results["rsa"] = self.operations.rsa_oaep_decrypt(
                ciphertext, hash_name
            )
        return self.results["rsa"]

    def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
        if "ec" not in self.results:
            self.results["ec"] = self.operations.ecdh_shared_secret(peer_public_point)
        return self.results["ec"]


def main() -> None:
    providers = Providers.discover()
    rows = []
    host_times: dict[str, float] = {}
    with SoftHsmDirectory() as directory:
        token = directory.create_token()
        keys = {
            family: create_key_and_certificate(
                token.uri, algorithm, f"bench {family}", pin=token.pin
            )
            for family, algorithm in (("ec", "ec-p256"), ("rsa", "rsa-2048"))
        }
        identities = {
            family: providers.load_identity(key.uri, Pin(token.pin))
            for family, key in keys.items()
        }
        for family, identity in identities.items():
            assert isinstance(identity, TokenIdentity)
            rows += measure(providers, family, identity, host_times)
        for identity in identities.values():
            identity.close()
    report = render(rows, host_times)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


def render(rows: list[Row], host_times: dict[str, float]) -> str:
    softhsm = subprocess.run(
        ["softhsm2-util", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        "# PKCS#11 operations on SoftHSM: chatkeys vs bare python-pkcs11",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}, SoftHSM {softhsm}, {platform.platform()}.",
        "",
        f"Wall-clock µs per operation over {ROUNDS} alternating rounds: the "
        "fastest round's mean, and the median round in brackets. An EC P-256 "
        "and an RSA-2048 key sit on one token; both variants run in one "
        "process. The ratio is chatkeys / bare on the fastest rounds; the "
        f"target is at most {TARGET_RATIO}.",
        "",
        "| operation | chatkeys µs | bare python-pkcs11 µs | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for operation, ours, ours_median, bare, bare_median in rows:
        ratio = ours / bare
        mark = "" if ratio <= TARGET_RATIO else " (above target)"
        lines.append(
            f"| {operation} | {ours:.0f} ({ours_median:.0f}) | {bare:.0f} "
            f"({bare_median:.0f}) | {ratio:.2f}{mark} |"
        )
    lines += [
        "",
        "The host-side part of a chatkeys import (chatkeys-soft's "
        "`open_key_copy`: pure-Python DER parsing of the RecipientInfo, "
        "re-encoding of the ECC-CMS-SharedInfo, KDF and unwrap, with the "
        "token's result replayed from memory) takes "
        + ", ".join(
            f"{host_times[family]:.0f} µs for {family.upper()} copies"
            for family in sorted(host_times)
        )
        + "; the bare loop parses its copy once, before timing.",
        "",
        "What the bare loop does is described in the module docstring of "
        "`bench/pkcs11_ops.py`; chatkeys additionally dispatches through pluggy, "
        "checks the identity's session generation and, on import, parses the "
        "CMS RecipientInfo with chatkeys-soft.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
