"""Signatures made on a SoftHSM token, checked by chatkeys-soft and OpenSSL."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from chatkeys.errors import NoProviderError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.testing import skip_unless_tool
from chatkeys_pkcs11 import ProvisionedKey, TokenIdentity
from chatkeys_pkcs11.signing import RsaPadding, sign_cms, verify_cms

DATA = b"key copy bytes to sign"

LoadIdentity = Callable[[ProvisionedKey], Identity]


def openssl_verifies(
    tmp_path: Path, identity: Identity, signature: bytes, options: list[str]
) -> bool:
    openssl = shutil.which("openssl")
    skip_unless_tool(
        openssl is not None, "openssl is not installed: apt-get install openssl"
    )
    assert openssl is not None
    public_key = load_der_public_key(identity.certificate.spki)
    key_path = tmp_path / "public.pem"
    key_path.write_bytes(
        public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "signature").write_bytes(signature)
    completed = subprocess.run(
        [
            openssl,
            "dgst",
            "-sha256",
            *options,
            "-verify",
            str(key_path),
            "-signature",
            str(tmp_path / "signature"),
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.returncode == 0 and "Verified OK" in completed.stdout


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_signature_verifies_with_soft(
    request: pytest.FixtureRequest,
    providers: Providers,
    load_token_identity: LoadIdentity,
    key_name: str,
) -> None:
    identity = load_token_identity(request.getfixturevalue(key_name))
    signature = providers.sign(DATA, identity, "cms")
    assert providers.verify(DATA, signature, identity.certificate, "cms")
    assert not providers.verify(DATA + b"x", signature, identity.certificate, "cms")


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_signature_verifies_with_openssl(
    request: pytest.FixtureRequest,
    providers: Providers,
    load_token_identity: LoadIdentity,
    tmp_path: Path,
    key_name: str,
) -> None:
    identity = load_token_identity(request.getfixturevalue(key_name))
    signature = providers.sign(DATA, identity, "cms")
    assert openssl_verifies(tmp_path, identity, signature, [])
    tampered = bytearray(signature)
    tampered[-1] ^= 1
    assert not openssl_verifies(tmp_path, identity, bytes(tampered), [])


def test_rsa_pss_verifies_with_soft_and_openssl(
    providers: Providers,
    load_token_identity: LoadIdentity,
    rsa_key: ProvisionedKey,
    tmp_path: Path,
) -> None:
    identity = load_token_identity(rsa_key)
    assert isinstance(identity, TokenIdentity)
    signature = sign_cms(identity, DATA, RsaPadding.PSS)
    assert verify_cms(identity.certificate.spki, DATA, signature, RsaPadding.PSS)
    assert not verify_cms(
        identity.certificate.spki, DATA, signature, RsaPadding.PKCS1V15
    )
    assert providers.verify(DATA, signature, identity.certificate, "cms")
    pss_options = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
    assert openssl_verifies(tmp_path, identity, signature, pss_options)


def test_ecdsa_signatures_are_der_and_randomised(
    load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    first = sign_cms(identity, DATA)
    second = sign_cms(identity, DATA)
    assert first[0] == 0x30
    assert first[1] == len(first) - 2
    assert first != second


def test_komandor_profile_not_signed_for_ec(
    providers: Providers, load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    identity = load_token_identity(ec_key)
    with pytest.raises(NoProviderError):
        providers.sign(DATA, identity, "komandor")
