"""Load benchmark: 50 clients syncing about 200 chats each against one server.

201 profiles register (each activation creates a chat with every profile
already known, so every profile ends with 200 personal chats plus Favorites
and the system contact). The reference server then runs as its own process
(`chatkeys-server serve`) on loopback, and 50 of the profiles sync at the
same moment with `AsyncClient`, in one client process. Pairs of active
profiles race for the first key of their shared chat.

Reported: wall time, key copies registered per second, p50/p99 latency of
`/chats/` and `/chatsKeys/`, errors, and the final check: every chat of every
active profile is `sync` and both members of each chat see the same key id.
Writes bench/results/load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from chatkeys.aclient import AsyncClient
from chatkeys.api import HttpSettings
from chatkeys.identity import Identity
from chatkeys.model import ChatStatus
from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys_server.config import ServerConfig
from chatkeys_server.testing import run_server

RESULTS = Path(__file__).parent / "results" / "load.md"


class TimedTransport(httpx.AsyncHTTPTransport):
    """Records the latency of every request, per endpoint."""

    def __init__(self, latencies: dict[str, list[float]]) -> None:
        super().__init__()
        self.latencies = latencies

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = await super().handle_async_request(request)
        await response.aread()
        endpoint = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.latencies[endpoint].append(time.perf_counter() - start)
        return response


def _register_all(
    db: Path, secret: bytes, profiles: int, providers: Providers
) -> list[Identity]:
    config = ServerConfig(db_path=db, development=True, jwt_secret=secret)
    identities = []
    with (
        run_server(config, providers) as server,
        Registrar(server.base_url, providers) as registrar,
    ):
        for index in range(profiles):
            identity = providers.generate_identity("ec-p256", f"user {index}")
            request_id = registrar.register_phone(
                f"7990{index:07d}", profileName=f"user {index}"
            )
            code = server.state.codes.for_request(request_id)
            assert code is not None
            token, _ = registrar.confirm_phone(request_id, code)
            registrar.register_certificate(token, identity)
            identities.append(identity)
    return identities


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    command = Path(sys.executable).with_name("chatkeys-server")
    process = subprocess.Popen(
        [command, "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 30 s")


async def _sync_all(
    base_url: str,
    identities: list[Identity],
    providers: Providers,
    latencies: dict[str, list[float]],
) -> tuple[list[object], list[str]]:
    settings = HttpSettings(max_connections=4, read_timeout=300, retries=3)
    errors: list[str] = []

    async def one(identity: Identity) -> object:
        async with AsyncClient(
            base_url,
            identity,
            providers,
            settings=settings,
            transport=TimedTransport(latencies),
        ) as client:
            try:
                return await client.sync()
            except Exception as error:  # every failure is counted and reported
                errors.append(
                    f"{identity.certificate.short_id}: {type(error).__name__}: {error}"
                )
                return None

    reports = await asyncio.gather(*(one(identity) for identity in identities))
    return list(reports), errors


async def _check(
    base_url: str, identities: list[Identity], providers: Providers
) -> tuple[int, int, list[str]]:
    problems: list[str] = []
    key_ids: dict[str, set[str]] = defaultdict(set)
    chats = 0
    for identity in identities:
        async with AsyncClient(base_url, identity, providers) as client:
            chat_list = await client.fetch_chats()
        for chat in chat_list.chats:
            chats += 1
            if chat.status is not ChatStatus.SYNC or chat.chat_key is None:
                viewer = identity.certificate.short_id
                problems.append(f"chat {chat.id} is {chat.status.value} for {viewer}")
                continue
            key_ids[chat.id].add(chat.chat_key.id)
    forked = [chat_id for chat_id, ids in key_ids.items() if len(ids) != 1]
    problems.extend(
        f"chat {chat_id} has key ids {sorted(key_ids[chat_id])}" for chat_id in forked
    )
    return chats, len(key_ids), problems


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--chats", type=int, default=200, help="personal chats per profile"
    )
    arguments = parser.parse_args()

    providers = Providers.discover()
    secret = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="chatkeys-load-") as directory:
        db = Path(directory) / "server.db"
        started = time.perf_counter()
        identities = _register_all(db, secret, arguments.chats + 1, providers)
        setup_seconds = time.perf_counter() - started
        active = identities[-arguments.clients :]

        port = _free_port()
        server = _start_server(db, port)
        base_url = f"http://127.0.0.1:{port}"
        latencies: dict[str, list[float]] = defaultdict(list)
        try:
            started = time.perf_counter()
            reports, errors = asyncio.run(
                _sync_all(base_url, active, providers, latencies)
            )
            wall = time.perf_counter() - started
            chats, distinct, problems = asyncio.run(_check(base_url, active, providers))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)

    registered = sum(getattr(r, "copies_registered", 0) for r in reports)
    rejected = sum(getattr(r, "copies_rejected", 0) for r in reports)
    rows = []
    for endpoint, values in sorted(latencies.items()):
        p50 = _percentile(values, 0.5) * 1000
        p99 = _percentile(values, 0.99) * 1000
        mean = statistics.fmean(values) * 1000
        rows.append(
            f"| `{endpoint}` | {len(values)} | {p50:.0f} ms | {p99:.0f} ms "
            f"| {mean:.0f} ms |"
        )
    text = "\n".join(
        [
            "# Load: concurrent clients against one server",
            "",
            "Command: `.venv/bin/python bench/load.py "
            f"--clients {arguments.clients} --chats {arguments.chats}`",
            f"({platform.machine()}, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')};",
            "server and clients share the machine: the server in its own "
            "process, the clients as asyncio tasks in another, EC P-256 "
            "certificates).",
            "",
            f"- setup: {arguments.chats + 1} profiles registered in "
            f"{setup_seconds:.0f} s",
            f"- sync of {arguments.clients} clients at once: {wall:.1f} s wall time",
            f"- key copies registered: {registered} "
            f"({registered / wall:.0f} per second); "
            f"rejected as conflicts or otherwise: {rejected}",
            f"- errors: {len(errors)}",
            f"- final check: {chats} chat views, {distinct} distinct chats, "
            f"{len(problems)} not sync or with more than one key id",
            "",
            "| endpoint | requests | p50 | p99 | mean |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            *(f"- error: {error}" for error in errors[:10]),
            *(f"- problem: {problem}" for problem in problems[:10]),
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    if errors or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
