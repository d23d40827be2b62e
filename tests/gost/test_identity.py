"""Loading, generating and saving GOST identities."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chatkeys.identity import NoSecrets
from chatkeys.providers import Providers
from chatkeys.workers import ExportJob, ProcessExports, exports_for
from chatkeys_gost.errors import GostIdentityError
from chatkeys_gost.identity import GostIdentity, generate_identity, load_identity
from chatkeys_gost.keys import GENERATION_PARAMETER_SETS, pem_decode, pem_encode


class Passphrase:
    """A secret source holding one passphrase."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.requests: list[str] = []

    def get(self, name: str, description: str) -> str | None:
        self.requests.append(name)
        return self.value if name == "passphrase" else None


@pytest.fixture(scope="module")
def alice() -> GostIdentity:
    identity = generate_identity("gost2012-256a", "alice")
    assert identity is not None
    return identity


@pytest.mark.parametrize("algorithm", sorted(GENERATION_PARAMETER_SETS))
def test_generate_every_algorithm(algorithm: str) -> None:
    identity = generate_identity(algorithm, "bob")

    assert identity is not None
    assert identity.provider == "gost"
    assert identity.public_key.curve.oid == GENERATION_PARAMETER_SETS[algorithm]
    assert identity.reference == f"generated:{algorithm}"


def test_generate_other_algorithm_returns_none() -> None:
    assert generate_identity("ec-p256", "bob") is None


def test_repr_has_no_secret(alice: GostIdentity) -> None:
    text = repr(alice)

    assert str(alice.private_key.scalar) not in text
    assert format(alice.private_key.scalar, "x") not in text
    assert alice.certificate.short_id in text


def test_save_and_load_plain(alice: GostIdentity, tmp_path: Path) -> None:
    saved = alice.save(tmp_path / "alice.pem")
    loaded = load_identity(saved.reference, NoSecrets())

    assert loaded is not None
    assert loaded.certificate.der == alice.certificate.der
    assert loaded.private_key.scalar == alice.private_key.scalar
    assert (tmp_path / "alice.pem").stat().st_mode & 0o777 == 0o600


def test_save_and_load_encrypted(alice: GostIdentity, tmp_path: Path) -> None:
    saved = alice.save(tmp_path / "alice.pem", passphrase="correct horse")
    secrets = Passphrase("correct horse")
    loaded = load_identity(saved.reference, secrets)

    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "alice.pem").read_bytes()
    assert loaded is not None
    assert loaded.private_key.scalar == alice.private_key.scalar
    assert secrets.requests == ["passphrase"]


def test_wrong_passphrase_rejected(alice: GostIdentity, tmp_path: Path) -> None:
    saved = alice.save(tmp_path / "alice.pem", passphrase="correct horse")

    with pytest.raises(GostIdentityError, match="passphrase"):
        load_identity(saved.reference, Passphrase("battery staple"))


def test_missing_passphrase_named(alice: GostIdentity, tmp_path: Path) -> None:
    saved = alice.save(tmp_path / "alice.pem", passphrase="correct horse")

    with pytest.raises(GostIdentityError, match="CHATKEYS_PASSPHRASE"):
        load_identity(saved.reference, NoSecrets())


@pytest.mark.parametrize("suffix", [".crt", ".pem", ".cer"])
def test_certificate_in_sibling_file(
    alice: GostIdentity, tmp_path: Path, suffix: str
) -> None:
    key_path = tmp_path / "alice.key"
    key_path.write_bytes(pem_encode("PRIVATE KEY", alice.private_key.to_pkcs8_der()))
    (tmp_path / f"alice{suffix}").write_text(alice.certificate.pem())
    loaded = load_identity(str(key_path), NoSecrets())

    assert loaded is not None
    assert loaded.certificate.der == alice.certificate.der


def test_certificate_missing_named(alice: GostIdentity, tmp_path: Path) -> None:
    key_path = tmp_path / "alice.key"
    key_path.write_bytes(pem_encode("PRIVATE KEY", alice.private_key.to_pkcs8_der()))

    with pytest.raises(GostIdentityError, match=r"alice\.crt"):
        load_identity(str(key_path), NoSecrets())


def test_mismatched_certificate_rejected(alice: GostIdentity, tmp_path: Path) -> None:
    other = generate_identity("gost2012-256a", "mallory")
    assert other is not None
    path = tmp_path / "mixed.pem"
    key = pem_encode("PRIVATE KEY", alice.private_key.to_pkcs8_der())
    path.write_bytes(key + other.certificate.pem().encode())

    with pytest.raises(GostIdentityError, match="matches its private key"):
        load_identity(str(path), NoSecrets())


def test_other_references_return_none(alice: GostIdentity, tmp_path: Path) -> None:
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello")
    der_certificate = tmp_path / "alice.der"
    der_certificate.write_bytes(alice.certificate.der)
    der_pfx_named = tmp_path / "alice.p12"
    der_pfx_named.write_bytes(alice.certificate.der)

    assert load_identity("pkcs11:token=x;object=y", NoSecrets()) is None
    assert load_identity(str(tmp_path / "missing.pem"), NoSecrets()) is None
    assert load_identity(str(not_a_key), NoSecrets()) is None
    assert load_identity(str(der_certificate), NoSecrets()) is None
    assert load_identity(str(der_pfx_named), NoSecrets()) is None


def test_ec_key_file_left_to_others(openssl_gost: object, tmp_path: Path) -> None:
    run = openssl_gost
    assert callable(run)
    key = tmp_path / "ec.pem"
    run(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", key, "-out", tmp_path / "ec.crt", "-subj", "/CN=ec",
    )  # fmt: skip

    assert load_identity(str(key), NoSecrets()) is None


def test_vko_cache_reused(alice: GostIdentity) -> None:
    bob = generate_identity("gost2012-256a", "bob")
    assert bob is not None

    first = alice.vko_context(bob.public_key)
    assert alice.vko_context(bob.public_key) is first
    alice.close()
    assert alice.vko_context(bob.public_key) is not first


def test_vko_other_curve_rejected(alice: GostIdentity) -> None:
    other = generate_identity("gost2012-256b", "carol")
    assert other is not None

    with pytest.raises(Exception, match="one curve"):
        alice.vko_context(other.public_key)


def test_reload_keeps_pem_blocks(alice: GostIdentity, tmp_path: Path) -> None:
    saved = alice.save(tmp_path / "alice.pem")
    labels = [label for label, _ in pem_decode((tmp_path / "alice.pem").read_bytes())]
    copy = tmp_path / "copy.pem"
    shutil.copy(saved.reference, copy)

    assert labels == ["PRIVATE KEY", "CERTIFICATE"]
    assert load_identity(str(copy), NoSecrets()) is not None


def test_forked_workers_export_with_identity(alice: GostIdentity) -> None:
    # The core's worker pool forks only for identities marked fork_safe.
    providers = Providers.discover()
    bob = generate_identity("gost2012-256a", "bob")
    assert bob is not None
    chat_key = providers.generate_chat_key(alice, "komandor")
    jobs = [
        ExportJob(f"chat-{n}", "p", f"c{n}", chat_key, bob.certificate.der)
        for n in range(8)
    ]
    exports = exports_for(providers, alice, "komandor", 2)
    try:
        results = exports.run(jobs, lambda count: None)
    finally:
        exports.close()

    assert isinstance(exports, ProcessExports)
    assert len(results) == len(jobs)
    for result in results:
        assert result.submission is not None
        copy = result.submission.key
        assert providers.import_chat_key(copy, bob, [alice.certificate]) == chat_key


def test_save_tightens_existing_file_mode(alice: GostIdentity, tmp_path: Path) -> None:
    path = tmp_path / "alice.pem"
    path.write_text("old")
    path.chmod(0o644)
    alice.save(path)

    assert path.stat().st_mode & 0o777 == 0o600
