"""Benchmark the pure-Python GOST primitives next to OpenSSL's C code.

Run from the repository root:

    .venv/bin/python bench/gost_primitives.py

It prints a Markdown report and writes it to bench/results/gost-primitives.md.
Each Python figure is the fastest of five runs, in CPU time of this process.
OpenSSL figures come from `openssl speed -evp ...` with the GOST provider
(gostprov) and are left out when that command fails. gostcrypto, when
installed, is timed in the same process as a baseline for the Streebog ratio.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chatkeys_gost.komandor import build_format_a
from chatkeys_gost.primitives import keywrap, modes
from chatkeys_gost.primitives.gost28147 import Gost28147
from chatkeys_gost.primitives.kdf import hmac_streebog256
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.magma import Magma
from chatkeys_gost.primitives.streebog import streebog256, streebog512

RESULTS = Path(__file__).parent / "results" / "gost-primitives.md"
COMMAND = ".venv/bin/python bench/gost_primitives.py"


def time_per_call(function: Callable[[], object], budget: float = 0.2) -> float:
    """Return the fastest of five runs of about `budget` s, in CPU s per call.

    CPU time of this process (`time.process_time`) and the fastest run are
    the figures least affected by other processes on a shared machine.
    """
    calls = 1
    while True:
        start = time.process_time()
        for _ in range(calls):
            function()
        elapsed = time.process_time() - start
        if elapsed > budget / 10:
            break
        calls *= 4
    calls = max(1, int(calls * budget / elapsed / 10))
    runs = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(calls):
            function()
        runs.append((time.process_time() - start) / calls)
    return min(runs)


def openssl_seconds_per_call(algorithm: str, size: int) -> float | None:
    """Return OpenSSL's seconds per `size`-byte operation, or None."""
    command = [
        "openssl", "speed", "-provider", "default", "-provider", "gostprov",
        "-evp", algorithm, "-seconds", "1", "-bytes", str(size),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    last = result.stdout.strip().splitlines()[-1].split()
    if len(last) < 2 or not last[-1].endswith("k"):
        return None
    bytes_per_second = float(last[-1][:-1]) * 1000
    return size / bytes_per_second


OPENSSL_PROVIDER_CONFIG = """openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
gostprov = gost_sect
[default_sect]
activate = 1
[gost_sect]
activate = 1
"""

BACKEND_TIMING = """
import os, time
from chatkeys_gost.primitives import streebog
from chatkeys_gost.primitives.kdf import hmac_streebog256
data = os.urandom(32)
key = os.urandom(32)
def best(function):
    runs = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(20000):
            function()
        runs.append((time.process_time() - start) / 20000)
    return min(runs)
print(streebog.BACKEND)
print(best(lambda: streebog.streebog256(data)))
print(best(lambda: hmac_streebog256(key, data)))
"""


def openssl_backend_lines() -> list[str]:
    """Time the one-shot hash and HMAC in a child that loads gostprov."""
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "openssl.cnf"
        config.write_text(OPENSSL_PROVIDER_CONFIG)
        result = subprocess.run(
            [sys.executable, "-c", BACKEND_TIMING],
            env={**os.environ, "OPENSSL_CONF": str(config)},
            capture_output=True,
            text=True,
            check=False,
        )
    output = result.stdout.split()
    if result.returncode != 0 or not output or output[0] != "openssl":
        return ["The GOST provider could not be loaded; no figures."]
    hash_time, hmac_time = float(output[1]), float(output[2])
    return [
        "A child process with `OPENSSL_CONF` loading `gostprov` "
        '(`streebog.BACKEND == "openssl"`):',
        "",
        f"- `streebog256`, 32 B: {hash_time * 1e6:.1f} µs",
        f"- `hmac_streebog256`, 32-byte key, 32 B: {hmac_time * 1e6:.1f} µs",
    ]


def row(name: str, ours: float, openssl: float | None) -> str:
    ratio = f"{ours / openssl:,.0f}x" if openssl else "n/a"
    theirs = f"{openssl * 1e6:.2f}" if openssl else "n/a"
    return f"| {name} | {ours * 1e6:,.1f} | {1 / ours:,.0f} | {theirs} | {ratio} |"


def main() -> None:
    key = os.urandom(32)
    load_before = os.getloadavg()[0]
    lines = [
        "# GOST primitives: pure Python next to OpenSSL",
        "",
        f"Command: `{COMMAND}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}.",
        "Python figures: fastest of five runs, CPU time of the process. "
        "OpenSSL figures: `openssl speed "
        "-provider gostprov -evp ALG -bytes N -seconds 1` on the same machine.",
        "",
        "| operation | µs per op | ops/s | OpenSSL µs per op | Python / OpenSSL |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]

    for size in (32, 64, 128, 1024):
        data = os.urandom(size)
        ours = time_per_call(lambda data=data: streebog256(data))
        lines.append(
            row(f"Streebog-256, {size} B", ours,
                openssl_seconds_per_call("md_gost12_256", size))
        )  # fmt: skip
    for size in (32, 64, 128, 1024):
        data = os.urandom(size)
        ours = time_per_call(lambda data=data: streebog512(data))
        lines.append(
            row(f"Streebog-512, {size} B", ours,
                openssl_seconds_per_call("md_gost12_512", size))
        )  # fmt: skip

    message = os.urandom(100)
    lines.append(
        row("HMAC-Streebog-256, 100 B", time_per_call(
            lambda: hmac_streebog256(key, message)), None)
    )  # fmt: skip

    kuznyechik = Kuznyechik(key)
    block16 = os.urandom(16)
    lines.append(
        row("Kuznyechik encrypt, 1 block",
            time_per_call(lambda: kuznyechik.encrypt_block(block16)),
            openssl_seconds_per_call("kuznyechik-ecb", 16))
    )  # fmt: skip
    lines.append(
        row("Kuznyechik decrypt, 1 block",
            time_per_call(lambda: kuznyechik.decrypt_block(block16)), None)
    )  # fmt: skip
    lines.append(
        row("Kuznyechik key schedule", time_per_call(lambda: Kuznyechik(key)), None)
    )
    magma = Magma(key)
    block8 = os.urandom(8)
    lines.append(
        row("Magma encrypt, 1 block",
            time_per_call(lambda: magma.encrypt_block(block8)),
            openssl_seconds_per_call("magma-cbc", 8))
    )  # fmt: skip
    gost = Gost28147(key)
    lines.append(
        row("GOST 28147-89 encrypt, 1 block",
            time_per_call(lambda: gost.encrypt_block(block8)),
            openssl_seconds_per_call("gost89", 8))
    )  # fmt: skip
    long_message = os.urandom(1024)
    cfb = modes.gost28147_cfb_encrypt
    lines.append(
        row("GOST 28147-89 CFB, 1024 B",
            time_per_call(lambda: cfb(key, block8, long_message)),
            openssl_seconds_per_call("gost89", 1024))
    )  # fmt: skip
    lines.append(
        row("OMAC Kuznyechik, 64 B",
            time_per_call(lambda: modes.omac(kuznyechik, long_message[:64], 16)), None)
    )  # fmt: skip
    lines.append(
        row("KExp15 Kuznyechik, 32-byte key",
            time_per_call(lambda: keywrap.kexp15(Kuznyechik, key, key, block8, key)),
            None)
    )  # fmt: skip
    lines.append(
        row("28147-89 wrap (RFC 4357 6.1), 32-byte key",
            time_per_call(lambda: keywrap.gost28147_wrap(key, block8, key)), None)
    )  # fmt: skip

    lines.append(
        row("Komandor format A copy, given the KEK",
            time_per_call(lambda: build_format_a(key, block8, block8, key)), None)
    )  # fmt: skip

    lines += ["", "## Baseline in the same process", ""]
    try:
        from gostcrypto import gosthash
    except ImportError:
        lines.append("gostcrypto is not installed; no baseline ratio.")
    else:
        data = os.urandom(32)
        baseline = time_per_call(
            lambda: gosthash.new("streebog256", data=bytearray(data)).digest()
        )
        ours = time_per_call(lambda: streebog256(data))
        lines.append(
            f"Streebog-256 of 32 bytes: gostcrypto 1.2.5 {baseline * 1e6:,.0f} µs, "
            f"this package {ours * 1e6:,.0f} µs, {baseline / ours:.1f}x faster."
        )
    lines += ["", "## With OpenSSL's GOST provider loaded", ""]
    lines += openssl_backend_lines()

    load_after = os.getloadavg()[0]
    lines += [
        "",
        f"One-minute load average: {load_before:.2f} before, {load_after:.2f} "
        f"after, on {os.cpu_count()} CPUs. A load above the CPU count means "
        "other processes shared the CPUs, and the figures are slower than on an "
        "idle machine.",
    ]
    report = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
