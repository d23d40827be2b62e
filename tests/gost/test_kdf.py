"""HMAC-Streebog and the RFC 7836 / RFC 4357 key derivations."""

from __future__ import annotations

import functools
import hmac
import os
import shutil
import subprocess

import pytest

from chatkeys.testing import skip_unless_tool
from chatkeys_gost.errors import GostKeySizeError
from chatkeys_gost.primitives import kdf
from chatkeys_gost.primitives.streebog import Streebog

# RFC 7836 examples.
KEY = bytes(range(32))
HMAC_DATA = bytes.fromhex("0126bdb87800af214341456563780100")
HMAC_256 = "a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9"
HMAC_512 = (
    "a59bab22ecae19c65fbde6e5f4e9f5d8549d31f037f9df9b905500e171923a77"
    "3d5f1530f2ed7e964cb2eedc29e9ad2f3afe93b2814f79f5000ffc0366c251e6"
)
LABEL = bytes.fromhex("26bdb878")
SEED = bytes.fromhex("af21434145656378")
KDF_TREE_64 = (
    "22b6837845c6bef65ea71672b265831086d3c76aebe6dae91cad51d83f79d16b"
    "074c9330599d7f8d712fca54392f4ddde93751206b3584c8f43f9e6dc51531f9"
)


@functools.cache
def gost_engine_available() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "engine", "gost"], capture_output=True, check=False
    )
    return probe.returncode == 0


def test_hmac_256_vector() -> None:
    assert kdf.hmac_streebog256(KEY, HMAC_DATA).hex() == HMAC_256


def test_hmac_512_vector() -> None:
    assert kdf.hmac_streebog512(KEY, HMAC_DATA).hex() == HMAC_512


def test_kdf_256_vector() -> None:
    # The RFC builds the HMAC example input from this label and seed.
    assert kdf.kdf_256(KEY, LABEL, SEED).hex() == HMAC_256


def test_kdf_tree_vector() -> None:
    assert kdf.kdf_tree_256(KEY, LABEL, SEED, 1, 64).hex() == KDF_TREE_64


def test_kdf_tree_prefix_is_first_block() -> None:
    # [L] is part of every block, so a shorter output is not a prefix.
    assert kdf.kdf_tree_256(KEY, LABEL, SEED, 1, 32).hex() != KDF_TREE_64[:64]


@pytest.mark.parametrize("key_length", [0, 16, 64, 65, 200])
def test_hmac_matches_standard_library(key_length: int) -> None:
    # The standard library's HMAC over our hash checks the key padding and
    # long-key hashing independently of HmacStreebog.
    key = os.urandom(key_length)
    data = os.urandom(100)
    expected = hmac.new(
        key, data, digestmod=lambda data=b"": Streebog(64, data)
    ).digest()
    assert kdf.hmac_streebog512(key, data) == expected


@pytest.mark.parametrize("bits", [256, 512])
def test_hmac_matches_openssl(bits: int) -> None:
    skip_unless_tool(
        gost_engine_available(),
        "OpenSSL with the GOST engine is missing: apt-get install "
        "libengine-gost-openssl",
    )
    key = os.urandom(32)
    data = os.urandom(77)
    result = subprocess.run(
        ["openssl", "dgst", "-engine", "gost", f"-md_gost12_{bits}",
         "-mac", "hmac", "-macopt", f"hexkey:{key.hex()}", "-r"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    expected = result.stdout.split()[0].decode()
    mac = kdf.hmac_streebog256 if bits == 256 else kdf.hmac_streebog512
    assert mac(key, data).hex() == expected


def test_hmac_object_is_reusable() -> None:
    hmac_key = kdf.HmacStreebog(KEY)
    assert hmac_key.mac(HMAC_DATA).hex() == HMAC_256
    assert hmac_key.mac(HMAC_DATA).hex() == HMAC_256


@pytest.mark.parametrize("r", [0, 5])
def test_kdf_tree_rejects_counter_size(r: int) -> None:
    with pytest.raises(ValueError, match=f"r={r}"):
        kdf.kdf_tree_256(KEY, LABEL, SEED, r, 32)


def test_kdf_tree_rejects_too_many_blocks() -> None:
    with pytest.raises(ValueError, match="larger r"):
        kdf.kdf_tree_256(KEY, LABEL, SEED, 1, 32 * 256)


def test_kdf_tree_rejects_empty_output() -> None:
    with pytest.raises(ValueError, match="output length 0"):
        kdf.kdf_tree_256(KEY, LABEL, SEED, 1, 0)


# No published vector covers the CryptoPro diversification alone. These
# tests check its structure, and test_keywrap checks it end to end against
# OpenSSL's CMS key transport.
def test_diversify_depends_on_ukm() -> None:
    kek = os.urandom(32)
    first = kdf.cryptopro_key_diversify(kek, bytes(8))
    second = kdf.cryptopro_key_diversify(kek, b"\x01" + bytes(7))
    assert len(first) == 32
    assert first != second
    assert first != kek


def test_diversify_is_deterministic() -> None:
    kek = os.urandom(32)
    ukm = os.urandom(8)
    assert kdf.cryptopro_key_diversify(kek, ukm) == kdf.cryptopro_key_diversify(
        kek, ukm
    )


def test_diversify_rejects_bad_ukm() -> None:
    with pytest.raises(GostKeySizeError, match="UKM length 7"):
        kdf.cryptopro_key_diversify(bytes(32), bytes(7))


def test_diversify_rejects_bad_kek() -> None:
    with pytest.raises(GostKeySizeError, match="KEK length 31"):
        kdf.cryptopro_key_diversify(bytes(31), bytes(8))
