"""Streebog against RFC 6986, OpenSSL's GOST engine and gostcrypto."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.testing import skip_unless_tool
from chatkeys_gost.primitives.streebog import Streebog, streebog256, streebog512

from .conftest import require_gost_engine

# RFC 6986 example 1: M1 is the digits "0123456789" repeated to 63 bytes.
M1 = b"012345678901234567890123456789012345678901234567890123456789012"
# RFC 6986 example 2: M2 is a line of the Igor Tale in Windows-1251, 72 bytes.
M2 = bytes.fromhex(
    "d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20"
    "f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb"
    "20c8e3eef0e5e2fb"
)

# Expected digests, in the byte order OpenSSL prints (the RFC writes the
# same numbers with the bytes reversed).
M1_256 = "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
M1_512 = (
    "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa"
    "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
)
M2_256 = "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50"
M2_512 = (
    "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376"
    "035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"
)


def openssl_digest(data: bytes, bits: int) -> str:
    result = subprocess.run(
        ["openssl", "dgst", "-engine", "gost", f"-md_gost12_{bits}", "-r"],
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout.split()[0].decode()


# The class always runs the Python code, while the one-shot functions may use
# OpenSSL (see BACKEND), so the checks below use both.
def python256(data: bytes) -> bytes:
    return Streebog(32, data).digest()


def python512(data: bytes) -> bytes:
    return Streebog(64, data).digest()


def test_rfc6986_m1_256() -> None:
    assert python256(M1).hex() == M1_256
    assert streebog256(M1).hex() == M1_256


def test_rfc6986_m1_512() -> None:
    assert python512(M1).hex() == M1_512
    assert streebog512(M1).hex() == M1_512


def test_rfc6986_m2_256() -> None:
    assert python256(M2).hex() == M2_256
    assert streebog256(M2).hex() == M2_256


def test_rfc6986_m2_512() -> None:
    assert python512(M2).hex() == M2_512
    assert streebog512(M2).hex() == M2_512


def test_m2_is_72_bytes() -> None:
    assert len(M2) == 72


# Lengths around the 64-byte block edge, the empty message, and all-0xFF
# blocks, whose Sigma sum carries through all 512 bits.
EDGE_INPUTS = [
    b"",
    b"\x00",
    b"\xff" * 63,
    b"\xff" * 64,
    b"\xff" * 65,
    b"\xff" * 128,
    b"\x00" * 64,
    bytes(range(256)) * 5,
]


@pytest.mark.parametrize("data", EDGE_INPUTS, ids=lambda d: f"len{len(d)}")
@pytest.mark.parametrize("bits", [256, 512])
def test_edges_match_openssl(data: bytes, bits: int) -> None:
    require_gost_engine()
    ours = python256(data) if bits == 256 else python512(data)
    assert ours.hex() == openssl_digest(data, bits)


@pytest.mark.parametrize("length", [1, 31, 32, 63, 100, 127, 200, 1000, 4097])
def test_random_inputs_match_openssl(length: int) -> None:
    require_gost_engine()
    data = os.urandom(length)
    assert python256(data).hex() == openssl_digest(data, 256)
    assert python512(data).hex() == openssl_digest(data, 512)


def test_random_inputs_match_gostcrypto() -> None:
    gosthash = pytest.importorskip("gostcrypto.gosthash")
    for length in (0, 5, 64, 129):
        data = os.urandom(length)
        oracle = gosthash.new("streebog256", data=bytearray(data)).digest()
        assert python256(data) == bytes(oracle)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=5))
def test_incremental_equals_one_shot(data: bytes, cuts: list[int]) -> None:
    hasher = Streebog(64)
    start = 0
    for cut in sorted(cuts):
        hasher.update(data[start:cut])
        start = max(start, cut)
    hasher.update(data[start:])
    assert hasher.digest() == streebog512(data)


def test_digest_leaves_state_usable() -> None:
    hasher = Streebog(32, b"abc")
    first = hasher.digest()
    hasher.update(b"def")
    assert first == streebog256(b"abc")
    assert hasher.digest() == streebog256(b"abcdef")


def test_copy_is_independent() -> None:
    hasher = Streebog(32, b"x" * 70)
    clone = hasher.copy()
    clone.update(b"tail")
    assert hasher.digest() == streebog256(b"x" * 70)
    assert clone.digest() == streebog256(b"x" * 70 + b"tail")


def test_attributes() -> None:
    hasher = Streebog(64)
    assert hasher.digest_size == 64
    assert hasher.block_size == 64
    assert hasher.name == "streebog512"


def test_invalid_digest_size_rejected() -> None:
    with pytest.raises(ValueError, match="digest size 48"):
        Streebog(48)


@pytest.mark.parametrize("tail_length", [0, 10, 64, 130])
def test_precomputed_round_keys_keep_digest(tail_length: int) -> None:
    head = os.urandom(64)
    tail = os.urandom(tail_length)
    hasher = Streebog(32, head)
    hasher.precompute_round_keys()
    clone = hasher.copy()
    clone.update(tail)
    assert clone.digest() == streebog256(head + tail)
    hasher.update(tail)
    assert hasher.digest() == streebog256(head + tail)


@functools.cache
def gost_provider_available() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "list", "-digest-algorithms", "-provider", "gostprov"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


# Run in a child process because the OpenSSL configuration is read once, when
# the child's hashlib first uses OpenSSL.
OPENSSL_BACKEND_CHECK = f"""
from chatkeys_gost.primitives import streebog
from chatkeys_gost.primitives.kdf import hmac_streebog256
assert streebog.BACKEND == "openssl", streebog.BACKEND
m1 = {M1!r}
assert streebog.streebog256(m1).hex() == {M1_256!r}
assert streebog.streebog512(m1).hex() == {M1_512!r}
assert streebog.streebog256(m1) == streebog.Streebog(32, m1).digest()
key = bytes(range(32))
data = bytes.fromhex("0126bdb87800af214341456563780100")
assert hmac_streebog256(key, data).hex() == (
    "a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9"
)
"""


def test_openssl_backend_gives_same_digests(tmp_path: Path) -> None:
    skip_unless_tool(
        gost_provider_available(),
        "OpenSSL's GOST provider (gostprov) is missing: apt-get install "
        "libengine-gost-openssl",
    )
    config = tmp_path / "openssl.cnf"
    config.write_text(
        "openssl_conf = openssl_init\n"
        "[openssl_init]\nproviders = provider_sect\n"
        "[provider_sect]\ndefault = default_sect\ngostprov = gost_sect\n"
        "[default_sect]\nactivate = 1\n"
        "[gost_sect]\nactivate = 1\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", OPENSSL_BACKEND_CHECK],
        env={**os.environ, "OPENSSL_CONF": str(config)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
