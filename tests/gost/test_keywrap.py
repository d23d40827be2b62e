"""KExp15/KImp15 and the RFC 4357 GOST 28147-89 key wraps."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.errors import KeyImportError
from chatkeys.testing import skip_unless_tool
from chatkeys_gost.errors import GostError, GostUnwrapError
from chatkeys_gost.keys import GostPrivateKey, GostPublicKey, pem_decode
from chatkeys_gost.primitives import keywrap
from chatkeys_gost.primitives.gost28147 import Gost28147
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.magma import Magma
from chatkeys_gost.primitives.modes import (
    ecb_encrypt,
    gost28147_cfb_decrypt,
    gost28147_imit,
)
from chatkeys_gost.vko import VkoContext

# R 1323565.1.017-2018 example of KExp15 with Magma.
SHARED_KEY = bytes.fromhex(
    "8899aabbccddeeff0011223344556677fedcba98765432100123456789abcdef"
)
MAGMA_ENC_KEY = bytes.fromhex(
    "202122232425262728292a2b2c2d2e2f38393a3b3c3d3e3f3031323334353637"
)
MAGMA_MAC_KEY = bytes.fromhex(
    "08090a0b0c0d0e0f0001020304050607101112131415161718191a1b1c1d1e1f"
)
MAGMA_IV = bytes.fromhex("67bed654")
MAGMA_EXPORT = bytes.fromhex(
    "cfd5a12d5b81b6e1e99c916d07900c6ac12703fb3abded55567bf3742c899c755dafe7b42e3a8bd9"
)


def test_kexp15_magma_vector() -> None:
    exported = keywrap.kexp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, SHARED_KEY)
    assert exported == MAGMA_EXPORT


def test_kimp15_magma_vector() -> None:
    imported = keywrap.kimp15(
        Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, MAGMA_EXPORT
    )
    assert imported == SHARED_KEY


def test_kexp15_kuznyechik_round_trip() -> None:
    mac_key, enc_key, key = os.urandom(32), os.urandom(32), os.urandom(32)
    iv = os.urandom(8)
    exported = keywrap.kexp15(Kuznyechik, mac_key, enc_key, iv, key)
    assert len(exported) == 48
    assert keywrap.kimp15(Kuznyechik, mac_key, enc_key, iv, exported) == key


@pytest.mark.parametrize("position", [0, 20, 39])
def test_kimp15_rejects_flipped_bit(position: int) -> None:
    tampered = bytearray(MAGMA_EXPORT)
    tampered[position] ^= 0x01
    with pytest.raises(GostUnwrapError, match="MAC check failed"):
        keywrap.kimp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, bytes(tampered))


def test_kimp15_rejects_wrong_mac_key() -> None:
    with pytest.raises(GostUnwrapError):
        keywrap.kimp15(Magma, bytes(32), MAGMA_ENC_KEY, MAGMA_IV, MAGMA_EXPORT)


def test_kimp15_rejects_short_input() -> None:
    with pytest.raises(GostUnwrapError, match="export length 8"):
        keywrap.kimp15(Magma, MAGMA_MAC_KEY, MAGMA_ENC_KEY, MAGMA_IV, bytes(8))


def test_unwrap_error_is_key_import_error() -> None:
    assert issubclass(GostUnwrapError, KeyImportError)
    assert issubclass(GostUnwrapError, GostError)


def test_gost28147_wrap_layout() -> None:
    # RFC 4357 section 6.1: UKM || ECB(KEK, CEK) || IMIT(KEK, UKM, CEK).
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    assert len(wrapped) == 44
    assert wrapped[:8] == ukm
    assert wrapped[8:40] == ecb_encrypt(Gost28147(kek), cek)
    assert wrapped[40:] == gost28147_imit(kek, cek, ukm)


@settings(max_examples=20, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=8, max_size=8),
    st.binary(min_size=32, max_size=32),
)
def test_gost28147_wrap_round_trip(kek: bytes, ukm: bytes, cek: bytes) -> None:
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    assert keywrap.gost28147_unwrap(kek, wrapped) == cek


@pytest.mark.parametrize("position", [0, 7, 8, 39, 40, 43])
def test_gost28147_unwrap_rejects_flipped_bit(position: int) -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    tampered = bytearray(keywrap.gost28147_wrap(kek, ukm, cek))
    tampered[position] ^= 0x80
    with pytest.raises(GostUnwrapError, match="MAC does not match"):
        keywrap.gost28147_unwrap(kek, bytes(tampered))


def test_gost28147_unwrap_rejects_other_sbox() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.gost28147_wrap(kek, ukm, cek)
    with pytest.raises(GostUnwrapError):
        keywrap.gost28147_unwrap(kek, wrapped, "id-Gost28147-89-CryptoPro-A-ParamSet")


@pytest.mark.parametrize("length", [0, 36, 43, 45])
def test_gost28147_unwrap_rejects_length(length: int) -> None:
    with pytest.raises(GostUnwrapError, match=f"length {length}"):
        keywrap.gost28147_unwrap(bytes(32), bytes(length))


def test_cryptopro_wrap_round_trip() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    wrapped = keywrap.cryptopro_wrap(kek, ukm, cek)
    assert wrapped[:8] == ukm
    assert keywrap.cryptopro_unwrap(kek, wrapped) == cek


def test_cryptopro_wrap_differs_from_plain_wrap() -> None:
    kek, ukm, cek = os.urandom(32), os.urandom(8), os.urandom(32)
    sbox = "id-Gost28147-89-CryptoPro-A-ParamSet"
    plain = keywrap.gost28147_wrap(kek, ukm, cek, sbox)
    assert keywrap.cryptopro_wrap(kek, ukm, cek, sbox) != plain
    with pytest.raises(GostUnwrapError):
        keywrap.cryptopro_unwrap(kek, plain, sbox)


# --- CryptoPro wrap against OpenSSL's CMS key transport ---------------------


@functools.cache
def gost_engine_available() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "engine", "gost"], capture_output=True, check=False
    )
    return probe.returncode == 0


def der_children(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """Split DER into (tag, content, whole element) triples, one level deep."""
    children = []
    offset = 0
    while offset < len(data):
        tag = data[offset]
        length = data[offset + 1]
        header = 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[offset + 2 : offset + 2 + size], "big")
            header += size
        end = offset + header + length
        children.append((tag, data[offset + header : end], data[offset:end]))
        offset = end
    return children


def run_openssl(*arguments: str, cwd: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=cwd, capture_output=True, check=True)


def test_cryptopro_unwrap_opens_openssl_envelope(tmp_path: Path) -> None:
    # `openssl cms -encrypt -gost89` wraps the content key with the CryptoPro
    # wrap (RFC 4490 key transport). The KEK is VKO of the recipient key and
    # the ephemeral key, computed by the package's curve code.
    skip_unless_tool(
        gost_engine_available(),
        "OpenSSL with the GOST engine is missing: apt-get install "
        "libengine-gost-openssl",
    )
    run_openssl(
        "genpkey", "-engine", "gost", "-algorithm", "gost2012_256",
        "-pkeyopt", "paramset:A", "-out", "key.pem", cwd=tmp_path,
    )  # fmt: skip
    run_openssl(
        "req", "-engine", "gost", "-x509", "-new", "-key", "key.pem",
        "-md_gost12_256", "-subj", "/CN=recipient", "-out", "cert.pem",
        cwd=tmp_path,
    )  # fmt: skip
    content = os.urandom(3000)
    (tmp_path / "content.bin").write_bytes(content)
    run_openssl(
        "cms", "-engine", "gost", "-encrypt", "-binary", "-gost89",
        "-in", "content.bin", "-outform", "DER", "-out", "envelope.der",
        "cert.pem", cwd=tmp_path,
    )  # fmt: skip

    envelope = asn1_cms.ContentInfo.load((tmp_path / "envelope.der").read_bytes())
    enveloped = envelope["content"]
    key_pem = (tmp_path / "key.pem").read_bytes()
    private_key = GostPrivateKey.from_pkcs8_der(pem_decode(key_pem)[0][1])

    # GostR3410-KeyTransport: SEQUENCE { SEQUENCE { encryptedKey, macKey },
    # [0] { encryptionParamSet, [0] ephemeral SPKI, ukm } }
    transport = enveloped["recipient_infos"][0].chosen["encrypted_key"].native
    session, parameters = der_children(der_children(transport)[0][1])
    encrypted_key = der_children(session[1])[0][1]
    mac = der_children(session[1])[-1][1]
    sbox_element, ephemeral_element, ukm_element = der_children(parameters[1])
    sbox = asn1_core.ObjectIdentifier.load(sbox_element[2]).dotted
    ephemeral = GostPublicKey.from_spki(b"\x30" + ephemeral_element[2][1:])
    ukm = ukm_element[1]
    vko = VkoContext(private_key.curve, private_key.scalar, ephemeral.point)
    kek = vko.kek_256(int.from_bytes(ukm, "little"))

    cek = keywrap.cryptopro_unwrap(kek, ukm + encrypted_key + mac, sbox)

    content_info = enveloped["encrypted_content_info"]
    cipher_parameters = content_info["content_encryption_algorithm"]["parameters"]
    iv_element, content_sbox_element = der_children(
        der_children(cipher_parameters.dump())[0][1]
    )[:2]
    content_sbox = asn1_core.ObjectIdentifier.load(content_sbox_element[2]).dotted
    decrypted = gost28147_cfb_decrypt(
        cek, iv_element[1], content_info["encrypted_content"].native, content_sbox
    )
    assert decrypted == content
