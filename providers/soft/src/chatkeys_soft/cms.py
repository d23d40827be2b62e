"""Key copies of the CMS profile: RecipientInfo structures for RSA and EC keys.

A key copy is the DER of one CMS RecipientInfo (RFC 5652) carrying a 32-byte
AES-256-GCM chat key, so it can be dropped into an EnvelopedData as is:

- RSA recipients get a KeyTransRecipientInfo (a plain SEQUENCE) with
  RSAES-OAEP, SHA-256 and MGF1-SHA-256 written explicitly (RFC 8017, RFC 4055).
- EC recipients get a KeyAgreeRecipientInfo, tagged ``[1]`` as the
  RecipientInfo choice requires: ephemeral-static ECDH with the ephemeral
  public key as originator, the X9.63 KDF with SHA-256
  (dhSinglePass-stdDH-sha256kdf-scheme) and AES-256 key wrap (RFC 3394), with
  ECC-CMS-SharedInfo as RFC 5753 section 7.2 defines it.

Import also reads what ``openssl cms -encrypt`` writes by default for EC
recipients (the SHA-1 KDF scheme, AES-128/192/256 wrap), an untagged
KeyAgreeRecipientInfo, and subject-key-identifier recipient ids. It rejects
RSA PKCS#1 v1.5 key transport (padding-oracle prone) and OAEP with SHA-1.

The private-key step is left to the caller through `PrivateKeyOperations`, so
keys on a PKCS#11 token use the same parser and format code as keys in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys_soft import der
from chatkeys_soft.errors import SoftKeyImportError, SoftUnsupportedProfileError
from chatkeys_soft.messages import CIPHER, KEY_SIZE
from chatkeys_soft.recipients import (
    CURVES,
    OID_EC_PUBLIC_KEY,
    RecipientId,
    curve_of,
    recipient_key,
)

OID_RSAES_OAEP = "1.2.840.113549.1.1.7"
OID_MGF1 = "1.2.840.113549.1.1.8"
OID_P_SPECIFIED = "1.2.840.113549.1.1.9"
OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
OID_ECDH_SHA256_KDF = "1.3.132.1.11.1"
OID_AES256_WRAP = "2.16.840.1.101.3.4.1.45"

HASH_OIDS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
"""Hashes accepted in RSAES-OAEP parameters (both for OAEP and for MGF1)."""

KDF_SCHEMES = {
    "1.3.133.16.840.63.0.2": "sha1",  # dhSinglePass-stdDH-sha1kdf-scheme
    "1.3.132.1.11.0": "sha224",
    OID_ECDH_SHA256_KDF: "sha256",
    "1.3.132.1.11.2": "sha384",
    "1.3.132.1.11.3": "sha512",
}
"""ECDH key agreement schemes accepted on import, with the X9.63 KDF hash."""

WRAP_KEY_SIZES = {
    "2.16.840.1.101.3.4.1.5": 16,  # id-aes128-wrap
    "2.16.840.1.101.3.4.1.25": 24,  # id-aes192-wrap
    OID_AES256_WRAP: 32,
}
"""AES key wrap algorithms accepted on import, with their key sizes."""


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


@dataclass(frozen=True, slots=True)
class KeyTransCopy:
    """A parsed KeyTransRecipientInfo with RSAES-OAEP.

    `hash_name` is the hash of both OAEP and MGF1 (``"sha256"`` for copies of
    this package); the label is always empty.
    """

    version: int
    recipient: RecipientId
    hash_name: str
    encrypted_key: bytes


@dataclass(frozen=True, slots=True)
class RecipientEncryptedKey:
    """One recipient of a KeyAgreeRecipientInfo and its wrapped key."""

    recipient: RecipientId
    encrypted_key: bytes


@dataclass(frozen=True, slots=True)
class KeyAgreeCopy:
    """A parsed KeyAgreeRecipientInfo with an ephemeral ECDH originator key.

    `originator_point` is the ephemeral public key as written (uncompressed
    or compressed); `originator_curve_oid` is set only when the originator's
    algorithm parameters name a curve. `kdf_hash_name` is the X9.63 KDF hash
    of `kdf_oid`, `wrap_key_size` the AES key size of `wrap_oid` in bytes.
    """

    version: int
    originator_point: bytes
    originator_curve_oid: str | None
    ukm: bytes | None
    kdf_oid: str
    kdf_hash_name: str
    wrap_oid: str
    wrap_key_size: int
    recipient_keys: tuple[RecipientEncryptedKey, ...]

    def encrypted_key_for(self, certificate: Certificate) -> bytes:
        """Return the wrapped key addressed to `certificate`.

        Raises `SoftKeyImportError` when no recipient entry names it.
        """
        for entry in self.recipient_keys:
            if entry.recipient.matches(certificate):
                return entry.encrypted_key
        names = ", ".join(entry.recipient.describe() for entry in self.recipient_keys)
        raise SoftKeyImportError(
            f"key copy is for {names}, not for certificate {certificate.short_id}"
        )


def parse_key_copy(key_copy: bytes) -> KeyTransCopy | KeyAgreeCopy:
    """Parse a key copy of either kind.

    Raises `SoftKeyImportError` (a `KeyImportError`) naming the field at fault
    when the bytes are not DER, not a RecipientInfo of a supported kind, or
    use algorithms this package does not accept.
    """
    try:
        element = der.read_single(bytes(key_copy))
        if element.tag == der.CONTEXT_1:
            return _parse_key_agree(der.children(element))
        parts = der.children(der.expect(element, der.SEQUENCE))
        if parts and parts[0].tag == der.INTEGER and der.decode_integer(parts[0]) == 3:
            return _parse_key_agree(parts)
        return _parse_key_trans(parts)
    except (der.DerError, IndexError) as error:
        raise SoftKeyImportError(f"malformed key copy: {error}") from error


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
    AES-256-GCM key, and ValueError when `recipient` holds no RSA key or EC
    key on P-256, P-384 or P-521.
    """
    if chat_key.cipher != CIPHER or len(chat_key.secret) != KEY_SIZE:
        raise SoftUnsupportedProfileError(
            f"chat key of cipher {chat_key.cipher!r} cannot travel in the cms profile "
            f"of RSA/EC certificates: it carries {CIPHER} keys of {KEY_SIZE} bytes"
        )
    key = recipient_key(recipient)
    if key is None:
        raise ValueError(
            f"certificate {recipient.short_id} holds no RSA key or EC key on "
            "P-256, P-384 or P-521"
        )
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


def _parse_key_trans(parts: list[der.Element]) -> KeyTransCopy:
    if len(parts) != 4:
        raise der.DerError("KeyTransRecipientInfo has four fields")
    version = der.decode_integer(parts[0])
    recipient = _parse_recipient_id(parts[1], subject_key_tag=der.CONTEXT_PRIMITIVE_0)
    expected_version = 0 if recipient.subject_key_identifier is None else 2
    if version != expected_version:
        raise der.DerError(
            f"KeyTransRecipientInfo version {version} does not fit its recipient id"
        )
    algorithm = der.children(der.expect(parts[2], der.SEQUENCE))
    oid = der.decode_oid(algorithm[0])
    if oid == OID_RSA_ENCRYPTION:
        raise SoftKeyImportError(
            "key copy uses RSA PKCS#1 v1.5 key transport, which is rejected as "
            "padding-oracle prone: re-export it with RSAES-OAEP and SHA-256"
        )
    if oid != OID_RSAES_OAEP or len(algorithm) != 2:
        raise der.DerError(f"key transport algorithm {oid} is not RSAES-OAEP")
    hash_name = _parse_oaep_parameters(algorithm[1])
    encrypted_key = der.decode_octet_string(parts[3])
    return KeyTransCopy(version, recipient, hash_name, encrypted_key)


def _parse_oaep_parameters(element: der.Element) -> str:
    # RSAES-OAEP-params: [0] hash, [1] mask generation, [2] label source; each
    # defaults to SHA-1 or the empty label when absent.
    fields = {
        child.tag: child for child in der.children(der.expect(element, der.SEQUENCE))
    }
    if not set(fields) <= {der.CONTEXT_0, der.CONTEXT_1, der.CONTEXT_2}:
        raise der.DerError("unexpected field in RSAES-OAEP parameters")
    if der.CONTEXT_0 not in fields or der.CONTEXT_1 not in fields:
        raise SoftKeyImportError(
            "key copy uses RSAES-OAEP with the SHA-1 default: re-export it with "
            "SHA-256 for OAEP and MGF1"
        )
    hash_name = _parse_hash(der.explicit(fields[der.CONTEXT_0], der.CONTEXT_0))
    mgf = der.children(
        der.expect(der.explicit(fields[der.CONTEXT_1], der.CONTEXT_1), der.SEQUENCE)
    )
    if len(mgf) != 2 or der.decode_oid(mgf[0]) != OID_MGF1:
        raise der.DerError("RSAES-OAEP mask generation function is not MGF1")
    if _parse_hash(mgf[1]) != hash_name:
        raise der.DerError("RSAES-OAEP uses different hashes for OAEP and MGF1")
    if der.CONTEXT_2 in fields:
        source = der.children(
            der.expect(der.explicit(fields[der.CONTEXT_2], der.CONTEXT_2), der.SEQUENCE)
        )
        if len(source) != 2 or der.decode_oid(source[0]) != OID_P_SPECIFIED:
            raise der.DerError("RSAES-OAEP label source is not pSpecified")
        if der.decode_octet_string(source[1]):
            raise der.DerError("RSAES-OAEP label is not empty")
    return hash_name


def _parse_hash(element: der.Element) -> str:
    algorithm = der.children(der.expect(element, der.SEQUENCE))
    oid = der.decode_oid(algorithm[0])
    if len(algorithm) > 2 or (
        len(algorithm) == 2 and algorithm[1].encoded != b"\x05\x00"
    ):
        raise der.DerError(f"hash algorithm {oid} has parameters")
    if oid not in HASH_OIDS:
        raise SoftKeyImportError(
            f"key copy uses hash {oid} in RSAES-OAEP; "
            "accepted: SHA-256, SHA-384, SHA-512"
        )
    return HASH_OIDS[oid]


def _parse_key_agree(parts: list[der.Element]) -> KeyAgreeCopy:
    if len(parts) not in (4, 5):
        raise der.DerError("KeyAgreeRecipientInfo has four or five fields")
    version = der.decode_integer(parts[0])
    if version != 3:
        raise der.DerError(f"KeyAgreeRecipientInfo version {version} is not 3")
    originator_point, curve_oid = _parse_originator(
        der.explicit(parts[1], der.CONTEXT_0)
    )
    ukm = None
    if len(parts) == 5:
        ukm = der.decode_octet_string(der.explicit(parts[2], der.CONTEXT_1))
    algorithm = der.children(der.expect(parts[-2], der.SEQUENCE))
    kdf_oid = der.decode_oid(algorithm[0])
    if kdf_oid not in KDF_SCHEMES or len(algorithm) != 2:
        raise SoftKeyImportError(
            f"key copy uses key agreement scheme {kdf_oid}; accepted: "
            "dhSinglePass-stdDH with an X9.63 KDF over SHA-1 or SHA-2"
        )
    wrap = der.children(der.expect(algorithm[1], der.SEQUENCE))
    wrap_oid = der.decode_oid(wrap[0])
    if wrap_oid not in WRAP_KEY_SIZES or len(wrap) != 1:
        raise SoftKeyImportError(
            f"key copy uses key wrap {wrap_oid}; accepted: AES key wrap (RFC 3394)"
        )
    entries = der.children(der.expect(parts[-1], der.SEQUENCE))
    if not entries:
        raise der.DerError("KeyAgreeRecipientInfo has no recipient keys")
    recipient_keys = tuple(_parse_recipient_encrypted_key(entry) for entry in entries)
    return KeyAgreeCopy(
        version=version,
        originator_point=originator_point,
        originator_curve_oid=curve_oid,
        ukm=ukm,
        kdf_oid=kdf_oid,
        kdf_hash_name=KDF_SCHEMES[kdf_oid],
        wrap_oid=wrap_oid,
        wrap_key_size=WRAP_KEY_SIZES[wrap_oid],
        recipient_keys=recipient_keys,
    )


def _parse_originator(element: der.Element) -> tuple[bytes, str | None]:
    if element.tag != der.CONTEXT_1:
        raise SoftKeyImportError(
            "key copy names a static originator key; only ephemeral originator "
            "public keys (originatorKey) are accepted"
        )
    algorithm_element, key_element = der.children(element)
    algorithm = der.children(der.expect(algorithm_element, der.SEQUENCE))
    if der.decode_oid(algorithm[0]) != OID_EC_PUBLIC_KEY or len(algorithm) > 2:
        raise der.DerError("originator key is not id-ecPublicKey")
    curve_oid = None
    if len(algorithm) == 2 and algorithm[1].encoded != b"\x05\x00":
        curve_oid = der.decode_oid(algorithm[1])
    point = der.decode_bit_string(key_element)
    if not point:
        raise der.DerError("originator public key is empty")
    return point, curve_oid


def _parse_recipient_encrypted_key(element: der.Element) -> RecipientEncryptedKey:
    rid, encrypted = der.children(der.expect(element, der.SEQUENCE))
    if rid.tag == der.CONTEXT_0:
        # rKeyId: RecipientKeyIdentifier, whose date and other fields are ignored
        fields = der.children(rid)
        identifier = RecipientId(
            subject_key_identifier=der.decode_octet_string(fields[0])
        )
    else:
        identifier = _parse_recipient_id(rid, subject_key_tag=None)
    return RecipientEncryptedKey(identifier, der.decode_octet_string(encrypted))


def _parse_recipient_id(
    element: der.Element, subject_key_tag: int | None
) -> RecipientId:
    if subject_key_tag is not None and element.tag == subject_key_tag:
        return RecipientId(subject_key_identifier=element.value)
    issuer, serial = der.children(der.expect(element, der.SEQUENCE))
    der.expect(issuer, der.SEQUENCE)
    return RecipientId(issuer=issuer.encoded, serial_number=der.decode_integer(serial))


def _open_key_trans(
    copy: KeyTransCopy, recipient: Certificate, operations: PrivateKeyOperations
) -> bytes:
    if recipient.key_algorithm_oid != OID_RSA_ENCRYPTION:
        raise SoftKeyImportError(
            f"key copy uses RSA key transport but certificate {recipient.short_id} "
            f"holds a {recipient.key_algorithm.name} key"
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
            "holds no EC key on P-256, P-384 or P-521"
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
