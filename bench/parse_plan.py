"""Benchmark: parse and plan 1,000 and 10,000 chats with 3 certificates each.

Each chat lists the current certificate and two certificates of its contact
(so 2 new certificates per chat, and one shared by all). The JSON is built
once; the measured part is `parse_chats_response` plus `plan_chats`, best of
several runs, and the peak memory of one run measured with tracemalloc.
Writes bench/results/parse-plan.md.
"""

from __future__ import annotations

import base64
import datetime
import gc
import platform
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate, clear_certificate_cache
from chatkeys.model import parse_chats_response
from chatkeys.planner import plan_chats

SIZES = (1_000, 10_000)
RUNS = 3
RESULTS = Path(__file__).parent / "results" / "parse-plan.md"


def _certificates(count: int) -> list[str]:
    """Return `count` distinct certificates in the API's shape (base64 of PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    fields = []
    for serial in range(1, count + 1):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"user {serial}")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        fields.append(base64.b64encode(pem).decode())
    return fields


def _response(chats: int, pool: list[str]) -> dict[str, Any]:
    mine = {"pid": "me", "cid": "me-1", "certificate": pool[0], "hash": ""}
    data = []
    for index in range(chats):
        contact = [
            {
                "pid": f"p{index}",
                "cid": f"c{index}-{n}",
                "certificate": pool[1 + 2 * index + n],
                "hash": "",
            }
            for n in range(2)
        ]
        data.append(
            {
                "id": f"chat-{index}",
                "status": ("new", "wait", "sync")[index % 3],
                "profileName": f"Контакт {index}",
                "profilePhone": f"7999{index:07d}",
                "profileType": 1,
                "chatType": 0,
                "certificates": [mine, *contact],
                "chatKey": None
                if index % 3 == 0
                else {"id": f"k{index}", "key": "AAAA"},
                "waitList": contact if index % 3 == 1 else [],
            }
        )
    return {"success": True, "data": data}


def _measure(payload: dict[str, Any], current: Certificate) -> tuple[float, int]:
    best = float("inf")
    for _ in range(RUNS):
        clear_certificate_cache()
        gc.collect()
        start = time.perf_counter()
        chat_list = parse_chats_response(payload)
        plans = plan_chats(chat_list.chats, current)
        best = min(best, time.perf_counter() - start)
        assert len(plans) == len(payload["data"])
        assert not chat_list.problems
    clear_certificate_cache()
    tracemalloc.start()
    chat_list = parse_chats_response(payload)
    plan_chats(chat_list.chats, current)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak


def main() -> None:
    pool = _certificates(1 + 2 * max(SIZES))
    current = Certificate.from_api_field(pool[0])
    rows = []
    timings = {}
    for size in SIZES:
        payload = _response(size, pool)
        seconds, peak = _measure(payload, current)
        timings[size] = seconds
        rows.append(
            f"| {size:,} | {seconds * 1000:.1f} ms | {seconds / size * 1e6:.1f} µs "
            f"| {peak / 2**20:.1f} MiB |"
        )
    ratio = timings[SIZES[1]] / timings[SIZES[0]]
    text = "\n".join(
        [
            "# Parse and plan",
            "",
            "Command: `.venv/bin/python bench/parse_plan.py`, "
            f"{platform.machine()}, "
            f"Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}.",
            "Each chat lists 3 certificates (the current one and two of its",
            "contact); time is the best of 3 runs of parse + plan, each with an",
            "empty certificate cache; memory is the tracemalloc peak of one run.",
            "",
            "| chats | parse + plan | per chat | peak memory |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            f"Ratio 10,000 / 1,000: {ratio:.1f} (target: at most 12, i.e. linear).",
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
