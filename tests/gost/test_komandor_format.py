"""Komandor key copy formats A and B, and the Komandor message cipher."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.errors import KeyImportError
from chatkeys.testing import skip_unless_tool
from chatkeys_gost import komandor
from chatkeys_gost.errors import GostError, GostFormatError, GostUnwrapError
from chatkeys_gost.primitives.gost28147 import Gost28147
from chatkeys_gost.primitives.modes import ecb_decrypt, gost28147_imit

CHAT_KEY = bytes(range(32))
IV = bytes.fromhex("0102030405060708")
UKM = bytes.fromhex("a1a2a3a4a5a6a7a8")
KEK = bytes(range(0x40, 0x60))
# A DER SubjectPublicKeyInfo stand-in: the format only requires one DER
# SEQUENCE here, the curve code reads its content.
SPKI = bytes.fromhex("300606042a850301")


@functools.cache
def gost_engine_available() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "engine", "gost"], capture_output=True, check=False
    )
    return probe.returncode == 0


def format_a() -> bytes:
    return komandor.build_format_a(CHAT_KEY, IV, UKM, KEK)


# --- format A ---------------------------------------------------------------


def test_format_a_layout() -> None:
    data = format_a()
    assert len(data) == 89
    assert data[:4] == (73).to_bytes(4, "little")
    assert data[4:20] == bytes.fromhex("01200000 1e660000 fd514a37 1e660000")
    assert data[20:28] == UKM
    assert data[64:77] == bytes.fromhex("300b06092a8503070102050101")
    assert data[77:81] == (8).to_bytes(4, "little")
    assert data[81:] == IV


def test_format_a_encrypts_with_ecb_and_imit() -> None:
    # The encrypted key is 28147-89 ECB under the KEK with S-box Z, and the
    # MAC is IMIT of the plain key with the UKM as IV.
    data = format_a()
    cipher = Gost28147(KEK, "id-tc26-gost-28147-param-Z")
    assert ecb_decrypt(cipher, data[28:60]) == CHAT_KEY
    assert data[60:64] == gost28147_imit(KEK, CHAT_KEY, UKM)


def test_format_a_round_trip() -> None:
    parsed = komandor.parse_format_a(format_a())
    assert parsed.ukm == UKM
    assert parsed.iv == IV
    assert parsed.sbox_oid == "1.2.643.7.1.2.5.1.1"
    assert komandor.open_format_a(parsed, KEK) == (CHAT_KEY, IV)


def test_format_a_wrong_kek_fails_mac() -> None:
    parsed = komandor.parse_format_a(format_a())
    with pytest.raises(GostUnwrapError, match="MAC does not match"):
        komandor.open_format_a(parsed, bytes(32))


@pytest.mark.parametrize("offset", [20, 27, 28, 59, 60, 63])
def test_format_a_tampered_key_or_mac_fails(offset: int) -> None:
    data = bytearray(format_a())
    data[offset] ^= 0x01
    parsed = komandor.parse_format_a(bytes(data))
    with pytest.raises(GostUnwrapError):
        komandor.open_format_a(parsed, KEK)


def test_format_a_errors_are_key_import_errors() -> None:
    assert issubclass(GostFormatError, KeyImportError)
    assert issubclass(GostUnwrapError, KeyImportError)


@pytest.mark.parametrize("length", [0, 3, 4, 50, 88])
def test_format_a_truncated_rejected(length: int) -> None:
    with pytest.raises(GostFormatError):
        komandor.parse_format_a(format_a()[:length])


def test_format_a_extra_bytes_rejected() -> None:
    with pytest.raises(GostFormatError, match="extra bytes"):
        komandor.parse_format_a(format_a() + b"\x00")


def test_format_a_wrong_blob_length_rejected() -> None:
    data = (72).to_bytes(4, "little") + format_a()[4:]
    with pytest.raises(GostFormatError, match="SIMPLEBLOB length 72"):
        komandor.parse_format_a(data)


@pytest.mark.parametrize("offset", [4, 5, 8, 12, 16, 19])
def test_format_a_wrong_header_rejected(offset: int) -> None:
    data = bytearray(format_a())
    data[offset] ^= 0x10
    with pytest.raises(GostFormatError, match="SIMPLEBLOB header"):
        komandor.parse_format_a(bytes(data))


def test_format_a_other_sbox_oid_rejected() -> None:
    # 1.2.643.7.1.2.5.1.2 has the same encoded length as param-Z.
    data = bytearray(format_a())
    data[76] = 0x02
    with pytest.raises(
        GostFormatError, match=r"unsupported S-box 1\.2\.643\.7\.1\.2\.5\.1\.2"
    ):
        komandor.parse_format_a(bytes(data))


@pytest.mark.parametrize(
    ("offset", "value"), [(64, 0x31), (65, 0x0C), (66, 0x04), (67, 0x08)]
)
def test_format_a_bad_sbox_der_rejected(offset: int, value: int) -> None:
    data = bytearray(format_a())
    data[offset] = value
    with pytest.raises(GostFormatError, match="S-box parameter"):
        komandor.parse_format_a(bytes(data))


def test_format_a_wrong_iv_length_rejected() -> None:
    data = bytearray(format_a())
    data[77] = 16
    with pytest.raises(GostFormatError, match="IV length 16"):
        komandor.parse_format_a(bytes(data))


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("chat key", (bytes(31), IV, UKM, KEK)),
        ("IV", (CHAT_KEY, bytes(9), UKM, KEK)),
        ("UKM", (CHAT_KEY, IV, bytes(4), KEK)),
        ("KEK", (CHAT_KEY, IV, UKM, bytes(33))),
    ],
)
def test_build_format_a_rejects_bad_sizes(
    field: str, args: tuple[bytes, bytes, bytes, bytes]
) -> None:
    with pytest.raises(GostError, match=f"invalid {field} length"):
        komandor.build_format_a(*args)


# --- format B ---------------------------------------------------------------


def test_format_b_round_trip_with_mac() -> None:
    wrapped = os.urandom(32)
    data = komandor.build_format_b(SPKI, wrapped, IV, b"\x01\x02\x03\x04")
    parsed = komandor.parse_format_b(data)
    assert parsed.ephemeral_spki == SPKI
    assert parsed.wrapped_key == wrapped
    assert parsed.iv == IV
    assert parsed.mac == b"\x01\x02\x03\x04"


def test_format_b_round_trip_without_mac() -> None:
    data = komandor.build_format_b(SPKI, bytes(44), IV)
    assert komandor.parse_format_b(data).mac is None


def test_format_b_length_prefixes() -> None:
    data = komandor.build_format_b(SPKI, bytes(32), IV)
    assert data[:4] == len(SPKI).to_bytes(4, "little")
    assert data[4 : 4 + len(SPKI)] == SPKI


@pytest.mark.parametrize("cut", [1, 4, 9, 20, 50])
def test_format_b_truncated_rejected(cut: int) -> None:
    data = komandor.build_format_b(SPKI, bytes(32), IV, bytes(4))
    with pytest.raises(GostFormatError):
        komandor.parse_format_b(data[:-cut])


def test_format_b_extra_bytes_rejected() -> None:
    data = komandor.build_format_b(SPKI, bytes(32), IV, bytes(4)) + b"\x00" * 4
    with pytest.raises(GostFormatError, match="extra bytes"):
        komandor.parse_format_b(data)


def test_format_b_bad_spki_rejected() -> None:
    data = komandor.build_format_b(b"\x04\x02ab", bytes(32), IV)
    with pytest.raises(GostFormatError, match="ephemeral public key"):
        komandor.parse_format_b(data)


def test_format_b_spki_length_mismatch_rejected() -> None:
    data = komandor.build_format_b(SPKI + b"\x00", bytes(32), IV)
    with pytest.raises(GostFormatError, match="covers 8 of 9 bytes"):
        komandor.parse_format_b(data)


@pytest.mark.parametrize("length", [0, 31, 65])
def test_format_b_wrapped_key_length_rejected(length: int) -> None:
    data = komandor.build_format_b(SPKI, bytes(length), IV)
    with pytest.raises(GostFormatError, match=f"wrapped key length {length}"):
        komandor.parse_format_b(data)


def test_format_b_iv_length_rejected() -> None:
    data = komandor.build_format_b(SPKI, bytes(32), bytes(16))
    with pytest.raises(GostFormatError, match="IV length 16"):
        komandor.parse_format_b(data)


def test_format_b_mac_length_rejected() -> None:
    data = komandor.build_format_b(SPKI, bytes(32), IV, bytes(8))
    with pytest.raises(GostFormatError, match="MAC length 8"):
        komandor.parse_format_b(data)


# --- detection --------------------------------------------------------------


def test_detect_format_a() -> None:
    assert komandor.detect_format(format_a()) == "A"


def test_detect_format_b() -> None:
    assert komandor.detect_format(komandor.build_format_b(SPKI, bytes(32), IV)) == "B"


@pytest.mark.parametrize(
    "data", [b"", b"\x00" * 89, format_a()[:-1], b"\x49\x00\x00\x00" + b"\xff" * 85]
)
def test_detect_format_rejects_other_bytes(data: bytes) -> None:
    with pytest.raises(GostFormatError, match="unrecognised Komandor key copy"):
        komandor.detect_format(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parsers_raise_only_gost_errors(data: bytes) -> None:
    for parse in (
        komandor.parse_format_a,
        komandor.parse_format_b,
        komandor.detect_format,
    ):
        with contextlib.suppress(GostError):
            parse(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 88), st.integers(1, 255))
def test_mutated_format_a_parses_or_raises_gost_error(offset: int, mask: int) -> None:
    data = bytearray(format_a())
    data[offset] ^= mask
    try:
        parsed = komandor.parse_format_a(bytes(data))
    except GostFormatError:
        return
    # Only the UKM, encrypted key, MAC and IV carry no structure, and a
    # change in the first three must fail the MAC.
    assert 20 <= offset < 64 or offset >= 81
    if offset < 64:
        with pytest.raises(GostUnwrapError):
            komandor.open_format_a(parsed, KEK)


# --- message cipher ---------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 8, 100, 1024, 1500])
def test_message_round_trip(length: int) -> None:
    data = os.urandom(length)
    ciphertext = komandor.encrypt_message(CHAT_KEY, IV, data)
    assert len(ciphertext) == length
    assert komandor.decrypt_message(CHAT_KEY, IV, ciphertext) == data


@pytest.mark.parametrize("length", [13, 1024, 2500])
def test_message_cipher_matches_openssl_gost89(length: int) -> None:
    # `openssl enc -gost89` is 28147-89 CFB with S-box Z (the engine's
    # default) and CryptoPro key meshing.
    skip_unless_tool(
        gost_engine_available(),
        "OpenSSL with the GOST engine is missing: apt-get install "
        "libengine-gost-openssl",
    )
    key = os.urandom(32)
    iv = os.urandom(8)
    data = os.urandom(length)
    result = subprocess.run(
        ["openssl", "enc", "-engine", "gost", "-gost89",
         "-K", key.hex(), "-iv", iv.hex()],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    assert komandor.encrypt_message(key, iv, data) == result.stdout
    assert komandor.decrypt_message(key, iv, result.stdout) == data


def test_message_cipher_rejects_bad_iv() -> None:
    with pytest.raises(GostError, match="invalid IV length 4"):
        komandor.encrypt_message(CHAT_KEY, bytes(4), b"hello")
