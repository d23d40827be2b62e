"""Multiplication of a fixed point by many scalars, from precomputed tables.

Two tables, both summed with mixed Jacobian-affine additions and no
doublings at multiplication time:

- `CombTable` for the generator, used by every signature (k*G for a fresh
  nonce k): the multiples j * 2^(8i) * G (j = 1..255, one row per byte of the
  scalar) in affine form. k*G is the sum of one entry per non-zero byte of
  k: at most 32 (256-bit) or 64 (512-bit) additions, against about 85 or 170
  point additions for `ecdsa`'s precomputed generator. Building it takes
  about 0.1 s (256-bit) to 0.3 s (512-bit) and 1.2 or 2.4 MB, once per curve
  and process, on the first signature.
- `DoublingTable` for a VKO point and 64-bit UKMs: 2^i * P for i < 64, built
  with 64 doublings and one batched inversion, then one addition per set bit
  of the UKM.

Like the rest of the curve code this is not constant-time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ecdsa.ellipticcurve import PointJacobi
from gmpy2 import mpz

__all__ = ["CombTable", "DoublingTable"]

_ROW_SIZE = 255

Affine = tuple[int, int]


def _sum_affine(points: Iterable[Affine], p: int) -> tuple[int, int, int] | None:
    """Return the Jacobian sum of affine points, or None when two x coincide.

    Coinciding x coordinates mean a doubling or the point at infinity, which
    mixed addition cannot express; the caller then multiplies generically.
    The sum of an empty sequence is returned as Z = 0.
    """
    x1 = y1 = z1 = mpz(0)
    for x2, y2 in points:
        if z1 == 0:
            x1, y1, z1 = x2, y2, mpz(1)
            continue
        # madd-2007-bl: (X1:Y1:Z1) + (x2, y2).
        z1z1 = z1 * z1 % p
        u2 = x2 * z1z1 % p
        s2 = y2 * z1 % p * z1z1 % p
        h = (u2 - x1) % p
        if h == 0:
            return None
        r = 2 * (s2 - y1) % p
        hh = h * h % p
        i = 4 * hh % p
        j = h * i % p
        v = x1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * y1 * j) % p
        z1 = ((z1 + h) ** 2 - z1z1 - hh) % p
        x1, y1 = x3, y3
    return x1, y1, z1


class CombTable:
    """The comb table of one base point on one curve."""

    def __init__(self, generator: PointJacobi, p: int, size: int) -> None:
        self._generator = generator
        self._p = mpz(p)
        self._size = size
        self._rows: list[list[Affine]] | None = None
        self._lock = threading.Lock()

    def _build(self) -> list[list[Affine]]:
        rows = []
        base = self._generator
        for _ in range(self._size):
            row = []
            point = base
            for _ in range(_ROW_SIZE):
                affine = point.to_affine()
                row.append((mpz(affine.x()), mpz(affine.y())))
                point = point + base
            rows.append(row)
            base = point  # 256 * base
        return rows

    def rows(self) -> list[list[Affine]]:
        """Return the table, building it on first use."""
        with self._lock:
            if self._rows is None:
                self._rows = self._build()
            return self._rows

    def x_of_multiple(self, k: int) -> int | None:
        """Return the affine x of k*G, or None when k*G is the point at infinity.

        `k` must be in [1, 2^(8*size) - 1].
        """
        rows = self.rows()
        digits = k.to_bytes(self._size, "little")
        entries = (
            row[digit - 1] for row, digit in zip(rows, digits, strict=True) if digit
        )
        total = _sum_affine(entries, self._p)
        if total is None:
            affine = (self._generator * k).to_affine()
            return None if affine.x() is None else int(affine.x())
        x, _, z = total
        if z == 0:
            return None
        z_inverse = pow(z, -1, self._p)
        return int(x * z_inverse * z_inverse % self._p)


class DoublingTable:
    """2^i * P for i < `bits`, for points of prime order q > 2^bits."""

    def __init__(self, x: int, y: int, a: int, p: int, bits: int = 64) -> None:
        self._p = p = mpz(p)
        self._limit = 1 << bits
        # dbl-2007-bl doublings in Jacobian coordinates, then one batched
        # inversion (Montgomery's trick) to make every entry affine.
        jacobian = [(mpz(x), mpz(y), mpz(1))]
        for _ in range(bits - 1):
            x1, y1, z1 = jacobian[-1]
            xx = x1 * x1 % p
            yy = y1 * y1 % p
            yyyy = yy * yy % p
            zz = z1 * z1 % p
            s = 2 * ((x1 + yy) ** 2 - xx - yyyy) % p
            m = (3 * xx + a * zz * zz) % p
            t = (m * m - 2 * s) % p
            y3 = (m * (s - t) - 8 * yyyy) % p
            z3 = ((y1 + z1) ** 2 - yy - zz) % p
            jacobian.append((t, y3, z3))

        prefix = [mpz(1)]
        for _, _, z in jacobian:
            prefix.append(prefix[-1] * z % p)
        inverse = pow(prefix[-1], -1, p)
        entries: list[Affine] = [(0, 0)] * bits
        for index in range(bits - 1, -1, -1):
            x1, y1, z1 = jacobian[index]
            z_inverse = inverse * prefix[index] % p
            inverse = inverse * z1 % p
            z2 = z_inverse * z_inverse % p
            entries[index] = (x1 * z2 % p, y1 * z2 * z_inverse % p)
        self._entries = entries

    def multiple(self, k: int) -> Affine | None:
        """Return affine k*P for 1 <= k < 2^bits; None when the sum degenerates.

        For P of prime order q > 2^bits the partial sums never meet equal x
        coordinates, so None signals a point that breaks that premise.
        """
        if not 0 < k < self._limit:
            raise ValueError(f"scalar must be in [1, 2^{self._limit.bit_length() - 1})")
        entries = (entry for index, entry in enumerate(self._entries) if k >> index & 1)
        total = _sum_affine(entries, self._p)
        if total is None:
            return None
        x, y, z = total
        z_inverse = pow(z, -1, self._p)
        z2 = z_inverse * z_inverse % self._p
        return int(x * z2 % self._p), int(y * z2 * z_inverse % self._p)
