"""Certificates for keys the soft provider does not generate (other curves)."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate


def self_signed_certificate(
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    subject: str = "test certificate",
) -> Certificate:
    """Return a one-day self-signed certificate for `private_key`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )
    return Certificate.from_der(certificate.public_bytes(Encoding.DER))
