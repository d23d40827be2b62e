"""Login state on a token shared by identities and by other code.

Login belongs to the token: a second C_Login fails with
CKR_USER_ALREADY_LOGGED_IN, and closing the session that logged in logs
every session of the process out. The identities must keep working through
both, never use a handle after a logout, and never leak the PIN.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import pkcs11
import pytest

from chatkeys.errors import IdentityError
from chatkeys.providers import Providers
from chatkeys.testing.softhsm import SoftHsmToken
from chatkeys_pkcs11 import ProvisionedKey, TokenError, TokenIdentity, TokenUri, library
from chatkeys_pkcs11.library import TokenSession, get_module

from .conftest import PinSecrets

DATA = b"data"


def outside_token(token: SoftHsmToken) -> Any:
    """Return the token from python-pkcs11 directly, as code outside chatkeys would."""
    with get_module(token.module_path).lock:
        library = pkcs11.lib(token.module_path)
        return library.get_token(token_label=token.label)


def private_keys_visible(session: Any, module_path: str) -> int:
    with get_module(module_path).lock:
        query = {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}
        return len(list(session.get_objects(query)))


def test_token_logged_in_elsewhere_needs_no_pin(
    providers: Providers, module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    module_path = module_token.module_path
    with get_module(module_path).lock:
        outside = outside_token(module_token).open(user_pin=module_token.pin)
    secrets = PinSecrets(module_token.pin)
    try:
        identity = providers.load_identity(ec_key.uri, secrets)
        assert providers.sign(DATA, identity, "cms")
        assert secrets.requests == 0
        identity.close()
        # Closing the identity did not log the outside session out.
        assert private_keys_visible(outside, module_path) >= 1
    finally:
        with get_module(module_path).lock:
            outside.close()


def test_already_logged_in_counts_as_success(
    module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    module = get_module(module_token.module_path)
    with module.lock:
        outside = outside_token(module_token).open(user_pin=module_token.pin)
    try:
        with module.lock:
            token = outside_token(module_token)
            token_session = TokenSession(module, token, module_token.serial)
            # The probe reports nothing visible, so C_Login runs and fails
            # with CKR_USER_ALREADY_LOGGED_IN.
            token_session.open(lambda: module_token.pin, lambda session: False)
        assert not token_session.owns_login
        token_session.users = 1
        visible = token_session.run(
            lambda session: private_keys_visible(session, module_token.module_path)
        )
        assert visible >= 1
        token_session.release()
        # Releasing a session that did not log in keeps the outside login.
        assert private_keys_visible(outside, module_token.module_path) >= 1
    finally:
        with module.lock:
            outside.close()


def test_closing_one_identity_keeps_the_other(
    providers: Providers,
    module_token: SoftHsmToken,
    ec_key: ProvisionedKey,
    rsa_key: ProvisionedKey,
) -> None:
    first = providers.load_identity(ec_key.uri, PinSecrets(module_token.pin))
    second = providers.load_identity(rsa_key.uri, PinSecrets(module_token.pin))
    assert isinstance(first, TokenIdentity)
    assert isinstance(second, TokenIdentity)
    assert first.token_session is second.token_session
    assert first.token_session.users == 2

    first.close()
    assert providers.verify(
        DATA, providers.sign(DATA, second, "cms"), second.certificate, "cms"
    )
    second.close()

    # The last identity logged out, so a fresh session finds no private key.
    module = get_module(module_token.module_path)
    with module.lock:
        session = outside_token(module_token).open()
    try:
        assert private_keys_visible(session, module_token.module_path) == 0
    finally:
        with module.lock:
            session.close()


def test_logout_elsewhere_recovers(
    providers: Providers, module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    module = get_module(module_token.module_path)
    with module.lock:
        outside = outside_token(module_token).open(user_pin=module_token.pin)
    secrets = PinSecrets(module_token.pin)
    identity = providers.load_identity(ec_key.uri, secrets)
    try:
        assert secrets.requests == 0
        # The outside code closes the session that logged in: every session
        # of the process is logged out and the identity's key handle dies.
        with module.lock:
            outside.close()
        signature = providers.sign(DATA, identity, "cms")
        assert providers.verify(DATA, signature, identity.certificate, "cms")
        assert secrets.requests == 1
    finally:
        identity.close()


def test_closed_identity_rejects_use(
    providers: Providers, module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    identity = providers.load_identity(ec_key.uri, PinSecrets(module_token.pin))
    identity.close()
    identity.close()
    with pytest.raises(TokenError, match="closed"):
        providers.sign(DATA, identity, "cms")


def test_wrong_pin_rejected_without_echo(
    providers: Providers, module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    wrong = "wrong-pin-4242"
    with pytest.raises(IdentityError, match="incorrect") as raised:
        providers.load_identity(ec_key.uri, PinSecrets(wrong))
    assert wrong not in str(raised.value)
    assert module_token.pin not in str(raised.value)


def test_missing_pin_named(providers: Providers, ec_key: ProvisionedKey) -> None:
    with pytest.raises(IdentityError, match="needs a PIN"):
        providers.load_identity(ec_key.uri, PinSecrets(None))  # type: ignore[arg-type]


def test_pin_never_logged_or_displayed(
    caplog: pytest.LogCaptureFixture,
    providers: Providers,
    module_token: SoftHsmToken,
    ec_key: ProvisionedKey,
) -> None:
    caplog.set_level(logging.DEBUG)
    uri = ec_key.uri + "&pin-value=" + module_token.pin
    identity = providers.load_identity(uri, PinSecrets("unused"))
    try:
        chat_key = providers.generate_chat_key(identity, "cms")
        key_copy = providers.export_chat_key(
            chat_key, identity.certificate, identity, "cms"
        )
        providers.import_chat_key(key_copy, identity, [])
        providers.sign(DATA, identity, "cms")
        displayed = [repr(identity), str(identity), identity.reference]
        displayed.append(repr(identity.token_session))
        displayed.append(repr(TokenUri.parse(uri)))
    finally:
        identity.close()
    bad_uri = uri.replace("object=", "object=missing")
    with pytest.raises(IdentityError) as raised:
        providers.load_identity(bad_uri, PinSecrets("unused"))
    displayed.append(str(raised.value))
    assert caplog.records, "the provider logged nothing at DEBUG"
    logged = [record.getMessage() for record in caplog.records]
    assert [text for text in displayed + logged if module_token.pin in text] == []
    assert "pin-value" not in identity.reference


def test_failed_load_leaves_no_session(
    providers: Providers, module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    key = (module_token.module_path, module_token.serial)
    assert key not in library._sessions
    missing_key = ec_key.uri.replace(f"object={ec_key.label}", "object=absent")
    with pytest.raises(IdentityError):
        providers.load_identity(missing_key, PinSecrets(module_token.pin))
    assert key not in library._sessions

    identity = providers.load_identity(ec_key.uri, PinSecrets(module_token.pin))
    assert key in library._sessions
    identity.close()
    assert key not in library._sessions


EXIT_SCRIPT = """
import atexit, os, sys

def report():
    from chatkeys_pkcs11 import library
    print("open sessions at exit:", len(library._sessions))

# Registered first, so it runs after the provider's own exit handler.
atexit.register(report)

from chatkeys.providers import Providers

class Pin:
    def get(self, name, description):
        return os.environ["TEST_PIN"]

identity = Providers.discover().load_identity(os.environ["TEST_URI"], Pin())
from chatkeys_pkcs11 import library
print("open sessions before exit:", len(library._sessions))
"""


def test_sessions_closed_at_exit(
    module_token: SoftHsmToken, ec_key: ProvisionedKey
) -> None:
    environment = {
        **os.environ,
        "SOFTHSM2_CONF": str(module_token.config_path),
        "TEST_PIN": module_token.pin,
        "TEST_URI": ec_key.uri,
    }
    completed = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "open sessions before exit: 1" in completed.stdout
    assert "open sessions at exit: 0" in completed.stdout
    assert completed.stderr == ""
