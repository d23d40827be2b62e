"""X.509 certificates as the API carries them.

The `certificate` field of the API is base64 of PEM text, but real data also
carries base64 of bare DER and PEM with CRLF or without line breaks. All of
them decode to the same DER bytes, which are hashed and compared as received
(never re-encoded). Parsing is cached by the SHA-256 of the DER, because one
certificate appears in many chats.

This module reads only what the core needs: the DER, its fingerprint and the
public-key algorithm. Providers parse the key itself.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from chatkeys import der
from chatkeys.errors import InvalidCertificateError

_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----(?P<body>[A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----"
)
_WHITESPACE = re.compile(rb"\s+")


@dataclass(frozen=True, slots=True)
class KeyAlgorithm:
    """A public-key algorithm: its OID, a readable name and who implements it.

    `distribution` is the package to install for it, or None when no chatkeys
    distribution implements it.
    """

    oid: str
    name: str
    distribution: str | None


_KNOWN_ALGORITHMS = {
    algorithm.oid: algorithm
    for algorithm in (
        KeyAlgorithm("1.2.840.113549.1.1.1", "RSA", "chatkeys-soft"),
        KeyAlgorithm("1.2.840.113549.1.1.10", "RSASSA-PSS", None),
        KeyAlgorithm("1.2.840.10045.2.1", "EC (ECDSA/ECDH)", "chatkeys-soft"),
        KeyAlgorithm("1.2.643.7.1.1.1.1", "GOST R 34.10-2012 256-bit", "chatkeys-gost"),
        KeyAlgorithm("1.2.643.7.1.1.1.2", "GOST R 34.10-2012 512-bit", "chatkeys-gost"),
        KeyAlgorithm("1.2.643.2.2.19", "GOST R 34.10-2001", None),
        KeyAlgorithm("1.3.101.110", "X25519", None),
        KeyAlgorithm("1.3.101.111", "X448", None),
        KeyAlgorithm("1.3.101.112", "Ed25519", None),
        KeyAlgorithm("1.3.101.113", "Ed448", None),
        KeyAlgorithm("1.2.840.10040.4.1", "DSA", None),
    )
}


def key_algorithm(oid: str) -> KeyAlgorithm:
    """Describe the public-key algorithm `oid`, known or not."""
    return _KNOWN_ALGORITHMS.get(
        oid, KeyAlgorithm(oid, f"unknown algorithm {oid}", None)
    )


@dataclass(frozen=True, slots=True)
class Certificate:
    """A parsed X.509 certificate.

    `der` is the certificate exactly as received; `fingerprint` is the hex
    SHA-256 of it. `spki` is the DER of the SubjectPublicKeyInfo,
    `key_algorithm_oid` its algorithm, `key_parameters` the DER of the
    algorithm parameters (empty when absent) and `public_key` the contents of
    the subjectPublicKey BIT STRING without the unused-bits byte.
    """

    der: bytes = field(repr=False)
    fingerprint: str
    spki: bytes = field(repr=False)
    key_algorithm_oid: str
    key_parameters: bytes = field(repr=False)
    public_key: bytes = field(repr=False)
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None

    @property
    def key_algorithm(self) -> KeyAlgorithm:
        """The public-key algorithm, with a readable name."""
        return key_algorithm(self.key_algorithm_oid)

    def validity_problem(self, now: datetime.datetime | None = None) -> str:
        """Return why the certificate is not valid at `now` (UTC), or ""."""
        now = now or datetime.datetime.now(datetime.UTC)
        if self.not_before is not None and now < self.not_before:
            start = f"{self.not_before:%Y-%m-%d %H:%M}"
            return f"certificate {self.short_id} is not valid before {start} UTC"
        if self.not_after is not None and now > self.not_after:
            end = f"{self.not_after:%Y-%m-%d %H:%M}"
            return f"certificate {self.short_id} expired on {end} UTC"
        return ""

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the fingerprint, for messages."""
        return self.fingerprint[:12]

    def pem(self) -> str:
        """Return the certificate as PEM text with LF line breaks."""
        body = base64.b64encode(self.der).decode("ascii")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "\n".join(
            ["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----", ""]
        )

    @classmethod
    def from_der(cls, der: bytes) -> Certificate:
        """Parse DER bytes; the result is cached per distinct DER."""
        return _parse_der(bytes(der))

    @classmethod
    def load(cls, data: bytes) -> Certificate:
        """Parse a certificate given as DER or PEM bytes."""
        return cls.from_der(_pem_or_der_to_der(data))

    @classmethod
    def from_api_field(cls, value: str) -> Certificate:
        """Parse the API's `certificate` field (base64 of PEM or of DER)."""
        try:
            decoded = base64.b64decode(
                _WHITESPACE.sub(b"", value.encode("ascii")), validate=True
            )
        except (UnicodeEncodeError, binascii.Error) as error:
            raise InvalidCertificateError("the value is not base64") from error
        return cls.load(decoded)

    def to_api_field(self) -> str:
        """Return the API's shape of the certificate: base64 of its PEM text."""
        return base64.b64encode(self.pem().encode("ascii")).decode("ascii")


def _pem_or_der_to_der(data: bytes) -> bytes:
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        match = _PEM_BLOCK.search(stripped)
        if match is None:
            raise InvalidCertificateError(
                "PEM text without a complete CERTIFICATE block"
            )
        try:
            return base64.b64decode(_WHITESPACE.sub(b"", match["body"]), validate=True)
        except binascii.Error as error:
            raise InvalidCertificateError("the PEM body is not base64") from error
    if stripped[:1] == b"\x30":
        return data
    raise InvalidCertificateError(
        "neither PEM text nor DER (first byte is not SEQUENCE)"
    )


@lru_cache(maxsize=4096)
def _parse_der(data: bytes) -> Certificate:
    try:
        certificate = der.expect(der.read_single(data), der.SEQUENCE)
        parts = der.children(certificate)
        if len(parts) != 3:
            raise der.DerError("a certificate has three parts")
        tbs = der.children(der.expect(parts[0], der.SEQUENCE))
        if tbs and tbs[0].tag == der.CONTEXT_0:
            tbs = tbs[1:]
        if len(tbs) < 6:
            raise der.DerError("tbsCertificate is too short")
        not_before, not_after = _validity(tbs[3])
        spki = der.expect(tbs[5], der.SEQUENCE)
        algorithm, subject_key = der.children(spki)
        algorithm_parts = der.children(der.expect(algorithm, der.SEQUENCE))
        oid = der.decode_oid(algorithm_parts[0])
        parameters = algorithm_parts[1].encoded if len(algorithm_parts) > 1 else b""
        bits = der.expect(subject_key, der.BIT_STRING).value
        if not bits or bits[0] != 0:
            raise der.DerError("subjectPublicKey has unused bits")
    except (der.DerError, ValueError, IndexError) as error:
        raise InvalidCertificateError(
            f"not a valid X.509 certificate: {error}"
        ) from error
    return Certificate(
        der=data,
        fingerprint=hashlib.sha256(data).hexdigest(),
        spki=spki.encoded,
        key_algorithm_oid=oid,
        key_parameters=parameters,
        public_key=bits[1:],
        not_before=not_before,
        not_after=not_after,
    )


def _validity(
    element: der.Element,
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    times = der.children(der.expect(element, der.SEQUENCE))
    if len(times) != 2:
        raise der.DerError("validity has two times")
    return _time(times[0]), _time(times[1])


def _time(element: der.Element) -> datetime.datetime | None:
    # RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (years 50-99 are 19xx) until
    # 2049, GeneralizedTime YYYYMMDDHHMMSSZ from 2050 on. Parsed by slicing,
    # because strptime costs more than the rest of the certificate.
    text = element.value
    if element.tag == 0x17 and len(text) == 13:
        digits, year_length = text[:12], 2
    elif element.tag == 0x18 and len(text) == 15:
        digits, year_length = text[:14], 4
    else:
        return None
    if not digits.isdigit() or text[-1:] != b"Z":
        return None
    year = int(digits[:year_length])
    if year_length == 2:
        year += 1900 if year >= 50 else 2000
    month, day, hour, minute, second = (
        int(digits[i : i + 2]) for i in range(year_length, len(digits), 2)
    )
    try:
        return datetime.datetime(
            year, month, day, hour, minute, second, tzinfo=datetime.UTC
        )
    except ValueError:
        return None


def clear_certificate_cache() -> None:
    """Forget every parsed certificate (for benchmarks and long-lived processes)."""
    _parse_der.cache_clear()
