"""Magma, the 64-bit block cipher of GOST R 34.12-2015 (RFC 8891).

Magma is the GOST 28147-89 Feistel network with S-box
id-tc26-gost-28147-param-Z and big-endian byte order: the key is the words
K_1 .. K_8 read big-endian from its first to last bytes, and a block is the
big-endian halves a_1 || a_0. Bytes are written as in RFC 8891 and as
OpenSSL's `magma-*` ciphers take them.
"""

from __future__ import annotations

from ..errors import GostKeySizeError
from .gost28147 import (
    DECRYPT_ORDER,
    ENCRYPT_ORDER,
    encrypt_words,
    key_pairs,
    round_tables,
)

__all__ = ["Magma"]

_MASK_32 = 0xFFFFFFFF


class Magma:
    """Magma with a 32-byte key and 8-byte blocks."""

    block_size = 8
    key_size = 32

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise GostKeySizeError(
                f"invalid Magma key length {len(key)}: the key must be 32 bytes"
            )
        self._tables = round_tables("id-tc26-gost-28147-param-Z")
        words = tuple(int.from_bytes(key[i : i + 4], "big") for i in range(0, 32, 4))
        self._encrypt_pairs = key_pairs(words, ENCRYPT_ORDER)
        self._decrypt_pairs = key_pairs(words, DECRYPT_ORDER)

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 8-byte block."""
        return self._crypt(block, self._encrypt_pairs)

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 8-byte block."""
        return self._crypt(block, self._decrypt_pairs)

    def _crypt(self, block: bytes, pairs: tuple[tuple[int, int], ...]) -> bytes:
        if len(block) != 8:
            raise ValueError(f"invalid block length {len(block)}: expected 8")
        value = int.from_bytes(block, "big")
        # The right half a_0 enters the round function first, as N1 does.
        n1, n2 = encrypt_words(value & _MASK_32, value >> 32, pairs, self._tables)
        return (n1 << 32 | n2).to_bytes(8, "big")
