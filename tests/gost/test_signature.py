"""GOST R 34.10-2012 signatures: standard examples, byte orders, range checks."""

from __future__ import annotations

import pytest

from chatkeys_gost.curves import curve_for_oid
from chatkeys_gost.errors import GostKeyError
from chatkeys_gost.primitives.streebog import streebog256
from chatkeys_gost.signature import (
    Encoding,
    _sign_with_nonce,
    decode,
    encode,
    sign_digest,
    verify_digest,
)

# GOST R 34.10-2012 appendix A.1 (RFC 7091 section 7.1). The standard prints
# e as a number; the digest bytes that produce it are its little-endian form.
EXAMPLE_256 = {
    "oid": "1.2.643.2.2.35.0",
    "d": 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28,
    "e": 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5,
    "k": 0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3,
    "r": 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493,
    "s": 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40,
}

# GOST R 34.10-2012 appendix A.2 (RFC 7091 section 7.2).
EXAMPLE_512 = {
    "oid": "1.2.643.7.1.2.1.2.0",
    "d": int(
        "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020"
        "72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
        16,
    ),
    "e": int(
        "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591"
        "7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
        16,
    ),
    "k": int(
        "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658"
        "86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
        16,
    ),
    "r": int(
        "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3"
        "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
        16,
    ),
    "s": int(
        "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5"
        "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
        16,
    ),
}

TC26_256A = "1.2.643.7.1.2.1.1.1"


@pytest.mark.parametrize("example", [EXAMPLE_256, EXAMPLE_512], ids=["256", "512"])
def test_standard_example_signature(example: dict[str, object]) -> None:
    curve = curve_for_oid(str(example["oid"]))
    d, e, k = int(example["d"]), int(example["e"]), int(example["k"])  # type: ignore[call-overload]
    digest = e.to_bytes(curve.size, "little")

    assert _sign_with_nonce(curve, d, digest, k) == (example["r"], example["s"])


@pytest.mark.parametrize("example", [EXAMPLE_256, EXAMPLE_512], ids=["256", "512"])
def test_standard_example_verifies(example: dict[str, object]) -> None:
    curve = curve_for_oid(str(example["oid"]))
    d, e = int(example["d"]), int(example["e"])  # type: ignore[call-overload]
    r, s = int(example["r"]), int(example["s"])  # type: ignore[call-overload]
    public = curve.public_point(d)

    assert verify_digest(curve, public, e.to_bytes(curve.size, "little"), r, s)


def test_digest_order_only_little_endian_verifies() -> None:
    # Exactly one reading of the digest verifies the example, and it is the
    # little-endian one that `digest_to_integer` uses.
    example = EXAMPLE_256
    curve = curve_for_oid(str(example["oid"]))
    d, e = int(example["d"]), int(example["e"])  # type: ignore[call-overload]
    r, s = int(example["r"]), int(example["s"])  # type: ignore[call-overload]
    public = curve.public_point(d)
    digest = e.to_bytes(32, "little")

    assert verify_digest(curve, public, digest, r, s)
    assert not verify_digest(curve, public, digest[::-1], r, s)


def test_cryptoapi_order_is_reversed_standard() -> None:
    # A key pair, the message "abc" and a standard signature S (s || r): the
    # CryptoAPI order is S reversed, and S read in CryptoAPI order fails.
    curve = curve_for_oid(TC26_256A)
    d = curve.random_scalar()
    public = curve.public_point(d)
    digest = streebog256(b"abc")
    r, s = sign_digest(curve, d, digest)
    standard = encode(curve, r, s, Encoding.STANDARD)
    cryptoapi = encode(curve, r, s, Encoding.CRYPTOAPI)

    assert cryptoapi == standard[::-1]
    assert standard[:32] == s.to_bytes(32, "big")
    assert cryptoapi[:32] == r.to_bytes(32, "little")
    assert verify_digest(
        curve, public, digest, *decode(curve, standard[::-1], Encoding.CRYPTOAPI)
    )
    assert verify_digest(
        curve, public, digest, *decode(curve, standard, Encoding.STANDARD)
    )
    assert not verify_digest(
        curve, public, digest, *decode(curve, standard, Encoding.CRYPTOAPI)
    )


def test_other_message_fails() -> None:
    curve = curve_for_oid(TC26_256A)
    d = curve.random_scalar()
    r, s = sign_digest(curve, d, streebog256(b"abc"))

    assert not verify_digest(curve, curve.public_point(d), streebog256(b"abd"), r, s)


def test_other_key_fails() -> None:
    curve = curve_for_oid(TC26_256A)
    digest = streebog256(b"abc")
    r, s = sign_digest(curve, curve.random_scalar(), digest)

    assert not verify_digest(
        curve, curve.public_point(curve.random_scalar()), digest, r, s
    )


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), ("q", 1), (1, "q"), ("q+r", "s"), ("r", "q+s")],
)
def test_values_outside_range_rejected(r: int | str, s: int | str) -> None:
    curve = curve_for_oid(TC26_256A)
    d = curve.random_scalar()
    digest = streebog256(b"abc")
    good_r, good_s = sign_digest(curve, d, digest)
    names = {"q": curve.q, "r": good_r, "s": good_s, "q+r": curve.q + good_r}
    names["q+s"] = curve.q + good_s
    value_r = names[r] if isinstance(r, str) else r
    value_s = names[s] if isinstance(s, str) else s

    assert not verify_digest(curve, curve.public_point(d), digest, value_r, value_s)


def test_signature_of_wrong_length_rejected() -> None:
    curve = curve_for_oid(TC26_256A)
    with pytest.raises(GostKeyError, match="65 bytes"):
        decode(curve, bytes(65), Encoding.STANDARD)


@pytest.mark.parametrize(
    "oid", [TC26_256A, "1.2.643.7.1.2.1.2.1", "1.2.643.7.1.2.1.2.3"]
)
def test_sign_verify_round_trip(oid: str) -> None:
    curve = curve_for_oid(oid)
    d = curve.random_scalar()
    digest = bytes(range(curve.size))
    r, s = sign_digest(curve, d, digest)

    assert verify_digest(curve, curve.public_point(d), digest, r, s)


def test_sign_rejects_invalid_private_key() -> None:
    curve = curve_for_oid(TC26_256A)
    with pytest.raises(GostKeyError):
        sign_digest(curve, curve.q, bytes(32))
