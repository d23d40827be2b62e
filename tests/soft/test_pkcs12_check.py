"""Tests of chatkeys_soft.pkcs12_check, with PKCS#12 files that OpenSSL writes.

OpenSSL computes the MACs these tests verify, so it acts as the independent
implementation of the RFC 7292 key derivation. GOST files need OpenSSL's
GOST engine.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.identity import NoSecrets
from chatkeys.providers import Providers
from chatkeys.testing import skip_unless_tool
from chatkeys_soft.errors import SoftIdentityError
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.keyfiles import load_identity, save_identity, save_pkcs12
from chatkeys_soft.pkcs12_check import mac_matches, uses_gost_algorithms

OpenSsl = Callable[..., subprocess.CompletedProcess[bytes]]
PASSPHRASE = "pkcs12 passphrase"


class Secrets:
    def get(self, name: str, description: str) -> str | None:
        return PASSPHRASE if name == "passphrase" else None


def _export(openssl: OpenSsl, key: Path, certificate: Path, *options: str) -> bytes:
    out = key.with_suffix(".p12")
    openssl(
        "pkcs12", "-export", "-inkey", str(key), "-in", str(certificate),
        "-out", str(out), "-passout", f"pass:{PASSPHRASE}", *options,
    )  # fmt: skip
    return out.read_bytes()


@pytest.mark.parametrize(
    "options",
    [[], ["-macalg", "sha1"], ["-macalg", "sha512"], ["-legacy"]],
    ids=["default-sha256", "sha1", "sha512", "legacy"],
)
def test_mac_matches_openssl(
    tmp_path: Path,
    identities: dict[str, SoftIdentity],
    openssl: OpenSsl,
    options: list[str],
) -> None:
    save_identity(identities["rsa-2048"], tmp_path / "a.key", tmp_path / "a.crt")
    data = _export(openssl, tmp_path / "a.key", tmp_path / "a.crt", *options)

    assert mac_matches(data, PASSPHRASE.encode())
    assert not mac_matches(data, b"not the passphrase")
    assert not uses_gost_algorithms(data)


def test_mac_of_garbage_is_false() -> None:
    assert not mac_matches(b"\x30\x03\x02\x01\x03", b"x")
    assert not mac_matches(b"", b"x")


@pytest.fixture
def gost_files(
    tmp_path: Path, openssl: OpenSsl, gost_engine: None
) -> tuple[Path, Path]:
    key = tmp_path / "gost.key"
    certificate = tmp_path / "gost.crt"
    openssl(
        "genpkey", "-engine", "gost", "-algorithm", "gost2012_256",
        "-pkeyopt", "paramset:A", "-out", str(key),
    )  # fmt: skip
    openssl(
        "req", "-engine", "gost", "-x509", "-key", str(key), "-subj", "/CN=gost",
        "-days", "1", "-out", str(certificate),
    )  # fmt: skip
    return key, certificate


@pytest.mark.parametrize(
    ("options", "gost_algorithms"),
    [
        (["-keypbe", "gost89", "-certpbe", "gost89", "-macalg", "md_gost12_256"], True),
        ([], False),
    ],
    ids=["gost-pbe", "standard-pbe"],
)
def test_gost_pkcs12_left_to_others(
    gost_files: tuple[Path, Path],
    openssl: OpenSsl,
    options: list[str],
    gost_algorithms: bool,
) -> None:
    key, certificate = gost_files
    data = _export(openssl, key, certificate, "-engine", "gost", *options)
    path = key.with_suffix(".p12")

    assert uses_gost_algorithms(data) is gost_algorithms
    assert mac_matches(data, PASSPHRASE.encode()) is not gost_algorithms
    assert load_identity(str(path), Secrets()) is None


def test_gost_pkcs12_reaches_gost_provider(
    gost_files: tuple[Path, Path], openssl: OpenSsl
) -> None:
    key, certificate = gost_files
    _export(openssl, key, certificate, "-engine", "gost")
    providers = Providers.discover()
    skip_unless_tool(
        any(info.name == "gost" and info.available for info in providers.infos),
        "chatkeys-gost is not installed: pip install -e providers/gost",
    )

    identity = providers.load_identity(str(key.with_suffix(".p12")), Secrets())

    assert identity.provider == "gost"


def test_wrong_passphrase_still_reported(
    tmp_path: Path, identities: dict[str, SoftIdentity], openssl: OpenSsl
) -> None:
    save_identity(identities["ec-p256"], tmp_path / "a.key", tmp_path / "a.crt")
    _export(openssl, tmp_path / "a.key", tmp_path / "a.crt")

    class WrongSecrets:
        def get(self, name: str, description: str) -> str | None:
            return "wrong"

    with pytest.raises(SoftIdentityError, match="wrong passphrase"):
        load_identity(str(tmp_path / "a.p12"), WrongSecrets())
    with pytest.raises(SoftIdentityError, match="no passphrase"):
        load_identity(str(tmp_path / "a.p12"), NoSecrets())


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_checks_never_raise_on_garbage(data: bytes) -> None:
    assert isinstance(uses_gost_algorithms(data), bool)
    assert mac_matches(data, b"x") is False


_PKCS12_FILES: dict[str, bytes] = {}


def _pkcs12_file(identity: SoftIdentity) -> bytes:
    if identity.reference not in _PKCS12_FILES:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "a.p12"
            save_pkcs12(identity, path, PASSPHRASE)
            _PKCS12_FILES[identity.reference] = path.read_bytes()
    return _PKCS12_FILES[identity.reference]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_pkcs12_gives_none_or_typed_error(
    identities: dict[str, SoftIdentity], data: st.DataObject
) -> None:
    original = _pkcs12_file(identities["ec-p256"])
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    mutated = mutated[: data.draw(st.integers(1, len(mutated)))]

    assert isinstance(uses_gost_algorithms(bytes(mutated)), bool)
    assert isinstance(mac_matches(bytes(mutated), PASSPHRASE.encode()), bool)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "mutated.p12"
        path.write_bytes(mutated)
        try:
            loaded = load_identity(str(path), Secrets())
        except SoftIdentityError:
            return
    assert loaded is None or loaded.certificate == identities["ec-p256"].certificate
