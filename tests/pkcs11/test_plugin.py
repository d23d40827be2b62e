"""The provider's hooks as the core calls them: loading, generating, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pkcs11 import Attribute, ObjectClass

from chatkeys.errors import IdentityError
from chatkeys.identity import NoSecrets
from chatkeys.providers import Providers
from chatkeys.testing.softhsm import SoftHsmToken
from chatkeys_pkcs11 import ProvisionedKey, TokenIdentity, create_key_and_certificate
from chatkeys_pkcs11.plugin import chatkeys_load_identity, chatkeys_provider_info

from .conftest import PinSecrets

DATA = b"data"


def drop_certificate(providers: Providers, key: ProvisionedKey, pin: str) -> None:
    """Delete the certificate stored next to `key` on its token."""
    with providers.load_identity(key.uri, PinSecrets(pin)) as identity:
        assert isinstance(identity, TokenIdentity)

        def remove(session: Any, private_key: Any) -> None:
            query = {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.ID: key.object_id,
            }
            for certificate in list(session.get_objects(query)):
                certificate.destroy()

        identity.run(remove)


def test_provider_info_lists_token_algorithms() -> None:
    info = chatkeys_provider_info()
    assert info.available, info.reason
    names = {algorithm.name for algorithm in info.algorithms}
    assert {"pkcs11-ec-p256", "pkcs11-rsa-2048", "pkcs11-gost2012-256"} <= names
    assert info.version


def test_other_references_left_to_others() -> None:
    assert chatkeys_load_identity("/home/user/key.pem", NoSecrets()) is None
    assert chatkeys_load_identity("identity.p12", NoSecrets()) is None


def test_certificate_from_file_when_token_has_none(
    providers: Providers, softhsm_token: SoftHsmToken, tmp_path: Path
) -> None:
    pin = softhsm_token.pin
    key = create_key_and_certificate(softhsm_token.uri, "ec-p256", "File", pin=pin)
    drop_certificate(providers, key, pin)
    with pytest.raises(IdentityError, match="x-certificate-file"):
        providers.load_identity(key.uri, PinSecrets(pin))

    certificate_path = tmp_path / "certificate.der"
    certificate_path.write_bytes(key.certificate_der)
    uri = f"{key.uri}&x-certificate-file={certificate_path}"
    with providers.load_identity(uri, PinSecrets(pin)) as identity:
        signature = providers.sign(DATA, identity, "cms")
        assert providers.verify(DATA, signature, identity.certificate, "cms")

    missing = f"{key.uri}&x-certificate-file={tmp_path / 'absent.der'}"
    with pytest.raises(IdentityError, match=r"absent\.der"):
        providers.load_identity(missing, PinSecrets(pin))


@pytest.mark.parametrize(
    ("wrong_algorithm", "message"),
    [("ec-p256", "does not belong"), ("rsa-2048", "key type")],
)
def test_certificate_of_other_key_rejected(
    providers: Providers,
    softhsm_token: SoftHsmToken,
    tmp_path: Path,
    wrong_algorithm: str,
    message: str,
) -> None:
    pin = softhsm_token.pin
    key = create_key_and_certificate(softhsm_token.uri, "ec-p256", "Key", pin=pin)
    other = create_key_and_certificate(
        softhsm_token.uri, wrong_algorithm, "Other", pin=pin
    )
    drop_certificate(providers, key, pin)
    path = tmp_path / "other.der"
    path.write_bytes(other.certificate_der)
    with pytest.raises(IdentityError, match=message):
        providers.load_identity(f"{key.uri}&x-certificate-file={path}", PinSecrets(pin))


def test_lookup_errors_name_the_fix(
    providers: Providers,
    module_token: SoftHsmToken,
    ec_key: ProvisionedKey,
    rsa_key: ProvisionedKey,
) -> None:
    secrets = PinSecrets(module_token.pin)
    no_token = ec_key.uri.replace(f"token={module_token.label}", "token=absent")
    with pytest.raises(IdentityError, match="no token 'absent'"):
        providers.load_identity(no_token, secrets)
    no_key = ec_key.uri.replace(f"object={ec_key.label}", "object=absent")
    with pytest.raises(IdentityError, match="no private key matches"):
        providers.load_identity(no_key, secrets)
    any_key = ec_key.uri.replace(f"object={ec_key.label};", "")
    with pytest.raises(IdentityError, match="private keys match"):
        providers.load_identity(any_key, secrets)
    bad_module = ec_key.uri.split("?")[0] + "?module-path=/nonexistent/module.so"
    with pytest.raises(IdentityError, match="cannot load the PKCS#11 module"):
        providers.load_identity(bad_module, secrets)


def test_module_from_environment(
    monkeypatch: pytest.MonkeyPatch,
    providers: Providers,
    module_token: SoftHsmToken,
    ec_key: ProvisionedKey,
) -> None:
    monkeypatch.setenv("CHATKEYS_PKCS11_MODULE", module_token.module_path)
    without_module = ec_key.uri.split("?")[0]
    with providers.load_identity(
        without_module, PinSecrets(module_token.pin)
    ) as identity:
        assert providers.sign(DATA, identity, "cms")


def test_generate_identity_on_configured_token(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, softhsm_token: SoftHsmToken
) -> None:
    monkeypatch.setenv("CHATKEYS_PKCS11_TOKEN_URI", softhsm_token.uri)
    monkeypatch.setenv("CHATKEYS_PIN", softhsm_token.pin)
    for algorithm in ("pkcs11-ec-p256", "pkcs11-ec-p384", "pkcs11-rsa-2048"):
        with providers.generate_identity(algorithm, "Generated") as identity:
            assert isinstance(identity, TokenIdentity)
            assert identity.token_label == softhsm_token.label
            signature = providers.sign(DATA, identity, "cms")
            assert providers.verify(DATA, signature, identity.certificate, "cms")


def test_generate_identity_needs_token_uri(
    monkeypatch: pytest.MonkeyPatch, providers: Providers
) -> None:
    monkeypatch.delenv("CHATKEYS_PKCS11_TOKEN_URI", raising=False)
    with pytest.raises(IdentityError, match="CHATKEYS_PKCS11_TOKEN_URI"):
        providers.generate_identity("pkcs11-ec-p256", "Nobody")


def test_provisioning_rejects_unknown_algorithm(softhsm_token: SoftHsmToken) -> None:
    with pytest.raises(IdentityError, match="ec-p256"):
        create_key_and_certificate(
            softhsm_token.uri, "dsa-1024", "Old", pin=softhsm_token.pin
        )
