"""Recipient certificates in CMS terms: recipient identifiers and public keys.

`RecipientId` is the `rid` of a RecipientInfo (issuer and serial number, or
subject key identifier). `recipient_key` reads, once per certificate, what an
export or import needs from it: the public key as a `cryptography` object, the
curve for EC keys and the DER of its IssuerAndSerialNumber. Certificates of
other algorithms, and EC keys on curves other than P-256, P-384 and P-521,
give None: they belong to another provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from chatkeys import der
from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError

OID_RSA = "1.2.840.113549.1.1.1"
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"

CURVES: dict[str, ec.EllipticCurve] = {
    "1.2.840.10045.3.1.7": ec.SECP256R1(),
    "1.3.132.0.34": ec.SECP384R1(),
    "1.3.132.0.35": ec.SECP521R1(),
}
"""The named curves this provider handles, by OID."""


@dataclass(frozen=True, slots=True)
class RecipientId:
    """The identifier of the certificate a RecipientInfo is addressed to.

    Either `issuer` (DER of the issuer Name) and `serial_number` are set, or
    `subject_key_identifier` is.
    """

    issuer: bytes | None = None
    serial_number: int | None = None
    subject_key_identifier: bytes | None = None

    def matches(self, certificate: Certificate) -> bool:
        """Return whether this identifier names `certificate`."""
        if self.subject_key_identifier is not None:
            return self.subject_key_identifier == _subject_key_identifier(certificate)
        issuer, serial_number = _issuer_and_serial(certificate)
        return self.issuer == issuer and self.serial_number == serial_number

    def describe(self) -> str:
        """Return a short readable form for error messages."""
        if self.subject_key_identifier is not None:
            return f"subject key identifier {self.subject_key_identifier.hex()}"
        return f"serial number {self.serial_number:x} of the named issuer"


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """The export data of one certificate, read once from it.

    `public_key` is the RSA or EC public key, `curve` the EC curve (None for
    RSA) and `issuer_and_serial` the DER of the certificate's
    IssuerAndSerialNumber, used as the recipient identifier of every copy.
    """

    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    curve: ec.EllipticCurve | None
    issuer_and_serial: bytes


def is_own_certificate(certificate: Certificate) -> bool:
    """Return whether `certificate` has an RSA key or an EC key on a handled curve."""
    if certificate.key_algorithm_oid == OID_RSA:
        return True
    if certificate.key_algorithm_oid == OID_EC_PUBLIC_KEY:
        return curve_of(certificate) is not None
    return False


def curve_of(certificate: Certificate) -> ec.EllipticCurve | None:
    """Return the named curve of an EC certificate, or None if it is not handled."""
    try:
        oid = der.decode_oid(der.read_single(certificate.key_parameters))
    except der.DerError:
        return None
    return CURVES.get(oid)


MINIMUM_RSA_BITS = 2048
"""Smallest RSA modulus a chat key is exported to (NIST SP 800-131A: 2048)."""


@lru_cache(maxsize=1024)
def recipient_key(certificate: Certificate) -> RecipientKey | None:
    """Return the export data of `certificate`, or None when it is not this provider's.

    Raises `InvalidCertificateError` when the certificate names a handled
    algorithm but its public key does not parse as one.
    """
    if not is_own_certificate(certificate):
        return None
    try:
        public_key = load_der_public_key(certificate.spki)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise InvalidCertificateError(
            f"certificate {certificate.short_id}: invalid "
            f"{certificate.key_algorithm.name} public key"
        ) from error
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise InvalidCertificateError(
            f"certificate {certificate.short_id}: public key of type "
            f"{type(public_key).__name__} does not fit its algorithm"
        )
    curve = (
        public_key.curve if isinstance(public_key, ec.EllipticCurvePublicKey) else None
    )
    issuer, serial_number = _issuer_and_serial(certificate)
    issuer_and_serial = der.encode(
        der.SEQUENCE, issuer, der.encode_integer(serial_number)
    )
    return RecipientKey(public_key, curve, issuer_and_serial)


@lru_cache(maxsize=1024)
def _issuer_and_serial(certificate: Certificate) -> tuple[bytes, int]:
    # tbsCertificate: [0] version (optional), serialNumber, signature, issuer, ...
    # The issuer is taken as encoded, because identifiers compare DER bytes.
    try:
        tbs = der.children(der.children(der.read_single(certificate.der))[0])
        if tbs and tbs[0].tag == der.CONTEXT_0:
            tbs = tbs[1:]
        serial = der.expect(tbs[0], der.INTEGER).value
        issuer = der.expect(tbs[2], der.SEQUENCE).encoded
    except (der.DerError, IndexError) as error:
        raise InvalidCertificateError(
            f"certificate {certificate.short_id}: invalid issuer or serial number"
        ) from error
    return issuer, int.from_bytes(serial, "big", signed=True)


@lru_cache(maxsize=1024)
def _subject_key_identifier(certificate: Certificate) -> bytes | None:
    try:
        parsed = x509.load_der_x509_certificate(certificate.der)
        extension = parsed.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except (ValueError, x509.ExtensionNotFound):
        return None
    return extension.value.digest


def require_export_strength(key: RecipientKey, certificate: Certificate) -> None:
    """Raise `InvalidCertificateError` for RSA keys under `MINIMUM_RSA_BITS`.

    Applied to exports only: a chat key is never given to a weak key, while
    signatures of such keys still verify, so a server can say precisely why
    it rejects one.
    """
    public_key = key.public_key
    if (
        isinstance(public_key, rsa.RSAPublicKey)
        and public_key.key_size < MINIMUM_RSA_BITS
    ):
        raise InvalidCertificateError(
            f"certificate {certificate.short_id} has a {public_key.key_size}-bit RSA "
            f"key; chat keys are exported only to RSA keys of at least "
            f"{MINIMUM_RSA_BITS} bits, so its owner needs a new certificate"
        )
