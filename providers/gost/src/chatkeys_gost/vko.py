"""Key agreement: VKO GOST R 34.10-2012 (RFC 7836) and KEG (RFC 9189).

VKO derives a key-encryption key from a private key d, the other side's
public point Q and a user keying material UKM:

    K = (h * UKM * d mod q) * Q        h = cofactor (4 on TC26 256-A, 512-C)
    KEK = Streebog(x_K || y_K)         coordinates little-endian

The UKM is read as a little-endian integer, and a UKM of 0 counts as 1.
`VkoContext` keeps the point h*d*Q, so each further UKM costs one
multiplication by a 64-bit scalar. This pays off because the Komandor format
exports every copy with a fresh 8-byte UKM, mostly to recipients the
exporter has met before.

KEG (R 1323565.1.020-2018, RFC 9189) turns a 32-byte UKM into 64 bytes of
keying material for KExp15: its first 16 bytes, read *big-endian*, are the VKO
UKM, and for 256-bit keys KDF_TREE expands the VKO output with ukm[16:24].
"""

from __future__ import annotations

from chatkeys_gost.curves import Curve, PointJacobi
from chatkeys_gost.errors import GostKeyError
from chatkeys_gost.fixedbase import DoublingTable
from chatkeys_gost.primitives.kdf import kdf_tree_256
from chatkeys_gost.primitives.streebog import streebog256, streebog512

__all__ = ["VkoContext", "keg", "vko_256", "vko_512"]

_SHORT_UKM_LIMIT = 1 << 64


class VkoContext:
    """The shared point h*d*Q of one private key and one public point.

    Holding it lets `kek_256` and `kek_512` run one short scalar
    multiplication per UKM instead of a full one.
    """

    __slots__ = ("_curve", "_shared", "_short_table")

    def __init__(
        self, curve: Curve, private_key: int, public_point: PointJacobi
    ) -> None:
        curve.check_private_key(private_key)
        self._curve = curve
        self._shared = public_point * (curve.cofactor * private_key % curve.q)
        if curve.is_infinity(self._shared):
            raise GostKeyError(
                f"key agreement on {curve.name} gave the point at infinity"
            )
        self._short_table: DoublingTable | None = None

    def agreed_point(self, ukm: int) -> bytes:
        """Return x || y (little-endian) of UKM * h*d*Q."""
        curve = self._curve
        ukm = ukm % curve.q or 1
        affine = None
        if ukm < _SHORT_UKM_LIMIT:
            if self._short_table is None:
                x, y = curve.affine(self._shared)
                self._short_table = DoublingTable(x, y, curve.a, curve.p)
            affine = self._short_table.multiple(ukm)
        if affine is None:
            affine = curve.affine(self._shared * ukm)
        size = curve.size
        return affine[0].to_bytes(size, "little") + affine[1].to_bytes(size, "little")

    def kek_256(self, ukm: int) -> bytes:
        """Return VKO_GOSTR3410_2012_256, the Streebog-256 of the agreed point."""
        return streebog256(self.agreed_point(ukm))

    def kek_512(self, ukm: int) -> bytes:
        """Return VKO_GOSTR3410_2012_512, the Streebog-512 of the agreed point."""
        return streebog512(self.agreed_point(ukm))


def ukm_from_bytes(ukm: bytes) -> int:
    """Read a VKO UKM (usually 8 bytes) as a little-endian integer."""
    return int.from_bytes(ukm, "little")


def vko_256(
    curve: Curve, private_key: int, public_point: PointJacobi, ukm: bytes
) -> bytes:
    """Compute VKO_GOSTR3410_2012_256 with a byte-string UKM read little-endian."""
    return VkoContext(curve, private_key, public_point).kek_256(ukm_from_bytes(ukm))


def vko_512(
    curve: Curve, private_key: int, public_point: PointJacobi, ukm: bytes
) -> bytes:
    """Compute VKO_GOSTR3410_2012_512 with a byte-string UKM read little-endian."""
    return VkoContext(curve, private_key, public_point).kek_512(ukm_from_bytes(ukm))


def keg(curve: Curve, private_key: int, public_point: PointJacobi, ukm: bytes) -> bytes:
    """Compute KEG: 64 bytes, the MAC key (first 32) and the wrap key (last 32)."""
    if len(ukm) != 32:
        raise GostKeyError(f"KEG needs a 32-byte UKM, got {len(ukm)} bytes")
    vko_ukm = int.from_bytes(ukm[:16], "big") or 1
    context = VkoContext(curve, private_key, public_point)
    if curve.size == 64:
        return context.kek_512(vko_ukm)

    return kdf_tree_256(context.kek_256(vko_ukm), b"kdf tree", ukm[16:24], 1, 64)
