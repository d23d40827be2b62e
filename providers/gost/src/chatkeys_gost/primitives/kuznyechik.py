"""Kuznyechik, the 128-bit block cipher of GOST R 34.12-2015 (RFC 7801).

Blocks are handled as big-endian 128-bit ints, so the bytes of a key, block
or ciphertext are written in the same order as in RFC 7801 and as OpenSSL's
`kuznyechik-*` ciphers take them. One round LSX is precomputed per byte
position into 16 tables of 256 128-bit ints, so a round is the XOR of 16
look-ups. Decryption uses the same trick with tables of L^-1 S^-1 and round
keys moved through L^-1.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import GostKeySizeError
from .streebog import PI

__all__ = ["Kuznyechik"]

_PI_INVERSE = bytes(PI.index(v) for v in range(256))
_MASK_128 = (1 << 128) - 1

# Coefficients of the linear map l (RFC 7801), for the bytes
# a_15 .. a_0, where a_15 is the first byte of the block.
_L_COEFFICIENTS = (148, 32, 133, 16, 194, 192, 1, 251, 1, 192, 194, 16, 133, 32, 148, 1)


def _gf_multiply(a: int, b: int) -> int:
    """Multiply in GF(2^8) modulo x^8 + x^7 + x^6 + x + 1."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x1C3
        b >>= 1
    return product


def _linear(block: int) -> int:
    """Apply L = R^16 to a 128-bit int (slow; used to build the tables)."""
    for _ in range(16):
        top = 0
        for index, coefficient in enumerate(_L_COEFFICIENTS):
            byte = block >> (8 * (15 - index)) & 0xFF
            top ^= _gf_multiply(byte, coefficient)
        block = (block >> 8) | (top << 120)
    return block


def _linear_inverse(block: int) -> int:
    """Apply L^-1 to a 128-bit int (slow; used to build the tables)."""
    for _ in range(16):
        # R moved a_15 .. a_1 one byte down and put l(a_15 .. a_0) on top, so
        # the byte it dropped is l(a_14 .. a_0, 0) XOR the top byte.
        top = block >> 120
        rest = (block << 8) & _MASK_128
        dropped = top
        for index, coefficient in enumerate(_L_COEFFICIENTS[:15]):
            byte = rest >> (8 * (15 - index)) & 0xFF
            dropped ^= _gf_multiply(byte, coefficient)
        block = rest | dropped
    return block


def _build_tables(
    substitution: bytes, linear: Callable[[int], int]
) -> tuple[tuple[int, ...], ...]:
    """Build, per byte position p, the map v -> linear(substitution[v] at p).

    The map is linear after the substitution, so each entry is the XOR of
    the images of the set bits of substitution[v].
    """
    tables = []
    for position in range(16):
        shift = 8 * (15 - position)
        basis = [linear(1 << (shift + bit)) for bit in range(8)]
        table = []
        for v in range(256):
            value = substitution[v]
            image = 0
            for bit in range(8):
                if value >> bit & 1:
                    image ^= basis[bit]
            table.append(image)
        tables.append(tuple(table))
    return tuple(tables)


# _FORWARD[p][v]: L(S(x)) for the block x whose only non-zero byte is v at
# position p (position 0 is the first byte).
_FORWARD = _build_tables(PI, _linear)
# _BACKWARD[p][v]: L^-1(S^-1(x)) for the same single-byte blocks.
_BACKWARD = _build_tables(_PI_INVERSE, _linear_inverse)
# _LINEAR_INVERSE[p][v]: L^-1 of the single-byte block, with no substitution.
_LINEAR_INVERSE = tuple(tuple(table[PI[v]] for v in range(256)) for table in _BACKWARD)


def _apply_tables(tables: tuple[tuple[int, ...], ...], x: int) -> int:
    (
        t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15,
    ) = tables  # fmt: skip
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
    ) = x.to_bytes(16, "big")  # fmt: skip
    return (
        t0[b0] ^ t1[b1] ^ t2[b2] ^ t3[b3] ^ t4[b4] ^ t5[b5] ^ t6[b6] ^ t7[b7]
        ^ t8[b8] ^ t9[b9] ^ t10[b10] ^ t11[b11] ^ t12[b12] ^ t13[b13] ^ t14[b14]
        ^ t15[b15]
    )  # fmt: skip


def _linear_fast(x: int) -> int:
    """Apply L through the LS tables by first undoing S."""
    undone = x.to_bytes(16, "big").translate(_PI_INVERSE)
    return _apply_tables(_FORWARD, int.from_bytes(undone, "big"))


# Key schedule constants C_i = L(i) for i = 1 .. 32.
_KEY_CONSTANTS = tuple(_linear_fast(i) for i in range(1, 33))


def _expand_key(key: bytes) -> tuple[int, ...]:
    """Return the ten round keys K_1 .. K_10 (RFC 7801)."""
    k1 = int.from_bytes(key[:16], "big")
    k2 = int.from_bytes(key[16:], "big")
    round_keys = [k1, k2]
    for i in range(4):
        for j in range(8):
            constant = _KEY_CONSTANTS[8 * i + j]
            k1, k2 = _apply_tables(_FORWARD, k1 ^ constant) ^ k2, k1
        round_keys += [k1, k2]
    return tuple(round_keys)


class Kuznyechik:
    """Kuznyechik with a 32-byte key and 16-byte blocks."""

    block_size = 16
    key_size = 32

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise GostKeySizeError(
                f"invalid Kuznyechik key length {len(key)}: the key must be 32 bytes"
            )
        keys = _expand_key(bytes(key))
        self._keys = keys
        # Decryption runs on L^-1 images, so keys 2 .. 9 move through L^-1.
        self._decrypt_keys = tuple(_apply_tables(_LINEAR_INVERSE, k) for k in keys[1:9])

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 16-byte block."""
        if len(block) != 16:
            raise ValueError(f"invalid block length {len(block)}: expected 16")
        return self._encrypt_int(int.from_bytes(block, "big")).to_bytes(16, "big")

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 16-byte block."""
        if len(block) != 16:
            raise ValueError(f"invalid block length {len(block)}: expected 16")
        return self._decrypt_int(int.from_bytes(block, "big")).to_bytes(16, "big")

    def _encrypt_int(self, x: int) -> int:
        k = self._keys
        f = _FORWARD
        apply = _apply_tables
        x = apply(f, x ^ k[0])
        x = apply(f, x ^ k[1])
        x = apply(f, x ^ k[2])
        x = apply(f, x ^ k[3])
        x = apply(f, x ^ k[4])
        x = apply(f, x ^ k[5])
        x = apply(f, x ^ k[6])
        x = apply(f, x ^ k[7])
        x = apply(f, x ^ k[8])
        return x ^ k[9]

    def _decrypt_int(self, x: int) -> int:
        # D = X[K1] S^-1 L^-1 X[K2] ... S^-1 L^-1 X[K10]. With u = L^-1(state),
        # each step S^-1 then L^-1 is one look-up in _BACKWARD, and the key
        # XORed after it is L^-1(K_i).
        b = _BACKWARD
        apply = _apply_tables
        d = self._decrypt_keys
        u = apply(_LINEAR_INVERSE, x ^ self._keys[9])
        u = apply(b, u) ^ d[7]
        u = apply(b, u) ^ d[6]
        u = apply(b, u) ^ d[5]
        u = apply(b, u) ^ d[4]
        u = apply(b, u) ^ d[3]
        u = apply(b, u) ^ d[2]
        u = apply(b, u) ^ d[1]
        u = apply(b, u) ^ d[0]
        last = u.to_bytes(16, "big").translate(_PI_INVERSE)
        return int.from_bytes(last, "big") ^ self._keys[0]
