"""KExp15/KImp15 and the RFC 4357 GOST 28147-89 key wraps."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.errors import KeyImportError
from chatkeys_gost.errors import GostError, GostUnwrapError
from chatkeys_gost.primitives import keywrap
from chatkeys_gost.primitives.gost28147 import Gost28147
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.magma import Magma
from chatkeys_gost.primitives.modes import ecb_encrypt, gost28147_imit

# R 1323565.1.017-2018 example of KExp15 with Magma.
SHARED_KEY = bytes.fromhex(
    "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef"
)
MAGMA_ENC_KEY = bytes.fromhex(
    "202122232425262728292a2b2c2d2e2f38393a3b3c3d3e3f3031323334353637"
)
MAGMA_MAC_KEY = bytes.fromhex(
    "08090a0b0c0d0e0f0001020304050607101112131415161718191a1b1c1d1e1f"
)
MAGMA_IV = bytes.fromhex("67bed654")
MAGMA_EXPORT = bytes.fromhex(
    "cfd5a12d5b81b6e1e99c916d07900c6ac12703fb3abded55567bf3742c899c755dafe7b42e3a8bd9"
)


def test_kexp15_magma_vector() -> None:
    exported = keywrap.kexp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, SHARED_KEY)
    assert exported == MAGMA_EXPORT


def test_kimp15_magma_vector() -> None:
    imported = keywrap.kimp15(
        Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, MAGMA_EXPORT
    )
    assert imported == SHARED_KEY


def test_kexp15_kuznyechik_round_trip() -> None:
    mac_key, enc_key, key = os.urandom(32), os.urandom(32), os.urandom(32)
    iv = os.urandom(8)
    exported = keywrap.kexp15(Kuznyechik, mac_key, enc_key, iv, key)
    assert len(exported) == 48
    assert keywrap.kimp15(Kuznyechik, mac_key, enc_key, iv, exported) == key


@pytest.mark.parametrize("position", [0, 20, 39])
def test_kimp15_rejects_flipped_bit(position: int) -> None:
    tampered = bytearray(MAGMA_EXPORT)
    tampered[position] ^= 0x01
    with pytest.raises(GostUnwrapError, match="MAC check failed"):
        keywrap.kimp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, bytes(tampered))


def test_kimp15_rejects_wrong_mac_key() -> None:
    with pytest.raises(GostUnwrapError):
        keywrap.kimp15(Magma, bytes(32), MAGMA_ENC_KEY, MAGMA_IV, MAGMA_EXPORT)


def test_kimp15_rejects_short_input() -> None:
    with pytest.raises(GostUnwrapError, match="export length 8"):
        keywrap.kimp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, bytes(8))


def test_unwrap_error_is_key_import_error() -> None:
    assert issubclass(GostUnwrapError, KeyImportError)
    assert issubclass(GostUnwrapError, GostError)


def test_gost28147_wrap_layout() -> None:
    # RFC 4357 section 6.1: UKM || ECB(KEK, CEK) || IMIT(KEK, UKM, CEK).
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    assert len(wrapped) == 44
    assert wrapped[:8] == ukm
    assert wrapped[8:40] == ecb_encrypt(Gost28147(kek), cek)
    assert wrapped[40:] == gost28147_imit(kek, cek, ukm)


@settings(max_examples=20, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=8, max_size=8),
    st.binary(min_size=32, max_size=32),
)
def test_gost28147_wrap_round_trip(kek: bytes, ukm: bytes, cek: bytes) -> None:
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    assert keywrap.gost28147_unwrap(kek, wrapped) == cek


@pytest.mark.parametrize("position", [0, 7, 8, 39, 40, 43])
def test_gost28147_unwrap_rejects_flipped_bit(position: int) -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    tampered = bytearray(keywrap.gost28147_wrap(kek, ukm, cek))
    tampered[position] ^= 0x80
    with pytest.raises(GostUnwrapError, match="MAC does not match"):
        keywrap.gost28147_unwrap(kek, bytes(tampered))


def test_gost28147_unwrap_rejects_other_sbox() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    with pytest.raises(GostUnwrapError):
        keywrap.gost28147_unwrap(kek, wrapped, "id-Gost28147-89-CryptoPro-A-ParamSet")


@pytest.mark.parametrize("length", [0, 36, 43, 45])
def test_gost28147_unwrap_rejects_length(length: int) -> None:
    with pytest.raises(GostUnwrapError, match=f"length {length}"):
        keywrap.gost28147_unwrap(bytes(32), bytes(length))


def test_cryptopro_wrap_round_trip() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.cryptopro_wrap(kek, ukm, cek)
    assert wrapped[:8] == ukm
    assert keywrap.cryptopro_unwrap(kek, wrapped) == cek


def test_cryptopro_wrap_differs_from_plain_wrap() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    sbox = "id-Gost28147-89-CryptoPro-A-ParamSet"
    plain = keywrap.gost28147_wrap(kek, ukm, cek, sbox)
    assert keywrap.cryptopro_wrap(kek, ukm, cek, sbox) != plain
    with pytest.raises(GostUnwrapError):
        keywrap.cryptopro_unwrap(kek, plain, sbox)
