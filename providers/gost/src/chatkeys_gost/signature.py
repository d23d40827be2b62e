"""GOST R 34.10-2012 signatures over a digest, and their two byte encodings.

The digest (Streebog output, as ``openssl dgst`` prints it) is read as a
little-endian integer, as the standard and RFC 7091 require. Reading it
big-endian gives signatures that other implementations reject.

A signature is the pair (r, s). Two encodings travel:

- `Encoding.STANDARD` (RFC 4491, OpenSSL, CMS): s followed by r, each
  big-endian and `Curve.size` bytes long;
- `Encoding.CRYPTOAPI` (CryptoPro CSP, Microsoft CryptoAPI, the Komandor
  clients): the standard buffer reversed, i.e. little-endian r followed by
  little-endian s.

The caller always names the encoding; nothing here guesses it.

Hashing the message is the caller's job, so this module has no dependency on
Streebog.
"""

from __future__ import annotations

import enum

from chatkeys_gost.curves import Curve, PointJacobi
from chatkeys_gost.errors import GostKeyError

__all__ = ["Encoding", "decode", "encode", "sign_digest", "verify_digest"]


class Encoding(enum.Enum):
    """Byte layout of a 64- or 128-byte GOST signature."""

    STANDARD = "standard"
    CRYPTOAPI = "cryptoapi"


def digest_to_integer(curve: Curve, digest: bytes) -> int:
    """Return e = (digest read little-endian) mod q, with 0 replaced by 1."""
    e = int.from_bytes(digest, "little") % curve.q
    return e or 1


def sign_digest(curve: Curve, private_key: int, digest: bytes) -> tuple[int, int]:
    """Sign `digest` with `private_key` and a fresh random nonce; return (r, s)."""
    curve.check_private_key(private_key)
    while True:
        signature = _sign_with_nonce(curve, private_key, digest, curve.random_scalar())
        if signature is not None:
            return signature


def _sign_with_nonce(
    curve: Curve, private_key: int, digest: bytes, nonce: int
) -> tuple[int, int] | None:
    """Sign with the given nonce; None when r or s is 0 and a new nonce is needed.

    Exposed to the tests for the fixed-nonce examples of the standard; a
    nonce must never be reused.
    """
    e = digest_to_integer(curve, digest)
    r = curve.generator_x(nonce) % curve.q
    if r == 0:
        return None
    s = (r * private_key + nonce * e) % curve.q
    if s == 0:
        return None
    return r, s


def verify_digest(
    curve: Curve, public_point: PointJacobi, digest: bytes, r: int, s: int
) -> bool:
    """Return whether (r, s) is a valid signature of `digest` for `public_point`.

    Values of r or s outside [1, q-1] are rejected without any curve
    arithmetic.
    """
    q = curve.q
    if not (0 < r < q and 0 < s < q):
        return False
    v = pow(digest_to_integer(curve, digest), -1, q)
    z1 = s * v % q
    z2 = -r * v % q
    point = curve.generator.mul_add(z1, public_point, z2)
    if curve.is_infinity(point):
        return False
    return int(point.x()) % q == r


def encode(curve: Curve, r: int, s: int, encoding: Encoding) -> bytes:
    """Encode (r, s) in `encoding`."""
    size = curve.size
    standard = s.to_bytes(size, "big") + r.to_bytes(size, "big")
    if encoding is Encoding.STANDARD:
        return standard
    return standard[::-1]


def decode(curve: Curve, signature: bytes, encoding: Encoding) -> tuple[int, int]:
    """Decode a signature in `encoding` into (r, s).

    Raises `GostKeyError` when the length does not match the curve. Range
    checks of r and s are `verify_digest`'s job.
    """
    size = curve.size
    if len(signature) != 2 * size:
        raise GostKeyError(
            f"signature is {len(signature)} bytes, {curve.name} needs {2 * size}"
        )
    standard = signature if encoding is Encoding.STANDARD else signature[::-1]
    s = int.from_bytes(standard[:size], "big")
    r = int.from_bytes(standard[size:], "big")
    return r, s
