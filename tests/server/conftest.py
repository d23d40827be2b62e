"""Fixtures of the server tests: providers, servers and an API client helper.

The server is driven in-process through httpx's ASGITransport (on an event
loop in a background thread, so the tests stay synchronous) or over real
HTTP through `chatkeys_server.testing.run_server`. Identities, signatures and
key copies come from the installed providers (``ec-p256`` from
chatkeys-soft), found through their entry points as in production.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.identity import Identity
from chatkeys.plugin import PROFILE_CMS
from chatkeys.providers import Providers
from chatkeys_server.app import create_app
from chatkeys_server.config import ServerConfig
from chatkeys_server.state import ServerState
from chatkeys_server.testing import run_server

ALGORITHM = "ec-p256"


def self_signed_der(key: ec.EllipticCurvePrivateKey, subject: str) -> bytes:
    """Return the DER of a one-day self-signed certificate of `key`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def write_identity_file(path: Path, subject: str) -> Path:
    """Write a new P-256 key (PKCS#8) and its certificate to one PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(
        key_pem + Certificate.from_der(self_signed_der(key, subject)).pem().encode()
    )
    return path


@pytest.fixture(scope="session")
def providers() -> Providers:
    """The installed providers; one of them must generate ec-p256 identities."""
    installed = Providers.discover()
    generators = [
        info.name
        for info in installed.infos
        if info.available
        and any(a.name == ALGORITHM and a.can_generate for a in info.algorithms)
    ]
    assert generators, (
        f"no installed provider generates {ALGORITHM}: pip install chatkeys-soft"
    )
    return installed


@pytest.fixture
def identity_file(tmp_path: Path) -> Any:
    """`write_identity_file` into the test's directory: `identity_file(subject)`."""
    return lambda subject: write_identity_file(tmp_path / f"{subject}.pem", subject)


@pytest.fixture
def config(tmp_path: Path) -> ServerConfig:
    """A development-mode configuration with a fresh database."""
    return ServerConfig(db_path=tmp_path / "server.db", development=True)


class InProcessClient:
    """A synchronous face of an httpx.AsyncClient on the ASGI app, in one event loop."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        response: httpx.Response = self._portal.call(call)
        return response


@dataclass
class Session:
    """A logged-in client: its identity, profile, certificate and token."""

    identity: Identity
    pid: str
    cid: str
    token: str
    phone: str


class Api:
    """Client side of the API for tests, over any client with `request()`."""

    def __init__(self, http: Any, state: ServerState, providers: Providers) -> None:
        self.http = http
        self.state = state
        self.providers = providers

    def post(
        self, path: str, body: Any = None, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        if body is not None:
            kwargs["json"] = body
        return self.http.request("POST", f"/api/v2/{path}", headers=headers, **kwargs)

    def data(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["success"] is True
        return payload["data"]

    def new_identity(self, subject: str = "tester") -> Identity:
        return self.providers.generate_identity(ALGORITHM, subject)

    def sign(self, data: bytes, identity: Identity) -> str:
        return base64.b64encode(
            self.providers.sign(data, identity, PROFILE_CMS)
        ).decode()

    def registration_token(self, phone: str, **profile: Any) -> tuple[str, str]:
        request_id = self.data(self.post("registryPhone", {"phone": phone, **profile}))[
            "requestId"
        ]
        code = self.state.codes.for_request(request_id)
        confirmed = self.data(
            self.post("confirmPhone", {"requestId": request_id, "code": code})
        )
        return confirmed["registrationToken"], confirmed["pid"]

    def register(
        self, phone: str, identity: Identity | None = None, **profile: Any
    ) -> Session:
        identity = identity or self.new_identity(phone)
        token, pid = self.registration_token(phone, **profile)
        registered = self.data(
            self.post(
                "certificateRegistration/",
                {
                    "certificate": identity.certificate.to_api_field(),
                    "sign": self.sign(token.encode(), identity),
                },
                token=token,
            )
        )
        assert registered["pid"] == pid
        session = self.login(identity)
        session.phone = phone
        return session

    def login(self, identity: Identity) -> Session:
        challenge = self.data(
            self.post("auth", {"certificate": identity.certificate.to_api_field()})
        )
        signed = self.sign(base64.b64decode(challenge["challenge"]), identity)
        login = self.data(
            self.post(
                "confirmAuth", {"challengeId": challenge["challengeId"], "sign": signed}
            )
        )
        return Session(identity, login["pid"], login["cid"], login["token"], "")

    def chats(self, session: Session, body: Any = None) -> list[dict[str, Any]]:
        chats: list[dict[str, Any]] = self.data(
            self.post("chats/", body, token=session.token)
        )
        return chats

    def chat_with(self, session: Session, predicate: Any) -> dict[str, Any]:
        matches = [chat for chat in self.chats(session) if predicate(chat)]
        assert len(matches) == 1, matches
        return matches[0]

    def copies(
        self,
        session: Session,
        chat: dict[str, Any],
        chat_key: ChatKey,
        recipients: Sequence[dict[str, Any]],
    ) -> list[dict[str, str]]:
        entries = []
        for recipient in recipients:
            certificate = Certificate.from_api_field(recipient["certificate"])
            copy = self.providers.export_chat_key(
                chat_key, certificate, session.identity, PROFILE_CMS
            )
            entries.append(
                {
                    "chatId": chat["id"],
                    "pid": recipient["pid"],
                    "cid": recipient["cid"],
                    "key": base64.b64encode(copy).decode(),
                    "sign": self.sign(copy, session.identity),
                }
            )
        return entries

    def send_copies(
        self, session: Session, entries: Sequence[dict[str, str]]
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.data(
            self.post("chatsKeys/", {"keys": list(entries)}, token=session.token)
        )["results"]
        return results

    def import_key(self, session: Session, chat: dict[str, Any]) -> ChatKey:
        assert chat["chatKey"] is not None
        candidates = [
            Certificate.from_api_field(c["certificate"]) for c in chat["certificates"]
        ]
        return self.providers.import_chat_key(
            base64.b64decode(chat["chatKey"]["key"]), session.identity, candidates
        )


@contextlib.contextmanager
def open_api(config: ServerConfig, providers: Providers) -> Iterator[Api]:
    """Build an in-process server for `config` and yield its API."""
    app = create_app(config, providers)
    state: ServerState = app.state.chatkeys
    with anyio.from_thread.start_blocking_portal() as portal:

        async def open_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://server.test"
            )

        client = portal.call(open_client)
        try:
            yield Api(InProcessClient(portal, client), state, providers)
        finally:
            portal.call(client.aclose)
            state.close()


@pytest.fixture
def api(config: ServerConfig, providers: Providers) -> Iterator[Api]:
    """The API of an in-process server with a fresh database."""
    with open_api(config, providers) as opened:
        yield opened


@pytest.fixture
def api_factory(providers: Providers) -> Any:
    """`open_api` with the test providers: `with api_factory(config) as api: ...`."""
    return lambda config: open_api(config, providers)


@pytest.fixture
def live_api(config: ServerConfig, providers: Providers) -> Iterator[Any]:
    """A factory of `Api` clients of one server running on loopback over real HTTP.

    Each call opens its own connection pool, so threads can use one each.
    """
    with run_server(config, providers) as server:
        clients: list[httpx.Client] = []

        def connect() -> Api:
            http = httpx.Client(base_url=server.base_url, timeout=30)
            clients.append(http)
            return Api(http, server.state, providers)

        try:
            yield connect
        finally:
            for http in clients:
                http.close()
