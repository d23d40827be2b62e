"""Benchmark: GOST export + sign per recipient, against OpenSSL's GOST engine.

Part 1, one process. A gost2012-256a identity exports a Komandor chat key
(format A) to each of 100 recipient certificates and signs each copy, through
the provider hooks (`chatkeys.providers.Providers`). "Warm" means the
identity has met the recipient before (its VKO point is cached), "cold"
means it has not. The baseline is a small C program, compiled here against
libcrypto and run with OpenSSL's GOST engine, doing per recipient the
asymmetric work of the same copy: VKO GOST R 34.10-2012 with a random 8-byte
UKM (EVP_PKEY_derive) and a GOST signature over Streebog-256 of 89 bytes
(EVP_DigestSign). It leaves out the 28147-89 wrap of 32 bytes and the format
A layout, which cost this provider about 0.08 ms of its total.
Rounds alternate between the two sides; each figure is the best round.

Part 2, worker processes. 400 export+sign jobs (100 recipients, 4 chats
each, grouped by recipient) run in this process, then in 2 worker processes
started with the "spawn" method; each worker loads the identity again from
`identity.reference` and the passphrase, as a sync's worker pool would.
Worker start-up and the first VKO computations are left out: every process
exports once to each recipient first. Then serial and parallel rounds
alternate, and each figure is the best round. CPU time per copy is
reported next to the wall-clock rates, because the machine is shared.

Writes bench/results/gost-provider.md.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys_gost.identity import GostIdentity
from chatkeys_gost.keys import pem_encode

RESULTS = Path(__file__).parent / "results" / "gost-provider.md"
ALGORITHM = "gost2012-256a"
PROFILE = "komandor"
RECIPIENTS = 100
ROUNDS = 5
JOBS = 400
CHUNK = 25
PASSPHRASE = "benchmark passphrase"  # noqa: S105 - protects a throwaway key

C_BASELINE = r"""
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* usage: baseline KEY.pem ROUNDS PEER1.pub [PEER2.pub ...]
   prints: operations seconds */
int main(int argc, char **argv) {
    ENGINE *engine = ENGINE_by_id("gost");
    if (engine == NULL || !ENGINE_init(engine)) return 2;
    ENGINE_set_default(engine, ENGINE_METHOD_ALL);
    FILE *file = fopen(argv[1], "r");
    EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
    fclose(file);
    int rounds = atoi(argv[2]), peers_count = argc - 3;
    EVP_PKEY **peers = malloc(sizeof(EVP_PKEY *) * peers_count);
    for (int i = 0; i < peers_count; i++) {
        file = fopen(argv[3 + i], "r");
        peers[i] = PEM_read_PUBKEY(file, NULL, NULL, NULL);
        fclose(file);
        if (peers[i] == NULL) return 3;
    }
    const EVP_MD *md = EVP_get_digestbyname("md_gost12_256");
    if (key == NULL || md == NULL) return 4;
    unsigned char data[89], kek[64], signature[128], ukm[8];
    RAND_bytes(data, sizeof data);
    long operations = 0;
    double start = now();
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < peers_count; i++) {
            RAND_bytes(ukm, sizeof ukm);
            EVP_PKEY_CTX *derive = EVP_PKEY_CTX_new(key, NULL);
            size_t kek_length = sizeof kek, signature_length = sizeof signature;
            if (EVP_PKEY_derive_init(derive) <= 0
                || EVP_PKEY_derive_set_peer(derive, peers[i]) <= 0
                || EVP_PKEY_CTX_ctrl(derive, -1, EVP_PKEY_OP_DERIVE,
                                     EVP_PKEY_CTRL_SET_IV, sizeof ukm, ukm) <= 0
                || EVP_PKEY_derive(derive, kek, &kek_length) <= 0) return 5;
            EVP_PKEY_CTX_free(derive);
            EVP_MD_CTX *sign = EVP_MD_CTX_new();
            if (EVP_DigestSignInit(sign, NULL, md, NULL, key) <= 0
                || EVP_DigestSign(sign, signature, &signature_length,
                                  data, sizeof data) <= 0) return 6;
            EVP_MD_CTX_free(sign);
            operations++;
        }
    }
    printf("%ld %.9f\n", operations, now() - start);
    return 0;
}
"""


def _compile_baseline(directory: Path) -> Path | None:
    """Compile the C baseline; install libssl-dev first when its headers are missing."""
    if not Path("/usr/include/openssl/evp.h").exists() and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "libssl-dev"], check=False)
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return None
    source = directory / "baseline.c"
    source.write_text(C_BASELINE)
    binary = directory / "baseline"
    result = subprocess.run(
        [compiler, "-O2", "-o", str(binary), str(source), "-lcrypto"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stderr.decode(), file=sys.stderr)
        return None
    return binary


def _export_and_sign(
    providers: Providers,
    identity: Identity,
    chat_key: ChatKey,
    recipients: Sequence[Certificate],
) -> None:
    for certificate in recipients:
        copy = providers.export_chat_key(chat_key, certificate, identity, PROFILE)
        providers.sign(copy, identity, PROFILE)


def _ours_per_recipient(
    providers: Providers,
    identity: GostIdentity,
    chat_key: ChatKey,
    recipients: Sequence[Certificate],
    warm: bool,
) -> float:
    identity.close()
    if warm:
        _export_and_sign(providers, identity, chat_key, recipients)
    start = time.perf_counter()
    _export_and_sign(providers, identity, chat_key, recipients)
    return (time.perf_counter() - start) / len(recipients)


def _openssl_per_recipient(binary: Path, key: Path, peers: Sequence[Path]) -> float:
    output = subprocess.run(
        [str(binary), str(key), "3", *map(str, peers)],
        capture_output=True,
        check=True,
    ).stdout.split()
    return float(output[1]) / int(output[0])


# -- worker processes ------------------------------------------------------

_WORKER: dict[str, object] = {}


def _worker_start(reference: str, warm_up: list[tuple[ChatKey, bytes]]) -> None:
    """Load the providers and the identity again, from its reference.

    The jobs in `warm_up` run once, so the VKO points of their recipients
    are cached in this process before anything is timed.
    """

    class Secrets:
        def get(self, name: str, description: str) -> str | None:
            return PASSPHRASE if name == "passphrase" else None

    providers = Providers.discover()
    _WORKER["providers"] = providers
    _WORKER["identity"] = providers.load_identity(reference, Secrets())
    _worker_jobs(warm_up)


def _worker_jobs(jobs: list[tuple[ChatKey, bytes]]) -> float:
    """Export and sign `jobs`; return the CPU seconds this process spent."""
    providers = _WORKER["providers"]
    identity = _WORKER["identity"]
    assert isinstance(providers, Providers)
    assert isinstance(identity, Identity)
    start = time.process_time()
    for chat_key, der in jobs:
        copy = providers.export_chat_key(
            chat_key, Certificate.from_der(der), identity, PROFILE
        )
        providers.sign(copy, identity, PROFILE)
    return time.process_time() - start


@dataclass(frozen=True)
class ParallelRun:
    """Copies per second (wall clock) and CPU seconds per copy, per side."""

    serial_rate: float
    parallel_rate: float
    serial_cpu: float
    parallel_cpu: float


def _parallel_rates(
    reference: str, chat_key: ChatKey, recipients: Sequence[Certificate]
) -> ParallelRun:
    # Jobs are grouped by recipient, as a planner would order them, so each
    # worker computes the VKO point of a recipient once.
    jobs = [
        (chat_key, recipients[n * len(recipients) // JOBS].der) for n in range(JOBS)
    ]
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    serial, parallel, serial_cpu, parallel_cpu = [], [], [], []

    # Every process exports once to each recipient before the rounds, which
    # alternate so that a burst of load elsewhere hits both sides alike.
    warm_up = [(chat_key, certificate.der) for certificate in recipients]
    _worker_start(reference, warm_up)
    context = multiprocessing.get_context("spawn")
    arguments = (reference, warm_up)
    with ProcessPoolExecutor(2, context, _worker_start, arguments) as pool:
        list(pool.map(_worker_jobs, chunks))
        for _ in range(ROUNDS):
            start = time.perf_counter()
            cpu = sum(_worker_jobs(chunk) for chunk in chunks)
            serial.append(JOBS / (time.perf_counter() - start))
            serial_cpu.append(cpu / JOBS)
            start = time.perf_counter()
            cpu = sum(pool.map(_worker_jobs, chunks))
            parallel.append(JOBS / (time.perf_counter() - start))
            parallel_cpu.append(cpu / JOBS)
    return ParallelRun(max(serial), max(parallel), min(serial_cpu), min(parallel_cpu))


def main() -> None:
    providers = Providers.discover()
    identity = providers.generate_identity(ALGORITHM, "exporter")
    assert isinstance(identity, GostIdentity)
    recipients = [
        providers.generate_identity(ALGORITHM, f"recipient {n}").certificate
        for n in range(RECIPIENTS)
    ]
    chat_key = providers.generate_chat_key(identity, PROFILE)

    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        key = directory / "exporter.key"
        key.write_bytes(pem_encode("PRIVATE KEY", identity.private_key.to_pkcs8_der()))
        peers = []
        for n, certificate in enumerate(recipients):
            peer = directory / f"peer{n}.pub"
            peer.write_bytes(pem_encode("PUBLIC KEY", certificate.spki))
            peers.append(peer)
        binary = _compile_baseline(directory)

        warm, cold, openssl = [], [], []
        for _ in range(ROUNDS):
            warm.append(
                _ours_per_recipient(providers, identity, chat_key, recipients, True)
            )
            cold.append(
                _ours_per_recipient(providers, identity, chat_key, recipients, False)
            )
            if binary is not None:
                openssl.append(_openssl_per_recipient(binary, key, peers))

        saved = identity.save(directory / "exporter.pem", passphrase=PASSPHRASE)
        run = _parallel_rates(saved.reference, chat_key, recipients)

    _write(min(warm), min(cold), min(openssl) if openssl else None, run)


def _write(warm: float, cold: float, openssl: float | None, run: ParallelRun) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.3f} ms"

    def ratio(seconds: float) -> str:
        return "n/a" if openssl is None else f"{seconds / openssl:.1f}x"

    today = datetime.date.today().isoformat()
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    lines = [
        "# GOST provider: export + sign per recipient",
        "",
        f"Command: `.venv/bin/python bench/gost_provider.py` ({machine}, {today}).",
        "",
        f"One {ALGORITHM} identity, Komandor profile, {RECIPIENTS} recipients; best of "
        f"{ROUNDS} alternating rounds. OpenSSL: a C program against libcrypto with the "
        "GOST engine doing VKO (8-byte UKM) and a Streebog-256 signature per "
        "recipient (no 28147-89 wrap; that costs this provider about 0.08 ms). "
        "A known recipient has its VKO point cached in the identity.",
        "",
        "| side | per recipient | ours / OpenSSL |",
        "| --- | --- | --- |",
        f"| chatkeys-gost, known recipient | {ms(warm)} | {ratio(warm)} |",
        f"| chatkeys-gost, new recipient | {ms(cold)} | {ratio(cold)} |",
        "| OpenSSL GOST engine (C) | "
        + ("not measured: no C compiler or headers" if openssl is None else ms(openssl))
        + " | 1x |",
        "",
        f"{JOBS} export+sign jobs over {RECIPIENTS} recipients, VKO points cached, "
        f"best of {ROUNDS} alternating rounds; workers are spawned and load the "
        "identity from its reference and passphrase:",
        "",
        "| processes | copies per second | speed-up | CPU time per copy |",
        "| --- | --- | --- | --- |",
        f"| 1 (this process) | {run.serial_rate:.0f} | 1.00x | {ms(run.serial_cpu)} |",
        f"| 2 workers | {run.parallel_rate:.0f} | "
        f"{run.parallel_rate / run.serial_rate:.2f}x | {ms(run.parallel_cpu)} |",
        "",
        "The wall-clock speed-up depends on what else runs on the machine (see the "
        "load average above). The CPU time per copy, summed over the workers, is "
        "the cost of the parallel work alone. Where it matches the single "
        "process, two idle cores should give close to 2x (an estimate, not a "
        "measurement).",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
