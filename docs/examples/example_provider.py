"""A minimal chatkeys provider: RSA-2048 keys in a wire profile of its own.

It implements every hook in the simplest sound way, and passes the provider
conformance suite (``tests/soft/test_example_provider.py`` runs it):

- identities are generated in memory with a self-signed certificate, and
  files are left to other providers;
- a key copy is the bare RSAES-OAEP (SHA-256) ciphertext of the chat key;
- signatures are RSASSA-PSS with SHA-256;
- messages are AES-256-GCM with a random 12-byte nonce in front.

Its profile ``"example"`` and cipher ``"example-aes-256-gcm"`` keep it apart
from the real RSA provider: for every other profile or cipher it returns None.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import (
    KeyImportError,
    MessageError,
    ProviderError,
    UnsupportedProfileError,
)
from chatkeys.identity import Identity, SecretSource
from chatkeys.plugin import AlgorithmInfo, ProviderInfo, hookimpl

NAME = "example"
PROFILE = "example"
CIPHER = "example-aes-256-gcm"
ALGORITHM = "example-rsa-2048"
RSA_OID = "1.2.840.113549.1.1.1"

_OAEP = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
_PSS = padding.PSS(padding.MGF1(hashes.SHA256()), 32)


class ExampleError(ProviderError):
    """Base class of the example provider's errors."""


class ExampleKeyImportError(ExampleError, KeyImportError):
    """A key copy does not decrypt with the identity's key."""


class ExampleProfileError(ExampleError, UnsupportedProfileError):
    """A chat key of another cipher cannot travel in this profile."""


class ExampleMessageError(ExampleError, MessageError):
    """A message is too short or fails authentication."""


class ExampleIdentity(Identity):
    """A certificate and its RSA private key, held in memory."""

    fork_safe = True  # a key in memory may be used by forked export workers

    def __init__(
        self, certificate: Certificate, private_key: rsa.RSAPrivateKey, reference: str
    ) -> None:
        self.provider = NAME
        self.certificate = certificate
        self.reference = reference
        self.private_key = private_key


def _handles(certificate: Certificate) -> bool:
    return certificate.key_algorithm_oid == RSA_OID


@hookimpl
def chatkeys_provider_info() -> ProviderInfo:
    """Describe the provider; it needs only cryptography, so it is always available."""
    algorithm = AlgorithmInfo(
        name=ALGORITHM,
        oid=RSA_OID,
        description="RSA-2048 with bare OAEP key copies (example)",
        profiles=(PROFILE,),
    )
    return ProviderInfo(
        name=NAME,
        distribution="example-provider",
        version="1.0",
        algorithms=(algorithm,),
    )


@hookimpl
def chatkeys_load_identity(reference: str, secrets: SecretSource) -> Identity | None:
    """Load nothing: this provider only generates identities."""
    return None


@hookimpl
def chatkeys_generate_identity(algorithm: str, subject: str) -> Identity | None:
    """Generate an RSA-2048 key with a one-day self-signed certificate."""
    if algorithm != ALGORITHM:
        return None
    private_key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )
    der = certificate.public_bytes(Encoding.DER)
    return ExampleIdentity(Certificate.from_der(der), private_key, f"example:{subject}")


@hookimpl
def chatkeys_generate_chat_key(identity: Identity, profile: str) -> ChatKey | None:
    """Return 32 random bytes for AES-256-GCM."""
    if profile != PROFILE or not _handles(identity.certificate):
        return None
    return ChatKey(CIPHER, os.urandom(32))


@hookimpl
def chatkeys_export_chat_key(
    chat_key: ChatKey, recipient: Certificate, exporter: Identity, profile: str
) -> bytes | None:
    """Encrypt the chat key to the recipient's RSA key; the exporter is not used."""
    if profile != PROFILE or not _handles(recipient):
        return None
    if chat_key.cipher != CIPHER:
        raise ExampleProfileError(
            f"chat key of cipher {chat_key.cipher!r} cannot travel in profile "
            f"{PROFILE!r}: it carries {CIPHER} keys only"
        )
    public_key = load_der_public_key(recipient.spki)
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key.encrypt(chat_key.secret, _OAEP)


@hookimpl
def chatkeys_import_chat_key(
    key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
) -> ChatKey | None:
    """Decrypt a key copy with the identity's private key."""
    if not isinstance(identity, ExampleIdentity):
        return None
    try:
        secret = identity.private_key.decrypt(key_copy, _OAEP)
    except ValueError as error:
        raise ExampleKeyImportError(
            f"key copy of {len(key_copy)} bytes does not decrypt with the key of "
            f"certificate {identity.certificate.short_id}"
        ) from error
    if len(secret) != 32:
        raise ExampleKeyImportError(f"key copy contains {len(secret)} bytes, not 32")
    return ChatKey(CIPHER, secret)


@hookimpl
def chatkeys_sign(data: bytes, identity: Identity, profile: str) -> bytes | None:
    """Sign with RSASSA-PSS and SHA-256."""
    if profile != PROFILE or not isinstance(identity, ExampleIdentity):
        return None
    return identity.private_key.sign(data, _PSS, hashes.SHA256())


@hookimpl
def chatkeys_verify(
    data: bytes, signature: bytes, certificate: Certificate, profile: str
) -> bool | None:
    """Verify RSASSA-PSS with SHA-256; every bad signature gives False."""
    if profile != PROFILE or not _handles(certificate):
        return None
    public_key = load_der_public_key(certificate.spki)
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(signature, data, _PSS, hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@hookimpl
def chatkeys_encrypt_message(chat_key: ChatKey, plaintext: bytes) -> bytes | None:
    """Encrypt with AES-256-GCM under a random nonce, which goes in front."""
    if chat_key.cipher != CIPHER:
        return None
    nonce = os.urandom(12)
    return nonce + AESGCM(chat_key.secret).encrypt(nonce, plaintext, None)


@hookimpl
def chatkeys_decrypt_message(chat_key: ChatKey, ciphertext: bytes) -> bytes | None:
    """Decrypt a message of `chatkeys_encrypt_message`."""
    if chat_key.cipher != CIPHER:
        return None
    if len(ciphertext) < 12 + 16:
        raise ExampleMessageError(f"message of {len(ciphertext)} bytes is too short")
    try:
        return AESGCM(chat_key.secret).decrypt(ciphertext[:12], ciphertext[12:], None)
    except InvalidTag as error:
        raise ExampleMessageError("message failed authentication") from error
