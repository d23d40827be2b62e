"""End-to-end fixtures: the reference server on loopback and enrolled users."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatkeys.api import HttpSettings
from chatkeys.client import Client
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys_server.config import ServerConfig
from chatkeys_server.testing import RunningServer, run_server

_phones = itertools.count(1)


@pytest.fixture(scope="session")
def providers() -> Providers:
    return Providers.discover()


@pytest.fixture
def server(tmp_path: Path, providers: Providers) -> Iterator[RunningServer]:
    config = ServerConfig(db_path=tmp_path / "server.db", development=True)
    with run_server(config, providers) as running:
        yield running


@dataclass
class User:
    name: str
    phone: str
    pid: str
    cid: str
    identity: Identity
    client: Client


Enroll = Callable[..., User]


@pytest.fixture
def enroll(server: RunningServer, providers: Providers) -> Iterator[Enroll]:
    """Register a phone and a fresh certificate; returns a logged-out client."""
    clients: list[Client] = []

    def make(
        name: str,
        phone: str | None = None,
        algorithm: str = "ec-p256",
        settings: HttpSettings | None = None,
    ) -> User:
        phone = phone or f"7999{next(_phones):07d}"
        identity = providers.generate_identity(algorithm, name)
        with Registrar(server.base_url, providers) as registrar:
            request_id = registrar.register_phone(phone, profileName=name)
            code = server.state.codes.for_request(request_id)
            assert code is not None
            token, _ = registrar.confirm_phone(request_id, code)
            registration = registrar.register_certificate(token, identity)
        client = Client(server.base_url, identity, providers, settings=settings)
        clients.append(client)
        return User(name, phone, registration.pid, registration.cid, identity, client)

    yield make
    for client in clients:
        client.close()
