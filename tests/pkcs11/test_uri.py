"""RFC 7512 pkcs11: URI parsing and the PIN-free reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatkeys_pkcs11 import TokenUri, TokenUriError


def test_full_uri_parsed() -> None:
    uri = TokenUri.parse(
        "pkcs11:token=My%20Token;serial=1a2b;manufacturer=SoftHSM%20project;"
        "object=key%3B1;id=%01%02%ff;type=private;slot-id=7"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so&x-certificate-file=/tmp/c.pem"
    )
    assert uri.token == "My Token"
    assert uri.serial == "1a2b"
    assert uri.manufacturer == "SoftHSM project"
    assert uri.object_label == "key;1"
    assert uri.object_id == b"\x01\x02\xff"
    assert uri.object_type == "private"
    assert uri.slot_id == 7
    assert uri.module_path == "/usr/lib/softhsm/libsofthsm2.so"
    assert uri.certificate_file == "/tmp/c.pem"
    assert uri.read_pin() is None


def test_scheme_is_case_insensitive() -> None:
    assert TokenUri.parse("PKCS11:token=a").token == "a"


def test_pin_value_left_out_of_reference_and_repr() -> None:
    text = "pkcs11:token=a;object=k?pin-value=s3cr3t-PIN&module-path=/m.so"
    uri = TokenUri.parse(text)
    assert uri.read_pin() == "s3cr3t-PIN"
    assert uri.reference == "pkcs11:token=a;object=k?module-path=/m.so"
    assert "s3cr3t" not in repr(uri)


def test_pin_value_only_query_dropped() -> None:
    uri = TokenUri.parse("pkcs11:token=a?pin-value=1234")
    assert uri.reference == "pkcs11:token=a"


def test_pin_source_file_read(tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text("9876\n", encoding="utf-8")
    assert TokenUri.parse(f"pkcs11:token=a?pin-source={pin_file}").read_pin() == "9876"
    file_uri = f"pkcs11:token=a?pin-source=file://{pin_file}"
    assert TokenUri.parse(file_uri).read_pin() == "9876"


def test_missing_pin_source_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    uri = TokenUri.parse(f"pkcs11:token=a?pin-source={missing}")
    with pytest.raises(TokenUriError, match="absent"):
        uri.read_pin()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file:/x", "not a pkcs11: URI"),
        ("pkcs11:colour=red", "unknown path attribute 'colour'"),
        ("pkcs11:token=a?colour=red", "unknown query attribute 'colour'"),
        ("pkcs11:token=a;token=b", "appears twice"),
        ("pkcs11:token", "has no '='"),
        ("pkcs11:type=secret", "invalid object type"),
        ("pkcs11:slot-id=x", "invalid slot-id"),
        ("pkcs11:token=%ff", "not UTF-8"),
        ("pkcs11:token=a?pin-value=1&pin-source=/p", "not both"),
    ],
)
def test_invalid_uri_rejected(text: str, message: str) -> None:
    with pytest.raises(TokenUriError, match=message):
        TokenUri.parse(text)


def test_error_for_non_pkcs11_text_drops_pin() -> None:
    with pytest.raises(TokenUriError) as raised:
        TokenUri.parse("pkcs12:token=a?pin-value=topsecret")
    assert "topsecret" not in str(raised.value)


def test_vendor_attributes_ignored() -> None:
    uri = TokenUri.parse("pkcs11:token=a;x-vendor=1?x-other=2")
    assert uri.token == "a"


def test_descriptions_for_messages() -> None:
    uri = TokenUri.parse("pkcs11:token=a;serial=9;object=k;id=%10")
    assert uri.describe_token() == "token 'a' serial 9"
    assert uri.describe_object() == "object 'k' id 10"
    assert TokenUri.parse("pkcs11:").describe_token() == "any token"
