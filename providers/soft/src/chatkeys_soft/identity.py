"""Identities whose RSA or EC private key is held in memory by `cryptography`.

`SoftIdentity` is what the provider's hooks recognise as its own. It also
implements `chatkeys_soft.cms.PrivateKeyOperations`, so key copies open
through the same code path as on a token. `generate_identity` makes a key
pair with a self-signed certificate for tests and demos; loading from files
lives in `chatkeys_soft.keyfiles`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate
from chatkeys.identity import Identity
from chatkeys_soft import signature
from chatkeys_soft.signature import RsaSignatureScheme

PROVIDER_NAME = "soft"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One algorithm `generate_identity` makes: an RSA key size or an EC curve."""

    name: str
    rsa_bits: int = 0
    curve: ec.EllipticCurve | None = None


KEY_SPECS = {
    spec.name: spec
    for spec in (
        KeySpec("rsa-2048", rsa_bits=2048),
        KeySpec("rsa-3072", rsa_bits=3072),
        KeySpec("rsa-4096", rsa_bits=4096),
        KeySpec("ec-p256", curve=ec.SECP256R1()),
        KeySpec("ec-p384", curve=ec.SECP384R1()),
        KeySpec("ec-p521", curve=ec.SECP521R1()),
    )
}
"""The algorithms this provider generates, by `AlgorithmInfo.name`."""

CERTIFICATE_LIFETIME = datetime.timedelta(days=365)


class SoftIdentity(Identity):
    """A certificate with its RSA or EC private key in process memory.

    `rsa_signature` chooses how an RSA key signs (``"pkcs1v15"``, the
    default, or ``"pss"``); EC keys ignore it. The constructor does not check
    that the key matches the certificate; the loaders do.
    """

    fork_safe = True

    def __init__(
        self,
        certificate: Certificate,
        private_key: PrivateKey,
        reference: str,
        rsa_signature: RsaSignatureScheme = "pkcs1v15",
    ) -> None:
        self.provider = PROVIDER_NAME
        self.certificate = certificate
        self.reference = reference
        self.rsa_signature: RsaSignatureScheme = rsa_signature
        self._private_key = private_key

    @property
    def private_key(self) -> PrivateKey:
        """The private key, for saving the identity to a file."""
        return self._private_key

    def with_rsa_signature(self, scheme: RsaSignatureScheme) -> SoftIdentity:
        """Return a copy of this identity that signs with RSA `scheme`."""
        return SoftIdentity(self.certificate, self._private_key, self.reference, scheme)

    def sign(self, data: bytes) -> bytes:
        """Sign `data` with SHA-256 (see `chatkeys_soft.signature`)."""
        return signature.sign(self._private_key, data, self.rsa_signature)

    def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
        """Decrypt RSAES-OAEP with `hash_name` for OAEP and MGF1 and an empty label.

        Raises ValueError when the key is not RSA or the ciphertext does not
        decode.
        """
        if not isinstance(self._private_key, rsa.RSAPrivateKey):
            raise ValueError(f"{self!r} has no RSA key, so it cannot decrypt OAEP")
        algorithm = _hash(hash_name)
        return self._private_key.decrypt(
            ciphertext, padding.OAEP(padding.MGF1(algorithm), algorithm, None)
        )

    def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
        """Return the ECDH X coordinate with the uncompressed `peer_public_point`.

        Raises ValueError when the key is not EC or the point is not on its
        curve.
        """
        if not isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{self!r} has no EC key, so it cannot compute ECDH")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(
            self._private_key.curve, peer_public_point
        )
        return self._private_key.exchange(ec.ECDH(), peer)


def generate_identity(algorithm: str, subject: str) -> SoftIdentity | None:
    """Generate a key pair and a one-year self-signed certificate for `subject`.

    Returns None when `algorithm` is not one of `KEY_SPECS`.
    """
    spec = KEY_SPECS.get(algorithm)
    if spec is None:
        return None
    private_key: PrivateKey
    if spec.curve is not None:
        private_key = ec.generate_private_key(spec.curve)
        usage = _key_usage(key_agreement=True)
    else:
        private_key = rsa.generate_private_key(65537, spec.rsa_bits)
        usage = _key_usage(key_encipherment=True)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
        .sign(private_key, hashes.SHA256())
    )
    return SoftIdentity(
        Certificate.from_der(certificate.public_bytes(Encoding.DER)),
        private_key,
        reference=f"generated:{algorithm}:{subject}",
    )


def key_matches_certificate(private_key: PrivateKey, certificate: Certificate) -> bool:
    """Return whether `private_key` is the key of `certificate`."""
    # Both sides are re-encoded by cryptography, so a certificate that writes
    # the same key differently (explicit NULL, other field order) still matches.
    try:
        certified = load_der_public_key(certificate.spki)
    except (ValueError, UnsupportedAlgorithm):
        return False
    spki = PublicFormat.SubjectPublicKeyInfo
    return private_key.public_key().public_bytes(
        Encoding.DER, spki
    ) == certified.public_bytes(Encoding.DER, spki)


def _hash(name: str) -> hashes.HashAlgorithm:
    algorithms: dict[str, hashes.HashAlgorithm] = {
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }
    if name not in algorithms:
        raise ValueError(f"hash {name!r} is not one of {', '.join(algorithms)}")
    return algorithms[name]


def _key_usage(
    *, key_encipherment: bool = False, key_agreement: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=key_agreement,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
