"""Key wraps: KExp15/KImp15 and the GOST 28147-89 wraps of RFC 4357.

- `kexp15` / `kimp15`: R 1323565.1.017-2018, used by CMS and TLS with
  Kuznyechik or Magma: CTR(K_enc, IV, key || OMAC(K_mac, IV || key)).
- `gost28147_wrap` / `gost28147_unwrap`: RFC 4357 section 6.1, a 32-byte key
  encrypted in 28147-89 ECB plus a 4-byte IMIT under the UKM.
- `cryptopro_wrap` / `cryptopro_unwrap`: RFC 4357 section 6.3, the same
  after the CryptoPro diversification of the KEK with the UKM.

Unwrap functions compare MACs in constant time and raise `GostUnwrapError`
on a mismatch; they never return unchecked bytes.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from ..errors import GostKeySizeError, GostUnwrapError
from .gost28147 import Gost28147
from .kdf import cryptopro_key_diversify
from .modes import BlockCipher, ctr, ecb_decrypt, ecb_encrypt, gost28147_imit, omac

__all__ = [
    "cryptopro_unwrap",
    "cryptopro_wrap",
    "gost28147_unwrap",
    "gost28147_wrap",
    "kexp15",
    "kimp15",
]


def _check_kexp_iv(cipher: BlockCipher, iv: bytes) -> None:
    if len(iv) != cipher.block_size // 2:
        raise GostKeySizeError(
            f"invalid KExp15 IV length {len(iv)}: must be half the block "
            f"size, {cipher.block_size // 2} bytes"
        )


def kexp15(
    cipher_cls: Callable[[bytes], BlockCipher],
    key_mac: bytes,
    key_enc: bytes,
    iv: bytes,
    key: bytes,
) -> bytes:
    """Export `key`: len(key) + block size bytes (40 with Magma, 48 with Kuznyechik)."""
    mac_cipher = cipher_cls(key_mac)
    enc_cipher = cipher_cls(key_enc)
    _check_kexp_iv(enc_cipher, iv)
    tag = omac(mac_cipher, iv + key, mac_cipher.block_size)
    return ctr(enc_cipher, iv, key + tag)


def kimp15(
    cipher_cls: Callable[[bytes], BlockCipher],
    key_mac: bytes,
    key_enc: bytes,
    iv: bytes,
    exported: bytes,
) -> bytes:
    """Import a key exported by `kexp15`; raise GostUnwrapError on a bad MAC."""
    mac_cipher = cipher_cls(key_mac)
    enc_cipher = cipher_cls(key_enc)
    _check_kexp_iv(enc_cipher, iv)
    n = mac_cipher.block_size
    if len(exported) <= n:
        raise GostUnwrapError(
            f"invalid KExp15 export length {len(exported)}: must be longer "
            f"than the {n}-byte MAC"
        )
    plain = ctr(enc_cipher, iv, exported)
    key, tag = plain[:-n], plain[-n:]
    if not hmac.compare_digest(omac(mac_cipher, iv + key, n), tag):
        raise GostUnwrapError(
            "KImp15 MAC check failed: the export was made with other keys or "
            "was altered"
        )
    return key


def _check_wrap_inputs(kek: bytes, ukm: bytes) -> None:
    if len(kek) != 32:
        raise GostKeySizeError(
            f"invalid KEK length {len(kek)}: a GOST 28147-89 KEK is 32 bytes"
        )
    if len(ukm) != 8:
        raise GostKeySizeError(f"invalid UKM length {len(ukm)}: must be 8 bytes")


def gost28147_wrap(
    kek: bytes, ukm: bytes, cek: bytes, sbox: str = "id-tc26-gost-28147-param-Z"
) -> bytes:
    """Wrap a 32-byte key as RFC 4357 section 6.1 lays it out, 44 bytes.

    The result is UKM (8) || ECB(kek, cek) (32) || IMIT(kek, iv=ukm, cek) (4).
    """
    _check_wrap_inputs(kek, ukm)
    if len(cek) != 32:
        raise GostKeySizeError(
            f"invalid key length {len(cek)}: the wrapped key must be 32 bytes"
        )
    encrypted = ecb_encrypt(Gost28147(kek, sbox), cek)
    mac = gost28147_imit(kek, cek, ukm, sbox)
    return ukm + encrypted + mac


def _split_wrapped(wrapped: bytes) -> tuple[bytes, bytes, bytes]:
    if len(wrapped) != 44:
        raise GostUnwrapError(
            f"invalid wrapped key length {len(wrapped)}: expected 44 bytes "
            "(8-byte UKM, 32-byte encrypted key, 4-byte MAC)"
        )
    return wrapped[:8], wrapped[8:40], wrapped[40:]


def gost28147_unwrap(
    kek: bytes, wrapped: bytes, sbox: str = "id-tc26-gost-28147-param-Z"
) -> bytes:
    """Unwrap the 44 bytes of `gost28147_wrap`; raise GostUnwrapError on a bad MAC."""
    ukm, encrypted, mac = _split_wrapped(wrapped)
    _check_wrap_inputs(kek, ukm)
    cek = ecb_decrypt(Gost28147(kek, sbox), encrypted)
    if not hmac.compare_digest(gost28147_imit(kek, cek, ukm, sbox), mac):
        raise GostUnwrapError(
            "GOST 28147-89 key unwrap failed: the MAC does not match, so the "
            "KEK or S-box differs from the sender's or the data was altered"
        )
    return cek


def cryptopro_wrap(
    kek: bytes,
    ukm: bytes,
    cek: bytes,
    sbox: str = "id-Gost28147-89-CryptoPro-A-ParamSet",
) -> bytes:
    """Wrap with the CryptoPro KEK diversification (RFC 4357 section 6.3).

    The layout is that of `gost28147_wrap`: UKM || encrypted key || MAC.
    """
    _check_wrap_inputs(kek, ukm)
    return gost28147_wrap(cryptopro_key_diversify(kek, ukm, sbox), ukm, cek, sbox)


def cryptopro_unwrap(
    kek: bytes,
    wrapped: bytes,
    sbox: str = "id-Gost28147-89-CryptoPro-A-ParamSet",
) -> bytes:
    """Unwrap `cryptopro_wrap` output; raise GostUnwrapError on a bad MAC."""
    ukm, _, _ = _split_wrapped(wrapped)
    _check_wrap_inputs(kek, ukm)
    diversified = cryptopro_key_diversify(kek, ukm, sbox)
    return gost28147_unwrap(diversified, wrapped, sbox)
