"""Benchmark: export a chat key and sign, through the hooks and with bare cryptography.

For rsa-2048 and ec-p256, 20 recipient certificates each get one key copy of
a fresh chat key, and the exporter signs every copy. The hook side calls
`Providers.export_chat_key` and `Providers.sign` (pluggy dispatch, the soft
provider's caches and hand-built DER). The baseline is a plain loop over
`cryptography` doing the same operations and building the same DER by hand:
RSAES-OAEP or ephemeral ECDH + X9.63 KDF + AES key wrap, then the signature.
Its public keys and recipient identifiers are prepared outside the loop, as
the provider's cache prepares them. Runs alternate between the two sides in
one process. Each round keeps the best run of each side, and the report
shows the median of five rounds with the range of their ratios.
Writes bench/results/soft.md.
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from chatkeys import der
from chatkeys.providers import Providers
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.recipients import recipient_key

ALGORITHMS = ("rsa-2048", "ec-p256")
RECIPIENTS = 20
RUNS = 40
ROUNDS = 5
TARGET_RATIO = 1.3
RESULTS = Path(__file__).parent / "results" / "soft.md"

_OAEP = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
_SHA256 = der.encode(der.SEQUENCE, der.encode_oid("2.16.840.1.101.3.4.2.1"))
_OAEP_ALGORITHM = der.encode(
    der.SEQUENCE,
    der.encode_oid("1.2.840.113549.1.1.7"),
    der.encode(
        der.SEQUENCE,
        der.encode(der.CONTEXT_0, _SHA256),
        der.encode(
            der.CONTEXT_1,
            der.encode(der.SEQUENCE, der.encode_oid("1.2.840.113549.1.1.8"), _SHA256),
        ),
    ),
)
_KEY_AGREEMENT = der.encode(
    der.SEQUENCE,
    der.encode_oid("1.3.132.1.11.1"),
    der.encode(der.SEQUENCE, der.encode_oid("2.16.840.1.101.3.4.1.45")),
)
_EC_ALGORITHM = der.encode(der.SEQUENCE, der.encode_oid("1.2.840.10045.2.1"))
_SHARED_INFO = bytes.fromhex("3015300b060960864801650304012da206040400000100")


def _hook_loop(
    providers: Providers, exporter: SoftIdentity, recipients: list[SoftIdentity]
) -> Callable[[], None]:
    certificates = [recipient.certificate for recipient in recipients]

    def run() -> None:
        chat_key = providers.generate_chat_key(exporter, "cms")
        for certificate in certificates:
            key_copy = providers.export_chat_key(chat_key, certificate, exporter, "cms")
            providers.sign(key_copy, exporter, "cms")

    return run


def _baseline_loop(
    providers: Providers, exporter: SoftIdentity, recipients: list[SoftIdentity]
) -> Callable[[], None]:
    private_key = exporter.private_key
    prepared = []
    for recipient in recipients:
        public_key = load_der_public_key(recipient.certificate.spki)
        key = recipient_key(recipient.certificate)
        assert key is not None
        prepared.append((public_key, key.issuer_and_serial))

    if isinstance(private_key, rsa.RSAPrivateKey):
        rsa_signer = private_key

        def export(secret: bytes, public_key: object, rid: bytes) -> bytes:
            assert isinstance(public_key, rsa.RSAPublicKey)
            encrypted = public_key.encrypt(secret, _OAEP)
            return der.encode(
                der.SEQUENCE,
                b"\x02\x01\x00",
                rid,
                _OAEP_ALGORITHM,
                der.encode(der.OCTET_STRING, encrypted),
            )

        def sign(data: bytes) -> bytes:
            return rsa_signer.sign(data, padding.PKCS1v15(), hashes.SHA256())

    else:
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        ec_signer = private_key

        def export(secret: bytes, public_key: object, rid: bytes) -> bytes:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            ephemeral = ec.generate_private_key(public_key.curve)
            shared_secret = ephemeral.exchange(ec.ECDH(), public_key)
            kek = X963KDF(hashes.SHA256(), 32, _SHARED_INFO).derive(shared_secret)
            wrapped = aes_key_wrap(kek, secret)
            point = ephemeral.public_key().public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )
            originator = der.encode(
                der.CONTEXT_0,
                der.encode(
                    der.CONTEXT_1,
                    _EC_ALGORITHM,
                    der.encode(der.BIT_STRING, b"\0", point),
                ),
            )
            entry = der.encode(der.SEQUENCE, rid, der.encode(der.OCTET_STRING, wrapped))
            return der.encode(
                der.CONTEXT_1,
                b"\x02\x01\x03",
                originator,
                _KEY_AGREEMENT,
                der.encode(der.SEQUENCE, entry),
            )

        def sign(data: bytes) -> bytes:
            return ec_signer.sign(data, ec.ECDSA(hashes.SHA256()))

    def run() -> None:
        secret = providers.generate_chat_key(exporter, "cms").secret
        for public_key, rid in prepared:
            sign(export(secret, public_key, rid))

    return run


def _best_seconds(loops: list[Callable[[], None]]) -> list[float]:
    best = [float("inf")] * len(loops)
    for loop in loops:
        loop()  # warm-up: caches, lazy imports
    for _ in range(RUNS):
        for index, loop in enumerate(loops):
            gc.collect()
            start = time.perf_counter()
            loop()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def _cpu() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main() -> None:
    providers = Providers.discover()
    rows = []
    for algorithm in ALGORITHMS:
        exporter = providers.generate_identity(algorithm, "exporter")
        assert isinstance(exporter, SoftIdentity)
        recipients = []
        for index in range(RECIPIENTS):
            recipient = providers.generate_identity(algorithm, f"recipient {index}")
            assert isinstance(recipient, SoftIdentity)
            recipients.append(recipient)
        loops = [
            _hook_loop(providers, exporter, recipients),
            _baseline_loop(providers, exporter, recipients),
        ]
        rounds = sorted(
            (hooks / baseline, hooks, baseline)
            for hooks, baseline in (_best_seconds(loops) for _ in range(ROUNDS))
        )
        ratio, hooks, baseline = rounds[len(rounds) // 2]
        ratios = (rounds[0][0], rounds[-1][0])
        rows.append(
            (algorithm, hooks / RECIPIENTS, baseline / RECIPIENTS, ratio, ratios)
        )

    lines = [
        "# Soft provider: export and sign per recipient",
        "",
        "Command: `.venv/bin/python bench/soft_export_sign.py` on "
        f"{_cpu()} ({os.cpu_count()} CPUs, {platform.machine()}), "
        f"Python {platform.python_version()}, {datetime.date.today().isoformat()}.",
        f"{RECIPIENTS} recipients per algorithm, one key copy and one signature each. "
        f"A round takes the best of {RUNS} runs of each side, alternating in one "
        f"process; the table shows the median of {ROUNDS} rounds and the range of "
        "their ratios.",
        "",
        "| algorithm | hooks (µs/recipient) | bare cryptography (µs/recipient) "
        "| ratio | ratio range |",
        "| --- | --- | --- | --- | --- |",
    ]
    for algorithm, hooks, baseline, ratio, (low, high) in rows:
        lines.append(
            f"| {algorithm} | {hooks * 1e6:.1f} | {baseline * 1e6:.1f} | "
            f"{ratio:.2f} | {low:.2f}–{high:.2f} |"
        )
    lines += [
        "",
        f"Target ratio: at most {TARGET_RATIO}. The baseline creates cryptography's "
        "X963KDF and signature-scheme objects on every call, as a plain loop "
        "would, while the provider creates them once, so a ratio slightly below "
        "1 is possible.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
