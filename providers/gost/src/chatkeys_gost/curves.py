"""Elliptic curves of GOST R 34.10-2012 and the point checks every caller needs.

Every parameter set of R 1323565.1.024-2019 is here in short Weierstrass form
y^2 = x^3 + ax + b (mod p), with the subgroup order q and the cofactor. The two
twisted-Edwards sets (TC26 256-A and 512-C) are given by their Weierstrass
equivalents, as RFC 7836 prints them, and have cofactor 4. The CryptoPro
OIDs of GOST R 34.10-2001 name the same curves as TC26 256-B, C and D, and
the two test curves of RFC 7091 are included for the standard's examples.

Arithmetic runs on `ecdsa` Jacobian points (accelerated by gmpy2 when it is
installed), with a precomputed table for each generator. It is not
constant-time: see the package documentation.

This module contains no hashing and no encodings other than the little-endian
point layout of GOST public keys.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property

from ecdsa.ellipticcurve import INFINITY, CurveFp, PointJacobi

from chatkeys_gost.errors import GostKeyError
from chatkeys_gost.fixedbase import CombTable

__all__ = [
    "CURVES",
    "Curve",
    "PointJacobi",
    "curve_for_oid",
]


@dataclass(frozen=True, eq=False)
class Curve:
    """One GOST R 34.10-2012 parameter set.

    `oid` is the parameter set's canonical OID and `aliases` the other OIDs
    that name the same curve. `size` is the length in bytes of a coordinate,
    of a private key and of each half of a signature (32 or 64).
    """

    name: str
    oid: str
    p: int
    a: int
    b: int
    q: int
    cofactor: int
    x: int
    y: int
    size: int
    aliases: tuple[str, ...] = ()
    _curve: CurveFp = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_curve", CurveFp(self.p, self.a, self.b, self.cofactor)
        )

    def __repr__(self) -> str:
        return f"<Curve {self.name}>"

    @cached_property
    def generator(self) -> PointJacobi:
        """The base point, with a precomputed multiplication table."""
        return PointJacobi(self._curve, self.x, self.y, 1, self.q, generator=True)

    @property
    def bits(self) -> int:
        """The key size in bits: 256 or 512."""
        return self.size * 8

    def check_private_key(self, d: int) -> int:
        """Return `d` when it is a valid private key, in [1, q-1]."""
        if not 0 < d < self.q:
            raise GostKeyError(
                f"private key is outside [1, q-1] for {self.name}; "
                "the key file is damaged or belongs to another parameter set"
            )
        return d

    @cached_property
    def _comb(self) -> CombTable:
        return CombTable(self.generator, self.p, self.size)

    def generator_x(self, k: int) -> int:
        """Return the affine x coordinate of k*G for a scalar k in [1, q-1].

        Uses the per-curve comb table of `chatkeys_gost.fixedbase`, built on
        the first call.
        """
        x = self._comb.x_of_multiple(k)
        if x is None:
            raise GostKeyError(f"k*G is the point at infinity on {self.name}")
        return x

    def public_point(self, d: int) -> PointJacobi:
        """Compute the public point d*G of the private key `d`."""
        return self.generator * self.check_private_key(d)

    def random_scalar(self) -> int:
        """Draw a uniform scalar in [1, q-1] from the system CSPRNG."""
        return 1 + secrets.randbelow(self.q - 1)

    def point(self, x: int, y: int) -> PointJacobi:
        """Build a public point from affine coordinates, rejecting invalid ones.

        The point must have coordinates in [0, p-1], lie on the curve, and,
        on curves with a cofactor, lie in the subgroup of order q. The point
        at infinity has no affine form, so it cannot be built here.
        """
        if not (0 <= x < self.p and 0 <= y < self.p):
            raise GostKeyError(f"public key coordinate is not below p of {self.name}")
        if not self._curve.contains_point(x, y):
            raise GostKeyError(
                f"public key is not a point on {self.name}; check the byte "
                "order (each coordinate is little-endian)"
            )
        point = PointJacobi(self._curve, x, y, 1, self.q)
        if self.cofactor != 1 and point * self.q != INFINITY:
            raise GostKeyError(
                f"public key is outside the subgroup of order q of {self.name}"
            )
        return point

    def point_from_bytes(self, data: bytes) -> PointJacobi:
        """Decode a public key given as little-endian X followed by little-endian Y."""
        if len(data) != 2 * self.size:
            raise GostKeyError(
                f"public key is {len(data)} bytes, {self.name} needs {2 * self.size}"
            )
        x = int.from_bytes(data[: self.size], "little")
        y = int.from_bytes(data[self.size :], "little")
        return self.point(x, y)

    def point_to_bytes(self, point: PointJacobi) -> bytes:
        """Encode `point` as little-endian X followed by little-endian Y."""
        x, y = self.affine(point)
        return x.to_bytes(self.size, "little") + y.to_bytes(self.size, "little")

    def affine(self, point: PointJacobi) -> tuple[int, int]:
        """Return the affine coordinates of `point`, rejecting the point at infinity."""
        if point == INFINITY:
            raise GostKeyError(
                f"the point at infinity of {self.name} is not a valid key"
            )
        return int(point.x()), int(point.y())

    def is_infinity(self, point: PointJacobi) -> bool:
        """Return whether `point` is the point at infinity."""
        return bool(point == INFINITY)


def _hex(text: str) -> int:
    return int(text.replace(" ", ""), 16)


_P256_B = _hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97")
_P512_A = _hex(
    "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff"
    "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff fffffdc7"
)

_DEFINITIONS = (
    Curve(
        name="id-tc26-gost-3410-2012-256-paramSetA",
        oid="1.2.643.7.1.2.1.1.1",
        p=_P256_B,
        a=_hex("c2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335"),
        b=_hex("295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513"),
        q=_hex("400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67"),
        cofactor=4,
        x=_hex("91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28"),
        y=_hex("32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5c"),
        size=32,
    ),
    Curve(
        name="id-tc26-gost-3410-2012-256-paramSetB",
        oid="1.2.643.7.1.2.1.1.2",
        p=_P256_B,
        a=_P256_B - 3,
        b=0xA6,
        q=_hex("ffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893"),
        cofactor=1,
        x=1,
        y=_hex("8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14"),
        size=32,
        # CryptoPro-A and CryptoPro-XchA of GOST R 34.10-2001
        aliases=("1.2.643.2.2.35.1", "1.2.643.2.2.36.0"),
    ),
    Curve(
        name="id-tc26-gost-3410-2012-256-paramSetC",
        oid="1.2.643.7.1.2.1.1.3",
        p=_hex("8000000000000000000000000000000000000000000000000000000000000c99"),
        a=_hex("8000000000000000000000000000000000000000000000000000000000000c96"),
        b=_hex("3e1af419a269a5f866a7d3c25c3df80ae979259373ff2b182f49d4ce7e1bbc8b"),
        q=_hex("800000000000000000000000000000015f700cfff1a624e5e497161bcc8a198f"),
        cofactor=1,
        x=1,
        y=_hex("3fa8124359f96680b83d1c3eb2c070e5c545c9858d03ecfb744bf8d717717efc"),
        size=32,
        # CryptoPro-B of GOST R 34.10-2001
        aliases=("1.2.643.2.2.35.2",),
    ),
    Curve(
        name="id-tc26-gost-3410-2012-256-paramSetD",
        oid="1.2.643.7.1.2.1.1.4",
        p=_hex("9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d759b"),
        a=_hex("9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d7598"),
        b=0x805A,
        q=_hex("9b9f605f5a858107ab1ec85e6b41c8aa582ca3511eddfb74f02f3a6598980bb9"),
        cofactor=1,
        x=0,
        y=_hex("41ece55743711a8c3cbf3783cd08c0ee4d4dc440d4641a8f366e550dfdb3bb67"),
        size=32,
        # CryptoPro-C and CryptoPro-XchB of GOST R 34.10-2001
        aliases=("1.2.643.2.2.35.3", "1.2.643.2.2.36.1"),
    ),
    Curve(
        name="id-tc26-gost-3410-12-512-paramSetA",
        oid="1.2.643.7.1.2.1.2.1",
        p=_P512_A,
        a=_P512_A - 3,
        b=_hex(
            "e8c2505d edfc86dd c1bd0b2b 6667f1da 34b82574 761cb0e8 79bd081c fd0b6265"
            "ee3cb090 f30d2761 4cb45740 10da90dd 862ef9d4 ebee4761 50319078 5a71c760"
        ),
        q=_hex(
            "ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff"
            "27e69532 f48d8911 6ff22b8d 4e056060 9b4b38ab fad2b85d cacdb141 1f10b275"
        ),
        cofactor=1,
        x=3,
        y=_hex(
            "7503cfe8 7a836ae3 a61b8816 e25450e6 ce5e1c93 acf1abc1 778064fd cbefa921"
            "df1626be 4fd036e9 3d75e6a5 0e3a41e9 8028fe5f c235f5b8 89a589cb 5215f2a4"
        ),
        size=64,
    ),
    Curve(
        name="id-tc26-gost-3410-12-512-paramSetB",
        oid="1.2.643.7.1.2.1.2.2",
        p=(1 << 511) + 0x6F,
        a=(1 << 511) + 0x6C,
        b=_hex(
            "687d1b45 9dc84145 7e3e06cf 6f5e2517 b97c7d61 4af138bc bf85dc80 6c4b289f"
            "3e965d2d b1416d21 7f8b276f ad1ab69c 50f78bee 1fa3106e fb8ccbc7 c5140116"
        ),
        q=_hex(
            "80000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001"
            "49a1ec14 2565a545 acfdb77b d9d40cfa 8b996712 101bea0e c6346c54 374f25bd"
        ),
        cofactor=1,
        x=2,
        y=_hex(
            "1a8f7eda 389b094c 2c071e36 47a8940f 3c123b69 7578c213 be6dd9e6 c8ec7335"
            "dcb228fd 1edf4a39 152cbcaa f8c03988 28041055 f94ceeec 7e213407 80fe41bd"
        ),
        size=64,
    ),
    Curve(
        name="id-tc26-gost-3410-2012-512-paramSetC",
        oid="1.2.643.7.1.2.1.2.3",
        p=_P512_A,
        a=_hex(
            "dc9203e5 14a72187 5485a529 d2c722fb 187bc898 0eb86664 4de41c68 e1430645"
            "46e861c0 e2c9edd9 2ade71f4 6fcf50ff 2ad97f95 1fda9f2a 2eb6546f 39689bd3"
        ),
        b=_hex(
            "b4c4ee28 cebc6c2c 8ac12952 cf37f16a c7efb6a9 f69f4b57 ffda2e4f 0de5ade0"
            "38cbc2ff f719d2c1 8de0284b 8bfef3b5 2b8cc7a5 f5bf0a3c 8d2319a5 312557e1"
        ),
        q=_hex(
            "3fffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff"
            "c98cdba4 6506ab00 4c33a9ff 5147502c c8eda9e7 a769a126 94623cef 47f023ed"
        ),
        cofactor=4,
        x=_hex(
            "e2e31edf c23de7bd ebe241ce 593ef5de 2295b7a9 cbaef021 d385f707 4cea043a"
            "a27272a7 ae602bf2 a7b9033d b9ed3610 c6fb8548 7eae97aa c5bc7928 c1950148"
        ),
        y=_hex(
            "f5ce40d9 5b5eb899 abbccff5 911cb857 7939804d 6527378b 8c108c3d 2090ff9b"
            "e18e2d33 e3021ed2 ef32d858 22423b63 04f726aa 854bae07 d0396e9a 9addc40f"
        ),
        size=64,
    ),
    # The example curves of GOST R 34.10-2012 appendix A (RFC 7091 section 7).
    Curve(
        name="id-GostR3410-2001-TestParamSet",
        oid="1.2.643.2.2.35.0",
        p=_hex("8000000000000000000000000000000000000000000000000000000000000431"),
        a=7,
        b=_hex("5fbff498aa938ce739b8e022fbafef40563f6e6a3472fc2a514c0ce9dae23b7e"),
        q=_hex("8000000000000000000000000000000150fe8a1892976154c59cfc193accf5b3"),
        cofactor=1,
        x=2,
        y=_hex("08e2a8a0e65147d4bd6316030e16d19c85c97f0a9ca267122b96abbcea7e8fc8"),
        size=32,
    ),
    Curve(
        name="id-tc26-gost-3410-2012-512-paramSetTest",
        oid="1.2.643.7.1.2.1.2.0",
        p=_hex(
            "4531acd1 fe0023c7 550d267b 6b2fee80 922b14b2 ffb90f04 d4eb7c09 b5d2d15d"
            "f1d85274 1af4704a 0458047e 80e4546d 35b8336f ac224dd8 1664bbf5 28be6373"
        ),
        a=7,
        b=_hex(
            "1cff0806 a31116da 29d8cfa5 4e57eb74 8bc5f377 e49400fd d788b649 eca1ac43"
            "61834013 b2ad7322 480a89ca 58e0cf74 bc9e540c 2add6897 fad0a308 4f302adc"
        ),
        q=_hex(
            "4531acd1 fe0023c7 550d267b 6b2fee80 922b14b2 ffb90f04 d4eb7c09 b5d2d15d"
            "a82f2d7e cb1dbac7 19905c5e ecc423f1 d86e25ed be23c595 d644aaf1 87e6e6df"
        ),
        cofactor=1,
        x=_hex(
            "24d19cc6 4572ee30 f396bf6e bbfd7a6c 5213b3b3 d7057cc8 25f91093 a68cd762"
            "fd606112 62cd838d c6b60aa7 eee804e2 8bc84997 7fac33b4 b530f1b1 20248a9a"
        ),
        y=_hex(
            "2bb312a4 3bd2ce6e 0d020613 c857acdd cfbf061e 91e5f2c3 f32447c2 59f39b2c"
            "83ab156d 77f1496b f7eb3351 e1ee4e43 dc1a18b9 1b24640b 6dbb92cb 1add371e"
        ),
        size=64,
    ),
)

CURVES: dict[str, Curve] = {}
"""Every curve by its canonical OID and by each alias OID."""

for _curve in _DEFINITIONS:
    CURVES[_curve.oid] = _curve
    for _alias in _curve.aliases:
        CURVES[_alias] = _curve


def curve_for_oid(oid: str) -> Curve:
    """Return the curve named by a parameter-set OID (canonical or alias)."""
    try:
        return CURVES[oid]
    except KeyError:
        raise GostKeyError(
            f"unknown GOST R 34.10 parameter set {oid}; the known sets are "
            "TC26 256 A-D, CryptoPro A/B/C/XchA/XchB and TC26 512 A-C"
        ) from None
