"""Exceptions of the RSA/EC provider.

Every error the provider raises on purpose derives from `SoftError` and from
the core class for the kind of failure, so callers can catch either::

    SoftError (chatkeys.errors.ProviderError)
    ├── SoftIdentityError           also IdentityError
    ├── SoftKeyImportError          also KeyImportError
    ├── SoftUnsupportedProfileError also UnsupportedProfileError
    ├── SoftSignatureError          also SignatureError
    └── SoftMessageError            also chatkeys.errors.MessageError

Messages name the file, certificate or field at fault and never contain key
material or passphrases.
"""

from __future__ import annotations

from chatkeys.errors import (
    IdentityError,
    KeyImportError,
    MessageError,
    ProviderError,
    SignatureError,
    UnsupportedProfileError,
)


class SoftError(ProviderError):
    """Base class of every error raised by chatkeys-soft."""


class SoftIdentityError(SoftError, IdentityError):
    """A key or certificate file cannot be loaded, or the two do not match."""


class SoftKeyImportError(SoftError, KeyImportError):
    """A key copy is malformed, tampered with or made for another certificate."""


class SoftUnsupportedProfileError(SoftError, UnsupportedProfileError):
    """A chat key's cipher cannot travel in the requested wire profile."""


class SoftSignatureError(SoftError, SignatureError):
    """A signature cannot be produced with an identity."""


class SoftMessageError(SoftError, MessageError):
    """A message cannot be decrypted: malformed, truncated or tampered with."""
