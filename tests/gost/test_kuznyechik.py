"""Kuznyechik against RFC 7801, OpenSSL's GOST engine and gostcrypto."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys_gost.errors import GostError, GostKeySizeError
from chatkeys_gost.primitives.kuznyechik import Kuznyechik

from .conftest import require_gost_engine

# RFC 7801 test example.
KEY = bytes.fromhex("8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef")
PLAINTEXT = bytes.fromhex("1122334455667700ffeeddccbbaa9988")
CIPHERTEXT = bytes.fromhex("7f679d90bebc24305a468d42b9d4edcd")
# RFC 7801 example: the ten round keys K_1 .. K_10 of KEY.
ROUND_KEYS = [
    "8899aabbccddeeff0011223344556677",
    "fedcba98765432100123456789abcdef",
    "db31485315694343228d6aef8cc78c44",
    "3d4553d8e9cfec6815ebadc40a9ffd04",
    "57646468c44a5e28d3e59246f429f1ac",
    "bd079435165c6432b532e82834da581b",
    "51e640757e8745de705727265a0098b1",
    "5a7925017b9fdd3ed72a91a22286f984",
    "bb44e25378c73123a5f32f73cdb6e517",
    "72e9dd7416bcf45b755dbaa88e4a4043",
]


def test_rfc7801_encrypt() -> None:
    assert Kuznyechik(KEY).encrypt_block(PLAINTEXT) == CIPHERTEXT


def test_rfc7801_decrypt() -> None:
    assert Kuznyechik(KEY).decrypt_block(CIPHERTEXT) == PLAINTEXT


def test_rfc7801_round_keys() -> None:
    cipher = Kuznyechik(KEY)
    keys = [k.to_bytes(16, "big").hex() for k in cipher._keys]
    assert keys == ROUND_KEYS


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=16, max_size=16))
def test_decrypt_inverts_encrypt(key: bytes, block: bytes) -> None:
    cipher = Kuznyechik(key)
    assert cipher.decrypt_block(cipher.encrypt_block(block)) == block


def test_random_blocks_match_openssl_ecb() -> None:
    require_gost_engine()
    key = os.urandom(32)
    data = os.urandom(16 * 20)
    result = subprocess.run(
        ["openssl", "enc", "-engine", "gost", "-kuznyechik-ecb", "-nopad",
         "-K", key.hex()],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    cipher = Kuznyechik(key)
    ours = b"".join(
        cipher.encrypt_block(data[i : i + 16]) for i in range(0, len(data), 16)
    )
    assert ours == result.stdout


def test_random_blocks_match_gostcrypto() -> None:
    gostcipher = pytest.importorskip("gostcrypto.gostcipher")
    key = os.urandom(32)
    oracle = gostcipher.GOST34122015Kuznechik(bytearray(key))
    cipher = Kuznyechik(key)
    for _ in range(10):
        block = os.urandom(16)
        assert cipher.encrypt_block(block) == bytes(oracle.encrypt(bytearray(block)))


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_wrong_key_length_rejected(length: int) -> None:
    with pytest.raises(GostKeySizeError, match=f"length {length}"):
        Kuznyechik(bytes(length))


def test_key_size_error_is_gost_error() -> None:
    assert issubclass(GostKeySizeError, GostError)


@pytest.mark.parametrize("length", [0, 8, 15, 17])
def test_wrong_block_length_rejected(length: int) -> None:
    cipher = Kuznyechik(KEY)
    with pytest.raises(ValueError, match="block length"):
        cipher.encrypt_block(bytes(length))
    with pytest.raises(ValueError, match="block length"):
        cipher.decrypt_block(bytes(length))
