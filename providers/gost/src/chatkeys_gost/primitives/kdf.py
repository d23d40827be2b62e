"""HMAC with Streebog and the key derivation functions built on it.

HMAC_GOSTR3411_2012_256/512, KDF_GOSTR3411_2012_256 and
KDF_TREE_GOSTR3411_2012_256 follow RFC 7836. The CryptoPro key diversification
of a GOST 28147-89 KEK follows RFC 4357 section 6.5.
"""

from __future__ import annotations

import hmac

from ..errors import GostKeySizeError
from .gost28147 import Gost28147
from .modes import cfb_encrypt
from .streebog import BACKEND, BLOCK_SIZE, OPENSSL_NAMES, Streebog

__all__ = [
    "HmacStreebog",
    "cryptopro_key_diversify",
    "hmac_streebog256",
    "hmac_streebog512",
    "kdf_256",
    "kdf_tree_256",
]

_INNER_PAD = bytes([0x36]) * BLOCK_SIZE
_OUTER_PAD = bytes([0x5C]) * BLOCK_SIZE


def _xor_pad(key: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(key, pad, strict=True))


class HmacStreebog:
    """HMAC keyed once, with the padded key blocks hashed in advance.

    Each `mac` call then costs the hashing of the data plus two
    finalisations, and the first compression of each uses precomputed
    round keys, which matters for KDF_TREE's repeated calls. When
    `streebog.BACKEND` is `"openssl"`, OpenSSL's HMAC does the work.
    """

    def __init__(self, key: bytes, digest_size: int = 32) -> None:
        self.digest_size = digest_size
        if BACKEND == "openssl":
            self._openssl = hmac.new(key, digestmod=OPENSSL_NAMES[digest_size])
            return
        if len(key) > BLOCK_SIZE:
            key = Streebog(digest_size, key).digest()
        block = key.ljust(BLOCK_SIZE, b"\0")
        self._inner = Streebog(digest_size, _xor_pad(block, _INNER_PAD))
        self._outer = Streebog(digest_size, _xor_pad(block, _OUTER_PAD))
        self._inner.precompute_round_keys()
        self._outer.precompute_round_keys()

    def mac(self, data: bytes) -> bytes:
        """Return HMAC(key, data)."""
        if BACKEND == "openssl":
            keyed = self._openssl.copy()
            keyed.update(data)
            return keyed.digest()
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def hmac_streebog256(key: bytes, data: bytes) -> bytes:
    """Return HMAC_GOSTR3411_2012_256(key, data), 32 bytes."""
    return HmacStreebog(key, 32).mac(data)


def hmac_streebog512(key: bytes, data: bytes) -> bytes:
    """Return HMAC_GOSTR3411_2012_512(key, data), 64 bytes."""
    return HmacStreebog(key, 64).mac(data)


def kdf_256(key: bytes, label: bytes, seed: bytes) -> bytes:
    """Return KDF_GOSTR3411_2012_256(key, label, seed), 32 bytes.

    This is HMAC-256(key, 01 || label || 00 || seed || 01 || 00).
    """
    return hmac_streebog256(key, b"\x01" + label + b"\x00" + seed + b"\x01\x00")


def kdf_tree_256(key: bytes, label: bytes, seed: bytes, r: int, length: int) -> bytes:
    """Return `length` bytes of KDF_TREE_GOSTR3411_2012_256 (RFC 7836).

    Block i is HMAC-256(key, [i]_r || label || 00 || seed || [L]), where
    [i]_r is i in `r` big-endian bytes (1 <= r <= 4) and [L] is the output
    length in bits, big-endian, in as few bytes as it needs.
    """
    if not 1 <= r <= 4:
        raise ValueError(f"invalid KDF_TREE counter size r={r}: must be 1 to 4")
    if length <= 0:
        raise ValueError(f"invalid KDF_TREE output length {length}: must be > 0")
    blocks = -(-length // 32)
    if blocks >= 1 << (8 * r):
        raise ValueError(
            f"KDF_TREE output length {length} needs {blocks} blocks, more than "
            f"a {r}-byte counter can number; use a larger r"
        )
    bits = 8 * length
    encoded_length = bits.to_bytes((bits.bit_length() + 7) // 8, "big")
    keyed_hmac = HmacStreebog(key, 32)
    suffix = label + b"\x00" + seed + encoded_length
    output = b"".join(
        keyed_hmac.mac(i.to_bytes(r, "big") + suffix) for i in range(1, blocks + 1)
    )
    return output[:length]


def cryptopro_key_diversify(
    kek: bytes, ukm: bytes, sbox: str = "id-Gost28147-89-CryptoPro-A-ParamSet"
) -> bytes:
    """Return the CryptoPro-diversified KEK (RFC 4357 section 6.5).

    For each UKM byte u_i, the 8-byte IV is the sum of the key's
    little-endian words k_j whose bit j of u_i is set, then the sum of the
    others (each mod 2^32, little-endian), and the key is encrypted in
    28147-89 CFB under itself with that IV.
    """
    if len(kek) != 32:
        raise GostKeySizeError(
            f"invalid KEK length {len(kek)}: a GOST 28147-89 KEK is 32 bytes"
        )
    if len(ukm) != 8:
        raise GostKeySizeError(f"invalid UKM length {len(ukm)}: must be 8 bytes")
    key = bytes(kek)
    for u in ukm:
        words = [int.from_bytes(key[4 * j : 4 * j + 4], "little") for j in range(8)]
        selected = sum(w for j, w in enumerate(words) if u >> j & 1) & 0xFFFFFFFF
        others = sum(w for j, w in enumerate(words) if not u >> j & 1) & 0xFFFFFFFF
        iv = selected.to_bytes(4, "little") + others.to_bytes(4, "little")
        key = cfb_encrypt(Gost28147(key, sbox), iv, key)
    return key
