"""Streebog, the GOST R 34.11-2012 hash function (RFC 6986), 256 and 512 bits.

The 512-bit state is a Python int whose little-endian bytes are the state
bytes, so message bytes map to it with `int.from_bytes(block, "little")`, as in
OpenSSL's GOST engine. The round function LPS is precomputed per byte position
into 64 tables of 256 512-bit ints, so one LPS is the XOR of 64 look-ups.

Digests are the bytes that `openssl dgst -md_gost12_256` (or `-md_gost12_512`)
prints, which are the RFC 6986 example values with the byte order reversed.

When the process's OpenSSL configuration loads a provider with these digests
(the GOST engine package's `gostprov`), `streebog256` and `streebog512` hash
through `hashlib` instead, about 60 times faster; `BACKEND` names the path in
use. The `Streebog` class always runs the Python code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

__all__ = ["BACKEND", "PI", "Streebog", "streebog256", "streebog512"]

BLOCK_SIZE = 64

# The substitution Pi shared by GOST R 34.11-2012 and GOST R 34.12-2015.
PI = bytes.fromhex(
    "fceedd11cf6e3116fbc4fada23c5044de977f0db932e99ba1736f1bb14cd5fc1"
    "f918655ae25cef21811c3c428b018e4f058402aee36a8fa0060bed987fd4d31f"
    "eb342c51eac848abf22a68a2fd3aceccb5700e56080c7612bf7213479cb75d87"
    "15a19629107b9ac7f391786f9d9eb2b13275193dff358a7e6d54c680c3bd0d57"
    "dff524a93ea843c9d779d6f67c22b903e00fecde7a94b0bcdce828504e330a4a"
    "a79760731e0062441ab83882649f2641ad454692275e552f8ca3a57d69d5953b"
    "0758b34086ac1df730376be488d9e789e11b83494c3ff8fe8d53aa90cad88561"
    "207167a42d2b095bcb9b25d0bee56c5259a674d2e6f4b4c0d166afc2394b63b6"
)

# Rows A_0 .. A_63 of the matrix of the linear map l (RFC 6986).
# Row A_i is added to the output when bit 63 - i of the 64-bit word is set.
_MATRIX_A_HEX = (
    "8e20faa72ba0b47047107ddd9b505a38ad08b0e0c3282d1cd8045870ef14980e"
    "6c022c38f90a4c073601161cf205268d1b8e0b0e798c13c883478b07b2468764"
    "a011d380818e8f405086e740ce47c9202843fd2067adea1014aff010bdd87508"
    "0ad97808d06cb40405e23c0468365a028c711e02341b2d0146b60f011a83988e"
    "90dab52a387ae76f486dd4151c3dfdb924b86a840e90f0d2125c354207487869"
    "092e94218d243cba8a174a9ec8121e5d4585254f64090fa0accc9ca9328a8950"
    "9d4df05d5f661451c0a878a0a1330aa660543c50de970553302a1e286fc58ca7"
    "18150f14b9ec46dd0c84890ad27623e00642ca05693b9f700321658cba93c138"
    "86275df09ce8aaa8439da0784e745554afc0503c273aa42ad960281e9d1d5215"
    "e230140fc080298471180a8960409a42b60c05ca30204d215b068c651810a89e"
    "456c34887a3805b9ac361a443d1c8cd2561b0d22900e46692b838811480723ba"
    "9bcf4486248d9f5dc3e9224312c8c1a0effa11af0964ee50f97d86d98a327728"
    "e4fa2054a80b329c727d102a548b194e39b008152acb82279258048415eb419d"
    "492c024284fbaec0aa16012142f35760550b8e9e21f7a530a48b474f9ef5dc18"
    "70a6a56e2440598e3853dc371220a2471ca76e95091051ad0edd37c48a08a6d8"
    "07e095624504536c8d70c431ac02a736c83862965601dd1b641c314b2b8ee083"
)

# Iteration constants C_1 .. C_12 (RFC 6986), as little-endian
# state bytes, i.e. the RFC's hexadecimal numbers with the byte order reversed.
_ROUND_CONSTANTS_HEX = (
    "0745a6f2596580dd234d74cc3674760515d360a4082a42a20169679291e07c4b"
    "fcc485758db84e7116d0452e43766a2f1f7c65c0812fcbebe9daca1eda5b08b1",
    "b79bb121700479e656cdcbd71ba2dd55caa70adbc261b55c5899d6126b17b59a"
    "3101b5160f5ed561982b230a72eafef3d7b5700f469de34f1a2f9da98ab5a36f",
    "b20aba0af5961e9931db7a8643f4b6c209db6260373ac9c1b19e3590e40fe2d3"
    "7b7b29b11475eaf28b1f9c525f5ef10635843d6a28fc390ac72fce2bacdc74f5",
    "2ed1e384bcbe0c22f137e893a1ea5334be0352933313b7d875d603ed822cd7a9"
    "3f355e68ad1c729d7d3c5c337e858e48dde4715da0e148f9d26615e8b3df1fef",
    "57fe6c7cfd581760f563eaa97ea2567a161a2723b700ffdfa3f53a254717cdbf"
    "bdff0f80d7359e354a1086161f1c157f6323a96c0c413f9a994747adac6bea4b",
    "6e7d64467a4068fa354f903672c571bfb6c6bec2661ff20ab4b79a1cb7a6facf"
    "c68ef09ab49a7f186ca44251f9c4662dc039307a3bc3a46fd9d33a1daeae4fae",
    "93d4143a4d568688f34a3ca24c45173504054a2883694706372c822dc5ab9209"
    "c9937a19333e47d3c987bfe6c7c69e39540924bffe86ac51ecc5aaee160ec7f4",
    "1ee702bfd40d7fa4d9a8515935c2ac362fc4a5d12b8dd16990069b92cb2b89f4"
    "9ac4db4d3b44b4891ede369c71f8b74e41416e0c02aae703a7c9934d425b1f9b",
    "db5a238351446172602a1fcb92dc380e549c07a69a8a2b7bb1ceb2db0b440a80"
    "84090de0b755d93c244289251b3a7d3ade5f16ecd89a4c949b223116545a8f37",
    "ed9c4598fbc7b474c3b63b15d1fa9836f452763b306c1e7a4b3369af0267e79f"
    "0361331b8ae1ff1fdb788aff1ce74189f3f3e4b248e52a38526f0580a6debeab",
    "1b2df381cda4ca6b5dd86fc04a59a2de986e477d1dcdbaefcab948eaef711d8a"
    "79668414218001206107abebbb6bfad894fe5a63cdc60230fb89c8efd09ecd7b",
    "20d71bf14a92bc48991bb2d9d517f4fa5228e188aaa41de786cc91189def805d"
    "9b9f2130d41220f8771ddfbc323ca4cd7ab14904b08013d2ba3116f167e78e37",
)

_ROUND_CONSTANTS = tuple(
    int.from_bytes(bytes.fromhex(c), "little") for c in _ROUND_CONSTANTS_HEX
)
_MASK_512 = (1 << 512) - 1


def _build_lps_tables() -> tuple[tuple[int, ...], ...]:
    """Build, for each state byte position, LPS of that byte alone.

    S replaces each byte by PI[byte]. P moves the byte at position k to
    position 8 * (k % 8) + k // 8. L multiplies each 64-bit word by the
    matrix A. All three are byte-wise or linear, so LPS(x) is the XOR over
    positions k of table[k][byte k of x].
    """
    rows = [int(_MATRIX_A_HEX[16 * i : 16 * i + 16], 16) for i in range(64)]

    # word_tables[r][v]: l of a 64-bit word whose only non-zero byte is v at
    # byte index r (byte 0 is the least significant).
    word_tables = []
    for r in range(8):
        table = []
        for value in range(256):
            word = 0
            for bit in range(8):
                if value >> bit & 1:
                    word ^= rows[63 - (8 * r + bit)]
            table.append(word)
        word_tables.append(table)

    tables = []
    for k in range(64):
        word_index = k % 8
        byte_in_word = k // 8
        shift = 64 * word_index
        words = word_tables[byte_in_word]
        tables.append(tuple(words[PI[v]] << shift for v in range(256)))
    return tuple(tables)


# fmt: off
def _make_lps(tables: tuple[tuple[int, ...], ...]) -> Callable[[int], int]:
    """Return LPS as one unrolled XOR of 64 table look-ups.

    Binding every table and byte to a local name makes this about 20 % faster
    than a loop over the tables."""
    (
        t0, t1, t2, t3, t4, t5, t6, t7,
        t8, t9, t10, t11, t12, t13, t14, t15,
        t16, t17, t18, t19, t20, t21, t22, t23,
        t24, t25, t26, t27, t28, t29, t30, t31,
        t32, t33, t34, t35, t36, t37, t38, t39,
        t40, t41, t42, t43, t44, t45, t46, t47,
        t48, t49, t50, t51, t52, t53, t54, t55,
        t56, t57, t58, t59, t60, t61, t62, t63,
    ) = tables

    def lps(x: int) -> int:
        (
            b0, b1, b2, b3, b4, b5, b6, b7,
            b8, b9, b10, b11, b12, b13, b14, b15,
            b16, b17, b18, b19, b20, b21, b22, b23,
            b24, b25, b26, b27, b28, b29, b30, b31,
            b32, b33, b34, b35, b36, b37, b38, b39,
            b40, b41, b42, b43, b44, b45, b46, b47,
            b48, b49, b50, b51, b52, b53, b54, b55,
            b56, b57, b58, b59, b60, b61, b62, b63,
        ) = x.to_bytes(64, "little")
        return (
            t0[b0] ^ t1[b1] ^ t2[b2] ^ t3[b3]
            ^ t4[b4] ^ t5[b5] ^ t6[b6] ^ t7[b7]
            ^ t8[b8] ^ t9[b9] ^ t10[b10] ^ t11[b11]
            ^ t12[b12] ^ t13[b13] ^ t14[b14] ^ t15[b15]
            ^ t16[b16] ^ t17[b17] ^ t18[b18] ^ t19[b19]
            ^ t20[b20] ^ t21[b21] ^ t22[b22] ^ t23[b23]
            ^ t24[b24] ^ t25[b25] ^ t26[b26] ^ t27[b27]
            ^ t28[b28] ^ t29[b29] ^ t30[b30] ^ t31[b31]
            ^ t32[b32] ^ t33[b33] ^ t34[b34] ^ t35[b35]
            ^ t36[b36] ^ t37[b37] ^ t38[b38] ^ t39[b39]
            ^ t40[b40] ^ t41[b41] ^ t42[b42] ^ t43[b43]
            ^ t44[b44] ^ t45[b45] ^ t46[b46] ^ t47[b47]
            ^ t48[b48] ^ t49[b49] ^ t50[b50] ^ t51[b51]
            ^ t52[b52] ^ t53[b53] ^ t54[b54] ^ t55[b55]
            ^ t56[b56] ^ t57[b57] ^ t58[b58] ^ t59[b59]
            ^ t60[b60] ^ t61[b61] ^ t62[b62] ^ t63[b63]
        )

    return lps
# fmt: on


_lps = _make_lps(_build_lps_tables())


def _round_keys(h: int, n: int) -> tuple[int, ...]:
    """Return the 13 round keys K_1 .. K_13 that g_N(h, .) uses."""
    lps = _lps
    keys = [lps(h ^ n)]
    for constant in _ROUND_CONSTANTS:
        keys.append(lps(keys[-1] ^ constant))
    return tuple(keys)


def _compress(
    h: int,
    m: int,
    n: int,
    lps: Callable[[int], int] = _lps,
    constants: tuple[int, ...] = _ROUND_CONSTANTS,
) -> int:
    """Return the compression function g_N(h, m) of RFC 6986."""
    key = lps(h ^ n)
    state = m ^ key
    for constant in constants:
        state = lps(state)
        key = lps(key ^ constant)
        state ^= key
    return state ^ h ^ m


def _compress_with_keys(
    h: int, m: int, keys: tuple[int, ...], lps: Callable[[int], int] = _lps
) -> int:
    """Return g_N(h, m) given the round keys of (h, N) from `_round_keys`."""
    state = m
    for key in keys[:-1]:
        state = lps(state ^ key)
    return state ^ keys[-1] ^ h ^ m


_IV_256 = int.from_bytes(b"\x01" * 64)
# The first compression always runs with h = IV and N = 0, so its round
# keys are constants; precomputing them saves 13 of the 75 LPS that a
# message under 64 bytes costs.
_FIRST_KEYS = {32: _round_keys(_IV_256, 0), 64: _round_keys(0, 0)}


class Streebog:
    """Incremental Streebog hash with the `hashlib` interface subset.

    `digest_size` is 32 (Streebog-256) or 64 (Streebog-512). `digest()` does
    not change the state, so more data may follow it.
    """

    block_size = BLOCK_SIZE

    def __init__(self, digest_size: int = 32, data: bytes = b"") -> None:
        if digest_size not in (32, 64):
            raise ValueError(
                f"invalid Streebog digest size {digest_size}: use 32 or 64"
            )
        self.digest_size = digest_size
        self._h = _IV_256 if digest_size == 32 else 0
        self._n = 0
        self._sigma = 0
        self._buffer = b""
        # Round keys of the next compression, which depend only on (h, N).
        # They are known in advance for the first block, and a copied state
        # (an HMAC key's padded block) keeps them once computed.
        self._next_keys: tuple[int, ...] | None = _FIRST_KEYS[digest_size]
        if data:
            self.update(data)

    @property
    def name(self) -> str:
        return f"streebog{8 * self.digest_size}"

    def update(self, data: bytes) -> None:
        """Hash `data` after everything given so far."""
        buffer = self._buffer + bytes(data)
        full = len(buffer) - len(buffer) % BLOCK_SIZE
        if full:
            h, n, sigma = self._h, self._n, self._sigma
            keys = self._next_keys
            for start in range(0, full, BLOCK_SIZE):
                m = int.from_bytes(buffer[start : start + BLOCK_SIZE], "little")
                if keys is None:
                    h = _compress(h, m, n)
                else:
                    h = _compress_with_keys(h, m, keys)
                    keys = None
                n = (n + 512) & _MASK_512
                sigma = (sigma + m) & _MASK_512
            self._h, self._n, self._sigma = h, n, sigma
            self._next_keys = None
            buffer = buffer[full:]
        self._buffer = buffer

    def digest(self) -> bytes:
        """Return the digest of everything given so far."""
        tail = self._buffer
        m = int.from_bytes(tail, "little") | (1 << (8 * len(tail)))
        if self._next_keys is None:
            h = _compress(self._h, m, self._n)
        else:
            h = _compress_with_keys(self._h, m, self._next_keys)
        n = (self._n + 8 * len(tail)) & _MASK_512
        sigma = (self._sigma + m) & _MASK_512
        h = _compress(h, n, 0)
        h = _compress(h, sigma, 0)
        if self.digest_size == 32:
            return (h >> 256).to_bytes(32, "little")
        return h.to_bytes(64, "little")

    def hexdigest(self) -> str:
        """Return `digest()` as lowercase hexadecimal."""
        return self.digest().hex()

    def copy(self) -> Streebog:
        """Return an independent copy of the current state."""
        clone = Streebog.__new__(Streebog)
        clone.digest_size = self.digest_size
        clone._h = self._h
        clone._n = self._n
        clone._sigma = self._sigma
        clone._buffer = self._buffer
        clone._next_keys = self._next_keys
        return clone

    def precompute_round_keys(self) -> None:
        """Compute the next compression's round keys now, for later copies.

        HMAC copies the state after the padded key block once per message,
        so computing these once saves 13 of the 25 LPS steps of each copy's
        first compression.
        """
        if self._next_keys is None:
            self._next_keys = _round_keys(self._h, self._n)


def _openssl_has_digests() -> bool:
    """Return whether hashlib reaches OpenSSL's Streebog digests."""
    try:
        hashlib.new("md_gost12_256")
        hashlib.new("md_gost12_512")
    except ValueError:
        return False
    return True


OPENSSL_NAMES = {32: "md_gost12_256", 64: "md_gost12_512"}
"""OpenSSL's names of Streebog-256 and -512, keyed by digest size."""

BACKEND = "openssl" if _openssl_has_digests() else "python"
"""`"openssl"` when the one-shot functions use OpenSSL, else `"python"`."""


def streebog256(data: bytes) -> bytes:
    """Return the Streebog-256 digest of `data` (32 bytes)."""
    if BACKEND == "openssl":
        return hashlib.new("md_gost12_256", data).digest()
    return Streebog(32, data).digest()


def streebog512(data: bytes) -> bytes:
    """Return the Streebog-512 digest of `data` (64 bytes)."""
    if BACKEND == "openssl":
        return hashlib.new("md_gost12_512", data).digest()
    return Streebog(64, data).digest()
