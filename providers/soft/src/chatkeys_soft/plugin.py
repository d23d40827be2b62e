"""The hooks of the RSA/EC provider, registered as ``chatkeys.providers: soft``.

The provider implements only the ``cms`` wire profile and returns None for
every other profile. Hooks that need no private key (chat-key generation,
export, verification, messages) return results for any RSA certificate or EC
certificate on P-256, P-384 or P-521, even when another provider loaded the
identity, so identities on a token get the same formats. Hooks that use the
private key return results only for `SoftIdentity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

from cryptography.exceptions import UnsupportedAlgorithm

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import InvalidCertificateError
from chatkeys.identity import Identity, SecretSource
from chatkeys.plugin import PROFILE_CMS, AlgorithmInfo, ProviderInfo, hookimpl
from chatkeys_soft import cms, keyfiles, messages
from chatkeys_soft.errors import SoftSignatureError
from chatkeys_soft.identity import (
    KEY_SPECS,
    PROVIDER_NAME,
    SoftIdentity,
    generate_identity,
)
from chatkeys_soft.recipients import (
    OID_EC_PUBLIC_KEY,
    OID_RSA,
    is_own_certificate,
    recipient_key,
)
from chatkeys_soft.signature import verify as verify_signature

DISTRIBUTION = "chatkeys-soft"

_RSA = "OAEP-SHA256 key transport, PKCS#1 v1.5 or PSS signatures"
_EC = "ECDH with AES-256 key wrap, ECDSA-SHA256 signatures"
_DESCRIPTIONS = {
    "rsa-2048": f"RSA 2048-bit: {_RSA}",
    "rsa-3072": f"RSA 3072-bit: {_RSA}",
    "rsa-4096": f"RSA 4096-bit: {_RSA}",
    "ec-p256": f"EC P-256: {_EC}",
    "ec-p384": f"EC P-384: {_EC}",
    "ec-p521": f"EC P-521: {_EC}",
}


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


@hookimpl
def chatkeys_provider_info() -> ProviderInfo:
    """Describe the provider, which is always available (it needs only cryptography)."""
    return ProviderInfo(
        name=PROVIDER_NAME,
        distribution=DISTRIBUTION,
        version=_version(),
        algorithms=tuple(
            AlgorithmInfo(
                name=name,
                oid=OID_RSA if name.startswith("rsa") else OID_EC_PUBLIC_KEY,
                description=_DESCRIPTIONS[name],
                profiles=(PROFILE_CMS,),
            )
            for name in KEY_SPECS
        ),
    )


@hookimpl
def chatkeys_load_identity(reference: str, secrets: SecretSource) -> Identity | None:
    """Load a PEM or PKCS#12 identity (see `chatkeys_soft.keyfiles`)."""
    return keyfiles.load_identity(reference, secrets)


@hookimpl
def chatkeys_generate_identity(algorithm: str, subject: str) -> Identity | None:
    """Generate an RSA or EC identity with a self-signed certificate."""
    return generate_identity(algorithm, subject)


@hookimpl
def chatkeys_generate_chat_key(identity: Identity, profile: str) -> ChatKey | None:
    """Return a fresh AES-256-GCM key for RSA/EC identities in the cms profile."""
    if profile != PROFILE_CMS or not is_own_certificate(identity.certificate):
        return None
    return messages.generate_chat_key()


@hookimpl
def chatkeys_export_chat_key(
    chat_key: ChatKey, recipient: Certificate, exporter: Identity, profile: str
) -> bytes | None:
    """Wrap `chat_key` for an RSA/EC `recipient`; the exporter is not used."""
    if profile != PROFILE_CMS or recipient_key(recipient) is None:
        return None
    return cms.export_key_copy(chat_key, recipient)


@hookimpl
def chatkeys_import_chat_key(
    key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
) -> ChatKey | None:
    """Open a CMS key copy with a `SoftIdentity`; exporters are not checked.

    The cms profile uses ephemeral-static agreement or key transport, so
    `candidates` play no part.
    """
    if not isinstance(identity, SoftIdentity):
        return None
    return cms.open_key_copy(key_copy, identity.certificate, identity)


@hookimpl
def chatkeys_sign(data: bytes, identity: Identity, profile: str) -> bytes | None:
    """Sign with a `SoftIdentity` in the cms profile."""
    if profile != PROFILE_CMS or not isinstance(identity, SoftIdentity):
        return None
    try:
        return identity.sign(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SoftSignatureError(
            f"cannot sign with {identity!r}: {type(error).__name__}"
        ) from error


@hookimpl
def chatkeys_verify(
    data: bytes, signature: bytes, certificate: Certificate, profile: str
) -> bool | None:
    """Verify an RSA or ECDSA signature in the cms profile.

    A certificate whose public key does not parse verifies nothing (False).
    """
    if profile != PROFILE_CMS or not is_own_certificate(certificate):
        return None
    try:
        key = recipient_key(certificate)
    except InvalidCertificateError:
        return False
    if key is None:
        return None
    return verify_signature(key.public_key, data, signature)


@hookimpl
def chatkeys_encrypt_message(chat_key: ChatKey, plaintext: bytes) -> bytes | None:
    """Encrypt with an AES-256-GCM chat key."""
    if chat_key.cipher != messages.CIPHER:
        return None
    return messages.encrypt_message(chat_key, plaintext)


@hookimpl
def chatkeys_decrypt_message(chat_key: ChatKey, ciphertext: bytes) -> bytes | None:
    """Decrypt with an AES-256-GCM chat key."""
    if chat_key.cipher != messages.CIPHER:
        return None
    return messages.decrypt_message(chat_key, ciphertext)
