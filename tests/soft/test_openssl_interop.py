"""Interoperability with OpenSSL's cms and dgst commands, in both directions.

Our key copies go into an EnvelopedData (AES-256-CBC content under the chat
key) that ``openssl cms -decrypt`` must open; envelopes that ``openssl cms
-encrypt`` makes must import through the hooks and decrypt; every signature
must pass ``openssl dgst -verify``, and OpenSSL's signatures must pass ours.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys.providers import Providers
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.keyfiles import save_identity

from .conftest import ALGORITHMS

OpenSsl = Callable[..., subprocess.CompletedProcess[bytes]]

CONTENT = b"chatkeys interop: the content of an envelope\n"
RSA_OAEP_SHA256 = [
    "-keyopt",
    "rsa_padding_mode:oaep",
    "-keyopt",
    "rsa_oaep_md:sha256",
    "-keyopt",
    "rsa_mgf1_md:sha256",
]
PSS_OPTIONS = [
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
]


@pytest.fixture(scope="module")
def providers() -> Providers:
    return Providers.discover()


@pytest.fixture
def files(tmp_path: Path, identities: dict[str, SoftIdentity]) -> dict[str, Path]:
    """Each identity saved as ``ALGORITHM.key`` and ``ALGORITHM.crt`` in tmp_path."""
    for algorithm, identity in identities.items():
        save_identity(
            identity, tmp_path / f"{algorithm}.key", tmp_path / f"{algorithm}.crt"
        )
    return {"dir": tmp_path}


def _key(files: dict[str, Path], algorithm: str) -> str:
    return str(files["dir"] / f"{algorithm}.key")


def _cert(files: dict[str, Path], algorithm: str) -> str:
    return str(files["dir"] / f"{algorithm}.crt")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_openssl_decrypts_our_copy(
    openssl: OpenSsl,
    providers: Providers,
    identities: dict[str, SoftIdentity],
    peers: dict[str, SoftIdentity],
    files: dict[str, Path],
    algorithm: str,
) -> None:
    identity = identities[algorithm]
    chat_key = providers.generate_chat_key(identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, peers[algorithm], "cms"
    )
    envelope = files["dir"] / "envelope.der"
    envelope.write_bytes(_envelope(key_copy, chat_key, CONTENT))

    result = openssl(
        "cms", "-decrypt", "-inform", "DER", "-in", str(envelope),
        "-recip", _cert(files, algorithm), "-inkey", _key(files, algorithm),
    )  # fmt: skip

    assert result.stdout == CONTENT


@pytest.mark.parametrize(
    ("algorithm", "options"),
    [
        ("rsa-2048", RSA_OAEP_SHA256),
        ("rsa-2048", [*RSA_OAEP_SHA256, "-keyid"]),
        ("ec-p256", []),
        ("ec-p256", ["-keyid"]),
        ("ec-p256", ["-keyopt", "ecdh_kdf_md:sha256"]),
        ("ec-p384", []),
        ("ec-p521", ["-keyopt", "ecdh_kdf_md:sha512"]),
    ],
    ids=[
        "rsa-oaep",
        "rsa-oaep-keyid",
        "p256",
        "p256-keyid",
        "p256-sha256",
        "p384",
        "p521-sha512",
    ],
)
def test_openssl_envelope_imports(
    openssl: OpenSsl,
    providers: Providers,
    identities: dict[str, SoftIdentity],
    files: dict[str, Path],
    algorithm: str,
    options: list[str],
) -> None:
    envelope = _openssl_envelope(openssl, files, algorithm, options)
    recipient_info = envelope["recipient_infos"][0]

    chat_key = providers.import_chat_key(
        recipient_info.dump(), identities[algorithm], []
    )

    assert _decrypt_content(envelope, chat_key) == CONTENT


@pytest.mark.parametrize(
    ("algorithm", "options", "reason"),
    [
        ("rsa-2048", [], "PKCS#1 v1.5"),
        ("rsa-2048", ["-keyopt", "rsa_padding_mode:oaep"], "SHA-1"),
        ("ec-p256", ["-aes128"], "16-byte key"),
    ],
    ids=["rsa-pkcs1v15", "rsa-oaep-sha1", "ec-aes128"],
)
def test_openssl_weak_envelope_rejected(
    openssl: OpenSsl,
    providers: Providers,
    identities: dict[str, SoftIdentity],
    files: dict[str, Path],
    algorithm: str,
    options: list[str],
    reason: str,
) -> None:
    envelope = _openssl_envelope(openssl, files, algorithm, options)
    recipient_info = envelope["recipient_infos"][0]

    with pytest.raises(KeyImportError, match=reason):
        providers.import_chat_key(recipient_info.dump(), identities[algorithm], [])


@pytest.mark.parametrize(
    ("algorithm", "scheme"),
    [(algorithm, "default") for algorithm in ALGORITHMS] + [("rsa-2048", "pss")],
)
def test_openssl_verifies_our_signature(
    openssl: OpenSsl,
    providers: Providers,
    identities: dict[str, SoftIdentity],
    files: dict[str, Path],
    algorithm: str,
    scheme: str,
) -> None:
    identity = identities[algorithm]
    if scheme == "pss":
        identity = identity.with_rsa_signature("pss")
    data = os.urandom(100)
    signature = providers.sign(data, identity, "cms")
    directory = files["dir"]
    (directory / "data").write_bytes(data)
    (directory / "signature").write_bytes(signature)
    public_key = openssl("x509", "-in", _cert(files, algorithm), "-noout", "-pubkey")
    (directory / "public.pem").write_bytes(public_key.stdout)
    options = PSS_OPTIONS if scheme == "pss" else []
    command = [
        "dgst", "-sha256", "-verify", str(directory / "public.pem"), *options,
        "-signature", str(directory / "signature"), str(directory / "data"),
    ]  # fmt: skip

    assert b"Verified OK" in openssl(*command).stdout

    (directory / "data").write_bytes(data + b"!")
    assert openssl(*command, check=False).returncode != 0


@pytest.mark.parametrize(
    ("algorithm", "options", "valid"),
    [
        ("rsa-2048", [], True),
        ("rsa-2048", PSS_OPTIONS, True),
        ("rsa-2048", [*PSS_OPTIONS[:2], "-sigopt", "rsa_pss_saltlen:20"], False),
        ("ec-p256", [], True),
        ("ec-p384", [], True),
        ("ec-p521", [], True),
    ],
    ids=["rsa-pkcs1v15", "rsa-pss-32", "rsa-pss-20", "p256", "p384", "p521"],
)
def test_openssl_signature_verifies(
    openssl: OpenSsl,
    providers: Providers,
    identities: dict[str, SoftIdentity],
    files: dict[str, Path],
    algorithm: str,
    options: list[str],
    valid: bool,
) -> None:
    data = os.urandom(100)
    result = openssl(
        "dgst", "-sha256", "-sign", _key(files, algorithm), *options, stdin=data
    )
    certificate = identities[algorithm].certificate

    assert providers.verify(data, result.stdout, certificate, "cms") is valid
    assert providers.verify(data + b"!", result.stdout, certificate, "cms") is False


def _openssl_envelope(
    openssl: OpenSsl, files: dict[str, Path], algorithm: str, options: list[str]
) -> asn1_cms.EnvelopedData:
    cipher = "-aes128" if "-aes128" in options else "-aes256"
    options = [option for option in options if option != "-aes128"]
    keyid = ["-keyid"] if "-keyid" in options else []
    options = [option for option in options if option != "-keyid"]
    result = openssl(
        "cms", "-encrypt", "-binary", cipher, "-outform", "DER", *keyid,
        "-recip", _cert(files, algorithm), *options, stdin=CONTENT,
    )  # fmt: skip
    envelope = asn1_cms.ContentInfo.load(result.stdout)["content"]
    assert isinstance(envelope, asn1_cms.EnvelopedData)
    return envelope


def _envelope(key_copy: bytes, chat_key: ChatKey, content: bytes) -> bytes:
    iv = os.urandom(16)
    padder = symmetric_padding.PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(chat_key.secret), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    recipient_info = asn1_cms.RecipientInfo.load(key_copy)
    # RFC 5652, 6.1: version 0 when every RecipientInfo is version 0, else 2.
    version = "v0" if recipient_info.name == "ktri" else "v2"
    enveloped = asn1_cms.EnvelopedData(
        {
            "version": version,
            "recipient_infos": [recipient_info],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {
                    "algorithm": "aes256_cbc",
                    "parameters": iv,
                },
                "encrypted_content": encrypted,
            },
        }
    )
    info = asn1_cms.ContentInfo(
        {"content_type": "enveloped_data", "content": enveloped}
    )
    return bytes(info.dump())


def _decrypt_content(envelope: asn1_cms.EnvelopedData, chat_key: ChatKey) -> bytes:
    content_info = envelope["encrypted_content_info"]
    algorithm = content_info["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == "aes256_cbc"
    iv = algorithm["parameters"].native
    decryptor = Cipher(algorithms.AES(chat_key.secret), modes.CBC(iv)).decryptor()
    padded = decryptor.update(content_info["encrypted_content"].native)
    padded += decryptor.finalize()
    unpadder = symmetric_padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()
