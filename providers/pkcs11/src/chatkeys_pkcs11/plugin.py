"""The chatkeys provider hooks for keys on PKCS#11 tokens.

This provider loads identities from ``pkcs11:`` URIs and performs the
private-key steps on the token: signatures (RSA, ECDSA, GOST through vendor
mechanisms) and the decryption or key agreement that opens a ``cms`` key
copy. Everything that needs only public keys or the chat key itself (chat
key generation, export to a recipient, verification, message encryption) is
left to chatkeys-soft and chatkeys-gost, which decide by certificate, so
those hooks are not implemented here.

Identities are generated on a token for the algorithm names in `ALGORITHMS`
when ``CHATKEYS_PKCS11_TOKEN_URI`` names the token (with its PIN in the URI
or in ``CHATKEYS_PIN``).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Sequence

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.identity import EnvironmentSecrets, Identity, SecretSource
from chatkeys.plugin import (
    PROFILE_CMS,
    PROFILE_KOMANDOR,
    AlgorithmInfo,
    ProviderInfo,
    hookimpl,
)

logger = logging.getLogger(__name__)

TOKEN_URI_VARIABLE = "CHATKEYS_PKCS11_TOKEN_URI"  # noqa: S105 - a variable name
"""Environment variable naming the token on which identities are generated."""

_RSA_OID = "1.2.840.113549.1.1.1"
_EC_OID = "1.2.840.10045.2.1"
_GOST256_OID = "1.2.643.7.1.1.1.1"
_GOST512_OID = "1.2.643.7.1.1.1.2"

ALGORITHMS = (
    AlgorithmInfo(
        "pkcs11-ec-p256",
        _EC_OID,
        "ECDSA/ECDH P-256 key on a PKCS#11 token",
        (PROFILE_CMS,),
    ),
    AlgorithmInfo(
        "pkcs11-ec-p384",
        _EC_OID,
        "ECDSA/ECDH P-384 key on a PKCS#11 token",
        (PROFILE_CMS,),
    ),
    AlgorithmInfo(
        "pkcs11-rsa-2048",
        _RSA_OID,
        "RSA 2048-bit key on a PKCS#11 token",
        (PROFILE_CMS,),
    ),
    AlgorithmInfo(
        "pkcs11-rsa-3072",
        _RSA_OID,
        "RSA 3072-bit key on a PKCS#11 token",
        (PROFILE_CMS,),
    ),
    AlgorithmInfo(
        "pkcs11-gost2012-256",
        _GOST256_OID,
        "GOST R 34.10-2012 256-bit key on a token with TC26 mechanisms",
        (PROFILE_KOMANDOR, PROFILE_CMS),
        can_generate=False,
    ),
    AlgorithmInfo(
        "pkcs11-gost2012-512",
        _GOST512_OID,
        "GOST R 34.10-2012 512-bit key on a token with TC26 mechanisms",
        (PROFILE_KOMANDOR, PROFILE_CMS),
        can_generate=False,
    ),
)

try:
    from pkcs11.exceptions import PKCS11Error

    from chatkeys_pkcs11.cms import open_cms_key_copy
    from chatkeys_pkcs11.errors import TokenIdentityError, TokenKeyImportError
    from chatkeys_pkcs11.gost import open_komandor_copy, sign_gost
    from chatkeys_pkcs11.identity import KeyKind, TokenIdentity, load_token_identity
    from chatkeys_pkcs11.provisioning import create_key_and_certificate
    from chatkeys_pkcs11.signing import check_key_matches_certificate, sign_cms
    from chatkeys_pkcs11.uri import TokenUri
except ImportError as _error:
    # The hooks are never called when the provider reports itself unavailable.
    _MISSING = f"python-pkcs11 cannot be imported ({_error}): pip install python-pkcs11"
else:
    _MISSING = ""

_RSA_OR_EC = (KeyKind.RSA, KeyKind.EC) if not _MISSING else ()


@hookimpl
def chatkeys_provider_info() -> ProviderInfo:
    """Describe this provider; unavailable when python-pkcs11 is missing."""
    try:
        version = importlib.metadata.version("chatkeys-pkcs11")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    return ProviderInfo(
        name="pkcs11",
        distribution="chatkeys-pkcs11",
        version=version,
        algorithms=ALGORITHMS,
        available=not _MISSING,
        reason=_MISSING,
    )


@hookimpl
def chatkeys_load_identity(reference: str, secrets: SecretSource) -> Identity | None:
    """Load a token identity from a ``pkcs11:`` URI; None for other references."""
    if not reference.lower().startswith("pkcs11:"):
        return None

    try:
        identity = load_token_identity(reference, secrets)
    except PKCS11Error as error:
        raise TokenIdentityError(
            "the PKCS#11 module failed while loading "
            f"{TokenUri.parse(reference).reference!r}: {type(error).__name__}"
        ) from error
    if identity.kind in _RSA_OR_EC:
        try:
            check_key_matches_certificate(identity)
        except BaseException:
            identity.close()
            raise
    return identity


@hookimpl
def chatkeys_generate_identity(algorithm: str, subject: str) -> Identity | None:
    """Generate a key and certificate on the token of ``CHATKEYS_PKCS11_TOKEN_URI``."""
    if not algorithm.startswith("pkcs11-"):
        return None
    names = {info.name for info in ALGORITHMS if info.can_generate}
    if algorithm not in names:
        return None

    token_uri = os.environ.get(TOKEN_URI_VARIABLE)
    if not token_uri:
        raise TokenIdentityError(
            f"generating {algorithm} needs a token: set {TOKEN_URI_VARIABLE} to its "
            "pkcs11: URI (with module-path) and CHATKEYS_PIN to its user PIN"
        )
    secrets = EnvironmentSecrets()
    pin = TokenUri.parse(token_uri).read_pin() or secrets.get("pin", "the token")
    provisioned = create_key_and_certificate(
        token_uri, algorithm.removeprefix("pkcs11-"), subject, pin=pin
    )
    return load_token_identity(
        provisioned.uri, _FixedPin(pin) if pin is not None else secrets
    )


class _FixedPin:
    """A secret source holding one PIN, for reloading a key just created."""

    def __init__(self, pin: str) -> None:
        self._pin = pin

    def __repr__(self) -> str:
        return "<_FixedPin>"

    def get(self, name: str, description: str) -> str | None:
        return self._pin if name == "pin" else None


@hookimpl
def chatkeys_import_chat_key(
    key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
) -> ChatKey | None:
    """Open a key copy with the key of a token identity.

    RSA and EC keys open ``cms`` copies; GOST keys open Komandor format A
    copies.
    """
    if not isinstance(identity, TokenIdentity):
        return None
    try:
        if identity.kind not in _RSA_OR_EC:
            return open_komandor_copy(identity, key_copy, candidates)
        return open_cms_key_copy(key_copy, identity)
    except PKCS11Error as error:
        raise TokenKeyImportError(
            f"token {identity.token_label!r} failed while opening a key copy for "
            f"{identity.reference!r}: {type(error).__name__}"
        ) from error


@hookimpl
def chatkeys_sign(data: bytes, identity: Identity, profile: str) -> bytes | None:
    """Sign with the key on the token in `profile`'s encoding.

    Returns None for identities of other providers and for profiles the key's
    algorithm does not sign in (RSA and EC keys sign only in ``cms``).
    """
    if not isinstance(identity, TokenIdentity):
        return None
    if identity.kind in (KeyKind.GOST256, KeyKind.GOST512):
        if profile not in (PROFILE_KOMANDOR, PROFILE_CMS):
            return None
        return sign_gost(identity, data, cryptoapi_order=profile == PROFILE_KOMANDOR)
    if profile != PROFILE_CMS:
        return None
    return sign_cms(identity, data)
