"""Benchmark: the export-and-sign stage with 1 and 2 worker processes.

One identity exports and signs a chat key to many recipient certificates,
first in this process, then in 2 forked workers (`chatkeys.workers`), in the
same run. Reports copies per second and the speed-up for every installed
algorithm among those listed. Writes bench/results/parallel-exports.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from chatkeys.providers import Providers
from chatkeys.workers import ExportJob, exports_for

ALGORITHMS = ("ec-p256", "rsa-2048", "gost2012-256a", "gost2012-512a")
RECIPIENTS = 400
RESULTS = Path(__file__).parent / "results" / "parallel-exports.md"


def _measure(providers: Providers, algorithm: str) -> tuple[float, float] | None:
    try:
        identity = providers.generate_identity(algorithm, "exporter")
    except Exception:  # an algorithm whose provider is not installed is skipped
        return None
    profile = providers.default_profile(identity.certificate)
    recipients = [providers.generate_identity(algorithm, f"r{n}") for n in range(20)]
    chat_key = providers.generate_chat_key(identity, profile)
    jobs = [
        ExportJob(
            f"chat-{n}", "p", f"c{n}", chat_key, recipients[n % 20].certificate.der
        )
        for n in range(RECIPIENTS)
    ]
    rates = []
    for workers in (1, 2):
        exports = exports_for(providers, identity, profile, workers)
        try:
            exports.run(jobs[:8], lambda count: None)  # start the workers
            start = time.perf_counter()
            results = exports.run(jobs, lambda count: None)
            elapsed = time.perf_counter() - start
        finally:
            exports.close()
        assert all(result.submission is not None for result in results), results[
            0
        ].error
        rates.append(len(jobs) / elapsed)
    return rates[0], rates[1]


def main() -> None:
    providers = Providers.discover()
    rows = []
    for algorithm in ALGORITHMS:
        measured = _measure(providers, algorithm)
        if measured is None:
            rows.append(f"| {algorithm} | not installed | | |")
            continue
        one, two = measured
        rows.append(f"| {algorithm} | {one:.0f} | {two:.0f} | {two / one:.2f}x |")
    text = "\n".join(
        [
            "# Export and sign with worker processes",
            "",
            "Command: `.venv/bin/python bench/parallel_exports.py` "
            f"({platform.machine()}, {os.cpu_count()} cores, Python "
            f"{sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}).",
            f"{RECIPIENTS} copies of one chat key, exported and signed; "
            "copies per second.",
            "",
            "| algorithm | 1 process | 2 workers | speed-up |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
