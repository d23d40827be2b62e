"""The provider hooks: profiles, key copies, signatures and messages."""

from __future__ import annotations

import pytest
from asn1crypto import core, keys, x509

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import (
    KeyImportError,
    MessageError,
    NoProviderError,
    UnsupportedProfileError,
)
from chatkeys.plugin import PROFILE_CMS, PROFILE_KOMANDOR
from chatkeys.providers import Providers
from chatkeys_gost import komandor, plugin
from chatkeys_gost.identity import GostIdentity, generate_identity
from chatkeys_gost.keys import GostPrivateKey, GostSubjectPublicKeyInfo
from chatkeys_gost.primitives.keywrap import gost28147_wrap
from chatkeys_gost.primitives.streebog import streebog256
from chatkeys_gost.signature import Encoding, encode, sign_digest
from chatkeys_gost.vko import vko_256


def _identity(algorithm: str = "gost2012-256a", subject: str = "alice") -> GostIdentity:
    identity = generate_identity(algorithm, subject)
    assert identity is not None
    return identity


@pytest.fixture(scope="module")
def alice() -> GostIdentity:
    return _identity(subject="alice")


@pytest.fixture(scope="module")
def bob() -> GostIdentity:
    return _identity(subject="bob")


def test_provider_info_lists_profiles() -> None:
    info = plugin.chatkeys_provider_info()
    names = [algorithm.name for algorithm in info.algorithms]

    assert info.name == "gost"
    assert info.available
    assert "gost2012-256a" in names
    assert "gost2012-512c" in names
    assert all(a.profiles == (PROFILE_KOMANDOR, PROFILE_CMS) for a in info.algorithms)


def test_komandor_chat_key_shape(alice: GostIdentity) -> None:
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_KOMANDOR)

    assert chat_key is not None
    assert chat_key.cipher == "gost28147-cfb"
    assert len(chat_key.secret) == 32
    assert len(chat_key.parameters) == 8


def test_cms_chat_key_shape(alice: GostIdentity) -> None:
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_CMS)

    assert chat_key is not None
    assert chat_key.cipher == "kuznyechik-ctr-acpkm-omac"
    assert len(chat_key.secret) == 32


def test_unknown_profile_returns_none(alice: GostIdentity) -> None:
    assert plugin.chatkeys_generate_chat_key(alice, "other") is None
    assert plugin.chatkeys_sign(b"x", alice, "other") is None


def test_format_a_round_trip_finds_exporter(
    alice: GostIdentity, bob: GostIdentity
) -> None:
    carol = _identity(subject="carol")
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_KOMANDOR)
    assert chat_key is not None
    copy = plugin.chatkeys_export_chat_key(
        chat_key, bob.certificate, alice, PROFILE_KOMANDOR
    )
    assert copy is not None
    candidates = [carol.certificate, alice.certificate]

    assert len(copy) == komandor.FORMAT_A_LENGTH
    assert plugin.chatkeys_import_chat_key(copy, bob, candidates) == chat_key


def test_format_a_kek_is_rfc7836_vko(alice: GostIdentity, bob: GostIdentity) -> None:
    # The copy opens with VKO computed independently from bob's side.
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_KOMANDOR)
    assert chat_key is not None
    copy = plugin.chatkeys_export_chat_key(
        chat_key, bob.certificate, alice, PROFILE_KOMANDOR
    )
    assert copy is not None
    parsed = komandor.parse_format_a(copy)
    curve = bob.private_key.curve
    kek = vko_256(curve, bob.private_key.scalar, alice.public_key.point, parsed.ukm)

    assert komandor.open_format_a(parsed, kek) == (chat_key.secret, chat_key.parameters)


def test_format_a_unknown_exporter_rejected(
    alice: GostIdentity, bob: GostIdentity
) -> None:
    carol = _identity(subject="carol")
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_KOMANDOR)
    assert chat_key is not None
    copy = plugin.chatkeys_export_chat_key(
        chat_key, bob.certificate, alice, PROFILE_KOMANDOR
    )
    assert copy is not None

    with pytest.raises(KeyImportError, match="none of the 2 candidate"):
        plugin.chatkeys_import_chat_key(copy, bob, [carol.certificate])


def test_format_a_ukm_fresh_per_copy(alice: GostIdentity, bob: GostIdentity) -> None:
    chat_key = plugin.chatkeys_generate_chat_key(alice, PROFILE_KOMANDOR)
    assert chat_key is not None
    copies = {
        plugin.chatkeys_export_chat_key(
            chat_key, bob.certificate, alice, PROFILE_KOMANDOR
        )
        for _ in range(5)
    }

    assert len(copies) == 5


def test_cms_key_in_komandor_profile_rejected(
    alice: GostIdentity, bob: GostIdentity
) -> None:
    chat_key = ChatKey("kuznyechik-ctr-acpkm-omac", bytes(32))

    with pytest.raises(UnsupportedProfileError, match="komandor"):
        plugin.chatkeys_export_chat_key(
            chat_key, bob.certificate, alice, PROFILE_KOMANDOR
        )


def test_komandor_key_in_cms_profile_rejected(
    alice: GostIdentity, bob: GostIdentity
) -> None:
    chat_key = ChatKey("gost28147-cfb", bytes(32), bytes(8))

    with pytest.raises(UnsupportedProfileError, match="cms"):
        plugin.chatkeys_export_chat_key(chat_key, bob.certificate, alice, PROFILE_CMS)


def test_format_a_across_curves_rejected(alice: GostIdentity) -> None:
    other = _identity("gost2012-256b", "dave")
    chat_key = ChatKey("gost28147-cfb", bytes(32), bytes(8))

    with pytest.raises(UnsupportedProfileError, match="one curve"):
        plugin.chatkeys_export_chat_key(
            chat_key, other.certificate, alice, PROFILE_KOMANDOR
        )


def test_format_b_opens(alice: GostIdentity, bob: GostIdentity) -> None:
    # Built here with the layout UKM || key || MAC inside the wrapped field.
    curve = bob.private_key.curve
    ephemeral = curve.random_scalar()
    ukm = bytes(range(1, 9))
    kek = vko_256(curve, ephemeral, bob.public_key.point, ukm)
    secret = bytes(range(32))
    iv = b"\x10" * 8
    wrapped = gost28147_wrap(kek, ukm, secret, komandor.SBOX_Z)

    spki = (
        GostPrivateKey(curve, ephemeral, bob.public_key.parameter_oid)
        .public_key()
        .spki()
    )
    copy = komandor.build_format_b(spki, wrapped, iv)

    assert plugin.chatkeys_import_chat_key(copy, bob, []) == ChatKey(
        "gost28147-cfb", secret, iv
    )
    with pytest.raises(KeyImportError):
        plugin.chatkeys_import_chat_key(copy, alice, [])


def test_komandor_signature_is_cryptoapi_order(alice: GostIdentity) -> None:
    # Through the hooks, reversing a standard signature gives the komandor
    # one, and each profile rejects the other's byte order.
    data = b"abc"
    cms_signature = plugin.chatkeys_sign(data, alice, PROFILE_CMS)
    assert cms_signature is not None
    cert = alice.certificate

    assert plugin.chatkeys_verify(data, cms_signature, cert, PROFILE_CMS) is True
    assert (
        plugin.chatkeys_verify(data, cms_signature[::-1], cert, PROFILE_KOMANDOR)
        is True
    )
    assert plugin.chatkeys_verify(data, cms_signature, cert, PROFILE_KOMANDOR) is False
    assert plugin.chatkeys_verify(data, cms_signature[::-1], cert, PROFILE_CMS) is False


def test_signature_over_streebog_of_data(alice: GostIdentity) -> None:
    curve = alice.private_key.curve
    r, s = sign_digest(curve, alice.private_key.scalar, streebog256(b"payload"))
    signature = encode(curve, r, s, Encoding.CRYPTOAPI)

    assert plugin.chatkeys_verify(
        b"payload", signature, alice.certificate, PROFILE_KOMANDOR
    )


def test_verify_garbage_returns_false(alice: GostIdentity) -> None:
    cert = alice.certificate

    assert plugin.chatkeys_verify(b"x", b"", cert, PROFILE_CMS) is False
    assert plugin.chatkeys_verify(b"x", bytes(64), cert, PROFILE_CMS) is False
    assert plugin.chatkeys_verify(b"x", b"\xff" * 64, cert, PROFILE_KOMANDOR) is False


def test_512_signs_with_streebog_512() -> None:
    identity = _identity("gost2012-512a", "erin")
    signature = plugin.chatkeys_sign(b"data", identity, PROFILE_CMS)
    assert signature is not None

    assert len(signature) == 128
    assert plugin.chatkeys_verify(b"data", signature, identity.certificate, PROFILE_CMS)


@pytest.mark.parametrize("profile", [PROFILE_KOMANDOR, PROFILE_CMS])
def test_message_round_trip(alice: GostIdentity, profile: str) -> None:
    chat_key = plugin.chatkeys_generate_chat_key(alice, profile)
    assert chat_key is not None
    text = "Привет".encode() * 300
    ciphertext = plugin.chatkeys_encrypt_message(chat_key, text)
    assert ciphertext is not None

    assert plugin.chatkeys_decrypt_message(chat_key, ciphertext) == text


def test_komandor_message_is_cfb_with_key_iv(alice: GostIdentity) -> None:
    chat_key = ChatKey("gost28147-cfb", bytes(range(32)), bytes(8))
    ciphertext = plugin.chatkeys_encrypt_message(chat_key, b"hello")

    assert ciphertext == komandor.encrypt_message(bytes(range(32)), bytes(8), b"hello")


def test_cms_message_tamper_rejected(alice: GostIdentity) -> None:
    chat_key = ChatKey("kuznyechik-ctr-acpkm-omac", bytes(32))
    ciphertext = bytearray(plugin.chatkeys_encrypt_message(chat_key, b"hello") or b"")
    ciphertext[20] ^= 1

    with pytest.raises(MessageError, match="authentication"):
        plugin.chatkeys_decrypt_message(chat_key, bytes(ciphertext))


def test_other_cipher_returns_none() -> None:
    chat_key = ChatKey("aes-256-gcm", bytes(32))

    assert plugin.chatkeys_encrypt_message(chat_key, b"x") is None
    assert plugin.chatkeys_decrypt_message(chat_key, b"x") is None


def _gost2001_certificate() -> Certificate:
    # A certificate whose key is GOST R 34.10-2001 (1.2.643.2.2.19), which no
    # chatkeys provider handles; its signature is not checked here.
    identity = _identity(subject="legacy")
    template = x509.Certificate.load(identity.certificate.der)
    legacy_spki = GostSubjectPublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "1.2.643.2.2.19",
                "parameters": {
                    "public_key_param_set": "1.2.643.2.2.35.1",
                    "digest_param_set": "1.2.643.2.2.30.1",
                },
            },
            "public_key": core.OctetString(identity.public_key.to_bytes()).dump(),
        }
    )
    tbs = template["tbs_certificate"].copy()
    tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(legacy_spki.dump())
    legacy = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": template["signature_algorithm"],
            "signature_value": template["signature_value"],
        }
    )
    return Certificate.from_der(legacy.dump())


def test_unhandled_gost_algorithm_named() -> None:
    certificate = _gost2001_certificate()
    providers = Providers.discover()

    assert certificate.key_algorithm_oid == "1.2.643.2.2.19"
    assert plugin.chatkeys_verify(b"x", bytes(64), certificate, PROFILE_CMS) is None
    with pytest.raises(NoProviderError, match=r"GOST R 34\.10-2001"):
        providers.verify(b"x", bytes(64), certificate, PROFILE_CMS)
