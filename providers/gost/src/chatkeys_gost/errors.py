"""Exceptions of the GOST provider.

Every exception raised on purpose by `chatkeys_gost` derives from `GostError`,
itself a `chatkeys.errors.ProviderError`. Classes that a provider hook raises
also derive from the matching core class, so callers may catch either.
"""

from __future__ import annotations

from chatkeys.errors import (
    IdentityError,
    KeyImportError,
    ProviderError,
    SignatureError,
    UnsupportedProfileError,
)

__all__ = [
    "GostError",
    "GostFormatError",
    "GostIdentityError",
    "GostKeyError",
    "GostKeyImportError",
    "GostKeySizeError",
    "GostSignatureError",
    "GostUnsupportedProfileError",
    "GostUnwrapError",
]


class GostError(ProviderError):
    """Base class of every error raised by the GOST provider."""


class GostKeySizeError(GostError, ValueError):
    """A key, IV, UKM or S-box name has the wrong size or an unknown value."""


class GostUnwrapError(GostError, KeyImportError):
    """A wrapped key fails its MAC check, so the key or KEK is wrong."""


class GostFormatError(GostError, KeyImportError):
    """A key copy does not have the exact structure of a known format."""


class GostKeyError(GostError, ValueError):
    """A private key, public point or parameter set is invalid or unknown."""


class GostSignatureError(GostError, SignatureError):
    """A signature cannot be produced with the given key."""


class GostIdentityError(GostError, IdentityError):
    """A GOST identity (key and certificate) cannot be loaded or generated."""


class GostKeyImportError(GostError, KeyImportError):
    """A key copy cannot be opened with this identity and these candidates."""


class GostUnsupportedProfileError(GostError, UnsupportedProfileError):
    """A chat key cannot travel in the requested wire profile."""
