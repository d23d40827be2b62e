"""Magma against RFC 8891, OpenSSL's GOST engine and gostcrypto."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys_gost.errors import GostKeySizeError
from chatkeys_gost.primitives.magma import Magma
from chatkeys_gost.primitives.modes import cbc_encrypt

from .conftest import require_gost_engine

# RFC 8891 test example.
KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
PLAINTEXT = bytes.fromhex("fedcba9876543210")
CIPHERTEXT = bytes.fromhex("4ee901e5c2d8ca3d")


def test_rfc8891_encrypt() -> None:
    assert Magma(KEY).encrypt_block(PLAINTEXT) == CIPHERTEXT


def test_rfc8891_decrypt() -> None:
    assert Magma(KEY).decrypt_block(CIPHERTEXT) == PLAINTEXT


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=8, max_size=8))
def test_decrypt_inverts_encrypt(key: bytes, block: bytes) -> None:
    cipher = Magma(key)
    assert cipher.decrypt_block(cipher.encrypt_block(block)) == block


def test_random_data_matches_openssl_cbc() -> None:
    # The engine offers no magma-ecb; CBC with a one-block IV exercises the
    # same block function.
    require_gost_engine()
    key = os.urandom(32)
    iv = os.urandom(8)
    data = os.urandom(8 * 20)
    result = subprocess.run(
        ["openssl", "enc", "-engine", "gost", "-magma-cbc", "-nopad",
         "-K", key.hex(), "-iv", iv.hex()],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    assert cbc_encrypt(Magma(key), iv, data) == result.stdout


def test_random_blocks_match_gostcrypto() -> None:
    gostcipher = pytest.importorskip("gostcrypto.gostcipher")
    key = os.urandom(32)
    oracle = gostcipher.GOST34122015Magma(bytearray(key))
    cipher = Magma(key)
    for _ in range(10):
        block = os.urandom(8)
        assert cipher.encrypt_block(block) == bytes(oracle.encrypt(bytearray(block)))


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_wrong_key_length_rejected(length: int) -> None:
    with pytest.raises(GostKeySizeError, match=f"length {length}"):
        Magma(bytes(length))


@pytest.mark.parametrize("length", [0, 7, 9, 16])
def test_wrong_block_length_rejected(length: int) -> None:
    with pytest.raises(ValueError, match="block length"):
        Magma(KEY).encrypt_block(bytes(length))
