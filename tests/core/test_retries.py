"""Retries against a real HTTP endpoint that fails on purpose.

A small stdlib HTTP server on loopback plays an overloaded proxy in front of
the API: it answers the first requests with 503 (or drops the connection)
and then with a valid chats response.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from chatkeys.api import HttpSettings
from chatkeys.client import Client
from chatkeys.errors import ApiError, TransportError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.submissions import KeySubmission


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    script: ClassVar[list[str]] = []
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(self.path)
        action = self.script.pop(0) if self.script else "ok"
        if action == "drop":
            self.connection.close()
            return
        if action == "503":
            self._reply(
                503,
                {"success": False, "error": {"code": "busy", "message": "try later"}},
                {"Retry-After": "0"},
            )
            return
        if self.path.endswith("/auth"):
            self._reply(
                200,
                {"success": True, "data": {"challengeId": "c", "challenge": "AAAA"}},
            )
        elif self.path.endswith("/confirmAuth"):
            self._reply(
                200,
                {
                    "success": True,
                    "data": {
                        "token": "t",
                        "expiresAt": 4102444800,
                        "pid": "p",
                        "cid": "c",
                    },
                },
            )
        else:
            self._reply(200, {"success": True, "data": []})

    def _reply(
        self, status: int, body: object, headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def flaky() -> Iterator[str]:
    FlakyHandler.script = []
    FlakyHandler.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def identity() -> Identity:
    return Providers.discover().generate_identity("ec-p256", "retry")


FAST = HttpSettings(retries=2, backoff=0.01, max_backoff=0.05)


def test_fetch_retried_after_503(flaky: str, identity: Identity) -> None:
    FlakyHandler.script = ["ok", "ok", "503", "503"]  # login passes, then two 503s
    with Client(flaky, identity, settings=FAST) as client:
        assert client.fetch_chats().chats == ()
    assert FlakyHandler.seen.count("/api/v2/chats/") == 3


def test_fetch_gives_up_after_retries(flaky: str, identity: Identity) -> None:
    FlakyHandler.script = ["ok", "ok", "503", "503", "503"]
    with (
        Client(flaky, identity, settings=FAST) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.fetch_chats()
    assert caught.value.status == 503
    assert caught.value.code == "busy"


def test_dropped_connection_retried_for_fetch(flaky: str, identity: Identity) -> None:
    FlakyHandler.script = ["ok", "ok", "drop"]
    with Client(flaky, identity, settings=FAST) as client:
        assert client.fetch_chats().chats == ()
    assert FlakyHandler.seen.count("/api/v2/chats/") == 2


def test_key_registration_never_retried(flaky: str, identity: Identity) -> None:
    FlakyHandler.script = ["ok", "ok", "drop"]
    copy = KeySubmission("chat", "p", "c", b"k", b"s")
    with (
        Client(flaky, identity, settings=FAST) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.submit_keys([copy])
    assert caught.value.sent is True
    assert FlakyHandler.seen.count("/api/v2/chatsKeys/") == 1


def test_503_on_registration_not_retried(flaky: str, identity: Identity) -> None:
    FlakyHandler.script = ["ok", "ok", "503"]
    copy = KeySubmission("chat", "p", "c", b"k", b"s")
    with Client(flaky, identity, settings=FAST) as client, pytest.raises(ApiError):
        client.submit_keys([copy])
    assert FlakyHandler.seen.count("/api/v2/chatsKeys/") == 1
