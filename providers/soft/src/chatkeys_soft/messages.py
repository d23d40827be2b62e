"""The chat key of the CMS profile and the message cipher it opens.

A chat key is 32 random bytes for AES-256-GCM. A message is the 12-byte
random nonce followed by the GCM ciphertext and its 16-byte tag; there is no
associated data. A nonce is random per message, so one key should protect
well under 2**32 messages (the NIST SP 800-38D limit for random nonces).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chatkeys.chatkey import ChatKey
from chatkeys_soft.errors import SoftMessageError

CIPHER = "aes-256-gcm"
"""`ChatKey.cipher` of the chat keys this provider makes and reads."""

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


def generate_chat_key() -> ChatKey:
    """Return a fresh AES-256-GCM chat key from the operating system's CSPRNG."""
    return ChatKey(CIPHER, os.urandom(KEY_SIZE))


def encrypt_message(chat_key: ChatKey, plaintext: bytes) -> bytes:
    """Encrypt `plaintext`; return nonce, ciphertext and tag."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + _cipher(chat_key).encrypt(nonce, plaintext, None)


def decrypt_message(chat_key: ChatKey, ciphertext: bytes) -> bytes:
    """Decrypt a message made by `encrypt_message`.

    Raises `SoftMessageError` when the message is shorter than a nonce and a
    tag, or fails authentication (tampered with, or made with another key).
    """
    if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
        raise SoftMessageError(
            f"message of {len(ciphertext)} bytes is too short for {CIPHER}: it needs "
            f"at least a {NONCE_SIZE}-byte nonce and a {TAG_SIZE}-byte tag"
        )
    nonce, body = ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:]
    try:
        return _cipher(chat_key).decrypt(nonce, body, None)
    except InvalidTag as error:
        raise SoftMessageError(
            f"message of {len(ciphertext)} bytes failed {CIPHER} authentication: it "
            "was tampered with or encrypted under another chat key"
        ) from error


def _cipher(chat_key: ChatKey) -> AESGCM:
    if len(chat_key.secret) != KEY_SIZE:
        raise SoftMessageError(
            f"{CIPHER} chat key has {len(chat_key.secret)} bytes instead of {KEY_SIZE}"
        )
    return AESGCM(chat_key.secret)
