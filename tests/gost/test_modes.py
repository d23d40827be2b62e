"""Modes of GOST R 34.13-2015 against its appendix A and OpenSSL's engine."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys_gost.errors import GostKeySizeError
from chatkeys_gost.primitives import modes
from chatkeys_gost.primitives.gost28147 import Gost28147
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.magma import Magma

from .conftest import require_gost_engine

# GOST R 34.13-2015 appendix A.1 (Kuznyechik).
K_KEY = bytes.fromhex(
    "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef"
)
K_PLAIN = bytes.fromhex(
    "1122334455667700ffeeddccbbaa9988"
    "00112233445566778899aabbcceeff0a"
    "112233445566778899aabbcceeff0a00"
    "2233445566778899aabbcceeff0a0011"
)
K_IV = bytes.fromhex("1234567890abcef0a1b2c3d4e5f0011223344556677889901213141516171819")
K_VECTORS = {
    "ecb": "7f679d90bebc24305a468d42b9d4edcdb429912c6e0032f9285452d76718d08b"
    "f0ca33549d247ceef3f5a5313bd4b157d0b09ccde830b9eb3a02c4c5aa8ada98",
    "ctr": "f195d8bec10ed1dbd57b5fa240bda1b885eee733f6a13e5df33ce4b33c45dee4"
    "a5eae88be6356ed3d5e877f13564a3a5cb91fab1f20cbab6d1c6d15820bdba73",
    "ofb": "81800a59b1842b24ff1f795e897abd95ed5b47a7048cfab48fb521369d9326bf"
    "66a257ac3ca0b8b1c80fe7fc10288a13203ebbc066138660a0292243f6903150",
    "cbc": "689972d4a085fa4d90e52e3d6d7dcc272826e661b478eca6af1e8e448d5ea5ac"
    "fe7babf1e91999e85640e8b0f49d90d0167688065a895c631a2d9a1560b63970",
    "cfb": "81800a59b1842b24ff1f795e897abd95ed5b47a7048cfab48fb521369d9326bf"
    "79f2a8eb5cc68d38842d264e97a238b54ffebecd4e922de6c75bd9dd44fbf4d1",
    "mac": "336f4d296059fbe3",
}

# GOST R 34.13-2015 appendix A.2 (Magma).
M_KEY = bytes.fromhex(
    "ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
)
M_PLAIN = bytes.fromhex(
    "92def06b3c130a59db54c704f8189d204a98fb2e67a8024c8912409b17b57e41"
)
M_IV = bytes.fromhex("1234567890abcdef234567890abcdef134567890abcdef12")
M_VECTORS = {
    "ecb": "2b073f0494f372a0de70e715d3556e4811d8d9e9eacfbc1e7c68260996c67efb",
    "ctr": "4e98110c97b7b93c3e250d93d6e85d69136d868807b2dbef568eb680ab52a12d",
    "ofb": "db37e0e266903c830d46644c1f9a089ca0f83062430e327ec824efb8bd4fdb05",
    "cbc": "96d1b05eea683919aff76129abb937b95058b4a1c4bc001920b78b1a7cd7e667",
    "cfb": "db37e0e266903c830d46644c1f9a089c24bdd2035315d38bbcc0321421075505",
    "mac": "154e7210",
}


def openssl_enc(cipher: str, key: bytes, iv: bytes, data: bytes) -> bytes:
    command = ["openssl", "enc", "-engine", "gost", f"-{cipher}", "-K", key.hex()]
    command += ["-iv", iv.hex(), "-nopad"] if iv else ["-nopad"]
    result = subprocess.run(command, input=data, capture_output=True, check=True)
    return result.stdout


def test_kuznyechik_ecb_vector() -> None:
    cipher = Kuznyechik(K_KEY)
    assert modes.ecb_encrypt(cipher, K_PLAIN).hex() == K_VECTORS["ecb"]
    assert modes.ecb_decrypt(cipher, bytes.fromhex(K_VECTORS["ecb"])) == K_PLAIN


def test_kuznyechik_ctr_vector() -> None:
    cipher = Kuznyechik(K_KEY)
    assert modes.ctr(cipher, K_IV[:8], K_PLAIN).hex() == K_VECTORS["ctr"]


def test_kuznyechik_ofb_vector() -> None:
    cipher = Kuznyechik(K_KEY)
    assert modes.ofb(cipher, K_IV, K_PLAIN).hex() == K_VECTORS["ofb"]


def test_kuznyechik_cbc_vector() -> None:
    cipher = Kuznyechik(K_KEY)
    ciphertext = modes.cbc_encrypt(cipher, K_IV, K_PLAIN)
    assert ciphertext.hex() == K_VECTORS["cbc"]
    assert modes.cbc_decrypt(cipher, K_IV, ciphertext) == K_PLAIN


def test_kuznyechik_cfb_vector() -> None:
    cipher = Kuznyechik(K_KEY)
    ciphertext = modes.cfb_encrypt(cipher, K_IV, K_PLAIN)
    assert ciphertext.hex() == K_VECTORS["cfb"]
    assert modes.cfb_decrypt(cipher, K_IV, ciphertext) == K_PLAIN


def test_kuznyechik_mac_vector() -> None:
    assert modes.omac(Kuznyechik(K_KEY), K_PLAIN, 8).hex() == K_VECTORS["mac"]


def test_magma_ecb_vector() -> None:
    cipher = Magma(M_KEY)
    assert modes.ecb_encrypt(cipher, M_PLAIN).hex() == M_VECTORS["ecb"]


def test_magma_ctr_vector() -> None:
    assert modes.ctr(Magma(M_KEY), M_IV[:4], M_PLAIN).hex() == M_VECTORS["ctr"]


def test_magma_ofb_vector() -> None:
    assert modes.ofb(Magma(M_KEY), M_IV[:16], M_PLAIN).hex() == M_VECTORS["ofb"]


def test_magma_cbc_vector() -> None:
    assert modes.cbc_encrypt(Magma(M_KEY), M_IV, M_PLAIN).hex() == M_VECTORS["cbc"]


def test_magma_cfb_vector() -> None:
    assert (
        modes.cfb_encrypt(Magma(M_KEY), M_IV[:16], M_PLAIN).hex() == (M_VECTORS["cfb"])
    )


def test_magma_mac_vector() -> None:
    assert modes.omac(Magma(M_KEY), M_PLAIN, 4).hex() == M_VECTORS["mac"]


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 100])
def test_magma_mac_matches_openssl(length: int) -> None:
    # NOTE: the engine's kuznyechik-mac is not used as an oracle: through
    # `openssl dgst` (OpenSSL 3.0, Debian's engine) it disagrees with the
    # appendix A example and prints varying bytes past the eighth.
    require_gost_engine()
    key = os.urandom(32)
    data = os.urandom(length)
    result = subprocess.run(
        ["openssl", "dgst", "-engine", "gost", "-mac", "magma-mac",
         "-macopt", f"hexkey:{key.hex()}", "-r"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    expected = result.stdout.split()[0].decode()
    assert modes.omac(Magma(key), data, 8).hex() == expected


@pytest.mark.parametrize(
    ("name", "cipher_class", "iv_length", "data_length"),
    [
        ("kuznyechik-ctr", Kuznyechik, 8, 100),
        ("kuznyechik-ofb", Kuznyechik, 16, 100),
        ("kuznyechik-cbc", Kuznyechik, 16, 96),
        ("kuznyechik-cfb", Kuznyechik, 16, 100),
        ("magma-ctr", Magma, 4, 100),
        ("magma-cbc", Magma, 8, 96),
    ],
)
def test_mode_matches_openssl(
    name: str, cipher_class: type[Kuznyechik] | type[Magma], iv_length: int,
    data_length: int,
) -> None:  # fmt: skip
    require_gost_engine()
    key = os.urandom(32)
    iv = os.urandom(iv_length)
    data = os.urandom(data_length)
    cipher = cipher_class(key)
    if name.endswith("ctr"):
        # The engine takes a full-block IV whose first half is the CTR IV.
        expected = openssl_enc(name, key, iv + bytes(iv_length), data)
        assert modes.ctr(cipher, iv, data) == expected
    elif name.endswith("ofb"):
        assert modes.ofb(cipher, iv, data) == openssl_enc(name, key, iv, data)
    elif name.endswith("cbc"):
        assert modes.cbc_encrypt(cipher, iv, data) == openssl_enc(name, key, iv, data)
    else:
        assert modes.cfb_encrypt(cipher, iv, data) == openssl_enc(name, key, iv, data)


@pytest.mark.parametrize(
    ("name", "cipher_class", "iv_length", "section_size"),
    [
        ("kuznyechik-ctr-acpkm", Kuznyechik, 8, 4096),
        ("magma-ctr-acpkm", Magma, 4, 1024),
    ],
)
def test_ctr_acpkm_matches_openssl(
    name: str, cipher_class: type[Kuznyechik] | type[Magma], iv_length: int,
    section_size: int,
) -> None:  # fmt: skip
    # OpenSSL's engine (1.1.x/3.x) uses sections of 4096 bytes for Kuznyechik
    # and 1024 bytes for Magma in its command-line CTR-ACPKM ciphers.
    require_gost_engine()
    key = os.urandom(32)
    iv = os.urandom(iv_length)
    data = os.urandom(2 * section_size + 100)
    expected = openssl_enc(name, key, iv + bytes(iv_length), data)
    ours = modes.ctr_acpkm(cipher_class(key), iv, data, section_size)
    assert ours == expected


def test_ctr_acpkm_first_section_is_plain_ctr() -> None:
    cipher = Kuznyechik(K_KEY)
    data = os.urandom(200)
    first = modes.ctr_acpkm(cipher, K_IV[:8], data, 64)
    assert first[:64] == modes.ctr(cipher, K_IV[:8], data)[:64]
    assert first[64:128] != modes.ctr(cipher, K_IV[:8], data)[64:128]


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=200), st.integers(1, 3))
def test_cfb_round_trip_any_length(data: bytes, blocks: int) -> None:
    cipher = Magma(M_KEY)
    iv = bytes(range(8 * blocks))
    assert modes.cfb_decrypt(cipher, iv, modes.cfb_encrypt(cipher, iv, data)) == data


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=200))
def test_ctr_is_an_involution(data: bytes) -> None:
    cipher = Kuznyechik(K_KEY)
    assert modes.ctr(cipher, K_IV[:8], modes.ctr(cipher, K_IV[:8], data)) == data


def test_ecb_rejects_partial_block() -> None:
    with pytest.raises(ValueError, match="multiple of the block size 16"):
        modes.ecb_encrypt(Kuznyechik(K_KEY), bytes(17))


def test_cbc_rejects_bad_iv() -> None:
    with pytest.raises(GostKeySizeError, match="CBC IV length 5"):
        modes.cbc_encrypt(Magma(M_KEY), bytes(5), bytes(8))


def test_ctr_rejects_full_block_iv() -> None:
    with pytest.raises(GostKeySizeError, match="CTR IV length 16"):
        modes.ctr(Kuznyechik(K_KEY), bytes(16), b"data")


def test_omac_rejects_oversized_tag() -> None:
    with pytest.raises(ValueError, match="MAC size 9"):
        modes.omac(Magma(M_KEY), b"data", 9)


# --- GOST 28147-89 ---------------------------------------------------------


@pytest.mark.parametrize("length", [0, 5, 8, 1024, 1025, 3000])
def test_gost28147_cfb_matches_openssl(length: int) -> None:
    # OpenSSL's gost89 is CFB with CryptoPro key meshing and, with no engine
    # configuration, S-box Z.
    require_gost_engine()
    key = os.urandom(32)
    iv = os.urandom(8)
    data = os.urandom(length)
    expected = openssl_enc("gost89", key, iv, data)
    assert modes.gost28147_cfb_encrypt(key, iv, data) == expected
    assert modes.gost28147_cfb_decrypt(key, iv, expected) == data


def test_gost28147_meshing_changes_only_after_1024_bytes() -> None:
    key = os.urandom(32)
    iv = os.urandom(8)
    data = os.urandom(2048)
    meshed = modes.gost28147_cfb_encrypt(key, iv, data)
    plain = modes.gost28147_cfb_encrypt(key, iv, data, key_meshing=False)
    assert meshed[:1024] == plain[:1024]
    assert meshed[1024:] != plain[1024:]


def test_gost28147_cfb_equals_generic_cfb_without_meshing() -> None:
    key = os.urandom(32)
    iv = os.urandom(8)
    data = os.urandom(2000)
    generic = modes.cfb_encrypt(Gost28147(key), iv, data)
    assert modes.gost28147_cfb_encrypt(key, iv, data, key_meshing=False) == generic


@pytest.mark.parametrize(
    ("mac", "sbox"),
    [
        ("gost-mac", "id-Gost28147-89-CryptoPro-A-ParamSet"),
        ("gost-mac-12", "id-tc26-gost-28147-param-Z"),
    ],
)
@pytest.mark.parametrize("length", [1, 8, 9, 16, 37, 1030])
def test_gost28147_imit_matches_openssl(mac: str, sbox: str, length: int) -> None:
    require_gost_engine()
    key = os.urandom(32)
    data = os.urandom(length)
    result = subprocess.run(
        ["openssl", "dgst", "-engine", "gost", "-mac", mac,
         "-macopt", f"hexkey:{key.hex()}", "-r"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    expected = result.stdout.split()[0].decode()
    ours = modes.gost28147_imit(key, data, sbox=sbox, key_meshing=True)
    assert ours.hex() == expected


def test_gost28147_imit_meshing_only_affects_long_data() -> None:
    key = os.urandom(32)
    short = os.urandom(1024)
    long = os.urandom(1032)
    assert modes.gost28147_imit(key, short, key_meshing=True) == (
        modes.gost28147_imit(key, short)
    )
    assert modes.gost28147_imit(key, long, key_meshing=True) != (
        modes.gost28147_imit(key, long)
    )


def test_gost28147_imit_depends_on_iv() -> None:
    key = os.urandom(32)
    assert modes.gost28147_imit(key, b"data") != modes.gost28147_imit(
        key, b"data", iv=b"\x01" + bytes(7)
    )


def test_gost28147_cfb_rejects_bad_iv() -> None:
    with pytest.raises(GostKeySizeError, match="IV length 16"):
        modes.gost28147_cfb_encrypt(bytes(32), bytes(16), b"data")
