"""Komandor key copies (formats A and B) and the Komandor message cipher.

A chat key is a 32-byte GOST 28147-89 key used with S-box
id-tc26-gost-28147-param-Z. Each copy of it in a `chatsKeys` item holds the
key wrapped for one certificate, plus the 8-byte IV of the message cipher.

Format A, static-static (CryptoAPI SIMPLEBLOB); all lengths little-endian::

    4   length of the SIMPLEBLOB (73)
    73  SIMPLEBLOB:
          16  header 01 20 00 00 | 1e 66 00 00 | fd 51 4a 37 | 1e 66 00 00
           8  UKM
          32  chat key encrypted under the KEK (28147-89 ECB, S-box Z)
           4  IMIT of the chat key under the KEK with the UKM as IV
          13  DER SEQUENCE { OID 1.2.643.7.1.2.5.1.1 }
    4   length of the IV (8)
    8   IV

Format B, ephemeral: four-byte little-endian length before each field:
ephemeral SubjectPublicKeyInfo (DER), wrapped key, IV, optional MAC.

The KEK (VKO GOST R 34.10-2012 over the UKM) is computed by the caller. These
are pure functions over bytes; base64 of the API field is the caller's too.
Malformed input raises `GostFormatError`; a MAC mismatch raises
`GostUnwrapError`. Both are `KeyImportError`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import GostFormatError, GostKeySizeError
from .primitives.keywrap import gost28147_unwrap, gost28147_wrap
from .primitives.modes import gost28147_cfb_decrypt, gost28147_cfb_encrypt

__all__ = [
    "SBOX_Z",
    "FormatA",
    "FormatB",
    "build_format_a",
    "build_format_b",
    "decrypt_message",
    "detect_format",
    "encrypt_message",
    "open_format_a",
    "parse_format_a",
    "parse_format_b",
]

SBOX_Z = "id-tc26-gost-28147-param-Z"
SBOX_Z_OID = "1.2.643.7.1.2.5.1.1"

# BLOBHEADER: bType SIMPLEBLOB (01), bVersion 0x20, reserved 0, aiKeyAlg
# CALG_G28147 (0x661e), then the CryptoPro magic and the encryption
# algorithm CALG_G28147 again.
SIMPLEBLOB_HEADER = bytes.fromhex("012000001e660000fd514a371e660000")
# DER SEQUENCE { OBJECT IDENTIFIER 1.2.643.7.1.2.5.1.1 }
SBOX_Z_DER = bytes.fromhex("300b06092a8503070102050101")
SIMPLEBLOB_LENGTH = len(SIMPLEBLOB_HEADER) + 8 + 32 + 4 + len(SBOX_Z_DER)
FORMAT_A_LENGTH = 4 + SIMPLEBLOB_LENGTH + 4 + 8

KEY_LENGTH = 32
IV_LENGTH = 8
UKM_LENGTH = 8
MAC_LENGTH = 4
# NOTE: format B comes from one newer client's source only; the wrapped
# key length there is not pinned down, so any length in this range is read.
FORMAT_B_WRAPPED_KEY_LENGTHS = range(32, 65)


@dataclass(frozen=True)
class FormatA:
    """The fields of a format A key copy."""

    ukm: bytes
    encrypted_key: bytes
    mac: bytes
    sbox_oid: str
    iv: bytes


@dataclass(frozen=True)
class FormatB:
    """The fields of a format B key copy; `mac` is None when absent."""

    ephemeral_spki: bytes
    wrapped_key: bytes
    iv: bytes
    mac: bytes | None


def _check_length(value: bytes, expected: int, name: str) -> None:
    if len(value) != expected:
        raise GostKeySizeError(
            f"invalid {name} length {len(value)}: must be {expected} bytes"
        )


def build_format_a(chat_key: bytes, iv: bytes, ukm: bytes, kek: bytes) -> bytes:
    """Return a format A copy of `chat_key` wrapped under `kek`."""
    _check_length(chat_key, KEY_LENGTH, "chat key")
    _check_length(iv, IV_LENGTH, "IV")
    _check_length(ukm, UKM_LENGTH, "UKM")
    _check_length(kek, KEY_LENGTH, "KEK")
    wrapped = gost28147_wrap(kek, ukm, chat_key, SBOX_Z)
    blob = SIMPLEBLOB_HEADER + wrapped + SBOX_Z_DER
    return len(blob).to_bytes(4, "little") + blob + IV_LENGTH.to_bytes(4, "little") + iv


def _decode_oid(body: bytes) -> str:
    """Decode the content octets of a DER OBJECT IDENTIFIER."""
    if not body or body[-1] & 0x80:
        raise GostFormatError("invalid S-box OID in key copy: truncated encoding")
    arcs: list[int] = []
    value = 0
    for index, byte in enumerate(body):
        if value == 0 and byte == 0x80:
            raise GostFormatError(
                f"invalid S-box OID in key copy: non-minimal arc at byte {index}"
            )
        value = value << 7 | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def _parse_sbox_parameter(der: bytes) -> str:
    """Return the OID in DER `SEQUENCE { OID }` of exactly len(der) bytes."""
    if len(der) < 4 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise GostFormatError(
            f"invalid S-box parameter in key copy: expected DER SEQUENCE of "
            f"{len(der) - 2} bytes, got {der[:2].hex()}"
        )
    if der[2] != 0x06 or der[3] != len(der) - 4:
        raise GostFormatError(
            "invalid S-box parameter in key copy: the SEQUENCE must hold "
            f"exactly one OBJECT IDENTIFIER, got {der[2:4].hex()}"
        )
    return _decode_oid(der[4:])


def parse_format_a(data: bytes) -> FormatA:
    """Parse a format A copy; raise GostFormatError unless every field fits."""
    data = bytes(data)
    if len(data) < 4:
        raise GostFormatError(
            f"truncated format A key copy: {len(data)} bytes, no length field"
        )
    blob_length = int.from_bytes(data[:4], "little")
    if blob_length != SIMPLEBLOB_LENGTH:
        raise GostFormatError(
            f"invalid SIMPLEBLOB length {blob_length} in format A key copy: "
            f"expected {SIMPLEBLOB_LENGTH}"
        )
    if len(data) != FORMAT_A_LENGTH:
        problem = "truncated" if len(data) < FORMAT_A_LENGTH else "extra bytes in"
        raise GostFormatError(
            f"{problem} format A key copy: {len(data)} bytes, expected "
            f"{FORMAT_A_LENGTH}"
        )
    blob = data[4 : 4 + SIMPLEBLOB_LENGTH]
    header = blob[:16]
    if header != SIMPLEBLOB_HEADER:
        raise GostFormatError(
            f"invalid SIMPLEBLOB header {header.hex()} in format A key copy: "
            f"expected {SIMPLEBLOB_HEADER.hex()} (GOST 28147-89 SIMPLEBLOB)"
        )
    ukm = blob[16:24]
    encrypted_key = blob[24:56]
    mac = blob[56:60]
    sbox_oid = _parse_sbox_parameter(blob[60:])
    if sbox_oid != SBOX_Z_OID:
        raise GostFormatError(
            f"unsupported S-box {sbox_oid} in format A key copy: Komandor chat "
            f"keys use {SBOX_Z} ({SBOX_Z_OID})"
        )
    rest = data[4 + SIMPLEBLOB_LENGTH :]
    iv_length = int.from_bytes(rest[:4], "little")
    if iv_length != IV_LENGTH:
        raise GostFormatError(
            f"invalid IV length {iv_length} in format A key copy: expected {IV_LENGTH}"
        )
    return FormatA(ukm, encrypted_key, mac, sbox_oid, rest[4:])


def open_format_a(parsed: FormatA, kek: bytes) -> tuple[bytes, bytes]:
    """Return (chat key, IV); raise GostUnwrapError when the MAC fails."""
    _check_length(kek, KEY_LENGTH, "KEK")
    wrapped = parsed.ukm + parsed.encrypted_key + parsed.mac
    return gost28147_unwrap(kek, wrapped, SBOX_Z), parsed.iv


def _read_field(data: bytes, offset: int, name: str) -> tuple[bytes, int]:
    if len(data) - offset < 4:
        raise GostFormatError(
            f"truncated format B key copy: no length for the {name} at byte {offset}"
        )
    length = int.from_bytes(data[offset : offset + 4], "little")
    start = offset + 4
    if length > len(data) - start:
        raise GostFormatError(
            f"truncated format B key copy: the {name} claims {length} bytes, "
            f"{len(data) - start} remain"
        )
    return data[start : start + length], start + length


def _check_spki(spki: bytes) -> None:
    """Check that `spki` is exactly one DER SEQUENCE (the content is the caller's)."""
    if len(spki) < 2 or spki[0] != 0x30:
        raise GostFormatError(
            "invalid ephemeral public key in format B key copy: expected a DER "
            "SubjectPublicKeyInfo SEQUENCE"
        )
    first = spki[1]
    if first < 0x80:
        header, length = 2, first
    else:
        size = first & 0x7F
        if size == 0 or size > 2 or len(spki) < 2 + size:
            raise GostFormatError(
                "invalid ephemeral public key in format B key copy: bad DER "
                "length encoding"
            )
        header = 2 + size
        length = int.from_bytes(spki[2:header], "big")
        if length < 0x80 or (size == 2 and length < 0x100):
            raise GostFormatError(
                "invalid ephemeral public key in format B key copy: non-minimal "
                "DER length"
            )
    if header + length != len(spki):
        raise GostFormatError(
            f"invalid ephemeral public key in format B key copy: the DER "
            f"SEQUENCE covers {header + length} of {len(spki)} bytes"
        )


def parse_format_b(data: bytes) -> FormatB:
    """Parse a format B copy; raise GostFormatError unless every field fits."""
    data = bytes(data)
    spki, offset = _read_field(data, 0, "ephemeral public key")
    _check_spki(spki)
    wrapped_key, offset = _read_field(data, offset, "wrapped key")
    if len(wrapped_key) not in FORMAT_B_WRAPPED_KEY_LENGTHS:
        raise GostFormatError(
            f"invalid wrapped key length {len(wrapped_key)} in format B key "
            f"copy: expected {FORMAT_B_WRAPPED_KEY_LENGTHS.start} to "
            f"{FORMAT_B_WRAPPED_KEY_LENGTHS.stop - 1} bytes"
        )
    iv, offset = _read_field(data, offset, "IV")
    if len(iv) != IV_LENGTH:
        raise GostFormatError(
            f"invalid IV length {len(iv)} in format B key copy: expected {IV_LENGTH}"
        )
    mac: bytes | None = None
    if offset != len(data):
        mac, offset = _read_field(data, offset, "MAC")
        if len(mac) != MAC_LENGTH:
            raise GostFormatError(
                f"invalid MAC length {len(mac)} in format B key copy: expected "
                f"{MAC_LENGTH}"
            )
    if offset != len(data):
        raise GostFormatError(
            f"extra bytes in format B key copy: {len(data) - offset} bytes after "
            "the MAC"
        )
    return FormatB(spki, wrapped_key, iv, mac)


def build_format_b(
    ephemeral_spki: bytes, wrapped_key: bytes, iv: bytes, mac: bytes | None = None
) -> bytes:
    """Return a format B copy from its fields (for tests and tools)."""
    fields = [ephemeral_spki, wrapped_key, iv]
    if mac is not None:
        fields.append(mac)
    return b"".join(len(f).to_bytes(4, "little") + f for f in fields)


def detect_format(data: bytes) -> Literal["A", "B"]:
    """Return which format `data` is, by parsing it fully as each.

    Format A starts with the length 73 and a SIMPLEBLOB, format B with the
    length of a DER SEQUENCE, so at most one parse succeeds. Raise
    GostFormatError naming both failures when neither does.
    """
    try:
        parse_format_a(data)
    except GostFormatError as error_a:
        try:
            parse_format_b(data)
        except GostFormatError as error_b:
            raise GostFormatError(
                f"unrecognised Komandor key copy of {len(data)} bytes: as "
                f"format A, {error_a}; as format B, {error_b}"
            ) from error_b
        return "B"
    return "A"


# The message cipher is 28147-89 CFB with S-box Z and the CryptoPro key
# meshing of RFC 4357 after every 1024 bytes: OpenSSL's engine
# registers param-Z with key meshing, and CryptoPro CSP meshes by default.
# NOTE: no real Komandor message longer than 1024 bytes has been decrypted
# to confirm the meshing; shorter messages are unaffected by it.
def encrypt_message(key: bytes, iv: bytes, data: bytes) -> bytes:
    """Encrypt a message with a chat key and the IV from its copies."""
    _check_length(key, KEY_LENGTH, "chat key")
    _check_length(iv, IV_LENGTH, "IV")
    return gost28147_cfb_encrypt(key, iv, data, SBOX_Z, key_meshing=True)


def decrypt_message(key: bytes, iv: bytes, data: bytes) -> bytes:
    """Decrypt a message encrypted by `encrypt_message` or a Komandor client."""
    _check_length(key, KEY_LENGTH, "chat key")
    _check_length(iv, IV_LENGTH, "IV")
    return gost28147_cfb_decrypt(key, iv, data, SBOX_Z, key_meshing=True)
