"""Key copies made by chatkeys-soft, opened with keys on a SoftHSM token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from pkcs11 import Attribute, KeyType, ObjectClass

from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys_pkcs11 import ProvisionedKey, TokenIdentity
from chatkeys_pkcs11.cms import open_cms_key_copy
from chatkeys_pkcs11.errors import MechanismUnavailableError
from chatkeys_pkcs11.operations import (
    SecretNotExtractableError,
    TokenKeyOperations,
    unwrap_on_token,
)
from chatkeys_soft import cms

LoadIdentity = Callable[[ProvisionedKey], Identity]


def count_objects(identity: TokenIdentity) -> tuple[int, int]:
    """Return (token objects, session objects) visible to the identity's session."""

    def count(session: Any, key: Any) -> tuple[int, int]:
        flags = [bool(item[Attribute.TOKEN]) for item in session.get_objects()]
        return sum(flags), len(flags) - sum(flags)

    return identity.run(count)


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_soft_copy_opens_on_token(
    request: pytest.FixtureRequest,
    providers: Providers,
    load_token_identity: LoadIdentity,
    key_name: str,
) -> None:
    identity = load_token_identity(request.getfixturevalue(key_name))
    exporter = providers.generate_identity("ec-p256", "Soft exporter")
    with exporter:
        chat_key = providers.generate_chat_key(exporter, "cms")
        key_copy = providers.export_chat_key(
            chat_key, identity.certificate, exporter, "cms"
        )
        candidates = [exporter.certificate, identity.certificate]
        assert providers.import_chat_key(key_copy, identity, candidates) == chat_key


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_token_identity_exports_through_soft(
    request: pytest.FixtureRequest,
    providers: Providers,
    load_token_identity: LoadIdentity,
    key_name: str,
) -> None:
    identity = load_token_identity(request.getfixturevalue(key_name))
    chat_key = providers.generate_chat_key(identity, "cms")
    with providers.generate_identity("rsa-2048", "Soft recipient") as recipient:
        key_copy = providers.export_chat_key(
            chat_key, recipient.certificate, identity, "cms"
        )
        candidates = [identity.certificate]
        assert providers.import_chat_key(key_copy, recipient, candidates) == chat_key
    own_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )
    assert providers.import_chat_key(own_copy, identity, candidates) == chat_key


def test_copy_for_other_key_rejected(
    providers: Providers,
    load_token_identity: LoadIdentity,
    ec_key: ProvisionedKey,
    rsa_key: ProvisionedKey,
) -> None:
    ec_identity = load_token_identity(ec_key)
    rsa_identity = load_token_identity(rsa_key)
    chat_key = providers.generate_chat_key(ec_identity, "cms")
    with providers.generate_identity("ec-p256", "Other") as other:
        ec_copy = providers.export_chat_key(chat_key, other.certificate, other, "cms")
    with providers.generate_identity("rsa-2048", "Other RSA") as other_rsa:
        rsa_copy = providers.export_chat_key(
            chat_key, other_rsa.certificate, other_rsa, "cms"
        )
    with pytest.raises(KeyImportError):
        providers.import_chat_key(ec_copy, ec_identity, [])
    with pytest.raises(KeyImportError):
        providers.import_chat_key(rsa_copy, rsa_identity, [])
    with pytest.raises(KeyImportError):
        providers.import_chat_key(ec_copy, rsa_identity, [])


@pytest.mark.parametrize("key_name", ["ec_key", "rsa_key"])
def test_tampered_copy_rejected(
    request: pytest.FixtureRequest,
    providers: Providers,
    load_token_identity: LoadIdentity,
    key_name: str,
) -> None:
    identity = load_token_identity(request.getfixturevalue(key_name))
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )
    # The wrapped or encrypted key sits at the end of both copy kinds.
    for position in (len(key_copy) - 1, len(key_copy) - 20):
        tampered = bytearray(key_copy)
        tampered[position] ^= 0x40
        with pytest.raises(KeyImportError):
            providers.import_chat_key(bytes(tampered), identity, [identity.certificate])


def test_500_imports_leave_no_object(
    providers: Providers,
    load_token_identity: LoadIdentity,
    ec_key: ProvisionedKey,
    rsa_key: ProvisionedKey,
) -> None:
    ec_identity = load_token_identity(ec_key)
    rsa_identity = load_token_identity(rsa_key)
    assert isinstance(ec_identity, TokenIdentity)
    assert isinstance(rsa_identity, TokenIdentity)
    chat_key = providers.generate_chat_key(ec_identity, "cms")
    copies = {
        identity: providers.export_chat_key(
            chat_key, identity.certificate, identity, "cms"
        )
        for identity in (ec_identity, rsa_identity)
    }
    before = count_objects(ec_identity)

    for index in range(500):
        identity = ec_identity if index % 2 else rsa_identity
        imported = providers.import_chat_key(copies[identity], identity, [])
        assert imported == chat_key

    assert count_objects(ec_identity) == before
    assert before[1] == 0


def test_failed_imports_leave_no_object(
    providers: Providers, load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )
    before = count_objects(identity)
    for _ in range(20):
        tampered = bytearray(key_copy)
        tampered[-3] ^= 0x01
        with pytest.raises(KeyImportError):
            providers.import_chat_key(bytes(tampered), identity, [])
    assert count_objects(identity) == before


def test_ecdh_secret_matches_cryptography(
    load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    peer = ec.generate_private_key(ec.SECP256R1())
    point = peer.public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint
    )
    own_public = load_der_public_key(identity.certificate.spki)
    assert isinstance(own_public, ec.EllipticCurvePublicKey)
    expected = peer.exchange(ec.ECDH(), own_public)
    assert TokenKeyOperations(identity).ecdh_shared_secret(point) == expected


def test_point_off_curve_rejected(
    load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    before = count_objects(identity)
    bad_point = b"\x04" + b"\x01" * 64
    with pytest.raises(KeyImportError):
        TokenKeyOperations(identity).ecdh_shared_secret(bad_point)
    assert count_objects(identity) == before


def test_oaep_falls_back_to_host_decoding(
    load_token_identity: LoadIdentity, rsa_key: ProvisionedKey
) -> None:
    identity = load_token_identity(rsa_key)
    assert isinstance(identity, TokenIdentity)
    public_key = load_der_public_key(identity.certificate.spki)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    assert isinstance(public_key, rsa.RSAPublicKey)
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    ciphertext = public_key.encrypt(b"k" * 32, oaep)
    assert (
        TokenKeyOperations(identity).rsa_oaep_decrypt(ciphertext, "sha256") == b"k" * 32
    )
    # SoftHSM 2.6.1 rejects OAEP with SHA-256, so the first call switched over.
    assert identity.token_session.oaep_sha256_rejected
    sha1 = padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None)  # noqa: S303
    with pytest.raises(KeyImportError):
        TokenKeyOperations(identity).rsa_oaep_decrypt(
            public_key.encrypt(b"k" * 32, sha1), "sha256"
        )


def test_unwrap_on_token_opens_copy(
    providers: Providers, load_token_identity: LoadIdentity, ec_key: ProvisionedKey
) -> None:
    """The unwrap step of the sensitive-secret path, with a KEK put on the token.

    SoftHSM has no X9.63 KDF for ECDH, so the KEK is derived on the host from
    the readable secret and imported as a sensitive AES key; the unwrap itself
    runs on the token as it would on a card.
    """
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )
    copy = cms.parse_key_copy(key_copy)
    assert isinstance(copy, cms.KeyAgreeCopy)
    own_public = load_der_public_key(identity.certificate.spki)
    assert isinstance(own_public, ec.EllipticCurvePublicKey)
    point = ec.EllipticCurvePublicKey.from_encoded_point(
        own_public.curve, copy.originator_point
    ).public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    secret = TokenKeyOperations(identity).ecdh_shared_secret(point)
    kek_value = cms.kdf_x963_sha256(
        secret, copy.wrap_key_size, cms.kari_shared_info(copy)
    )
    before = count_objects(identity)

    def unwrap(session: Any, key: Any) -> bytes:
        kek = session.create_object(
            {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: KeyType.AES,
                Attribute.VALUE: kek_value,
                Attribute.TOKEN: False,
                Attribute.SENSITIVE: True,
                Attribute.UNWRAP: True,
            }
        )
        try:
            return unwrap_on_token(kek, copy.encrypted_key_for(identity.certificate))
        finally:
            kek.destroy()

    assert identity.run(unwrap) == chat_key.secret
    assert count_objects(identity) == before


def test_sensitive_secret_path_reports_missing_kdf(
    monkeypatch: pytest.MonkeyPatch,
    providers: Providers,
    load_token_identity: LoadIdentity,
    ec_key: ProvisionedKey,
) -> None:
    """A token that keeps ECDH secrets sensitive falls back to the on-token KDF.

    SoftHSM lets the secret be read, so the refusal is simulated by replacing
    `ecdh_shared_secret`; the fallback then runs on SoftHSM for real and
    reports that it lacks CKD_SHA256_KDF.
    """
    identity = load_token_identity(ec_key)
    assert isinstance(identity, TokenIdentity)
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, identity, "cms"
    )

    def refuse(self: TokenKeyOperations, point: bytes) -> bytes:
        raise SecretNotExtractableError("simulated: the token keeps secrets sensitive")

    monkeypatch.setattr(TokenKeyOperations, "ecdh_shared_secret", refuse)
    before = count_objects(identity)
    with pytest.raises(MechanismUnavailableError, match="CKD_SHA256_KDF"):
        open_cms_key_copy(key_copy, identity)
    assert count_objects(identity) == before


def test_chat_key_type(
    providers: Providers, load_token_identity: LoadIdentity, rsa_key: ProvisionedKey
) -> None:
    identity = load_token_identity(rsa_key)
    chat_key = providers.generate_chat_key(identity, "cms")
    assert isinstance(chat_key, ChatKey)
    assert chat_key.cipher == "aes-256-gcm"


def test_ciphertext_above_modulus_rejected(
    load_token_identity: LoadIdentity, rsa_key: ProvisionedKey
) -> None:
    identity = load_token_identity(rsa_key)
    assert isinstance(identity, TokenIdentity)
    with pytest.raises(KeyImportError, match="does not decrypt"):
        TokenKeyOperations(identity).rsa_oaep_decrypt(b"\xff" * 256, "sha256")
