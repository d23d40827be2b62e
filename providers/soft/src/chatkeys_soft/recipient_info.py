"""CMS RecipientInfo structures of key copies: their fields and a strict parser.

`parse_key_copy` turns the DER of a KeyTransRecipientInfo (RSAES-OAEP) or a
KeyAgreeRecipientInfo (ephemeral ECDH with an X9.63 KDF and AES key wrap)
into `KeyTransCopy` or `KeyAgreeCopy`, raising `SoftKeyImportError` for
anything malformed or outside the accepted algorithms. It accepts more than
this package writes, so that envelopes of ``openssl cms -encrypt`` import:
the SHA-1 and SHA-2 KDF schemes, AES-128/192/256 wrap, a UKM, an untagged
KeyAgreeRecipientInfo and subject-key-identifier recipient ids. It rejects
RSA PKCS#1 v1.5 key transport (padding-oracle prone) and OAEP with SHA-1.
Opening and exporting copies lives in `chatkeys_soft.cms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from chatkeys import der
from chatkeys.certificates import Certificate
from chatkeys_soft.errors import SoftKeyImportError
from chatkeys_soft.recipients import OID_EC_PUBLIC_KEY, RecipientId

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
    use algorithms this package does not accept. Results are cached per
    distinct copy, because a chat's copy is opened again for every message
    cipher and every re-share. The results are immutable and contain no
    secret.
    """
    return _parse_key_copy(bytes(key_copy))


@lru_cache(maxsize=256)
def _parse_key_copy(key_copy: bytes) -> KeyTransCopy | KeyAgreeCopy:
    try:
        element = der.read_single(key_copy)
        if element.tag == der.CONTEXT_1:
            return _parse_key_agree(der.children(element))
        parts = der.children(der.expect(element, der.SEQUENCE))
        if parts and parts[0].tag == der.INTEGER and der.decode_integer(parts[0]) == 3:
            return _parse_key_agree(parts)
        return _parse_key_trans(parts)
    except (der.DerError, IndexError) as error:
        raise SoftKeyImportError(f"malformed key copy: {error}") from error


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
    children = der.children(der.expect(element, der.SEQUENCE))
    tags = [child.tag for child in children]
    if tags != sorted(set(tags)) or not set(tags) <= {
        der.CONTEXT_0,
        der.CONTEXT_1,
        der.CONTEXT_2,
    }:
        raise der.DerError("unexpected or repeated fields in RSAES-OAEP parameters")
    fields = dict(zip(tags, children, strict=True))
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
    if kdf_oid not in KDF_SCHEMES:
        raise SoftKeyImportError(
            f"key copy uses key agreement scheme {kdf_oid}; accepted: "
            "dhSinglePass-stdDH with an X9.63 KDF over SHA-1 or SHA-2"
        )
    if len(algorithm) != 2:
        raise der.DerError("key agreement algorithm names no key wrap algorithm")
    wrap = der.children(der.expect(algorithm[1], der.SEQUENCE))
    wrap_oid = der.decode_oid(wrap[0])
    if wrap_oid not in WRAP_KEY_SIZES:
        raise SoftKeyImportError(
            f"key copy uses key wrap {wrap_oid}; accepted: AES key wrap (RFC 3394)"
        )
    if len(wrap) != 1:
        raise der.DerError("AES key wrap parameters must be absent (RFC 3565)")

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
    algorithm_element, key_element = der.fields(element, der.CONTEXT_1, 2)
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
    rid, encrypted = der.fields(element, der.SEQUENCE, 2)
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
    issuer, serial = der.fields(element, der.SEQUENCE, 2)
    der.expect(issuer, der.SEQUENCE)
    return RecipientId(issuer=issuer.encoded, serial_number=der.decode_integer(serial))
