"""Key copies of the CMS profile: RecipientInfo structures for RSA and EC keys.

A key copy is the DER of one CMS RecipientInfo (RFC 5652) carrying a 32-byte
AES-256-GCM chat key, so it can be dropped into an EnvelopedData as is:

- RSA recipients get a KeyTransRecipientInfo (a plain SEQUENCE) with
  RSAES-OAEP, SHA-256 and MGF1-SHA-256 written explicitly (RFC 8017, RFC 4055).
- EC recipients get a KeyAgreeRecipientInfo, tagged ``[1]`` as the
  RecipientInfo choice requires. It uses ephemeral-static ECDH with the
  ephemeral public key as originator and the X9.63 KDF with SHA-256
  (dhSinglePass-stdDH-sha256kdf-scheme). The KDF input is ECC-CMS-SharedInfo
  as RFC 5753 section 7.2 defines it, and the key is wrapped with AES-256 key
  wrap (RFC 3394).

What import accepts is described in `chatkeys_soft.recipient_info`, whose
parser and structures this module re-exports.

The private-key step is left to the caller through `PrivateKeyOperations`, so
keys on a PKCS#11 token use the same parser and format code as keys in memory.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chatkeys import der
from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys_soft.errors import SoftKeyImportError, SoftUnsupportedProfileError
from chatkeys_soft.messages import CIPHER, KEY_SIZE
from chatkeys_soft.recipient_info import (
    OID_AES256_WRAP,
    OID_ECDH_SHA256_KDF,
    OID_MGF1,
    OID_RSA_ENCRYPTION,
    OID_RSAES_OAEP,
    KeyAgreeCopy,
    KeyTransCopy,
    RecipientEncryptedKey,
    parse_key_copy,
)
from chatkeys_soft.recipients import (
    CURVES,
    OID_EC_PUBLIC_KEY,
    RecipientId,
    curve_of,
    recipient_key,
    require_export_strength,
)

__all__ = [
    "KeyAgreeCopy",
    "KeyTransCopy",
    "PrivateKeyOperations",
    "RecipientEncryptedKey",
    "RecipientId",
    "export_key_copy",
    "kari_shared_info",
    "kdf_x963_sha256",
    "open_key_copy",
    "parse_key_copy",
]


class PrivateKeyOperations(Protocol):
    """The private-key operations `open_key_copy` needs from an identity.

    Implementations raise ValueError or a `KeyImportError` when the operation
    fails on the given input (an OAEP decoding error, a point the key rejects).
    """

    def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
        """Decrypt RSAES-OAEP with `hash_name` (``"sha256"``) for both OAEP and
        MGF1 and an empty label."""
        ...

    def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
        """Return the raw ECDH X coordinate Z with the uncompressed peer point
        (``04 || X || Y``)."""
        ...


def open_key_copy(
    key_copy: bytes, recipient: Certificate, operations: PrivateKeyOperations
) -> ChatKey:
    """Unwrap the chat key in `key_copy` with `recipient`'s private key.

    `operations` performs the private-key step for `recipient`. Raises
    `SoftKeyImportError` when the copy is malformed, addressed to another
    certificate, tampered with, or carries a key that is not 32 bytes.
    """
    copy = parse_key_copy(key_copy)
    if isinstance(copy, KeyTransCopy):
        secret = _open_key_trans(copy, recipient, operations)
    else:
        secret = _open_key_agree(copy, recipient, operations)
    if len(secret) != KEY_SIZE:
        raise SoftKeyImportError(
            f"key copy for certificate {recipient.short_id} carries a "
            f"{len(secret)}-byte key; {CIPHER} chat keys have {KEY_SIZE} bytes"
        )
    return ChatKey(CIPHER, secret)


def export_key_copy(chat_key: ChatKey, recipient: Certificate) -> bytes:
    """Wrap `chat_key` for `recipient`'s RSA or EC public key.

    Raises `SoftUnsupportedProfileError` when the chat key is not a 32-byte
    AES-256-GCM key, and ValueError when `recipient` has neither an RSA key
    nor an EC key on P-256, P-384 or P-521.
    """
    if chat_key.cipher != CIPHER or len(chat_key.secret) != KEY_SIZE:
        raise SoftUnsupportedProfileError(
            f"chat key of cipher {chat_key.cipher!r} cannot travel in the cms profile "
            f"of RSA/EC certificates: it carries {CIPHER} keys of {KEY_SIZE} bytes"
        )
    key = recipient_key(recipient)
    if key is None:
        raise ValueError(
            f"certificate {recipient.short_id} has neither an RSA key nor an EC key on "
            "P-256, P-384 or P-521"
        )
    require_export_strength(key, recipient)
    if isinstance(key.public_key, rsa.RSAPublicKey):
        encrypted = key.public_key.encrypt(chat_key.secret, _OAEP_SHA256)
        return der.encode(
            der.SEQUENCE,
            _VERSION_0,
            key.issuer_and_serial,
            _OAEP_SHA256_ALGORITHM,
            der.encode(der.OCTET_STRING, encrypted),
        )
    assert key.curve is not None
    ephemeral = ec.generate_private_key(key.curve)
    shared_secret = ephemeral.exchange(ec.ECDH(), key.public_key)
    wrapped = aes_key_wrap(
        kdf_x963_sha256(shared_secret, KEY_SIZE, _SHARED_INFO_AES256), chat_key.secret
    )
    point = ephemeral.public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint
    )
    originator = der.encode(
        der.CONTEXT_0,
        der.encode(
            der.CONTEXT_1, _EC_ALGORITHM, der.encode(der.BIT_STRING, b"\0", point)
        ),
    )
    recipient_keys = der.encode(
        der.SEQUENCE,
        der.encode(
            der.SEQUENCE, key.issuer_and_serial, der.encode(der.OCTET_STRING, wrapped)
        ),
    )
    return der.encode(
        der.CONTEXT_1, _VERSION_3, originator, _KEY_AGREEMENT_ALGORITHM, recipient_keys
    )


def kdf_x963_sha256(shared_secret: bytes, length: int, shared_info: bytes) -> bytes:
    """Derive `length` bytes with the ANSI X9.63 KDF over SHA-256 (SEC 1, 3.6.1)."""
    return _kdf_x963("sha256", shared_secret, length, shared_info)


def kari_shared_info(copy: KeyAgreeCopy) -> bytes:
    """Return the DER ECC-CMS-SharedInfo (RFC 5753, 7.2) for `copy`'s KDF.

    keyInfo is the wrap algorithm with absent parameters, entityUInfo the UKM
    when the copy has one, suppPubInfo the wrap key size in bits.
    """
    return _shared_info(copy.wrap_oid, copy.ukm, copy.wrap_key_size)


def _open_key_trans(
    copy: KeyTransCopy, recipient: Certificate, operations: PrivateKeyOperations
) -> bytes:
    if recipient.key_algorithm_oid != OID_RSA_ENCRYPTION:
        raise SoftKeyImportError(
            f"key copy uses RSA key transport but certificate {recipient.short_id} "
            f"has a {recipient.key_algorithm.name} key"
        )
    if not copy.recipient.matches(recipient):
        raise SoftKeyImportError(
            f"key copy is for {copy.recipient.describe()}, not for certificate "
            f"{recipient.short_id}"
        )
    try:
        return operations.rsa_oaep_decrypt(copy.encrypted_key, copy.hash_name)
    except KeyImportError:
        raise
    except ValueError as error:
        raise SoftKeyImportError(
            f"key copy for certificate {recipient.short_id} failed RSAES-OAEP "
            "decryption: it was tampered with or encrypted to another key"
        ) from error


def _open_key_agree(
    copy: KeyAgreeCopy, recipient: Certificate, operations: PrivateKeyOperations
) -> bytes:
    curve = (
        curve_of(recipient)
        if recipient.key_algorithm_oid == OID_EC_PUBLIC_KEY
        else None
    )
    if curve is None:
        raise SoftKeyImportError(
            f"key copy uses ECDH key agreement but certificate {recipient.short_id} "
            "has no EC key on P-256, P-384 or P-521"
        )
    originator_curve = CURVES.get(copy.originator_curve_oid or "")
    if copy.originator_curve_oid is not None and (
        originator_curve is None or originator_curve.name != curve.name
    ):
        raise SoftKeyImportError(
            f"key copy's originator key is on curve {copy.originator_curve_oid}, "
            f"not on the {curve.name} curve of certificate {recipient.short_id}"
        )
    wrapped = copy.encrypted_key_for(recipient)
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(
            curve, copy.originator_point
        )
    except ValueError as error:
        raise SoftKeyImportError(
            f"key copy's originator key is not a point on {curve.name}"
        ) from error
    point = peer.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    try:
        shared_secret = operations.ecdh_shared_secret(point)
    except KeyImportError:
        raise
    except ValueError as error:
        raise SoftKeyImportError(
            f"ECDH with the key of certificate {recipient.short_id} failed"
        ) from error
    key_encryption_key = _kdf_x963(
        copy.kdf_hash_name, shared_secret, copy.wrap_key_size, kari_shared_info(copy)
    )
    try:
        return aes_key_unwrap(key_encryption_key, wrapped)
    except (InvalidUnwrap, ValueError) as error:
        raise SoftKeyImportError(
            f"key copy for certificate {recipient.short_id} failed AES key unwrap: "
            "it was tampered with or made for another key"
        ) from error


def _kdf_x963(
    hash_name: str, shared_secret: bytes, length: int, shared_info: bytes
) -> bytes:
    blocks = []
    produced = 0
    counter = 1
    while produced < length:
        digest = hashlib.new(
            hash_name, shared_secret + counter.to_bytes(4, "big") + shared_info
        )
        blocks.append(digest.digest())
        produced += digest.digest_size
        counter += 1
    return b"".join(blocks)[:length]


def _shared_info(wrap_oid: str, ukm: bytes | None, key_size: int) -> bytes:
    entity_info = b""
    if ukm is not None:
        entity_info = der.encode(der.CONTEXT_0, der.encode(der.OCTET_STRING, ukm))
    key_bits = der.encode(
        der.CONTEXT_2, der.encode(der.OCTET_STRING, (key_size * 8).to_bytes(4, "big"))
    )
    return der.encode(
        der.SEQUENCE,
        der.encode(der.SEQUENCE, der.encode_oid(wrap_oid)),
        entity_info,
        key_bits,
    )


_OAEP_SHA256 = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
_SHA256_ALGORITHM = der.encode(der.SEQUENCE, der.encode_oid("2.16.840.1.101.3.4.2.1"))
_OAEP_SHA256_ALGORITHM = der.encode(
    der.SEQUENCE,
    der.encode_oid(OID_RSAES_OAEP),
    der.encode(
        der.SEQUENCE,
        der.encode(der.CONTEXT_0, _SHA256_ALGORITHM),
        der.encode(
            der.CONTEXT_1,
            der.encode(der.SEQUENCE, der.encode_oid(OID_MGF1), _SHA256_ALGORITHM),
        ),
    ),
)
_EC_ALGORITHM = der.encode(der.SEQUENCE, der.encode_oid(OID_EC_PUBLIC_KEY))
_KEY_AGREEMENT_ALGORITHM = der.encode(
    der.SEQUENCE,
    der.encode_oid(OID_ECDH_SHA256_KDF),
    der.encode(der.SEQUENCE, der.encode_oid(OID_AES256_WRAP)),
)
_SHARED_INFO_AES256 = _shared_info(OID_AES256_WRAP, None, KEY_SIZE)
_VERSION_0 = der.encode_integer(0)
_VERSION_3 = der.encode_integer(3)
