"""Exceptions of the PKCS#11 provider.

Every error derives from `TokenError`; the ones raised from hooks also derive
from the core class the hook contract names::

    TokenError (chatkeys.errors.ProviderError)
    ├── TokenUriError            an invalid or unsupported pkcs11: URI
    ├── TokenIdentityError       (also IdentityError) token, key, PIN or certificate
    ├── TokenSignatureError      (also SignatureError)
    ├── TokenKeyImportError      (also KeyImportError)
    └── MechanismUnavailableError the token lacks every mechanism an operation can use

Messages name the token, object and mechanism; they never contain a PIN.
"""

from __future__ import annotations

from chatkeys.errors import IdentityError, KeyImportError, ProviderError, SignatureError


class TokenError(ProviderError):
    """Base class of every error raised by chatkeys-pkcs11."""


class TokenUriError(TokenError, IdentityError, ValueError):
    """A ``pkcs11:`` URI is malformed or uses an attribute this provider lacks."""


class TokenIdentityError(TokenError, IdentityError):
    """A token, private key, certificate or PIN for an identity is unusable."""


class TokenSignatureError(TokenError, SignatureError):
    """The token could not make a signature."""


class TokenKeyImportError(TokenError, KeyImportError):
    """A key copy could not be opened with the key on the token."""


class MechanismUnavailableError(TokenError):
    """The token offers none of the mechanisms an operation can use."""
