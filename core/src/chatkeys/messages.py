"""Encrypting and decrypting chat messages with the chat key.

The contract disables `new` and `wait` chats: messages can be neither written
nor read in them until they reach `sync`, so `open_chat_cipher` rejects them.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import ChatNotSyncedError, MessageError
from chatkeys.identity import Identity
from chatkeys.model import Chat, ChatStatus
from chatkeys.providers import Providers


class ChatCipher:
    """Encrypts and decrypts the messages of one `sync` chat."""

    def __init__(
        self, providers: Providers, chat_id: str, key_id: str, chat_key: ChatKey
    ):
        self._providers = providers
        self.chat_id = chat_id
        self.key_id = key_id
        self._chat_key = chat_key

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt one message."""
        return self._providers.encrypt_message(self._chat_key, plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt one message; raises `MessageError` when it fails."""
        return self._providers.decrypt_message(self._chat_key, ciphertext)

    def __repr__(self) -> str:
        cipher = self._chat_key.cipher
        return f"<ChatCipher chat={self.chat_id} key={self.key_id} cipher={cipher}>"


def open_chat_cipher(
    providers: Providers,
    chat: Chat,
    identity: Identity,
    extra_candidates: Sequence[Certificate] = (),
) -> ChatCipher:
    """Import the chat key of a `sync` chat and return its message cipher.

    Raises `ChatNotSyncedError` for `new` and `wait` chats.
    """
    if chat.status is not ChatStatus.SYNC:
        raise ChatNotSyncedError(
            f"chat {chat.id} is {chat.status.value}: messages can be neither "
            "written nor read until it is sync; run a sync first"
        )
    if chat.chat_key is None:
        raise MessageError(
            f"chat {chat.id} is sync but has no chatKey for this certificate"
        )
    candidates = [p.certificate for p in chat.certificates]
    candidates.extend(extra_candidates)
    if identity.certificate not in candidates:
        candidates.append(identity.certificate)
    chat_key = providers.import_chat_key(chat.chat_key.key, identity, candidates)
    return ChatCipher(providers, chat.id, chat.chat_key.id, chat_key)
