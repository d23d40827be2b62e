"""Private-key operations for opening key copies, done on the token.

`TokenKeyOperations` gives chatkeys-soft's CMS code the two primitives it
needs from a private key:

- `rsa_oaep_decrypt`: ``CKM_RSA_PKCS_OAEP`` with the requested hash when the
  token accepts it; otherwise a raw ``CKM_RSA_X_509`` decryption and OAEP
  decoding on the host (`chatkeys_pkcs11.oaep`). SoftHSM 2.6.1 rejects OAEP
  with SHA-256 (``CKR_ARGUMENTS_BAD``); the first rejection is remembered
  per token session.
- `ecdh_shared_secret`: ``CKM_ECDH1_DERIVE`` with ``CKD_NULL`` into a
  non-sensitive, extractable session object whose value is read and which is
  destroyed at once.

Tokens whose policy forbids reading a derived secret (many smart cards set
every derived key sensitive) raise `SecretNotExtractableError`. For them,
`unwrap_with_token_kek` derives the key-encryption key with the token's
X9.63 SHA-256 KDF (``CKD_SHA256_KDF``) and unwraps the AES-wrapped content
key on the token, so only the content key leaves it. Every object derived or
unwrapped here is destroyed before the call returns, also on error.
"""

from __future__ import annotations

import logging
from typing import Any

from pkcs11 import KDF, MGF, Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11errors

from chatkeys_pkcs11.errors import MechanismUnavailableError, TokenKeyImportError
from chatkeys_pkcs11.identity import KeyKind, TokenIdentity
from chatkeys_pkcs11.oaep import OaepDecodingError, oaep_decode

logger = logging.getLogger(__name__)

_OAEP_HASHES = {
    "sha1": (Mechanism.SHA_1, MGF.SHA1),
    "sha256": (Mechanism.SHA256, MGF.SHA256),
    "sha384": (Mechanism.SHA384, MGF.SHA384),
    "sha512": (Mechanism.SHA512, MGF.SHA512),
}

_OAEP_REJECTIONS = (
    p11errors.ArgumentsBad,
    p11errors.MechanismParamInvalid,
    p11errors.MechanismInvalid,
)

_SECRET_REFUSALS = (
    p11errors.TemplateInconsistent,
    p11errors.AttributeSensitive,
    p11errors.AttributeValueInvalid,
    p11errors.TemplateIncomplete,
)


class SecretNotExtractableError(TokenKeyImportError):
    """The token derives the ECDH secret but does not let it be read."""


class TokenKeyOperations:
    """RSA-OAEP decryption and ECDH with a private key on a token."""

    def __init__(self, identity: TokenIdentity) -> None:
        self.identity = identity

    def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
        """Decrypt an RSAES-OAEP ciphertext with an empty label.

        `hash_name` (``"sha256"``) sets both the OAEP hash and MGF1's hash.
        Raises `TokenKeyImportError` when the ciphertext does not decrypt.
        """
        if self.identity.kind is not KeyKind.RSA:
            raise TokenKeyImportError(
                f"{self.identity.reference!r} is a {self.identity.kind.value} key, "
                "but RSA-OAEP key copies need an RSA key"
            )
        hashes = _OAEP_HASHES.get(hash_name.lower().replace("-", ""))
        if hashes is None:
            raise TokenKeyImportError(
                f"unsupported OAEP hash {hash_name!r}; expected one of "
                f"{', '.join(_OAEP_HASHES)}"
            )
        token_session = self.identity.token_session
        mechanisms = token_session.mechanisms()
        if (
            Mechanism.RSA_PKCS_OAEP in mechanisms
            and not token_session.oaep_sha256_rejected
        ):
            try:
                return self._decrypt(
                    ciphertext, Mechanism.RSA_PKCS_OAEP, (*hashes, None)
                )
            except _OAEP_REJECTIONS:
                logger.info(
                    "token %r rejects RSA-OAEP with %s; decoding OAEP on the host",
                    token_session.label,
                    hash_name,
                )
                token_session.oaep_sha256_rejected = True
            except p11errors.PKCS11Error as error:
                raise TokenKeyImportError(self._decrypt_failure()) from error
        if Mechanism.RSA_X_509 not in mechanisms:
            raise MechanismUnavailableError(
                f"token {token_session.label!r} offers neither RSA-OAEP with "
                f"{hash_name} nor raw RSA (CKM_RSA_X_509)"
            )
        try:
            encoded = self._decrypt(ciphertext, Mechanism.RSA_X_509, None)
        except p11errors.PKCS11Error as error:
            # SoftHSM 2.6.1 returns CKR_GENERAL_ERROR for a ciphertext that is
            # not below the modulus, other tokens CKR_ENCRYPTED_DATA_INVALID.
            raise TokenKeyImportError(self._decrypt_failure()) from error
        modulus_bytes = (self.identity.certificate_key_bits() + 7) // 8
        encoded = encoded.rjust(modulus_bytes, b"\x00")
        try:
            return oaep_decode(encoded, hashes[0].name.lower().replace("_", ""))
        except OaepDecodingError as error:
            raise TokenKeyImportError(self._decrypt_failure()) from error

    def _decrypt(self, ciphertext: bytes, mechanism: Any, parameters: Any) -> bytes:
        def operation(session: Any, key: Any) -> bytes:
            return bytes(
                key.decrypt(ciphertext, mechanism=mechanism, mechanism_param=parameters)
            )

        return self.identity.run(operation)

    def _decrypt_failure(self) -> str:
        return (
            f"the RSA-OAEP key copy does not decrypt with {self.identity.reference!r}: "
            "it was made for another certificate or altered"
        )

    def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
        """Return the ECDH shared secret (the x coordinate) with a peer's point.

        `peer_public_point` is the peer's uncompressed point (``04 || X || Y``).
        Raises `SecretNotExtractableError` when the token refuses to reveal
        derived secrets, and `TokenKeyImportError` when it rejects the point.
        """
        if self.identity.kind is not KeyKind.EC:
            raise TokenKeyImportError(
                f"{self.identity.reference!r} is a {self.identity.kind.value} key, "
                "but ECDH key copies need an EC key"
            )
        length = self.identity.ec_field_bytes()

        def operation(session: Any, key: Any) -> bytes:
            secret = key.derive_key(
                KeyType.GENERIC_SECRET,
                length * 8,
                mechanism=Mechanism.ECDH1_DERIVE,
                mechanism_param=(KDF.NULL, None, peer_public_point),
                template={
                    Attribute.SENSITIVE: False,
                    Attribute.EXTRACTABLE: True,
                    Attribute.TOKEN: False,
                },
            )
            try:
                return bytes(secret[Attribute.VALUE])
            finally:
                secret.destroy()

        try:
            return self.identity.run(operation)
        except _SECRET_REFUSALS as error:
            raise SecretNotExtractableError(
                f"token {self.identity.token_label!r} does not let derived secrets be "
                f"read ({type(error).__name__})"
            ) from error
        except p11errors.PKCS11Error as error:
            raise TokenKeyImportError(
                f"token {self.identity.token_label!r} could not derive the ECDH secret "
                f"for {self.identity.reference!r}: {type(error).__name__}; the "
                "ephemeral key of the copy may be invalid or on another curve"
            ) from error

    def unwrap_with_token_kek(
        self,
        peer_public_point: bytes,
        shared_info: bytes,
        kek_bits: int,
        wrapped_key: bytes,
    ) -> bytes:
        """Derive an AES key-encryption key on the token and unwrap with it.

        The KEK is ECDH with the X9.63 SHA-256 KDF over `shared_info` (the
        DER ``ECC-CMS-SharedInfo``) and stays sensitive on the token. Returns
        the content key unwrapped with it (RFC 3394 AES key wrap).
        """
        token_session = self.identity.token_session
        if Mechanism.ECDH1_DERIVE not in token_session.mechanisms():
            raise MechanismUnavailableError(
                f"token {token_session.label!r} lacks CKM_ECDH1_DERIVE"
            )

        def operation(session: Any, key: Any) -> bytes:
            kek = key.derive_key(
                KeyType.AES,
                kek_bits,
                mechanism=Mechanism.ECDH1_DERIVE,
                mechanism_param=(KDF.SHA256, shared_info, peer_public_point),
                template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.TOKEN: False,
                    Attribute.UNWRAP: True,
                },
            )
            try:
                return unwrap_on_token(kek, wrapped_key)
            finally:
                kek.destroy()

        try:
            return self.identity.run(operation)
        except (p11errors.MechanismParamInvalid, p11errors.MechanismInvalid) as error:
            raise MechanismUnavailableError(
                f"token {token_session.label!r} has no X9.63 SHA-256 KDF for ECDH "
                f"(CKD_SHA256_KDF: {type(error).__name__}), so it can neither reveal "
                "nor use the shared secret for this key copy"
            ) from error
        except p11errors.PKCS11Error as error:
            raise TokenKeyImportError(
                f"unwrapping the key copy on token {token_session.label!r} failed "
                f"({type(error).__name__}): the copy was made for another "
                "certificate or altered"
            ) from error


def unwrap_on_token(kek: Any, wrapped_key: bytes) -> bytes:
    """Unwrap an RFC 3394 AES-wrapped key with the token key `kek`.

    The unwrapped key is created as an extractable session object, read and
    destroyed. Call with the module lock held.
    """
    content_key = kek.unwrap_key(
        ObjectClass.SECRET_KEY,
        KeyType.GENERIC_SECRET,
        wrapped_key,
        mechanism=Mechanism.AES_KEY_WRAP,
        template={
            Attribute.SENSITIVE: False,
            Attribute.EXTRACTABLE: True,
            Attribute.TOKEN: False,
        },
    )
    try:
        return bytes(content_key[Attribute.VALUE])
    finally:
        content_key.destroy()
