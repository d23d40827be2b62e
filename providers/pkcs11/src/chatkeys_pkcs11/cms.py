"""Opening ``cms`` key copies (CMS RecipientInfo) with a key on a token.

chatkeys-soft parses the copy and does everything that needs no private
key; the token does the RSA-OAEP decryption or the ECDH step through
`TokenKeyOperations`. When the token lets ECDH run but keeps the derived
secret sensitive (smart cards whose policy marks every derived key
sensitive), the key-encryption key is derived with the token's X9.63 KDF and
the content key unwrapped on the token instead.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys_pkcs11.errors import TokenKeyImportError
from chatkeys_pkcs11.identity import TokenIdentity
from chatkeys_pkcs11.operations import SecretNotExtractableError, TokenKeyOperations


def open_cms_key_copy(key_copy: bytes, identity: TokenIdentity) -> ChatKey:
    """Unwrap the chat key of a ``cms`` key copy made for `identity`.

    Raises `KeyImportError` (from chatkeys-soft or this package) when the
    copy is malformed, made for another certificate or altered.
    """
    try:
        from chatkeys_soft import cms
        from chatkeys_soft.messages import CIPHER, KEY_SIZE
    except ImportError as error:
        raise TokenKeyImportError(
            "opening cms key copies needs chatkeys-soft: pip install chatkeys-soft"
        ) from error
    operations = TokenKeyOperations(identity)
    try:
        return cms.open_key_copy(key_copy, identity.certificate, operations)
    except SecretNotExtractableError:
        pass
    copy = cms.parse_key_copy(key_copy)
    if not isinstance(copy, cms.KeyAgreeCopy):
        raise TokenKeyImportError(
            "the token rejected reading a derived secret, but this key copy is not "
            "an ECDH copy"
        )
    if copy.kdf_hash_name != "sha256":
        raise TokenKeyImportError(
            f"the key copy uses the X9.63 KDF with {copy.kdf_hash_name}; token "
            f"{identity.token_label!r} keeps ECDH secrets sensitive, and only the "
            "SHA-256 KDF is tried on the token"
        )
    public_key = load_der_public_key(identity.certificate.spki)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise TokenKeyImportError("the key copy needs an EC certificate")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(
            public_key.curve, copy.originator_point
        )
    except ValueError as error:
        raise TokenKeyImportError(
            f"the key copy's originator key is not a point on {public_key.curve.name}"
        ) from error
    point = peer.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    secret = operations.unwrap_with_token_kek(
        point,
        cms.kari_shared_info(copy),
        copy.wrap_key_size * 8,
        copy.encrypted_key_for(identity.certificate),
    )
    if len(secret) != KEY_SIZE:
        raise KeyImportError(
            f"key copy for certificate {identity.certificate.short_id} carries a "
            f"{len(secret)}-byte key; {CIPHER} chat keys have {KEY_SIZE} bytes"
        )
    return ChatKey(CIPHER, secret)
