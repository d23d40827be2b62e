"""GOST R 34.10-2012 public and private keys and their ASN.1 forms.

Generic ASN.1 libraries do not know the GOST key OIDs, so the structures are
declared here on asn1crypto's core types:

- SubjectPublicKeyInfo (RFC 9215): algorithm 1.2.643.7.1.1.1.1 (256-bit) or
  1.2.643.7.1.1.1.2 (512-bit) with parameters SEQUENCE { publicKeyParamSet,
  digestParamSet OPTIONAL }, and a BIT STRING holding an OCTET STRING with
  little-endian X followed by little-endian Y;
- PKCS#8 PrivateKeyInfo as OpenSSL's GOST engine writes it: the privateKey
  OCTET STRING holds the little-endian scalar itself. Older writers wrapped it
  in a second OCTET STRING or wrote a big-endian INTEGER; both are read.

Encrypted PKCS#8 and PKCS#12 are in `chatkeys_gost.pbes2`, certificates in
`chatkeys_gost.certificate`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from asn1crypto import core

from chatkeys.certificates import Certificate
from chatkeys_gost.curves import Curve, PointJacobi, curve_for_oid
from chatkeys_gost.errors import GostKeyError

__all__ = [
    "GENERATION_PARAMETER_SETS",
    "OID_GOST2012_256",
    "OID_GOST2012_512",
    "GostPrivateKey",
    "GostPublicKey",
    "pem_decode",
    "pem_encode",
    "pkcs8_algorithm_oid",
]

OID_GOST2012_256 = "1.2.643.7.1.1.1.1"
OID_GOST2012_512 = "1.2.643.7.1.1.1.2"
OID_STREEBOG_256 = "1.2.643.7.1.1.2.2"
OID_STREEBOG_512 = "1.2.643.7.1.1.2.3"
OID_SIGNATURE_256 = "1.2.643.7.1.1.3.2"
OID_SIGNATURE_512 = "1.2.643.7.1.1.3.3"

GENERATION_PARAMETER_SETS: dict[str, str] = {
    "gost2012-256a": "1.2.643.7.1.2.1.1.1",
    "gost2012-256b": "1.2.643.7.1.2.1.1.2",
    "gost2012-256c": "1.2.643.7.1.2.1.1.3",
    "gost2012-256d": "1.2.643.7.1.2.1.1.4",
    "gost2012-512a": "1.2.643.7.1.2.1.2.1",
    "gost2012-512b": "1.2.643.7.1.2.1.2.2",
    "gost2012-512c": "1.2.643.7.1.2.1.2.3",
}
"""Algorithm names accepted for generation, with their parameter-set OIDs."""

# Parameter sets whose keys carry the digestParamSet, as OpenSSL's GOST engine
# writes them: the GOST R 34.10-2001 (CryptoPro) sets and TC26 512-A/B.
_WITH_DIGEST_PARAMETER = {"1.2.643.7.1.2.1.2.1", "1.2.643.7.1.2.1.2.2"}


class GostKeyParameters(core.Sequence):  # type: ignore[misc]
    """GostR3410-2012-PublicKeyParameters."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


class GostAlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    """AlgorithmIdentifier of a GOST R 34.10-2012 key."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", GostKeyParameters, {"optional": True}),
    ]


class GostSubjectPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    """SubjectPublicKeyInfo of a GOST R 34.10-2012 key."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", GostAlgorithmIdentifier),
        ("public_key", core.OctetBitString),
    ]


class GostPrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    """PKCS#8 PrivateKeyInfo (RFC 5208) of a GOST R 34.10-2012 key."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("private_key_algorithm", GostAlgorithmIdentifier),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


class _AnyAlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _AnyPrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("private_key_algorithm", _AnyAlgorithmIdentifier),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


def pkcs8_algorithm_oid(der: bytes) -> str | None:
    """Return the key algorithm OID of a PKCS#8 PrivateKeyInfo, or None if malformed."""
    try:
        info = _AnyPrivateKeyInfo.load(der)
        return str(info["private_key_algorithm"]["algorithm"].dotted)
    except (ValueError, TypeError):
        return None


def algorithm_oid_for(curve: Curve) -> str:
    """Return the key algorithm OID for keys on `curve`."""
    return OID_GOST2012_256 if curve.size == 32 else OID_GOST2012_512


def _check_algorithm(algorithm_oid: str) -> None:
    if algorithm_oid not in (OID_GOST2012_256, OID_GOST2012_512):
        raise GostKeyError(
            f"key algorithm {algorithm_oid} is not GOST R 34.10-2012 "
            f"({OID_GOST2012_256} or {OID_GOST2012_512})"
        )


def _parse_parameters(
    algorithm_oid: str, parameters: GostKeyParameters
) -> tuple[Curve, str, str | None]:
    _check_algorithm(algorithm_oid)
    if isinstance(parameters, core.Void) or parameters.native is None:
        raise GostKeyError(f"GOST key algorithm {algorithm_oid} has no parameter set")
    parameter_oid = parameters["public_key_param_set"].dotted
    digest = parameters["digest_param_set"]
    digest_oid = None if isinstance(digest, core.Void) else digest.dotted
    curve = curve_for_oid(parameter_oid)
    expected_digest = OID_STREEBOG_256 if curve.size == 32 else OID_STREEBOG_512
    if digest_oid is not None and digest_oid != expected_digest:
        raise GostKeyError(
            f"digest parameter {digest_oid} does not fit a {curve.bits}-bit key; "
            f"expected {expected_digest} or none"
        )
    if algorithm_oid_for(curve) != algorithm_oid:
        raise GostKeyError(
            f"parameter set {parameter_oid} is {curve.bits}-bit but the key "
            f"algorithm is {algorithm_oid}"
        )
    return curve, parameter_oid, digest_oid


def _algorithm_identifier(
    parameter_oid: str, digest_oid: str | None, curve: Curve
) -> GostAlgorithmIdentifier:
    parameters = GostKeyParameters({"public_key_param_set": parameter_oid})
    if digest_oid is not None:
        parameters["digest_param_set"] = digest_oid
    return GostAlgorithmIdentifier(
        {"algorithm": algorithm_oid_for(curve), "parameters": parameters}
    )


@dataclass(frozen=True, eq=False)
class GostPublicKey:
    """A GOST R 34.10-2012 public key: a validated point on a named curve.

    `parameter_oid` and `digest_oid` keep the OIDs as they were read, so a
    key re-encodes to the same SubjectPublicKeyInfo.
    """

    curve: Curve
    point: PointJacobi = field(repr=False)
    parameter_oid: str
    digest_oid: str | None = None

    @property
    def algorithm_oid(self) -> str:
        """The SubjectPublicKeyInfo algorithm OID (256- or 512-bit)."""
        return algorithm_oid_for(self.curve)

    def to_bytes(self) -> bytes:
        """Return little-endian X followed by little-endian Y."""
        return self.curve.point_to_bytes(self.point)

    def spki(self) -> bytes:
        """Return the DER SubjectPublicKeyInfo."""
        info = GostSubjectPublicKeyInfo(
            {
                "algorithm": _algorithm_identifier(
                    self.parameter_oid, self.digest_oid, self.curve
                ),
                "public_key": core.OctetString(self.to_bytes()).dump(),
            }
        )
        return bytes(info.dump())

    @classmethod
    def from_parts(
        cls, algorithm_oid: str, parameters: bytes, public_key: bytes
    ) -> GostPublicKey:
        """Build a key from the three SubjectPublicKeyInfo parts.

        `parameters` is the DER of the algorithm parameters and `public_key`
        the contents of the subjectPublicKey BIT STRING (a DER OCTET STRING).
        """
        _check_algorithm(algorithm_oid)
        try:
            parsed = GostKeyParameters.load(parameters)
            curve, parameter_oid, digest_oid = _parse_parameters(algorithm_oid, parsed)
            octets = core.OctetString.load(public_key).native
        except (ValueError, TypeError) as error:
            raise GostKeyError(f"malformed GOST public key: {error}") from error
        if not isinstance(octets, bytes):
            raise GostKeyError("GOST public key is not an OCTET STRING")
        return cls(curve, curve.point_from_bytes(octets), parameter_oid, digest_oid)

    @classmethod
    def from_spki(cls, spki: bytes) -> GostPublicKey:
        """Parse a DER SubjectPublicKeyInfo."""
        try:
            info = GostSubjectPublicKeyInfo.load(spki)
            algorithm = info["algorithm"]
            algorithm_oid = algorithm["algorithm"].dotted
            parameters = algorithm["parameters"].dump()
            public_key = info["public_key"].native
        except (ValueError, TypeError) as error:
            raise GostKeyError(
                f"malformed GOST SubjectPublicKeyInfo: {error}"
            ) from error
        return cls.from_parts(algorithm_oid, parameters, public_key)

    @classmethod
    def from_certificate(cls, certificate: Certificate) -> GostPublicKey:
        """Read the public key of a parsed certificate."""
        return cls.from_parts(
            certificate.key_algorithm_oid,
            certificate.key_parameters,
            certificate.public_key,
        )


@dataclass(frozen=True, eq=False)
class GostPrivateKey:
    """A GOST R 34.10-2012 private key. Its repr never shows the scalar."""

    curve: Curve
    scalar: int = field(repr=False)
    parameter_oid: str
    digest_oid: str | None = None

    def __post_init__(self) -> None:
        self.curve.check_private_key(self.scalar)

    @classmethod
    def generate(cls, parameter_oid: str) -> GostPrivateKey:
        """Generate a key on the curve named by `parameter_oid`."""
        curve = curve_for_oid(parameter_oid)
        digest_oid = None
        if (
            parameter_oid.startswith("1.2.643.2.2.")
            or parameter_oid in _WITH_DIGEST_PARAMETER
        ):
            digest_oid = OID_STREEBOG_256 if curve.size == 32 else OID_STREEBOG_512
        return cls(curve, curve.random_scalar(), parameter_oid, digest_oid)

    def public_key(self) -> GostPublicKey:
        """Compute the matching public key."""
        point = self.curve.public_point(self.scalar)
        return GostPublicKey(self.curve, point, self.parameter_oid, self.digest_oid)

    def to_pkcs8_der(self) -> bytes:
        """Return the unencrypted PKCS#8 DER, as OpenSSL's GOST engine writes it."""
        info = GostPrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": _algorithm_identifier(
                    self.parameter_oid, self.digest_oid, self.curve
                ),
                "private_key": self.scalar.to_bytes(self.curve.size, "little"),
            }
        )
        return bytes(info.dump())

    @classmethod
    def from_pkcs8_der(cls, der: bytes) -> GostPrivateKey:
        """Parse an unencrypted PKCS#8 PrivateKeyInfo with a GOST key."""
        try:
            info = GostPrivateKeyInfo.load(der)
            algorithm = info["private_key_algorithm"]
            curve, parameter_oid, digest_oid = _parse_parameters(
                algorithm["algorithm"].dotted, algorithm["parameters"]
            )
            raw = info["private_key"].native
        except (ValueError, TypeError, KeyError) as error:
            raise GostKeyError(f"malformed GOST PKCS#8 private key: {error}") from error
        return cls(curve, _decode_scalar(curve, raw), parameter_oid, digest_oid)


def _decode_scalar(curve: Curve, raw: bytes) -> int:
    if len(raw) == curve.size:
        return int.from_bytes(raw, "little")
    try:
        inner = core.load(raw)
    except ValueError as error:
        raise GostKeyError(
            f"GOST private key is {len(raw)} bytes, {curve.name} needs {curve.size}"
        ) from error
    if isinstance(inner, core.OctetString) and len(inner.native) == curve.size:
        return int.from_bytes(inner.native, "little")
    if isinstance(inner, core.Integer):
        return int(inner.native)
    raise GostKeyError(
        f"GOST private key has an unknown layout ({type(inner).__name__}); "
        "export it again with OpenSSL's GOST engine"
    )


_PEM = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----"
    rb"(?P<body>[A-Za-z0-9+/=\s]*?)"
    rb"-----END (?P=label)-----"
)


def pem_decode(data: bytes) -> list[tuple[str, bytes]]:
    """Return every PEM block in `data` as (label, DER), in order."""
    blocks = []
    for match in _PEM.finditer(data):
        body = b"".join(match["body"].split())
        blocks.append((match["label"].decode("ascii"), base64.b64decode(body)))
    return blocks


def pem_encode(label: str, der: bytes) -> bytes:
    """Return `der` as a PEM block with 64-column lines."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])
    return text.encode("ascii")
