"""Exceptions of the GOST provider.

`GostError` is the base of everything this package raises on purpose. Classes
that a provider hook raises also derive from the core class the hook contract
names, so callers can catch either::

    GostError (chatkeys.errors.ProviderError)
    ├── GostKeyError                 a key, point or parameter set is invalid
    ├── GostSignatureError           a signature cannot be made (+ SignatureError)
    ├── GostIdentityError            an identity cannot be loaded (+ IdentityError)
    ├── GostKeyImportError           a key copy cannot be opened (+ KeyImportError)
    └── GostUnsupportedProfileError  (+ UnsupportedProfileError)
"""

from __future__ import annotations

from chatkeys.errors import (
    IdentityError,
    KeyImportError,
    ProviderError,
    SignatureError,
    UnsupportedProfileError,
)


class GostError(ProviderError):
    """Base class of the errors raised by chatkeys-gost."""


class GostKeyError(GostError, ValueError):
    """A private key, public point or parameter set is invalid or unknown."""


class GostSignatureError(GostError, SignatureError):
    """A signature cannot be produced with the given key."""


class GostIdentityError(GostError, IdentityError):
    """A GOST identity (key and certificate) cannot be loaded or generated."""


class GostKeyImportError(GostError, KeyImportError):
    """A GOST key copy is malformed, tampered with or not for this identity."""


class GostUnsupportedProfileError(GostError, UnsupportedProfileError):
    """A chat key cannot travel in the requested wire profile."""
