"""Faults over real HTTP: rejected copies, a server that stops, bad requests.

A wrapping httpx transport alters requests on their way to the real server
where a test needs a fault that a correct client never produces (a tampered
signature); everything else is the real client against the real server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chatkeys.aclient import AsyncClient
from chatkeys.api import HttpSettings, Token
from chatkeys.client import Client
from chatkeys.errors import TransportError
from chatkeys.identity import Identity
from chatkeys.model import ChatStatus
from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys.store import Store
from chatkeys.submissions import KeySubmission
from chatkeys_server.config import ServerConfig
from chatkeys_server.testing import RunningServer, run_server

from .conftest import Enroll, User


class Tamper(httpx.HTTPTransport):
    """Passes requests through, letting `edit` change chatsKeys bodies first."""

    def __init__(self, edit: Callable[[dict[str, object]], None]) -> None:
        super().__init__()
        self.edit = edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.rstrip("/").endswith("chatsKeys"):
            body = json.loads(request.read())
            self.edit(body)
            request = httpx.Request(
                request.method,
                request.url,
                headers={"Authorization": request.headers["Authorization"]},
                json=body,
            )
        return super().handle_request(request)


def _flip_signature_for(cid: str) -> Callable[[dict[str, object]], None]:
    def edit(body: dict[str, object]) -> None:
        for item in body["keys"]:  # type: ignore[attr-defined]
            if item["cid"] == cid:
                signature = bytearray(base64.b64decode(item["sign"]))
                signature[len(signature) // 2] ^= 0x01
                item["sign"] = base64.b64encode(bytes(signature)).decode()

    return edit


def _chat_with(user: User, name: str):  # type: ignore[no-untyped-def]
    return next(
        c
        for c in user.client.fetch_chats().chats
        if c.profile.name == name and not c.favorites
    )


def test_one_rejected_copy_keeps_others(
    server: RunningServer, enroll: Enroll, providers: Providers
) -> None:
    anna = enroll("Анна")
    boris = enroll("Борис")
    assert anna.client.sync().ok
    boris_phone2 = enroll("Борис", phone=boris.phone)
    boris_phone3 = enroll("Борис", phone=boris.phone)
    tampering = Client(
        server.base_url,
        anna.identity,
        providers,
        transport=Tamper(_flip_signature_for(boris_phone3.cid)),
    )
    with tampering:
        report = tampering.sync()
    chat = _chat_with(anna, "Борис")
    outcome = report.outcomes[chat.id]
    assert outcome.status is ChatStatus.WAIT
    assert [(p.cid, p.reason) for p in outcome.pending] == [
        (boris_phone3.cid, "bad_signature")
    ]
    assert [p.cid for p in chat.wait_list] == [boris_phone3.cid]
    assert _chat_with(boris_phone2, "Анна").chat_key is not None

    retry = anna.client.sync()
    assert retry.outcomes[chat.id].status is ChatStatus.SYNC
    assert _chat_with(boris_phone3, "Анна").chat_key is not None


def _register(
    server: RunningServer, providers: Providers, name: str, phone: str
) -> Identity:
    identity = providers.generate_identity("ec-p256", name)
    with Registrar(server.base_url, providers) as registrar:
        request_id = registrar.register_phone(phone, profileName=name)
        code = server.state.codes.for_request(request_id)
        assert code is not None
        token, _ = registrar.confirm_phone(request_id, code)
        registrar.register_certificate(token, identity)
    return identity


def _copies(server: RunningServer) -> int:
    with server.state.store.read() as connection:
        return int(connection.execute("SELECT COUNT(*) FROM key_copies").fetchone()[0])


def test_server_stopped_before_refetch(tmp_path: Path, providers: Providers) -> None:
    config = ServerConfig(
        db_path=tmp_path / "server.db", development=True, jwt_secret=b"k" * 32
    )
    store = Store(tmp_path / "anna.db")
    with contextlib.ExitStack() as running:
        first = running.enter_context(run_server(config, providers))
        anna = _register(first, providers, "Анна", "79990000101")
        _register(first, providers, "Борис", "79990000102")

        class StopAfterRegistration(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                response = super().handle_request(request)
                if request.url.path.rstrip("/").endswith("chatsKeys"):
                    response.read()
                    running.close()  # the server stops right after answering
                return response

        client = Client(
            first.base_url,
            anna,
            providers,
            settings=HttpSettings(retries=0),
            transport=StopAfterRegistration(),
        )
        with client, pytest.raises(TransportError):
            client.sync(store=store)

    with run_server(config, providers) as second:
        registered_before = _copies(second)
        assert registered_before > 0
        with Client(second.base_url, anna, providers) as again:
            report = again.sync(store=store)
        assert report.ok, report.to_json()
        assert report.copies_sent == 0
        assert _copies(second) == registered_before
        for chat_id in report.outcomes:
            assert store.pending_copies(chat_id, anna.certificate.fingerprint) == []
    store.close()


def _copy_for(
    user: User, chat_id: str, pid: str, cid: str, providers: Providers
) -> KeySubmission:
    key = b"\x30\x03\x02\x01\x00"  # the server checks the signature, not the key
    signature = providers.sign(key, user.identity, user.client.profile)
    return KeySubmission(chat_id, pid, cid, key, signature)


def test_bad_copies_rejected_with_reasons(enroll: Enroll, providers: Providers) -> None:
    anna = enroll("Анна")
    boris = enroll("Борис")
    carol = enroll("Вера")
    chat = _chat_with(anna, "Борис")
    carol_chat = next(c for c in carol.client.fetch_chats().chats if c.favorites)

    tampered = _copy_for(anna, chat.id, boris.pid, boris.cid, providers)
    tampered = KeySubmission(
        tampered.chat_id,
        tampered.pid,
        tampered.cid,
        tampered.key,
        tampered.sign[:-1] + bytes([tampered.sign[-1] ^ 1]),
    )
    stranger = _copy_for(anna, chat.id, carol.pid, carol.cid, providers)
    foreign = _copy_for(anna, carol_chat.id, carol.pid, carol.cid, providers)
    good = _copy_for(anna, chat.id, anna.pid, anna.cid, providers)

    results = anna.client.submit_keys([tampered, stranger, foreign, good])
    verdicts = [(r.status.value, r.reason) for r in results]
    assert verdicts[0] == ("rejected", "bad_signature")
    assert verdicts[1] == ("rejected", "not_participant")
    assert verdicts[2][0] == "rejected"
    assert verdicts[2][1] in ("not_participant", "unknown_chat")
    assert verdicts[3] == ("registered", "")
    assert all(r.message for r in results[:3])


def test_expired_token_rejected_then_renewed(
    tmp_path: Path, providers: Providers
) -> None:
    config = ServerConfig(
        db_path=tmp_path / "server.db", development=True, token_lifetime=1
    )
    with run_server(config, providers) as server:
        identity = _register(server, providers, "Анна", "79990000201")
        with Client(server.base_url, identity, providers) as client:
            token = client.login()
            # The client believes the token is fresh, so it sends it after expiry.
            client._token = Token(
                token.token, token.expires_at + 3600, token.pid, token.cid
            )
            time.sleep(2.1)
            response = httpx.post(
                f"{server.base_url}/api/v2/chats/",
                json={},
                headers={"Authorization": f"Bearer {token.token}"},
            )
            assert response.status_code == 401
            assert response.json()["success"] is False
            assert response.json()["error"]["code"]
            chats = client.fetch_chats()  # the client logs in again after the 401
            assert len(chats.chats) >= 2
            assert client._token is not None
            assert client._token.token != token.token


def test_fifty_requests_through_ten_connections(
    server: RunningServer, enroll: Enroll, providers: Providers
) -> None:
    anna = enroll("Анна")
    settings = HttpSettings(max_connections=10, retries=0)

    async def burst() -> list[int]:
        async with AsyncClient(
            server.base_url, anna.identity, providers, settings=settings
        ) as client:
            await client.login()
            lists = await asyncio.gather(*(client.fetch_chats() for _ in range(50)))
            report = await client.sync()
            assert report.ok
            return [len(chat_list.chats) for chat_list in lists]

    sizes = asyncio.run(burst())
    assert len(sizes) == 50
    assert all(size == sizes[0] for size in sizes)
