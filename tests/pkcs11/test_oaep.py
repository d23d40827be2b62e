"""Host-side OAEP decoding, checked against pyca/cryptography's OAEP encryption."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys_pkcs11.oaep import OaepDecodingError, mgf1, oaep_decode

KEY = rsa.generate_private_key(65537, 2048)
NUMBERS = KEY.private_numbers()
MODULUS_BYTES = 256


def raw_decrypt(ciphertext: bytes) -> bytes:
    """RSA decryption without padding, as CKM_RSA_X_509 returns it."""
    value = pow(int.from_bytes(ciphertext, "big"), NUMBERS.d, NUMBERS.public_numbers.n)
    return value.to_bytes(MODULUS_BYTES, "big")


def encrypt(
    message: bytes, algorithm: hashes.HashAlgorithm, label: bytes | None = None
) -> bytes:
    oaep = padding.OAEP(padding.MGF1(algorithm), algorithm, label)
    return KEY.public_key().encrypt(message, oaep)


@pytest.mark.parametrize(
    ("algorithm", "name"),
    [(hashes.SHA256(), "sha256"), (hashes.SHA1(), "sha1"), (hashes.SHA512(), "sha512")],  # noqa: S303
)
def test_decodes_cryptography_ciphertext(
    algorithm: hashes.HashAlgorithm, name: str
) -> None:
    for message in (b"", b"x", b"k" * 32):
        encoded = raw_decrypt(encrypt(message, algorithm))
        assert oaep_decode(encoded, name) == message


def test_label_must_match() -> None:
    encoded = raw_decrypt(encrypt(b"secret", hashes.SHA256(), b"label"))
    assert oaep_decode(encoded, "sha256", b"label") == b"secret"
    with pytest.raises(OaepDecodingError):
        oaep_decode(encoded, "sha256")


def test_wrong_hash_rejected() -> None:
    encoded = raw_decrypt(encrypt(b"secret", hashes.SHA256()))
    with pytest.raises(OaepDecodingError):
        oaep_decode(encoded, "sha384")


def test_short_block_rejected() -> None:
    with pytest.raises(OaepDecodingError):
        oaep_decode(b"\x00" * 65, "sha256")


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, MODULUS_BYTES - 1), flip=st.integers(1, 255))
def test_any_changed_byte_rejected(position: int, flip: int) -> None:
    encoded = bytearray(raw_decrypt(encrypt(b"k" * 32, hashes.SHA256())))
    encoded[position] ^= flip
    with pytest.raises(OaepDecodingError, match=r"^decryption error$"):
        oaep_decode(bytes(encoded), "sha256")


def test_mgf1_matches_rfc_8017_definition() -> None:
    # MGF1 output is the concatenation of Hash(seed || counter) blocks.
    import hashlib

    expected = hashlib.sha256(b"seed\x00\x00\x00\x00").digest()
    expected += hashlib.sha256(b"seed\x00\x00\x00\x01").digest()
    assert mgf1(b"seed", 40, "sha256") == expected[:40]
