"""Server-side cost of the reference server's requests, without HTTP.

Calls the request handlers of `chatkeys_server` directly on a fresh database
in a temporary directory, with the installed ec-p256 provider:

- registering profiles one after another, where each activation creates a
  chat with every active profile. The database stays open between
  transactions. The baseline run closes the last connection at the end of
  every transaction, which makes SQLite checkpoint and delete the WAL file;
- rendering the chat list of a profile with about 200 chats;
- registering 1 and 100 key copies in one ``chatsKeys`` request (signature
  checks dominate).

Writes bench/results/server.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys_server import chats, key_copies, registration
from chatkeys_server.config import ServerConfig
from chatkeys_server.records import ParticipantCertificate
from chatkeys_server.state import ServerState
from chatkeys_server.tokens import SCOPE_REGISTER

RESULTS = Path(__file__).parent / "results" / "server.md"
ALGORITHM = "ec-p256"


def _register(state: ServerState, phone: str) -> tuple[Identity, str, str]:
    identity = state.providers.generate_identity(ALGORITHM, phone)
    request_id = registration.registry_phone(state, {"phone": phone})["requestId"]
    code = state.codes.for_request(request_id)
    confirmed = registration.confirm_phone(
        state, {"requestId": request_id, "code": code}
    )
    token = confirmed["registrationToken"]
    claims = state.tokens.verify(token, SCOPE_REGISTER)
    sign = state.providers.sign(token.encode(), identity, "cms")
    body = {
        "certificate": identity.certificate.to_api_field(),
        "sign": base64.b64encode(sign).decode(),
    }
    registered = registration.register_certificate(state, token, claims, body)
    return identity, registered["pid"], registered["cid"]


def _open_state(directory: Path, providers: Providers, keep_open: bool) -> ServerState:
    config = ServerConfig(db_path=directory / "server.db", development=True)
    state = ServerState.open(config, providers)
    if not keep_open:
        state.store.close()
    return state


def _registrations(providers: Providers, profiles: int, keep_open: bool) -> float:
    with tempfile.TemporaryDirectory() as directory:
        state = _open_state(Path(directory), providers, keep_open)
        start = time.perf_counter()
        for index in range(profiles):
            _register(state, f"7926{index:07d}")
        elapsed = time.perf_counter() - start
        state.close()
    return elapsed / profiles


def _median(run: Callable[[], Any], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _copies(
    state: ServerState, identity: Identity, personal: list[dict[str, Any]], count: int
) -> dict[str, Any]:
    """Build a body with `count` copies: a new key of each chat, to its certificates."""
    entries: list[dict[str, str]] = []
    while len(entries) < count:
        chat = personal.pop()
        chat_key = state.providers.generate_chat_key(identity, "cms")
        for recipient in chat["certificates"][: count - len(entries)]:
            certificate = Certificate.from_api_field(recipient["certificate"])
            copy = state.providers.export_chat_key(
                chat_key, certificate, identity, "cms"
            )
            sign = state.providers.sign(copy, identity, "cms")
            entries.append(
                {
                    "chatId": chat["id"],
                    "pid": recipient["pid"],
                    "cid": recipient["cid"],
                    "key": base64.b64encode(copy).decode(),
                    "sign": base64.b64encode(sign).decode(),
                }
            )
    return {"keys": entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", type=int, default=200, help="profiles to register"
    )
    parser.add_argument(
        "--baseline-profiles",
        type=int,
        default=50,
        help="profiles to register in the baseline run",
    )
    arguments = parser.parse_args()
    providers = Providers.discover()

    kept_open = _registrations(providers, arguments.baseline_profiles, keep_open=True)
    closed = _registrations(providers, arguments.baseline_profiles, keep_open=False)

    with tempfile.TemporaryDirectory() as directory:
        state = _open_state(Path(directory), providers, keep_open=True)
        start = time.perf_counter()
        people = [_register(state, f"7926{i:07d}") for i in range(arguments.profiles)]
        per_registration = (time.perf_counter() - start) / arguments.profiles
        identity, pid, cid = people[0]

        def render() -> list[dict[str, Any]]:
            with state.store.read() as connection:
                return chats.render_chats(
                    connection, pid, cid, chats.member_chat_ids(connection, pid)
                )

        listed = render()
        render_time = _median(render, 9)
        exporter = ParticipantCertificate(pid, cid, identity.certificate.der)
        personal = [
            chat
            for chat in listed
            if not chat["chatFavorites"] and chat["profileType"] != 0
        ]
        timings = {}
        for count in (1, 100):
            bodies = [_copies(state, identity, personal, count) for _ in range(3)]
            samples = []
            for body in bodies:
                start = time.perf_counter()
                results = key_copies.register_copies(state, exporter, body)["results"]
                assert all(result["status"] == "registered" for result in results)
                samples.append(time.perf_counter() - start)
            timings[count] = statistics.median(samples)
        state.close()

    lines = [
        "# Reference server: cost of requests without HTTP",
        "",
        f"Command: `.venv/bin/python bench/server_requests.py --profiles "
        f"{arguments.profiles} --baseline-profiles {arguments.baseline_profiles}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}. Handlers called in process on a fresh "
        "SQLite database in a temporary directory, ec-p256 identities from the "
        "installed provider. Figures of one run of the command.",
        "",
        "| measure | time |",
        "| --- | ---: |",
        f"| registration and activation, mean over {arguments.profiles} profiles "
        f"| {per_registration * 1000:.1f} ms |",
        f"| chat list of a profile with {len(listed)} chats, median of 9 "
        f"| {render_time * 1000:.1f} ms |",
        f"| `chatsKeys` with 1 copy, median of 3 | {timings[1] * 1000:.1f} ms |",
        f"| `chatsKeys` with 100 copies, median of 3 | {timings[100] * 1000:.1f} ms |",
        "",
        "## Baseline in the same process: the database kept open",
        "",
        f"Mean registration time over {arguments.baseline_profiles} profiles:",
        "",
        "| store | time | ratio |",
        "| --- | ---: | ---: |",
        "| one connection kept open (the server's setting) "
        f"| {kept_open * 1000:.1f} ms "
        "| 1.0 |",
        f"| every transaction closes the last connection | {closed * 1000:.1f} ms "
        f"| {closed / kept_open:.1f} |",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
