"""chatkeys-pkcs11: chatkeys identities whose private key stays on a PKCS#11 token.

The provider hooks are in `chatkeys_pkcs11.plugin`. For direct use:
`load_token_identity` opens a ``pkcs11:`` URI, `create_key_and_certificate`
provisions a key with a self-signed certificate on a token, and
`reinitialize_module` makes a module reread its tokens.
"""

from chatkeys_pkcs11.errors import (
    MechanismUnavailableError,
    TokenError,
    TokenIdentityError,
    TokenKeyImportError,
    TokenSignatureError,
    TokenUriError,
)
from chatkeys_pkcs11.identity import KeyKind, TokenIdentity, load_token_identity
from chatkeys_pkcs11.library import reinitialize_module
from chatkeys_pkcs11.provisioning import ProvisionedKey, create_key_and_certificate
from chatkeys_pkcs11.uri import TokenUri

__all__ = [
    "KeyKind",
    "MechanismUnavailableError",
    "ProvisionedKey",
    "TokenError",
    "TokenIdentity",
    "TokenIdentityError",
    "TokenKeyImportError",
    "TokenSignatureError",
    "TokenUri",
    "TokenUriError",
    "create_key_and_certificate",
    "load_token_identity",
    "reinitialize_module",
]
