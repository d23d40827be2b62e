"""The export-and-sign stage of a sync, in this process or in worker processes.

Exporting and signing one key copy is independent of every other copy, and
pure-Python providers (GOST) spend most of a sync there. `ProcessExports`
spreads the copies over worker processes so a sync uses every core.

Workers are forked, so they inherit the loaded providers and the identity
(its private key included) without it crossing a pipe or being loaded
again. This needs the ``fork`` start method (Linux, most Unixes) and an
identity whose `Identity.fork_safe` is True: keys in memory are, keys on a
PKCS#11 token are not (a session must not be shared with a child process).
Otherwise `exports_for` falls back to `SerialExports`.

NOTE: forking a process that runs other threads copies their locks in
whatever state they are; the workers only run provider code, but a provider
that takes a lock held at fork time would block. Keep ``workers=1`` (the
default) where that matters.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import ChatkeysError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.submissions import KeySubmission

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64


@dataclass(frozen=True, slots=True)
class ExportJob:
    """One copy to make: `chat_key` exported to certificate `cid` of `pid`, signed."""

    chat_id: str
    pid: str
    cid: str
    chat_key: ChatKey = field(repr=False)
    certificate_der: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The signed copy, or the error message when the export failed."""

    job: ExportJob
    submission: KeySubmission | None
    error: str = ""


ProgressHook = Callable[[int], None]


class Exports(Protocol):
    """Runs export jobs and reports each finished one through `done(count)`."""

    def run(
        self, jobs: Sequence[ExportJob], done: ProgressHook
    ) -> list[ExportResult]: ...

    def close(self) -> None: ...


def export_one(
    providers: Providers, identity: Identity, profile: str, job: ExportJob
) -> ExportResult:
    """Export and sign one copy; a provider error becomes the result's error."""
    try:
        certificate = Certificate.from_der(job.certificate_der)
        key_copy = providers.export_chat_key(
            job.chat_key, certificate, identity, profile
        )
        signature = providers.sign(key_copy, identity, profile)
    except ChatkeysError as error:
        return ExportResult(job, None, str(error))
    return ExportResult(
        job, KeySubmission(job.chat_id, job.pid, job.cid, key_copy, signature)
    )


class SerialExports:
    """Runs every job in this process, in order."""

    def __init__(self, providers: Providers, identity: Identity, profile: str) -> None:
        self._context = (providers, identity, profile)

    def run(self, jobs: Sequence[ExportJob], done: ProgressHook) -> list[ExportResult]:
        results = []
        for job in jobs:
            results.append(export_one(*self._context, job))
            done(1)
        return results

    def close(self) -> None:
        """Nothing to release."""


_worker_context: tuple[Providers, Identity, str] | None = None


def _run_chunk(jobs: Sequence[ExportJob]) -> list[ExportResult]:
    assert _worker_context is not None, "worker started without a context"
    return [export_one(*_worker_context, job) for job in jobs]


class ProcessExports:
    """Runs jobs in `workers` forked processes, in chunks of `CHUNK_SIZE`."""

    def __init__(
        self, providers: Providers, identity: Identity, profile: str, workers: int
    ) -> None:
        global _worker_context
        _worker_context = (providers, identity, profile)
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork")
        )
        self.workers = workers

    def run(self, jobs: Sequence[ExportJob], done: ProgressHook) -> list[ExportResult]:
        chunk = max(1, min(CHUNK_SIZE, len(jobs) // (self.workers * 4) or 1))
        chunks = [jobs[start : start + chunk] for start in range(0, len(jobs), chunk)]
        futures = [self._pool.submit(_run_chunk, part) for part in chunks]
        results: list[ExportResult] = []
        for future in futures:
            part = future.result()
            results.extend(part)
            done(len(part))
        return results

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def exports_for(
    providers: Providers, identity: Identity, profile: str, workers: int
) -> Exports:
    """Return a process pool when `workers` > 1 and the identity allows it."""
    if workers <= 1:
        return SerialExports(providers, identity, profile)
    if "fork" not in multiprocessing.get_all_start_methods():
        logger.info("no fork start method on %s; exporting in one process", os.name)
        return SerialExports(providers, identity, profile)
    if not getattr(identity, "fork_safe", False):
        logger.info(
            "%r cannot be used in forked workers; exporting in one process", identity
        )
        return SerialExports(providers, identity, profile)
    return ProcessExports(providers, identity, profile, workers)
