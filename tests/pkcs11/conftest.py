"""Shared SoftHSM fixtures of the chatkeys-pkcs11 tests.

One token per test module contains an EC P-256 and an RSA-2048 key with
self-signed certificates, because RSA generation on SoftHSM takes a few
hundred milliseconds. Identities are loaded per test and closed after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.testing.softhsm import SoftHsmDirectory, SoftHsmToken
from chatkeys_pkcs11 import ProvisionedKey, create_key_and_certificate


class PinSecrets:
    """A secret source returning one PIN and counting how often it was asked."""

    def __init__(self, pin: str) -> None:
        self.pin = pin
        self.requests = 0

    def get(self, name: str, description: str) -> str | None:
        self.requests += 1
        return self.pin if name == "pin" else None


@pytest.fixture(scope="module")
def module_token(softhsm_directory: SoftHsmDirectory) -> SoftHsmToken:
    return softhsm_directory.create_token()


@pytest.fixture(scope="module")
def ec_key(module_token: SoftHsmToken) -> ProvisionedKey:
    return create_key_and_certificate(
        module_token.uri, "ec-p256", "EC on token", pin=module_token.pin
    )


@pytest.fixture(scope="module")
def rsa_key(module_token: SoftHsmToken) -> ProvisionedKey:
    return create_key_and_certificate(
        module_token.uri, "rsa-2048", "RSA on token", pin=module_token.pin
    )


@pytest.fixture(scope="session")
def providers() -> Providers:
    return Providers.discover()


@pytest.fixture
def load_token_identity(
    providers: Providers, module_token: SoftHsmToken
) -> Iterator[Callable[[ProvisionedKey], Identity]]:
    """Load identities through the providers and close them after the test."""
    loaded: list[Identity] = []

    def load(key: ProvisionedKey) -> Identity:
        identity = providers.load_identity(key.uri, PinSecrets(module_token.pin))
        loaded.append(identity)
        return identity

    yield load
    for identity in reversed(loaded):
        identity.close()
