"""VKO GOST R 34.10-2012 (RFC 7836) and its cached form."""

from __future__ import annotations

import pytest

from chatkeys_gost.curves import curve_for_oid
from chatkeys_gost.errors import GostKeyError
from chatkeys_gost.vko import VkoContext, keg, vko_256, vko_512


def _le(text: str) -> int:
    return int.from_bytes(bytes.fromhex(text), "little")


# RFC 7836 appendix A.2, on id-tc26-gost-3410-12-512-paramSetA. Keys and the
# UKM are printed as little-endian bytes.
CURVE_OID = "1.2.643.7.1.2.1.2.1"
UKM = bytes.fromhex("1d80603c8544c727")
PRIVATE_A = _le(
    "c990ecd972fce84ec4db022778f50fcac726f46708384b8d458304962d7147f8"
    "c2db41cef22c90b102f2968404f9b9be6d47c79692d81826b32b8daca43cb667"
)
PRIVATE_B = _le(
    "48c859f7b6f11585887cc05ec6ef1390cfea739b1a18c0d4662293ef63b79e3b"
    "8014070b44918590b4b996acfea4edfbbbcccc8c06edd8bf5bda92a51392d0db"
)
PUBLIC_B = bytes.fromhex(
    "192fe183b9713a077253c72c8735de2ea42a3dbc66ea317838b65fa32523cd5e"
    "fca974eda7c863f4954d1147f1f2b25c395fce1c129175e876d132e94ed5a651"
    "04883b414c9b592ec4dc84826f07d0b6d9006dda176ce48c391e3f97d102e03b"
    "b598bf132a228a45f7201aba08fc524a2d77e43a362ab022ad4028f75bde3b79"
)
KEK_256 = bytes.fromhex(
    "c9a9a77320e2cc559ed72dce6f47e2192ccea95fa648670582c054c0ef36c221"
)
KEK_512 = bytes.fromhex(
    "79f002a96940ce7bde3259a52e015297adaad84597a0d205b50e3e1719f97bfa"
    "7ee1d2661fa9979a5aa235b558a7e6d9f88f982dd63fc35a8ec0dd5e242d3bdf"
)


def test_public_key_bytes_match_rfc() -> None:
    curve = curve_for_oid(CURVE_OID)

    assert curve.point_to_bytes(curve.public_point(PRIVATE_B)) == PUBLIC_B


def test_vko_256_matches_rfc_both_ways() -> None:
    curve = curve_for_oid(CURVE_OID)
    public_a = curve.public_point(PRIVATE_A)
    public_b = curve.point_from_bytes(PUBLIC_B)

    assert vko_256(curve, PRIVATE_A, public_b, UKM) == KEK_256
    assert vko_256(curve, PRIVATE_B, public_a, UKM) == KEK_256


def test_vko_512_matches_rfc_both_ways() -> None:
    curve = curve_for_oid(CURVE_OID)
    public_a = curve.public_point(PRIVATE_A)
    public_b = curve.point_from_bytes(PUBLIC_B)

    assert vko_512(curve, PRIVATE_A, public_b, UKM) == KEK_512
    assert vko_512(curve, PRIVATE_B, public_a, UKM) == KEK_512


def test_ukm_read_little_endian() -> None:
    curve = curve_for_oid(CURVE_OID)
    public_b = curve.point_from_bytes(PUBLIC_B)

    assert vko_256(curve, PRIVATE_A, public_b, UKM[::-1]) != KEK_256


def test_context_reuse_matches_one_shot() -> None:
    curve = curve_for_oid("1.2.643.7.1.2.1.1.1")
    d_a, d_b = curve.random_scalar(), curve.random_scalar()
    context = VkoContext(curve, d_a, curve.public_point(d_b))
    for ukm in (b"\x01" * 8, bytes(range(8)), b"\xff" * 8):
        expected = vko_256(curve, d_b, curve.public_point(d_a), ukm)
        assert context.kek_256(int.from_bytes(ukm, "little")) == expected


@pytest.mark.parametrize("oid", ["1.2.643.7.1.2.1.1.1", "1.2.643.7.1.2.1.2.3"])
def test_cofactor_applied(oid: str) -> None:
    # With cofactor 4 the agreed point is 4*UKM*d*Q, not UKM*d*Q.
    curve = curve_for_oid(oid)
    d_a, d_b = curve.random_scalar(), curve.random_scalar()
    shared = VkoContext(curve, d_a, curve.public_point(d_b)).agreed_point(1)
    plain = curve.point_to_bytes(curve.generator * (d_a * d_b % curve.q))
    with_cofactor = curve.point_to_bytes(curve.generator * (4 * d_a * d_b % curve.q))

    assert shared == with_cofactor
    assert shared != plain


def test_zero_ukm_counts_as_one() -> None:
    curve = curve_for_oid("1.2.643.7.1.2.1.1.1")
    context = VkoContext(curve, 7, curve.public_point(11))

    assert context.kek_256(0) == context.kek_256(1)


def test_keg_needs_32_byte_ukm() -> None:
    curve = curve_for_oid("1.2.643.7.1.2.1.1.1")
    with pytest.raises(GostKeyError, match="32-byte UKM"):
        keg(curve, 7, curve.public_point(11), bytes(8))


@pytest.mark.parametrize("ukm", [1, 2**63 + 12345, 2**64 - 1, 2**64, 2**127 + 3])
def test_agreed_point_matches_direct_multiplication(ukm: int) -> None:
    # UKMs below 2^64 take the precomputed table; larger ones the plain path.
    curve = curve_for_oid("1.2.643.7.1.2.1.1.1")
    d_a, d_b = curve.random_scalar(), curve.random_scalar()
    public_b = curve.public_point(d_b)
    context = VkoContext(curve, d_a, public_b)
    expected = public_b * (curve.cofactor * ukm * d_a % curve.q)

    assert context.agreed_point(ukm) == curve.point_to_bytes(expected)
    assert context.agreed_point(ukm) == curve.point_to_bytes(expected)
