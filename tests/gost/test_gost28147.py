"""GOST 28147-89 against OpenSSL's `gost89` cipher for every S-box."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys_gost.errors import GostKeySizeError
from chatkeys_gost.primitives.gost28147 import (
    SBOX_NAMES,
    Gost28147,
    resolve_sbox,
    sbox_rows,
)

from .conftest import require_gost_engine


def openssl_config(directory: Path, sbox: str) -> Path:
    """Write an OpenSSL config that loads the engine with an S-box for gost89."""
    path = directory / f"{sbox}.cnf"
    path.write_text(
        "openssl_conf = openssl_def\n"
        "[openssl_def]\nengines = engine_section\n"
        "[engine_section]\ngost = gost_section\n"
        "[gost_section]\nengine_id = gost\ndefault_algorithms = ALL\n"
        f"CRYPT_PARAMS = {sbox}\n"
    )
    return path


def openssl_gost89(config: Path, key: bytes, iv: bytes, data: bytes) -> bytes:
    result = subprocess.run(
        ["openssl", "enc", "-gost89", "-K", key.hex(), "-iv", iv.hex()],
        input=data,
        capture_output=True,
        check=True,
        env={**os.environ, "OPENSSL_CONF": str(config)},
    )
    return result.stdout


@pytest.mark.parametrize("sbox", SBOX_NAMES)
def test_sbox_rows_are_permutations(sbox: str) -> None:
    for row in sbox_rows(sbox):
        assert sorted(row) == list(range(16))


@pytest.mark.parametrize("sbox", SBOX_NAMES)
def test_block_matches_openssl(sbox: str, tmp_path: Path) -> None:
    # One block of CFB is plaintext XOR E(IV), so it exposes E directly.
    require_gost_engine()
    config = openssl_config(tmp_path, sbox)
    key = os.urandom(32)
    for _ in range(3):
        iv = os.urandom(8)
        plaintext = os.urandom(8)
        expected = openssl_gost89(config, key, iv, plaintext)
        gamma = Gost28147(key, sbox).encrypt_block(iv)
        assert bytes(a ^ b for a, b in zip(plaintext, gamma, strict=True)) == expected


def test_default_sbox_is_z() -> None:
    assert Gost28147(bytes(32)).sbox == "id-tc26-gost-28147-param-Z"


@pytest.mark.parametrize(
    ("oid", "name"),
    [
        ("1.2.643.7.1.2.5.1.1", "id-tc26-gost-28147-param-Z"),
        ("1.2.643.2.2.31.1", "id-Gost28147-89-CryptoPro-A-ParamSet"),
        ("1.2.643.2.2.31.0", "id-Gost28147-89-TestParamSet"),
    ],
)
def test_sbox_oid_resolves(oid: str, name: str) -> None:
    assert resolve_sbox(oid) == name


def test_unknown_sbox_rejected() -> None:
    with pytest.raises(GostKeySizeError, match="unknown GOST 28147-89 S-box"):
        Gost28147(bytes(32), "id-no-such-sbox")


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_wrong_key_length_rejected(length: int) -> None:
    with pytest.raises(GostKeySizeError, match=f"length {length}"):
        Gost28147(bytes(length))


@settings(max_examples=50, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=8, max_size=8),
    st.sampled_from(SBOX_NAMES),
)
def test_decrypt_inverts_encrypt(key: bytes, block: bytes, sbox: str) -> None:
    cipher = Gost28147(key, sbox)
    assert cipher.decrypt_block(cipher.encrypt_block(block)) == block


def test_sboxes_give_different_ciphertexts() -> None:
    key = os.urandom(32)
    block = os.urandom(8)
    outputs = {Gost28147(key, sbox).encrypt_block(block) for sbox in SBOX_NAMES}
    assert len(outputs) == len(SBOX_NAMES)


@pytest.mark.parametrize("length", [0, 7, 9])
def test_wrong_block_length_rejected(length: int) -> None:
    with pytest.raises(ValueError, match="block length"):
        Gost28147(bytes(32)).encrypt_block(bytes(length))
