"""The pytest fixtures chatkeys ships for integrators, used as they would be."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pkcs11
import pytest

from chatkeys.identity import Identity
from chatkeys.testing.softhsm import SoftHsmToken, reinitialize_module
from chatkeys_pkcs11 import TokenIdentity, TokenUri


def test_softhsm_token_is_initialised(softhsm_token: SoftHsmToken) -> None:
    uri = TokenUri.parse(softhsm_token.uri)
    assert uri.token == softhsm_token.label
    assert uri.serial == softhsm_token.serial
    assert uri.module_path == softhsm_token.module_path
    assert softhsm_token.pin not in softhsm_token.uri
    assert softhsm_token.pin not in repr(softhsm_token)
    assert softhsm_token.so_pin not in repr(softhsm_token)

    library = pkcs11.lib(softhsm_token.module_path)
    token = library.get_token(token_label=softhsm_token.label)
    with token.open(user_pin=softhsm_token.pin) as session:
        assert list(session.get_objects()) == []
    with pytest.raises(pkcs11.exceptions.PinIncorrect):
        token.open(user_pin=softhsm_token.pin + "0")


def test_each_test_gets_a_new_token(
    softhsm_token: SoftHsmToken, softhsm_directory: object
) -> None:
    second = softhsm_directory.create_token()  # type: ignore[attr-defined]
    assert second.label != softhsm_token.label
    assert second.serial != softhsm_token.serial
    labels = {token.label for token in pkcs11.lib(second.module_path).get_tokens()}
    assert {softhsm_token.label, second.label} <= labels


def test_uri_with_pin_loads_identity(
    softhsm_token: SoftHsmToken, identity_factory: Callable[..., Identity]
) -> None:
    from chatkeys.providers import Providers
    from chatkeys_pkcs11 import create_key_and_certificate

    key = create_key_and_certificate(
        softhsm_token.uri, "ec-p256", "Kit", pin=softhsm_token.pin
    )
    uri = TokenUri.parse(key.uri)
    assert uri.object_label == key.label
    with_pin = softhsm_token.uri_for(key.label, with_pin=True)
    from chatkeys.identity import NoSecrets

    with Providers.discover().load_identity(with_pin, NoSecrets()) as identity:
        assert isinstance(identity, TokenIdentity)
        assert softhsm_token.pin not in identity.reference


def test_identity_factory_generates_soft_and_token_identities(
    monkeypatch: pytest.MonkeyPatch,
    softhsm_token: SoftHsmToken,
    identity_factory: Callable[..., Identity],
) -> None:
    soft = identity_factory("ec-p256", "Soft")
    assert soft.provider == "soft"
    monkeypatch.setenv("CHATKEYS_PKCS11_TOKEN_URI", softhsm_token.uri)
    monkeypatch.setenv("CHATKEYS_PIN", softhsm_token.pin)
    token = identity_factory("pkcs11-ec-p256", "Token")
    assert isinstance(token, TokenIdentity)
    assert token.certificate.key_algorithm_oid == soft.certificate.key_algorithm_oid


def test_reinitialize_drops_provider_sessions(
    softhsm_token: SoftHsmToken,
    identity_factory: Callable[..., Identity],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATKEYS_PKCS11_TOKEN_URI", softhsm_token.uri)
    monkeypatch.setenv("CHATKEYS_PIN", softhsm_token.pin)
    identity = identity_factory("pkcs11-ec-p256", "Before")
    assert isinstance(identity, TokenIdentity)
    reinitialize_module(softhsm_token.module_path)
    from chatkeys_pkcs11 import TokenError

    with pytest.raises(TokenError, match="reinitialised"):
        identity.run(lambda session, key: None)


def test_chatkeys_server_listens_on_loopback(chatkeys_server: object) -> None:
    base_url: str = chatkeys_server.base_url  # type: ignore[attr-defined]
    assert base_url.startswith("http://127.0.0.1:")
    response = httpx.post(f"{base_url}/api/v2/chats", json={}, timeout=10)
    assert response.status_code in (401, 403)
