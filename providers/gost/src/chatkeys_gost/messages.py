"""The chat-message cipher of the `cms` profile: Kuznyechik CTR-ACPKM with OMAC.

It follows the content encryption id-gostr3412-2015-kuznyechik-ctracpkm-omac
of R 1323565.1.026-2019 (also RFC 9189): a fresh 16-byte UKM per message,
KDF_TREE_GOSTR3411_2012_256(K, "kdf tree", ukm[8:16], r=1) gives an
encryption key and a MAC key (32 bytes each), and the plaintext followed by
its 16-byte OMAC tag is encrypted in CTR-ACPKM mode (section size 256 KiB)
with IV ukm[0:8]. A message on the wire is::

    ukm (16 bytes) || CTR-ACPKM(plaintext || OMAC(plaintext))

The Komandor cipher (GOST 28147-89 CFB) lives in `chatkeys_gost.komandor`.
"""

from __future__ import annotations

import hmac
import secrets

from chatkeys.errors import MessageError
from chatkeys_gost.primitives.kdf import kdf_tree_256
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.modes import ctr_acpkm, omac

__all__ = ["CMS_CIPHER", "decrypt", "encrypt"]

CMS_CIPHER = "kuznyechik-ctr-acpkm-omac"
"""`ChatKey.cipher` of chat keys made for the `cms` profile."""

UKM_SIZE = 16
TAG_SIZE = 16
SECTION_SIZE = 256 * 1024
KEY_SIZE = 32


def _keys(key: bytes, ukm: bytes) -> tuple[Kuznyechik, Kuznyechik]:
    if len(key) != KEY_SIZE:
        raise MessageError(f"a {CMS_CIPHER} key is {KEY_SIZE} bytes, got {len(key)}")
    material = kdf_tree_256(key, b"kdf tree", ukm[8:16], 1, 64)
    return Kuznyechik(material[:32]), Kuznyechik(material[32:])


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt and authenticate one message under `key`."""
    ukm = secrets.token_bytes(UKM_SIZE)
    encryption, authentication = _keys(key, ukm)
    tag = omac(authentication, plaintext, TAG_SIZE)
    return ukm + ctr_acpkm(encryption, ukm[:8], plaintext + tag, SECTION_SIZE)


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """Decrypt one message; raise `MessageError` when it fails authentication."""
    if len(ciphertext) < UKM_SIZE + TAG_SIZE:
        raise MessageError(
            f"a {CMS_CIPHER} message is at least {UKM_SIZE + TAG_SIZE} bytes, "
            f"got {len(ciphertext)}"
        )
    ukm = ciphertext[:UKM_SIZE]
    encryption, authentication = _keys(key, ukm)
    opened = ctr_acpkm(encryption, ukm[:8], ciphertext[UKM_SIZE:], SECTION_SIZE)
    plaintext, tag = opened[:-TAG_SIZE], opened[-TAG_SIZE:]
    if not hmac.compare_digest(omac(authentication, plaintext, TAG_SIZE), tag):
        raise MessageError(
            "the message fails authentication: it was altered or encrypted "
            "under another chat key"
        )
    return plaintext
