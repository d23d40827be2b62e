"""The chat key: the symmetric secret shared by everyone in a chat."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, eq=False)
class ChatKey:
    """A chat key in clear, as a provider generated or imported it.

    `cipher` names the message cipher the key is for (a provider-defined
    name such as ``"aes-256-gcm"`` or ``"gost28147-cfb"``), `secret` is the key
    itself and `parameters` any public per-key data the cipher needs (the
    Komandor format carries an 8-byte IV for CFB here). The repr never shows
    the secret; equality compares in constant time.
    """

    cipher: str
    secret: bytes = field(repr=False)
    parameters: bytes = b""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatKey):
            return NotImplemented
        return (
            self.cipher == other.cipher
            and hmac.compare_digest(self.secret, other.secret)
            and self.parameters == other.parameters
        )

    def __hash__(self) -> int:
        return hash((self.cipher, self.parameters))
