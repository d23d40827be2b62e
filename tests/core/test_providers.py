"""Provider discovery through entry points, and errors that name the fix."""

from __future__ import annotations

import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pluggy
import pytest

import chatkeys.providers as providers_module
from chatkeys.certificates import Certificate
from chatkeys.errors import NoProviderError
from chatkeys.plugin import ENTRY_POINT_GROUP, AlgorithmInfo, ProviderInfo
from chatkeys.providers import Providers

from .gost_certificate import GOST_256_CERTIFICATE_DER

BROKEN_MODULES = {
    "ck_bad_signature": """
        from chatkeys.plugin import ProviderInfo, hookimpl

        @hookimpl
        def chatkeys_provider_info():
            return ProviderInfo("bad-signature", "bad", "1", ())

        @hookimpl
        def chatkeys_sign(data, identity, profile, unexpected):
            return None
    """,
    "ck_import_error": "import module_that_does_not_exist\n",
    "ck_no_info": "x = 1\n",
    "ck_unavailable": """
        from chatkeys.plugin import AlgorithmInfo, ProviderInfo, hookimpl

        @hookimpl
        def chatkeys_provider_info():
            return ProviderInfo(
                "gost-token", "vendor-gost", "1",
                (AlgorithmInfo("x", "1.2.643.7.1.1.1.1", "GOST", ("komandor",)),),
                available=False, reason="libvendor.so not found: install the driver",
            )
    """,
}


@pytest.fixture
def broken_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, source in BROKEN_MODULES.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    fakes = [
        metadata.EntryPoint(name, name, ENTRY_POINT_GROUP) for name in BROKEN_MODULES
    ]
    real = providers_module.metadata.entry_points

    def entry_points(**selection: str) -> list[metadata.EntryPoint]:
        found = list(real(**selection))
        keep = [ep for ep in found if ep.name == "soft"]
        return keep + fakes

    monkeypatch.setattr(providers_module.metadata, "entry_points", entry_points)
    yield
    for name in BROKEN_MODULES:
        sys.modules.pop(name, None)


def test_soft_provider_discovered() -> None:
    infos = {info.name: info for info in Providers.discover().infos}
    assert infos["soft"].available
    assert {"rsa-2048", "ec-p256"} <= {a.name for a in infos["soft"].algorithms}


def test_broken_providers_listed_not_fatal(broken_entry_points: None) -> None:
    found = Providers.discover()
    infos = {info.name: info for info in found.infos}
    assert infos["soft"].available
    assert not infos["ck_bad_signature"].available
    assert "unexpected" in infos["ck_bad_signature"].reason
    assert "module_that_does_not_exist" in infos["ck_import_error"].reason
    assert "chatkeys_provider_info" in infos["ck_no_info"].reason
    assert not infos["gost-token"].available
    identity = found.generate_identity("ec-p256", "still works")
    assert found.sign(b"x", identity, "cms")


def test_unavailable_provider_named_for_its_algorithm(
    broken_entry_points: None,
) -> None:
    found = Providers.discover()
    certificate = Certificate.from_der(GOST_256_CERTIFICATE_DER)
    with pytest.raises(NoProviderError) as caught:
        found.verify(b"x", b"y", certificate, "komandor")
    message = str(caught.value)
    assert "GOST R 34.10-2012 256-bit" in message
    assert "libvendor.so not found" in message


def test_missing_provider_names_distribution() -> None:
    only_soft = Providers()
    import chatkeys_soft.plugin

    only_soft.register(chatkeys_soft.plugin, "soft")
    certificate = Certificate.from_der(GOST_256_CERTIFICATE_DER)
    with pytest.raises(NoProviderError) as caught:
        only_soft.verify(b"x", b"y", certificate, "komandor")
    message = str(caught.value)
    assert certificate.short_id in message
    assert "GOST R 34.10-2012 256-bit (1.2.643.7.1.1.1.1)" in message
    assert "pip install chatkeys-gost" in message


def test_unsupported_algorithm_said_plainly() -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "ed")])
    now = datetime.datetime.now(datetime.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, None)
        .public_bytes(serialization.Encoding.DER)
    )
    message = Providers.discover().describe_algorithm_support(Certificate.from_der(der))
    assert "Ed25519" in message
    assert "no chatkeys provider supports" in message


def test_register_rejects_bad_signature() -> None:
    class Bad:
        @staticmethod
        def chatkeys_provider_info() -> ProviderInfo:
            return ProviderInfo(
                "bad", "bad", "1", (AlgorithmInfo("a", "1.2", "", ("cms",)),)
            )

    from chatkeys.plugin import hookimpl

    @hookimpl
    def chatkeys_verify(data: bytes, nonsense: int) -> None:
        return None

    Bad.chatkeys_verify = staticmethod(chatkeys_verify)  # type: ignore[attr-defined]
    with pytest.raises(pluggy.PluginValidationError):
        Providers().register(Bad, "bad")


def test_installed_provider_passed_again_registered_once() -> None:
    import chatkeys_soft.plugin

    found = Providers.discover(extra=[chatkeys_soft.plugin])
    assert [info.name for info in found.infos].count("soft") == 1
    identity = found.generate_identity("ec-p256", "once")
    assert found.verify(
        b"x", found.sign(b"x", identity, "cms"), identity.certificate, "cms"
    )


def _only_soft() -> Providers:
    import chatkeys_soft.plugin

    providers = Providers()
    providers.register(chatkeys_soft.plugin, "soft")
    return providers


def _pem(label: str, body: bytes) -> bytes:
    import base64

    text = base64.encodebytes(body).decode()
    return f"-----BEGIN {label}-----\n{text}-----END {label}-----\n".encode()


def test_gost_key_file_names_package(tmp_path: Path) -> None:
    from chatkeys import der

    key = der.encode(
        der.SEQUENCE,
        der.encode_integer(0),
        der.encode(
            der.SEQUENCE,
            der.encode_oid("1.2.643.7.1.1.1.1"),
            der.encode(der.SEQUENCE, der.encode_oid("1.2.643.7.1.2.1.1.1")),
        ),
        der.encode(der.OCTET_STRING, der.encode(der.OCTET_STRING, bytes(range(32)))),
    )
    path = tmp_path / "g.key"
    path.write_bytes(_pem("PRIVATE KEY", key))
    with pytest.raises(NoProviderError) as caught:
        _only_soft().load_identity(str(path))
    message = str(caught.value)
    assert "GOST R 34.10-2012 256-bit" in message
    assert "pip install chatkeys-gost" in message


def test_sibling_certificate_names_algorithm(tmp_path: Path) -> None:
    (tmp_path / "g.key").write_bytes(_pem("ENCRYPTED PRIVATE KEY", b"\x30\x00"))
    (tmp_path / "g.crt").write_bytes(_pem("CERTIFICATE", GOST_256_CERTIFICATE_DER))
    with pytest.raises(NoProviderError, match="pip install chatkeys-gost"):
        _only_soft().load_identity(str(tmp_path / "g.key"))


def test_unsupported_key_file_said_plainly(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ed.pem"
    path.write_bytes(key)
    with pytest.raises(NoProviderError, match=r"Ed25519.*no chatkeys provider"):
        _only_soft().load_identity(str(path))


def test_unloadable_references_explained(tmp_path: Path) -> None:
    (tmp_path / "noise.bin").write_bytes(b"\x01\x02 not a key")
    cases = {
        str(tmp_path): "is a directory",
        str(tmp_path / "noise.bin"): "expected a PEM file",
        "pkcs11:token=t": "pip install chatkeys-pkcs11",
    }
    empty = Providers()
    for reference, expected in cases.items():
        with pytest.raises(NoProviderError, match=expected):
            empty.load_identity(reference)


def test_profile_mismatch_not_told_to_install() -> None:
    found = Providers.discover()
    identity = found.generate_identity("ec-p256", "ec")
    certificate = identity.certificate
    message = found.describe_algorithm_support(certificate, "komandor")
    assert "pip install" not in message
    assert "only in profile cms, not in 'komandor'" in message


def test_certificate_given_as_identity(tmp_path: Path) -> None:
    path = tmp_path / "only.crt"
    path.write_bytes(_pem("CERTIFICATE", GOST_256_CERTIFICATE_DER))
    with pytest.raises(NoProviderError, match="certificate but no private key"):
        Providers.discover().load_identity(str(path))


def test_installed_algorithm_not_sent_to_pip(tmp_path: Path) -> None:
    from chatkeys import der

    key = der.encode(
        der.SEQUENCE,
        der.encode_integer(0),
        der.encode(der.SEQUENCE, der.encode_oid("1.2.643.7.1.1.1.1")),
        der.encode(der.OCTET_STRING, b"\x04\x01\x01"),
    )
    path = tmp_path / "broken.key"
    path.write_bytes(
        _pem("PRIVATE KEY", key) + _pem("CERTIFICATE", GOST_256_CERTIFICATE_DER)
    )
    with pytest.raises(Exception) as caught:
        Providers.discover().load_identity(str(path))
    assert "pip install" not in str(caught.value)


def test_key_and_certificate_of_different_algorithms(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "mix.key").write_bytes(key)
    (tmp_path / "mix.crt").write_bytes(_pem("CERTIFICATE", GOST_256_CERTIFICATE_DER))
    with pytest.raises(NoProviderError, match="do not belong together"):
        _only_soft().load_identity(str(tmp_path / "mix.key"))


def test_empty_key_file_said_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.pem").write_bytes(b"")
    with pytest.raises(NoProviderError, match="is empty"):
        Providers().load_identity(str(tmp_path / "empty.pem"))
