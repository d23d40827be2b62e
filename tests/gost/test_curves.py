"""Parameter sets of GOST R 34.10-2012 and the checks on keys and points."""

from __future__ import annotations

import secrets

import pytest
from ecdsa.ellipticcurve import CurveFp, PointJacobi
from ecdsa.numbertheory import square_root_mod_prime

from chatkeys_gost.curves import CURVES, Curve, curve_for_oid
from chatkeys_gost.errors import GostKeyError
from chatkeys_gost.fixedbase import DoublingTable

TC26_256A = "1.2.643.7.1.2.1.1.1"
TC26_512C = "1.2.643.7.1.2.1.2.3"
TEST_256 = "1.2.643.2.2.35.0"


@pytest.mark.parametrize("oid", sorted(CURVES))
def test_generator_on_curve_with_order_q(oid: str) -> None:
    curve = CURVES[oid]
    assert (curve.y**2 - curve.x**3 - curve.a * curve.x - curve.b) % curve.p == 0
    assert curve.is_infinity(curve.generator * curve.q)
    assert not curve.is_infinity(curve.generator * (curve.q - 1))


@pytest.mark.parametrize("oid", sorted(CURVES))
def test_cofactor_matches_curve_form(oid: str) -> None:
    curve = CURVES[oid]
    expected = 4 if curve.oid in (TC26_256A, TC26_512C) else 1
    assert curve.cofactor == expected


def test_aliases_share_curve() -> None:
    assert curve_for_oid("1.2.643.2.2.35.1") is curve_for_oid("1.2.643.7.1.2.1.1.2")
    assert curve_for_oid("1.2.643.2.2.36.0") is curve_for_oid("1.2.643.7.1.2.1.1.2")
    assert curve_for_oid("1.2.643.2.2.35.2") is curve_for_oid("1.2.643.7.1.2.1.1.3")
    assert curve_for_oid("1.2.643.2.2.35.3") is curve_for_oid("1.2.643.7.1.2.1.1.4")
    assert curve_for_oid("1.2.643.2.2.36.1") is curve_for_oid("1.2.643.7.1.2.1.1.4")


def test_unknown_parameter_set_rejected() -> None:
    with pytest.raises(GostKeyError, match=r"1\.2\.3\.4"):
        curve_for_oid("1.2.3.4")


def test_public_key_of_standard_example() -> None:
    # GOST R 34.10-2012 appendix A.1 (RFC 7091 section 7.1).
    curve = curve_for_oid(TEST_256)
    point = curve.public_point(
        0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28
    )
    x, y = curve.affine(point)
    assert x == 0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B
    assert y == 0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA


@pytest.mark.parametrize("d", [0, -1, "q", "q+1"])
def test_private_key_out_of_range_rejected(d: int | str) -> None:
    curve = curve_for_oid(TC26_256A)
    value = {"q": curve.q, "q+1": curve.q + 1}.get(d, d) if isinstance(d, str) else d
    assert isinstance(value, int)
    with pytest.raises(GostKeyError, match=r"\[1, q-1\]"):
        curve.public_point(value)


def test_private_key_bounds_accepted() -> None:
    curve = curve_for_oid(TC26_256A)
    assert curve.affine(curve.public_point(1)) == (curve.x, curve.y)
    assert curve.affine(curve.public_point(curve.q - 1)) == (curve.x, curve.p - curve.y)


def test_point_round_trip_little_endian() -> None:
    curve = curve_for_oid(TC26_256A)
    point = curve.public_point(12345)
    data = curve.point_to_bytes(point)
    x, y = curve.affine(point)
    assert data[:32] == x.to_bytes(32, "little")
    assert data[32:] == y.to_bytes(32, "little")
    assert curve.affine(curve.point_from_bytes(data)) == (x, y)


def test_whole_buffer_reversed_is_off_curve() -> None:
    curve = curve_for_oid("1.2.643.7.1.2.1.1.2")
    data = curve.point_to_bytes(curve.public_point(987654321))
    with pytest.raises(GostKeyError, match="not a point on"):
        curve.point_from_bytes(data[::-1])


def test_off_curve_point_rejected() -> None:
    curve = curve_for_oid(TC26_256A)
    with pytest.raises(GostKeyError, match="not a point on"):
        curve.point(curve.x, (curve.y + 1) % curve.p)


def test_coordinate_not_below_p_rejected() -> None:
    curve = curve_for_oid("1.2.643.7.1.2.1.1.2")
    with pytest.raises(GostKeyError, match="below p"):
        curve.point(curve.x + curve.p, curve.y)


def test_wrong_length_rejected() -> None:
    curve = curve_for_oid(TC26_256A)
    with pytest.raises(GostKeyError, match="63 bytes"):
        curve.point_from_bytes(bytes(63))


def test_small_subgroup_point_rejected() -> None:
    # TC26 256-A has cofactor 4: adding a point of order 2 to a valid key
    # keeps it on the curve but moves it out of the subgroup of order q.
    curve = curve_for_oid(TC26_256A)
    mixed = curve.public_point(5) + _point_of_order_two(curve)
    x, y = curve.affine(mixed)
    with pytest.raises(GostKeyError, match="subgroup"):
        curve.point(x, y)


def _point_of_order_two(curve: Curve) -> PointJacobi:
    # q * P of a random point P of the whole curve lies in the torsion of
    # order dividing 4; doubling an element of order 4 gives order 2.
    p = curve.p
    while True:
        x = secrets.randbelow(p)
        rhs = (x**3 + curve.a * x + curve.b) % p
        if pow(rhs, (p - 1) // 2, p) != 1:
            continue
        y = int(square_root_mod_prime(rhs, p))
        torsion = PointJacobi(CurveFp(p, curve.a, curve.b, 4), x, y, 1) * curve.q
        if curve.is_infinity(torsion):
            continue
        doubled = torsion * 2
        return torsion if curve.is_infinity(doubled) else doubled


@pytest.mark.parametrize("oid", [TC26_256A, "1.2.643.7.1.2.1.1.2", TC26_512C])
def test_comb_matches_generic_multiplication(oid: str) -> None:
    curve = curve_for_oid(oid)
    scalars = [1, 2, 255, 256, 257, curve.q - 1, curve.q - 256]
    scalars += [curve.random_scalar() for _ in range(20)]

    for k in scalars:
        assert curve.generator_x(k) == int((curve.generator * k).x()), k


def test_comb_equal_points_fall_back() -> None:
    # With q near 2^254, c * 2^248 * G for a top byte c can equal the sum of
    # the lower rows; the comb then meets equal x coordinates mid-sum.
    curve = curve_for_oid(TC26_256A)
    for top in range(1, 256):
        low = top * 2**248 % curve.q
        if low < 2**248:
            break
    k = top * 2**248 + low

    assert low < 2**248
    assert curve.generator_x(k) == int((curve.generator * (2 * low % curve.q)).x())


def test_point_at_infinity_rejected() -> None:
    curve = curve_for_oid(TC26_256A)
    infinity = curve.generator * curve.q

    with pytest.raises(GostKeyError, match="infinity"):
        curve.point_to_bytes(infinity)


@pytest.mark.parametrize("oid", [TC26_256A, "1.2.643.7.1.2.1.1.4", TC26_512C])
def test_doubling_table_matches_generic(oid: str) -> None:
    curve = curve_for_oid(oid)
    point = curve.public_point(curve.random_scalar())
    x, y = curve.affine(point)
    table = DoublingTable(x, y, curve.a, curve.p)
    scalars = [1, 2, 3, 2**63, 2**64 - 1] + [
        secrets.randbits(64) | 1 for _ in range(10)
    ]

    for k in scalars:
        assert table.multiple(k) == curve.affine(point * k), k
    with pytest.raises(ValueError, match="scalar"):
        table.multiple(0)
    with pytest.raises(ValueError, match="scalar"):
        table.multiple(2**64)
