"""Exceptions raised by chatkeys.

Every exception the library raises on purpose derives from `ChatkeysError`::

    ChatkeysError
    ├── InvalidInputError          untrusted input does not fit the contract
    │   ├── InvalidCertificateError
    │   ├── InvalidPhoneError
    │   └── InvalidResponseError   a server response is malformed
    ├── ProviderError              raised by or about a crypto provider
    │   ├── NoProviderError        no installed provider handles the input
    │   ├── ProviderUnavailableError
    │   ├── IdentityError          an identity cannot be loaded or used
    │   ├── KeyImportError         a key copy cannot be unwrapped
    │   ├── UnsupportedProfileError
    │   └── SignatureError         a signature cannot be made
    ├── MessageError               a chat cannot encrypt or decrypt messages
    │   └── ChatNotSyncedError
    ├── ApiError                   the server rejected a request
    │   └── AuthenticationError
    ├── TransportError             the server could not be reached
    ├── ConfigurationError         a setting is invalid or unsafe
    └── StoreError                 the local store cannot be read or written

Messages name the value at fault and, where there is one, the fix. They never
contain key material, PINs or passphrases.
"""

from __future__ import annotations


class ChatkeysError(Exception):
    """Base class of every error raised by chatkeys."""


class InvalidInputError(ChatkeysError, ValueError):
    """Untrusted input does not fit the API contract."""


class InvalidCertificateError(InvalidInputError):
    """A certificate field is not a certificate in any accepted shape."""


class InvalidPhoneError(InvalidInputError):
    """A phone number is not an 11-digit Russian number."""


class InvalidResponseError(InvalidInputError):
    """A server response does not have the shape the contract defines."""


class ProviderError(ChatkeysError):
    """Raised by a crypto provider, or about one."""


class NoProviderError(ProviderError):
    """No installed provider handles an algorithm, identity or profile."""


class ProviderUnavailableError(ProviderError):
    """A provider is installed but cannot work here (missing library, token)."""


class IdentityError(ProviderError):
    """An identity (certificate and private key) cannot be loaded or used."""


class KeyImportError(ProviderError):
    """A key copy cannot be unwrapped with the given identity.

    Raised for copies made for another certificate, tampered copies, copies
    not made by any of the candidate certificates, and malformed bytes.
    """


class UnsupportedProfileError(ProviderError):
    """A wire profile is not supported for an algorithm."""


class SignatureError(ProviderError):
    """A signature cannot be produced."""


class MessageError(ChatkeysError):
    """A message cannot be encrypted or decrypted."""


class ChatNotSyncedError(MessageError):
    """The chat is `new` or `wait`, so the contract forbids messages in it."""


class ApiError(ChatkeysError):
    """The server returned an error response.

    `status` is the HTTP status, `code` the error code from the response body
    (empty when the body has none).
    """

    def __init__(self, message: str, *, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AuthenticationError(ApiError):
    """The server rejected the credentials (HTTP 401 or 403)."""


class TransportError(ChatkeysError):
    """The server could not be reached, or its response timed out.

    `sent` is True when the request may have reached the server, so its
    outcome is unknown and must be reconciled by reading state back.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class ConfigurationError(ChatkeysError, ValueError):
    """A setting (server URL, option) is invalid or unsafe."""


class StoreError(ChatkeysError):
    """The local store cannot be opened, migrated, read or written."""
