"""Tests of chatkeys_soft.keyfiles: PEM and PKCS#12 identities on disk."""

from __future__ import annotations

import base64
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.errors import IdentityError, NoProviderError
from chatkeys.identity import EnvironmentSecrets, NoSecrets
from chatkeys.providers import Providers
from chatkeys_soft.errors import SoftIdentityError
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.keyfiles import (
    certificate_paths,
    load_identity,
    save_identity,
    save_pkcs12,
)

from .certificates import self_signed_certificate

OpenSsl = Callable[..., subprocess.CompletedProcess[bytes]]
PASSPHRASE = "correct horse battery staple"


class Secrets:
    """A secret source with fixed values that records what was requested."""

    def __init__(self, **values: str) -> None:
        self.values = values
        self.requests: list[tuple[str, str]] = []

    def get(self, name: str, description: str) -> str | None:
        self.requests.append((name, description))
        return self.values.get(name)


@pytest.mark.parametrize("algorithm", ["rsa-2048", "ec-p256"])
def test_single_file_round_trip(
    tmp_path: Path, identities: dict[str, SoftIdentity], algorithm: str
) -> None:
    identity = identities[algorithm]
    path = tmp_path / "alice.pem"
    save_identity(identity, path)

    loaded = load_identity(str(path), NoSecrets())

    assert loaded is not None
    assert loaded.certificate == identity.certificate
    assert loaded.reference == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_encrypted_key_uses_passphrase(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    identity = identities["ec-p384"]
    path = tmp_path / "alice.key"
    save_identity(identity, path, tmp_path / "alice.crt", passphrase=PASSPHRASE)
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    secrets = Secrets(passphrase=PASSPHRASE)

    loaded = load_identity(str(path), secrets)

    assert loaded is not None
    assert loaded.certificate == identity.certificate
    assert secrets.requests == [("passphrase", f"private key {path}")]


def test_passphrase_from_environment(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    path = tmp_path / "alice.pem"
    save_identity(identities["ec-p256"], path, passphrase=PASSPHRASE)
    secrets = EnvironmentSecrets(environ={"CHATKEYS_PASSPHRASE": PASSPHRASE})

    identity = Providers.discover().load_identity(str(path), secrets)

    assert identity.certificate == identities["ec-p256"].certificate


def test_missing_and_wrong_passphrase(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    path = tmp_path / "alice.pem"
    save_identity(identities["ec-p256"], path, passphrase=PASSPHRASE)

    with pytest.raises(
        SoftIdentityError, match="no passphrase was supplied"
    ) as missing:
        load_identity(str(path), NoSecrets())
    assert str(path) in str(missing.value)

    with pytest.raises(SoftIdentityError, match="wrong passphrase") as wrong:
        load_identity(str(path), Secrets(passphrase="not " + PASSPHRASE))
    assert PASSPHRASE not in str(wrong.value)


@pytest.mark.parametrize("key_name", ["alice.key", "alice.key.pem", "alice.pem"])
@pytest.mark.parametrize("certificate_index", [0, 1, 2])
def test_sibling_certificate_found(
    tmp_path: Path,
    identities: dict[str, SoftIdentity],
    key_name: str,
    certificate_index: int,
) -> None:
    key_path = tmp_path / key_name
    certificate_path = certificate_paths(key_path)[certificate_index]
    assert certificate_path.name in (
        "alice.crt",
        "alice.cer",
        "alice.cert.pem",
        "alice.pem",
    )
    assert certificate_path != key_path
    save_identity(identities["rsa-2048"], key_path, certificate_path)

    loaded = load_identity(str(key_path), NoSecrets())

    assert loaded is not None
    assert loaded.certificate == identities["rsa-2048"].certificate


def test_sibling_certificate_in_der(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    identity = identities["ec-p521"]
    save_identity(identity, tmp_path / "alice.key", tmp_path / "alice.crt")
    (tmp_path / "alice.crt").write_bytes(identity.certificate.der)

    loaded = load_identity(str(tmp_path / "alice.key"), NoSecrets())

    assert loaded is not None
    assert loaded.certificate == identity.certificate


def test_missing_certificate_names_searched_files(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    key_path = tmp_path / "alice.key"
    save_identity(identities["ec-p256"], key_path, tmp_path / "elsewhere.crt")

    with pytest.raises(SoftIdentityError, match=r"certificate .* not found") as raised:
        load_identity(str(key_path), NoSecrets())

    message = str(raised.value)
    for searched in (key_path, *certificate_paths(key_path)):
        assert str(searched) in message


def test_mismatched_certificate_rejected(
    tmp_path: Path,
    identities: dict[str, SoftIdentity],
    peers: dict[str, SoftIdentity],
) -> None:
    key_path = tmp_path / "alice.key"
    save_identity(identities["ec-p256"], key_path, tmp_path / "alice.crt")
    (tmp_path / "alice.crt").write_text(peers["ec-p256"].certificate.pem())

    with pytest.raises(SoftIdentityError, match="does not match"):
        load_identity(str(key_path), NoSecrets())


def test_matching_certificate_picked_from_chain(
    tmp_path: Path,
    identities: dict[str, SoftIdentity],
    peers: dict[str, SoftIdentity],
) -> None:
    identity = identities["rsa-2048"]
    path = tmp_path / "alice.pem"
    save_identity(identity, path, tmp_path / "unused.crt")
    chain = peers["rsa-2048"].certificate.pem() + identity.certificate.pem()
    path.write_bytes(path.read_bytes() + chain.encode())

    loaded = load_identity(str(path), NoSecrets())

    assert loaded is not None
    assert loaded.certificate == identity.certificate


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE])
def test_pkcs12_round_trip(
    tmp_path: Path, identities: dict[str, SoftIdentity], passphrase: str | None
) -> None:
    identity = identities["ec-p256"]
    path = tmp_path / "alice.p12"
    save_pkcs12(identity, path, passphrase)

    loaded = load_identity(str(path), Secrets(passphrase=PASSPHRASE))

    assert loaded is not None
    assert loaded.certificate == identity.certificate


def test_pkcs12_passphrase_errors(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    path = tmp_path / "alice.pfx"
    save_pkcs12(identities["rsa-2048"], path, PASSPHRASE)

    with pytest.raises(SoftIdentityError, match="no passphrase was supplied"):
        load_identity(str(path), NoSecrets())
    with pytest.raises(SoftIdentityError, match="wrong passphrase"):
        load_identity(str(path), Secrets(passphrase="wrong"))


def test_openssl_pkcs12_loads(
    tmp_path: Path, identities: dict[str, SoftIdentity], openssl: OpenSsl
) -> None:
    identity = identities["rsa-2048"]
    save_identity(identity, tmp_path / "alice.key", tmp_path / "alice.crt")
    path = tmp_path / "alice.bin"
    openssl(
        "pkcs12", "-export", "-inkey", str(tmp_path / "alice.key"),
        "-in", str(tmp_path / "alice.crt"), "-out", str(path),
        "-passout", f"pass:{PASSPHRASE}",
    )  # fmt: skip

    loaded = load_identity(str(path), Secrets(passphrase=PASSPHRASE))

    assert loaded is not None
    assert loaded.certificate == identity.certificate


@pytest.mark.parametrize("form", ["traditional-ec", "traditional-rsa-encrypted"])
def test_traditional_pem_loads(
    tmp_path: Path, identities: dict[str, SoftIdentity], form: str
) -> None:
    identity = identities["ec-p256" if form == "traditional-ec" else "rsa-2048"]
    encryption = (
        BestAvailableEncryption(PASSPHRASE.encode())
        if form.endswith("encrypted")
        else NoEncryption()
    )
    key_pem = identity.private_key.private_bytes(
        Encoding.PEM, PrivateFormat.TraditionalOpenSSL, encryption
    )
    path = tmp_path / "alice.pem"
    path.write_bytes(key_pem + identity.certificate.pem().encode())

    loaded = load_identity(str(path), Secrets(passphrase=PASSPHRASE))

    assert loaded is not None
    assert loaded.certificate == identity.certificate


@pytest.mark.parametrize(
    "reference",
    ["pkcs11:token=chatkeys;object=alice", "generated:ec-p256:alice", "cryptopro://x"],
)
def test_uri_references_are_not_ours(reference: str) -> None:
    assert load_identity(reference, NoSecrets()) is None


def test_directory_and_other_files_are_not_ours(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(b"\x00\x01 not a key file")

    assert load_identity(str(tmp_path), NoSecrets()) is None
    assert load_identity(str(other), NoSecrets()) is None


def test_missing_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "absent.pem"
    with pytest.raises(IdentityError, match="not found") as raised:
        load_identity(str(path), NoSecrets())
    assert str(path) in str(raised.value)


def test_ed25519_key_is_not_ours(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "ed.pem"
    path.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )

    assert load_identity(str(path), NoSecrets()) is None
    with pytest.raises(NoProviderError):
        Providers.discover().load_identity(str(path))


def test_gost_key_is_not_ours(
    tmp_path: Path, openssl: OpenSsl, gost_engine: None
) -> None:
    key_path = tmp_path / "gost.pem"
    openssl(
        "genpkey", "-engine", "gost", "-algorithm", "gost2012_256",
        "-pkeyopt", "paramset:A", "-out", str(key_path),
    )  # fmt: skip
    openssl(
        "req", "-engine", "gost", "-x509", "-key", str(key_path), "-subj", "/CN=gost",
        "-days", "1", "-out", str(tmp_path / "gost.crt"),
    )  # fmt: skip

    assert load_identity(str(key_path), NoSecrets()) is None
    combined = tmp_path / "combined.pem"
    combined.write_bytes(key_path.read_bytes() + (tmp_path / "gost.crt").read_bytes())
    assert load_identity(str(combined), NoSecrets()) is None


def test_unsupported_curve_rejected(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    path = tmp_path / "k1.pem"
    certificate = self_signed_certificate(key)
    path.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        + certificate.pem().encode()
    )

    with pytest.raises(SoftIdentityError, match="secp256k1"):
        load_identity(str(path), NoSecrets())


def test_certificate_without_key_rejected(
    tmp_path: Path, identities: dict[str, SoftIdentity]
) -> None:
    path = tmp_path / "alice.crt"
    path.write_text(identities["ec-p256"].certificate.pem())

    with pytest.raises(SoftIdentityError, match="no private key"):
        load_identity(str(path), NoSecrets())


def test_two_keys_rejected(tmp_path: Path, identities: dict[str, SoftIdentity]) -> None:
    path = tmp_path / "two.pem"
    save_identity(identities["ec-p256"], tmp_path / "a.pem")
    save_identity(identities["ec-p384"], tmp_path / "b.pem")
    path.write_bytes(
        (tmp_path / "a.pem").read_bytes() + (tmp_path / "b.pem").read_bytes()
    )

    with pytest.raises(SoftIdentityError, match="2 private keys"):
        load_identity(str(path), NoSecrets())


@pytest.mark.parametrize(
    "content",
    [
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
    ],
    ids=["short-key", "not-base64", "broken-certificate"],
)
def test_damaged_pem_raises_typed_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "damaged.pem"
    path.write_bytes(content)

    with pytest.raises(SoftIdentityError):
        load_identity(str(path), NoSecrets())


def test_damaged_pkcs12_raises_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.p12"
    path.write_bytes(b"\x30\x03\x02\x01\x03")

    with pytest.raises(SoftIdentityError):
        load_identity(str(path), Secrets(passphrase="x"))


def _pem(label: str, body: bytes) -> bytes:
    encoded = base64.encodebytes(body).decode("ascii")
    return f"-----BEGIN {label}-----\n{encoded}-----END {label}-----\n".encode()


_PEM_LABELS = st.sampled_from(
    ["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "CERTIFICATE"]
)


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(st.tuples(_PEM_LABELS, st.binary(max_size=300)), max_size=3),
    suffix=st.sampled_from([".pem", ".key", ".p12"]),
)
def test_garbage_pem_gives_none_or_typed_error(
    blocks: list[tuple[str, bytes]], suffix: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"garbage{suffix}"
        path.write_bytes(b"".join(_pem(label, body) for label, body in blocks))
        try:
            loaded = load_identity(str(path), Secrets(passphrase=PASSPHRASE))
        except SoftIdentityError:
            return
        assert loaded is None


@settings(max_examples=150, deadline=None)
@given(
    content=st.binary(max_size=600),
    suffix=st.sampled_from([".pem", ".p12", ".pfx", ""]),
)
def test_garbage_file_gives_none_or_typed_error(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"garbage{suffix}"
        path.write_bytes(content)
        try:
            loaded = load_identity(str(path), Secrets(passphrase=PASSPHRASE))
        except SoftIdentityError:
            return
        assert loaded is None


@pytest.mark.parametrize("cipher", ["aes-256-cbc", "gost89"])
def test_encrypted_gost_key_is_not_ours(
    tmp_path: Path, openssl: OpenSsl, gost_engine: None, cipher: str
) -> None:
    plain = tmp_path / "plain.pem"
    openssl(
        "genpkey", "-engine", "gost", "-algorithm", "gost2012_256",
        "-pkeyopt", "paramset:A", "-out", str(plain),
    )  # fmt: skip
    encrypted = tmp_path / "gost.pem"
    openssl(
        "pkcs8", "-engine", "gost", "-topk8", "-in", str(plain), "-out", str(encrypted),
        "-passout", f"pass:{PASSPHRASE}", "-v2", cipher,
    )  # fmt: skip
    secrets = Secrets(passphrase=PASSPHRASE)

    assert load_identity(str(encrypted), secrets) is None
    # Only a standard PBES2 key has to be decrypted before it is recognised.
    assert len(secrets.requests) == (1 if cipher == "aes-256-cbc" else 0)
