"""GOST public and private keys: SubjectPublicKeyInfo, PKCS#8, certificates."""

from __future__ import annotations

import pytest
from asn1crypto import core, x509

from chatkeys.certificates import Certificate
from chatkeys_gost.certificate import self_signed_certificate
from chatkeys_gost.curves import curve_for_oid
from chatkeys_gost.errors import GostIdentityError, GostKeyError
from chatkeys_gost.keys import (
    GENERATION_PARAMETER_SETS,
    OID_GOST2012_256,
    GostPrivateKey,
    GostPublicKey,
    pem_decode,
    pem_encode,
    pkcs8_algorithm_oid,
)
from chatkeys_gost.pbes2 import (
    decrypt_private_key_info,
    encrypt_private_key_info,
    pbkdf2_streebog512,
)
from chatkeys_gost.primitives.streebog import streebog256, streebog512
from chatkeys_gost.signature import Encoding, decode, verify_digest

from .conftest import STANDARD_PRIVATE_KEYS

TC26_256A = "1.2.643.7.1.2.1.1.1"


@pytest.mark.parametrize("algorithm", sorted(GENERATION_PARAMETER_SETS))
def test_spki_round_trip(algorithm: str) -> None:
    key = GostPrivateKey.generate(GENERATION_PARAMETER_SETS[algorithm]).public_key()
    parsed = GostPublicKey.from_spki(key.spki())

    assert parsed.to_bytes() == key.to_bytes()
    assert parsed.parameter_oid == key.parameter_oid
    assert parsed.digest_oid == key.digest_oid
    assert parsed.spki() == key.spki()


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("gost2012-256a", None),
        ("gost2012-256b", None),
        ("gost2012-512a", "1.2.643.7.1.1.2.3"),
        ("gost2012-512c", None),
    ],
)
def test_digest_parameter_as_engine_writes(algorithm: str, digest: str | None) -> None:
    key = GostPrivateKey.generate(GENERATION_PARAMETER_SETS[algorithm])

    assert key.digest_oid == digest


def test_cryptopro_set_carries_digest_parameter() -> None:
    key = GostPrivateKey.generate("1.2.643.2.2.35.1")

    assert key.digest_oid == "1.2.643.7.1.1.2.2"
    assert key.curve is curve_for_oid(GENERATION_PARAMETER_SETS["gost2012-256b"])


def test_certificate_without_digest_parameter(
    standard_certificates: dict[str, Certificate],
) -> None:
    # A TC26-A key whose parameters hold only the parameter set OID.
    private_key = GostPrivateKey.generate(TC26_256A)
    certificate = self_signed_certificate(private_key, "c4")
    parameters = core.Sequence.load(certificate.key_parameters)

    assert len(parameters) == 1
    public = GostPublicKey.from_certificate(certificate)
    assert public.curve is curve_for_oid(TC26_256A)
    assert public.digest_oid is None
    assert public.to_bytes() == private_key.public_key().to_bytes()


def test_certificate_with_digest_parameter(
    standard_certificates: dict[str, Certificate],
) -> None:
    recipient = standard_certificates["recipient"]
    public = GostPublicKey.from_certificate(recipient)
    expected = public.curve.public_point(STANDARD_PRIVATE_KEYS["recipient"])

    assert public.digest_oid == "1.2.643.7.1.1.2.2"
    assert public.to_bytes() == public.curve.point_to_bytes(expected)
    assert public.spki() == recipient.spki


@pytest.mark.parametrize("name", ["ca", "recipient"])
def test_standard_certificate_signature(
    name: str, standard_certificates: dict[str, Certificate]
) -> None:
    # The CA signed both certificates; RFC 4491 order, digest little-endian.
    ca = GostPublicKey.from_certificate(standard_certificates["ca"])
    parsed = x509.Certificate.load(standard_certificates[name].der)
    digest = streebog256(parsed["tbs_certificate"].dump())
    r, s = decode(ca.curve, parsed["signature_value"].native, Encoding.STANDARD)

    assert verify_digest(ca.curve, ca.point, digest, r, s)
    assert not verify_digest(ca.curve, ca.point, digest[::-1], r, s)


def test_self_signed_certificate_verifies() -> None:
    private_key = GostPrivateKey.generate("1.2.643.7.1.2.1.2.1")
    certificate = self_signed_certificate(private_key, "alice")
    parsed = x509.Certificate.load(certificate.der)

    digest = streebog512(parsed["tbs_certificate"].dump())
    r, s = decode(
        private_key.curve, parsed["signature_value"].native, Encoding.STANDARD
    )
    public = private_key.public_key()

    assert parsed.subject.native["common_name"] == "alice"
    assert verify_digest(private_key.curve, public.point, digest, r, s)


def test_non_gost_algorithm_rejected() -> None:
    with pytest.raises(GostKeyError, match=r"1\.2\.840\.10045\.2\.1"):
        GostPublicKey.from_parts("1.2.840.10045.2.1", b"\x05\x00", b"\x04\x00")


def test_mismatched_key_size_rejected() -> None:
    key = GostPrivateKey.generate("1.2.643.7.1.2.1.2.1").public_key()
    spki = key.spki().replace(
        b"\x2a\x85\x03\x07\x01\x01\x01\x02", b"\x2a\x85\x03\x07\x01\x01\x01\x01"
    )
    with pytest.raises(GostKeyError, match="512-bit"):
        GostPublicKey.from_spki(spki)


def test_pkcs8_round_trip() -> None:
    key = GostPrivateKey.generate(TC26_256A)
    der = key.to_pkcs8_der()
    parsed = GostPrivateKey.from_pkcs8_der(der)

    assert parsed.scalar == key.scalar
    assert parsed.curve is key.curve
    assert pkcs8_algorithm_oid(der) == OID_GOST2012_256
    assert der[-34:-32] == b"\x04\x20"
    assert der[-32:] == key.scalar.to_bytes(32, "little")


def _with_private_key_field(key: GostPrivateKey, inner: bytes) -> bytes:
    der = key.to_pkcs8_der()
    prefix = der[:-34]
    body = prefix[2:] + core.OctetString(inner).dump()
    return b"\x30" + bytes([len(body)]) + body


def test_pkcs8_legacy_layouts_read() -> None:
    key = GostPrivateKey.generate(TC26_256A)
    nested = core.OctetString(key.scalar.to_bytes(32, "little")).dump()
    integer = core.Integer(key.scalar).dump()

    assert (
        GostPrivateKey.from_pkcs8_der(_with_private_key_field(key, nested)).scalar
        == key.scalar
    )
    assert (
        GostPrivateKey.from_pkcs8_der(_with_private_key_field(key, integer)).scalar
        == key.scalar
    )


def test_pkcs8_scalar_out_of_range_rejected() -> None:
    key = GostPrivateKey.generate(TC26_256A)
    too_large = (key.curve.q + 1).to_bytes(32, "little")
    with pytest.raises(GostKeyError, match=r"\[1, q-1\]"):
        GostPrivateKey.from_pkcs8_der(_with_private_key_field(key, too_large))


def test_private_key_repr_hides_scalar() -> None:
    key = GostPrivateKey.generate(TC26_256A)

    assert str(key.scalar) not in repr(key)
    assert hex(key.scalar)[2:] not in repr(key)


def test_pem_round_trip() -> None:
    data = pem_encode("PRIVATE KEY", b"\x30\x00") + pem_encode(
        "CERTIFICATE", b"\x30\x01"
    )

    assert pem_decode(b"junk\n" + data) == [
        ("PRIVATE KEY", b"\x30\x00"),
        ("CERTIFICATE", b"\x30\x01"),
    ]


@pytest.mark.parametrize(
    ("iterations", "expected"),
    [
        (
            1,
            "64770af7f748c3b1c9ac831dbcfd85c26111b30a8a657ddc3056b80ca73e040d"
            "2854fd36811f6d825cc4ab66ec0a68a490a9e5cf5156b3a2b7eecddbf9a16b47",
        ),
        (
            2,
            "5a585bafdfbb6e8830d6d68aa3b43ac00d2e4aebce01c9b31c2caed56f0236d4"
            "d34b2b8fbd2c4e89d54d46f50e47d45bbac301571743119e8d3c42ba66d348de",
        ),
    ],
)
def test_pbkdf2_streebog512_vectors(iterations: int, expected: str) -> None:
    # R 50.1.111-2016 appendix A.
    derived = pbkdf2_streebog512(b"password", b"salt", iterations, 64)

    assert derived.hex() == expected


def test_encrypted_private_key_round_trip() -> None:
    der = GostPrivateKey.generate(TC26_256A).to_pkcs8_der()
    encrypted = encrypt_private_key_info(der, "пароль")

    assert decrypt_private_key_info(encrypted, "пароль") == der
    with pytest.raises(GostIdentityError, match="passphrase"):
        decrypt_private_key_info(encrypted, "parol")
