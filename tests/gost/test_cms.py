"""CMS key copies: the R 1323565.1.025-2019 example and KExp15 round trips."""

from __future__ import annotations

import base64

import pytest
from asn1crypto import cms, core

from chatkeys.certificates import Certificate
from chatkeys_gost.certificate import self_signed_certificate
from chatkeys_gost.cms import export_kexp15, import_key_copy, is_cms_copy
from chatkeys_gost.curves import curve_for_oid
from chatkeys_gost.errors import GostKeyImportError
from chatkeys_gost.keys import GostPrivateKey
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.modes import ctr_acpkm

from .conftest import STANDARD_PRIVATE_KEYS, VECTORS

EXAMPLE_TEXT = "Контрольный пример для структуры EnvelopedData."
TC26_256A = "1.2.643.7.1.2.1.1.1"


def _example() -> cms.EnvelopedData:
    data = base64.b64decode((VECTORS / "r1323565-1-025-2019-ktri-256.b64").read_bytes())
    return cms.ContentInfo.load(data)["content"]


def _recipient_key() -> GostPrivateKey:
    curve = curve_for_oid(TC26_256A)
    return GostPrivateKey(curve, STANDARD_PRIVATE_KEYS["recipient"], TC26_256A)


def test_standard_example_decrypts(
    standard_certificates: dict[str, Certificate],
) -> None:
    enveloped = _example()
    ktri = enveloped["recipient_infos"][0].chosen.dump()
    copy = import_key_copy(ktri, _recipient_key(), standard_certificates["recipient"])
    content_info = enveloped["encrypted_content_info"]
    parameters = content_info["content_encryption_algorithm"]["parameters"].dump()
    ukm = core.Sequence.load(parameters)[0].native
    encrypted = content_info["encrypted_content"].native
    content = ctr_acpkm(Kuznyechik(copy.key), ukm[:8], encrypted, 256 * 1024)

    assert copy.scheme == "kexp15-kuznyechik"
    assert len(copy.key) == 32
    assert content.decode("cp1251") == EXAMPLE_TEXT


def test_standard_example_is_cms_copy() -> None:
    ktri = _example()["recipient_infos"][0].chosen.dump()

    assert is_cms_copy(ktri)
    assert not is_cms_copy(b"\x49\x00\x00\x00" + bytes(77))
    assert not is_cms_copy(b"\x30\x03\x02\x01\x00")


def test_standard_example_other_key_fails(
    standard_certificates: dict[str, Certificate],
) -> None:
    ktri = _example()["recipient_infos"][0].chosen.dump()
    curve = curve_for_oid(TC26_256A)
    wrong = GostPrivateKey(curve, STANDARD_PRIVATE_KEYS["recipient"] + 1, TC26_256A)

    with pytest.raises(GostKeyImportError, match="MAC"):
        import_key_copy(ktri, wrong, standard_certificates["recipient"])


def test_standard_example_other_certificate_rejected(
    standard_certificates: dict[str, Certificate],
) -> None:
    ktri = _example()["recipient_infos"][0].chosen.dump()

    with pytest.raises(GostKeyImportError, match="another certificate"):
        import_key_copy(ktri, _recipient_key(), standard_certificates["ca"])


@pytest.mark.parametrize(
    "oid", [TC26_256A, "1.2.643.7.1.2.1.1.2", "1.2.643.7.1.2.1.2.1"]
)
def test_kexp15_round_trip(oid: str) -> None:
    private_key = GostPrivateKey.generate(oid)
    certificate = self_signed_certificate(private_key, "bob")
    key = bytes(range(32))
    copy = export_kexp15(key, certificate)
    opened = import_key_copy(copy, private_key, certificate)

    assert opened.key == key
    assert is_cms_copy(copy)


def test_kexp15_copies_differ() -> None:
    private_key = GostPrivateKey.generate(TC26_256A)
    certificate = self_signed_certificate(private_key, "bob")

    assert export_kexp15(bytes(32), certificate) != export_kexp15(
        bytes(32), certificate
    )


def test_tampered_copy_rejected() -> None:
    private_key = GostPrivateKey.generate(TC26_256A)
    certificate = self_signed_certificate(private_key, "bob")
    copy = bytearray(export_kexp15(bytes(32), certificate))
    position = copy.index(b"\x04\x30") + 5
    copy[position] ^= 1

    with pytest.raises(GostKeyImportError, match="MAC"):
        import_key_copy(bytes(copy), private_key, certificate)


def test_truncated_copy_rejected() -> None:
    private_key = GostPrivateKey.generate(TC26_256A)
    certificate = self_signed_certificate(private_key, "bob")
    copy = export_kexp15(bytes(32), certificate)

    with pytest.raises(GostKeyImportError, match="malformed"):
        import_key_copy(copy[:-5], private_key, certificate)


def test_copy_for_other_curve_rejected() -> None:
    ours = GostPrivateKey.generate(TC26_256A)
    ours_certificate = self_signed_certificate(ours, "bob")
    other = GostPrivateKey.generate("1.2.643.7.1.2.1.1.2")
    other_certificate = self_signed_certificate(other, "bob")
    copy = export_kexp15(bytes(32), other_certificate)

    with pytest.raises(GostKeyImportError):
        import_key_copy(copy, ours, ours_certificate)
