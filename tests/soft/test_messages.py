"""Tests of chatkeys_soft.messages: AES-256-GCM with a random nonce in front."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chatkeys.chatkey import ChatKey
from chatkeys.errors import MessageError
from chatkeys_soft.errors import SoftMessageError
from chatkeys_soft.messages import (
    CIPHER,
    decrypt_message,
    encrypt_message,
    generate_chat_key,
)


def test_layout_is_nonce_then_gcm_output() -> None:
    chat_key = generate_chat_key()
    ciphertext = encrypt_message(chat_key, b"hello")

    assert len(ciphertext) == 12 + 5 + 16
    nonce, body = ciphertext[:12], ciphertext[12:]
    assert AESGCM(chat_key.secret).decrypt(nonce, body, None) == b"hello"


def test_nonces_differ() -> None:
    chat_key = generate_chat_key()
    nonces = {encrypt_message(chat_key, b"x")[:12] for _ in range(100)}
    assert len(nonces) == 100


def test_generated_keys_are_random_and_sized() -> None:
    keys = [generate_chat_key() for _ in range(3)]
    assert all(key.cipher == CIPHER and len(key.secret) == 32 for key in keys)
    assert len({key.secret for key in keys}) == 3


@pytest.mark.parametrize("length", [0, 11, 12, 27])
def test_short_message_rejected(length: int) -> None:
    with pytest.raises(SoftMessageError, match="too short"):
        decrypt_message(generate_chat_key(), os.urandom(length))


def test_wrong_key_size_rejected() -> None:
    with pytest.raises(MessageError, match="16 bytes"):
        encrypt_message(ChatKey(CIPHER, os.urandom(16)), b"x")


def test_other_key_rejected() -> None:
    ciphertext = encrypt_message(generate_chat_key(), b"x")
    with pytest.raises(SoftMessageError, match="authentication"):
        decrypt_message(generate_chat_key(), ciphertext)
