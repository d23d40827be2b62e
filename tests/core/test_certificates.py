from __future__ import annotations

import base64
import hashlib

import pytest

from chatkeys.certificates import Certificate, key_algorithm
from chatkeys.errors import InvalidCertificateError

from .conftest import make_certificate_der


def _pem(der: bytes, newline: str) -> bytes:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = newline.join(
        ["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"]
    )
    return (text + newline).encode()


def test_api_field_shapes_give_same_der() -> None:
    der = make_certificate_der()
    shapes = {
        "pem-lf": _pem(der, "\n"),
        "pem-crlf": _pem(der, "\r\n"),
        "pem-one-line": _pem(der, ""),
        "der": der,
    }
    for name, raw in shapes.items():
        parsed = Certificate.from_api_field(base64.b64encode(raw).decode())
        assert parsed.der == der, name
        assert parsed.fingerprint == hashlib.sha256(der).hexdigest(), name


def test_parse_reads_key_algorithm() -> None:
    certificate = Certificate.from_der(make_certificate_der())
    assert certificate.key_algorithm_oid == "1.2.840.10045.2.1"
    assert certificate.key_parameters.hex() == "06082a8648ce3d030107"  # prime256v1
    assert certificate.public_key[0] == 4
    assert len(certificate.public_key) == 65


def test_parse_is_cached_by_der() -> None:
    der = make_certificate_der()
    assert Certificate.from_der(der) is Certificate.from_der(bytes(der))


def test_api_field_round_trip() -> None:
    certificate = Certificate.from_der(make_certificate_der())
    assert Certificate.from_api_field(certificate.to_api_field()) == certificate


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64 at all!", "not base64"),
        (base64.b64encode(b"hello").decode(), "neither PEM"),
        (base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n").decode(), "PEM"),
        (base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "not a valid X.509"),
        (base64.b64encode(b"\x30\x84\xff\xff\xff\xff").decode(), "not a valid X.509"),
        (base64.b64encode(b"\x30\x80\x00\x00").decode(), "indefinite"),
    ],
)
def test_api_field_rejects_malformed(value: str, message: str) -> None:
    with pytest.raises(InvalidCertificateError, match=message):
        Certificate.from_api_field(value)


def test_trailing_bytes_rejected() -> None:
    der = make_certificate_der()
    with pytest.raises(InvalidCertificateError, match="trailing"):
        Certificate.from_der(der + b"\x00")


def test_truncated_der_rejected_at_every_length() -> None:
    der = make_certificate_der()
    for length in range(0, len(der), 7):
        with pytest.raises(InvalidCertificateError):
            Certificate.from_der(der[:length])


def test_key_algorithm_names_distribution() -> None:
    assert key_algorithm("1.2.643.7.1.1.1.1").distribution == "chatkeys-gost"
    assert key_algorithm("1.2.840.113549.1.1.1").distribution == "chatkeys-soft"
    assert key_algorithm("1.3.101.112").distribution is None
    assert "1.2.3.4" in key_algorithm("1.2.3.4").name


def test_validity_read_from_certificate() -> None:
    import datetime

    certificate = Certificate.from_der(make_certificate_der())
    assert certificate.not_before is not None
    assert certificate.not_after is not None
    assert certificate.not_before < certificate.not_after
    assert certificate.validity_problem() == ""
    past = datetime.datetime(1999, 1, 1, tzinfo=datetime.UTC)
    assert "not valid before" in certificate.validity_problem(past)


def test_certificate_times_read_by_rfc_5280() -> None:
    import datetime

    from chatkeys import der
    from chatkeys.certificates import _time

    def at(tag: int, text: bytes) -> datetime.datetime | None:
        return _time(der.Element(tag, text, b""))

    utc = datetime.UTC
    assert at(0x17, b"491231235959Z") == datetime.datetime(
        2049, 12, 31, 23, 59, 59, tzinfo=utc
    )
    assert at(0x17, b"500101000000Z") == datetime.datetime(1950, 1, 1, tzinfo=utc)
    assert at(0x18, b"21260101000000Z") == datetime.datetime(2126, 1, 1, tzinfo=utc)
    assert at(0x17, b"9912312359Z") is None  # no seconds
    assert at(0x17, b"ab1231235959Z") is None
    assert at(0x17, b"991331235959Z") is None  # month 13
    assert at(0x18, b"21260101000000+0300") is None
    assert at(0x04, b"491231235959Z") is None
