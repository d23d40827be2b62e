"""The provider conformance suite, run with keys on a SoftHSM token.

chatkeys-pkcs11 does only the private-key steps; chat keys, exports,
verification and messages come from chatkeys-soft, so both are registered
(chatkeys-pkcs11 last, as the provider under test).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

import chatkeys_pkcs11.plugin
import chatkeys_soft.plugin
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.testing.conformance import ProviderConformance
from chatkeys.testing.softhsm import SoftHsmDirectory, SoftHsmToken
from chatkeys_pkcs11 import create_key_and_certificate

from .conftest import PinSecrets


class TestTokenConformance(ProviderConformance):
    provider_plugin = chatkeys_pkcs11.plugin
    algorithms = ("pkcs11-ec-p256", "pkcs11-rsa-2048")

    @pytest.fixture(scope="class")
    @classmethod
    def providers(cls) -> Providers:
        providers = Providers()
        providers.register(chatkeys_soft.plugin, "soft")
        info = providers.register(chatkeys_pkcs11.plugin, "under-test")
        assert info is not None
        assert info.available, info.reason
        return providers

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_token(cls, softhsm_directory: SoftHsmDirectory) -> SoftHsmToken:
        return softhsm_directory.create_token()

    @pytest.fixture(scope="class")
    @classmethod
    def identity(
        cls, providers: Providers, algorithm: str, conformance_token: SoftHsmToken
    ) -> Iterator[Identity]:
        yield from _token_identity(providers, algorithm, conformance_token, "alice")

    @pytest.fixture(scope="class")
    @classmethod
    def peer_identity(
        cls, providers: Providers, algorithm: str, conformance_token: SoftHsmToken
    ) -> Iterator[Identity]:
        yield from _token_identity(providers, algorithm, conformance_token, "bob")

    def secret_markers(self, identity: Identity) -> Sequence[str]:
        return (
            (_PINS.get(identity.reference, ""),) if identity.reference in _PINS else ()
        )


_PINS: dict[str, str] = {}
"""The token PIN of each identity made here, by reference, for `secret_markers`."""


def _token_identity(
    providers: Providers, algorithm: str, token: SoftHsmToken, subject: str
) -> Iterator[Identity]:
    key = create_key_and_certificate(
        token.uri, algorithm.removeprefix("pkcs11-"), subject, pin=token.pin
    )
    identity = providers.load_identity(key.uri, PinSecrets(token.pin))
    _PINS[identity.reference] = token.pin
    try:
        yield identity
    finally:
        identity.close()
