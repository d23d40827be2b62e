"""GOST 28147-89 block cipher, with the S-boxes of RFC 4357 and RFC 7836.

The byte order is that of RFC 4357 and OpenSSL's `gost89`: the key is eight
little-endian 32-bit words K_0 .. K_7, and a block is the little-endian words
N1 || N2. Magma (GOST R 34.12-2015) is the same Feistel network with S-box Z
and big-endian words, so `magma.py` reuses the round function here.

The round function S-box plus rotation by 11 is precomputed into two tables
of 65536 entries per S-box, built on first use of that S-box and cached.
"""

from __future__ import annotations

import functools

from ..errors import GostKeySizeError

__all__ = [
    "SBOX_NAMES",
    "Gost28147",
    "encrypt_words",
    "resolve_sbox",
    "round_tables",
]

_MASK_32 = 0xFFFFFFFF

# Rows k8 .. k1 of each S-box, in the order OpenSSL's GOST engine lists them:
# row k1 replaces the lowest 4 bits of the 32-bit word, row k8 the highest.
# The tests check every S-box against `openssl enc -gost89`.
_SBOX_ROWS = {
    "id-Gost28147-89-TestParamSet": (
        "c652b09d3e7af418", "9bc0367548ef1a2d", "8f6b19c5d37a0e24",
        "3e59680dab7c21f4", "e9b25f710dc6a438", "d8ec739a15246f0b",
        "c9fe813a274d60b5", "42f59108e3bcd7a6",
    ),
    "id-Gost28147-89-CryptoPro-A-ParamSet": (
        "baf50ce8623917d4", "1d297a608c45f3be", "3adc120b75948fe6",
        "b5198df0e423c7a6", "e7acd13902b4f856", "e462b3d8cf5a0719",
        "37e98af0526cb4d1", "96328b17a4efc0d5",
    ),
    "id-Gost28147-89-CryptoPro-B-ParamSet": (
        "04be8371a296fd5c", "52ab91c374d06f8e", "83264debc17fa095",
        "27cf95ab140d68e3", "750db6123acf4e98", "ec0a92db758f3614",
        "012a4d5c973fb86e", "84b135092eacd67f",
    ),
    "id-Gost28147-89-CryptoPro-C-ParamSet": (
        "7405a2fec61bd938", "a968de20f35b41c7", "c9b18e247365a0fd",
        "8db0451293ce6fa7", "36015da8b297efc4", "825049fa37cd6e1b",
        "017db4528efc9a63", "1bc29d0f458ea763",
    ),
    "id-Gost28147-89-CryptoPro-D-ParamSet": (
        "1a68fb04c3597d2e", "306f1e92d8c4ba57", "80f325eb1a47c9d6",
        "0c89d2ab73654ef1", "15eca70d62b493f8", "1cb0fe65ad489372",
        "b634cfe27d805a91", "fc2a645079ed1b83",
    ),
    "id-tc26-gost-28147-param-Z": (
        "17ed05834fa69cb2", "8e25691cf4b0da37", "5df692cab78143e0",
        "7f5a816d093eb42c", "c821d4f670a53e9b", "b3582fade174c960",
        "68239a5c1e47bd0f", "c462a5b9e8d703f1",
    ),
}  # fmt: skip

_SBOX_OIDS = {
    "1.2.643.2.2.31.0": "id-Gost28147-89-TestParamSet",
    "1.2.643.2.2.31.1": "id-Gost28147-89-CryptoPro-A-ParamSet",
    "1.2.643.2.2.31.2": "id-Gost28147-89-CryptoPro-B-ParamSet",
    "1.2.643.2.2.31.3": "id-Gost28147-89-CryptoPro-C-ParamSet",
    "1.2.643.2.2.31.4": "id-Gost28147-89-CryptoPro-D-ParamSet",
    "1.2.643.7.1.2.5.1.1": "id-tc26-gost-28147-param-Z",
}

SBOX_NAMES = tuple(_SBOX_ROWS)
"""Names of the supported S-boxes; `resolve_sbox` also takes their OIDs."""


def resolve_sbox(sbox: str) -> str:
    """Return the canonical name of an S-box given by name or dotted OID."""
    if sbox in _SBOX_ROWS:
        return sbox
    if sbox in _SBOX_OIDS:
        return _SBOX_OIDS[sbox]
    raise GostKeySizeError(
        f"unknown GOST 28147-89 S-box {sbox!r}: use one of "
        f"{', '.join(SBOX_NAMES)} or its OID"
    )


def sbox_rows(sbox: str) -> tuple[tuple[int, ...], ...]:
    """Return rows k1 .. k8 of an S-box as tuples of 16 nibbles."""
    rows = _SBOX_ROWS[resolve_sbox(sbox)]
    return tuple(tuple(int(digit, 16) for digit in row) for row in reversed(rows))


@functools.cache
def round_tables(sbox: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return (low, high) so that f(x) = low[x & 0xFFFF] ^ high[x >> 16].

    f is the round function: S-box substitution of the eight nibbles of x,
    then rotation left by 11 bits.
    """
    rows = sbox_rows(sbox)

    def substitute_byte(value: int, byte_index: int) -> int:
        low_row = rows[2 * byte_index]
        high_row = rows[2 * byte_index + 1]
        return high_row[value >> 4] << 4 | low_row[value & 15]

    def rotate(value: int) -> int:
        return (value << 11 | value >> 21) & _MASK_32

    byte_tables = [
        [rotate(substitute_byte(v, i) << (8 * i)) for v in range(256)] for i in range(4)
    ]
    t0, t1, t2, t3 = byte_tables
    low = tuple(t0[v & 255] ^ t1[v >> 8] for v in range(65536))
    high = tuple(t2[v & 255] ^ t3[v >> 8] for v in range(65536))
    return low, high


def encrypt_words(
    n1: int,
    n2: int,
    pairs: tuple[tuple[int, int], ...],
    tables: tuple[tuple[int, ...], tuple[int, ...]],
) -> tuple[int, int]:
    """Run the Feistel rounds over the key pairs and return (n1, n2).

    Each pair (k_a, k_b) is two rounds: N2 ^= f(N1 + k_a), N1 ^= f(N2 + k_b).
    The halves are never swapped, so the caller reads the result as N2 || N1
    after a full cipher (32 rounds) and as N1 || N2 after the 16 rounds of
    the MAC.
    """
    low, high = tables
    for key_a, key_b in pairs:
        x = (n1 + key_a) & _MASK_32
        n2 ^= low[x & 0xFFFF] ^ high[x >> 16]
        x = (n2 + key_b) & _MASK_32
        n1 ^= low[x & 0xFFFF] ^ high[x >> 16]
    return n1, n2


def key_pairs(
    words: tuple[int, ...], order: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """Return the round keys words[order[i]] grouped in pairs."""
    keys = [words[i] for i in order]
    return tuple(zip(keys[0::2], keys[1::2], strict=True))


ENCRYPT_ORDER = (0, 1, 2, 3, 4, 5, 6, 7) * 3 + (7, 6, 5, 4, 3, 2, 1, 0)
DECRYPT_ORDER = (0, 1, 2, 3, 4, 5, 6, 7) + (7, 6, 5, 4, 3, 2, 1, 0) * 3
MAC_ORDER = (0, 1, 2, 3, 4, 5, 6, 7) * 2


class Gost28147:
    """GOST 28147-89 with a 32-byte key and 8-byte blocks."""

    block_size = 8
    key_size = 32

    def __init__(self, key: bytes, sbox: str = "id-tc26-gost-28147-param-Z") -> None:
        if len(key) != 32:
            raise GostKeySizeError(
                f"invalid GOST 28147-89 key length {len(key)}: the key must be 32 bytes"
            )
        self.sbox = resolve_sbox(sbox)
        self._tables = round_tables(self.sbox)
        words = tuple(int.from_bytes(key[i : i + 4], "little") for i in range(0, 32, 4))
        self._encrypt_pairs = key_pairs(words, ENCRYPT_ORDER)
        self._decrypt_pairs = key_pairs(words, DECRYPT_ORDER)
        self._mac_pairs = key_pairs(words, MAC_ORDER)

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 8-byte block."""
        return self._crypt(block, self._encrypt_pairs)

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 8-byte block."""
        return self._crypt(block, self._decrypt_pairs)

    def encrypt_int(self, value: int) -> int:
        """Encrypt one block given and returned as a little-endian 64-bit int.

        This skips the bytes conversions of `encrypt_block` for modes that
        keep their feedback register as an int.
        """
        n1, n2 = encrypt_words(
            value & _MASK_32, value >> 32, self._encrypt_pairs, self._tables
        )
        return n2 | n1 << 32

    def mac_block(self, state: bytes) -> bytes:
        """Run the 16 MAC rounds of GOST 28147-89 on an 8-byte state."""
        if len(state) != 8:
            raise ValueError(f"invalid block length {len(state)}: expected 8")
        value = int.from_bytes(state, "little")
        n1, n2 = encrypt_words(
            value & _MASK_32, value >> 32, self._mac_pairs, self._tables
        )
        return (n1 | n2 << 32).to_bytes(8, "little")

    def _crypt(self, block: bytes, pairs: tuple[tuple[int, int], ...]) -> bytes:
        if len(block) != 8:
            raise ValueError(f"invalid block length {len(block)}: expected 8")
        value = int.from_bytes(block, "little")
        n1, n2 = encrypt_words(value & _MASK_32, value >> 32, pairs, self._tables)
        return (n2 | n1 << 32).to_bytes(8, "little")
