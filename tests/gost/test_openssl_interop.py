"""Interoperation with OpenSSL's GOST engine, an independent implementation.

Every test here needs `openssl` with the GOST engine (package
libengine-gost-openssl); the `openssl_gost` fixture skips them without it and
fails them in CI.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, ClassVar

import pytest
from asn1crypto import cms, core, x509

from chatkeys.certificates import Certificate
from chatkeys.identity import NoSecrets
from chatkeys.plugin import PROFILE_CMS, PROFILE_KOMANDOR
from chatkeys_gost import komandor, plugin
from chatkeys_gost.cms import export_kexp15, import_key_copy
from chatkeys_gost.identity import GostIdentity, generate_identity, load_identity
from chatkeys_gost.keys import GostPublicKey, pem_decode, pem_encode
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.modes import ctr_acpkm, gost28147_cfb_decrypt
from chatkeys_gost.primitives.streebog import streebog256, streebog512
from chatkeys_gost.signature import Encoding, decode, verify_digest

from .conftest import OpenSsl, engine_certificate, engine_key

# (our algorithm name, engine algorithm:paramset)
KEYS = [
    ("gost2012-256a", "gost2012_256:TCA"),
    ("gost2012-256b", "gost2012_256:TCB"),
    ("gost2012-512a", "gost2012_512:A"),
    ("gost2012-512c", "gost2012_512:C"),
]
OID_KUZNYECHIK_CTR_ACPKM = "1.2.643.7.1.1.5.2.1"
OID_GOST28147 = "1.2.643.2.2.21"
MESSAGE = b"chatkeys interop: a message that OpenSSL and chatkeys both read"


class UkmParameters(core.Sequence):  # type: ignore[misc]
    """GostR3412-15-Encryption-Parameters: the content encryption UKM."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [("ukm", core.OctetString)]


class Passphrase:
    """A secret source holding one passphrase."""

    def __init__(self, value: str) -> None:
        self.value = value

    def get(self, name: str, description: str) -> str | None:
        return self.value if name == "passphrase" else None


def _digest_option(identity: GostIdentity) -> str:
    return (
        "-md_gost12_256" if identity.private_key.curve.size == 32 else "-md_gost12_512"
    )


def _our_identity(algorithm: str, directory: Path) -> tuple[GostIdentity, Path, Path]:
    identity = generate_identity(algorithm, f"interop {algorithm}")
    assert identity is not None
    key = directory / "ours.key"
    key.write_bytes(pem_encode("PRIVATE KEY", identity.private_key.to_pkcs8_der()))
    certificate = directory / "ours.crt"
    certificate.write_text(identity.certificate.pem())
    return identity, key, certificate


def _engine_identity(
    openssl: OpenSsl, name: str, directory: Path
) -> tuple[GostIdentity, Path, Path]:
    key = engine_key(openssl, directory, name)
    digest = "md_gost12_256" if "256" in name else "md_gost12_512"
    certificate = engine_certificate(openssl, key, digest)
    combined = directory / "engine-identity.pem"
    combined.write_bytes(key.read_bytes() + certificate.read_bytes())
    identity = load_identity(str(combined), NoSecrets())
    assert isinstance(identity, GostIdentity)
    return identity, key, certificate


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_our_signature_verifies_in_openssl(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, _, _ = _our_identity(algorithm, tmp_path)
    public = tmp_path / "ours.pub"
    public.write_bytes(pem_encode("PUBLIC KEY", identity.public_key.spki()))
    data = tmp_path / "data"
    data.write_bytes(MESSAGE)
    signature = plugin.chatkeys_sign(MESSAGE, identity, PROFILE_CMS)
    assert signature is not None
    (tmp_path / "sig").write_bytes(signature)

    output = openssl_gost(
        "dgst", "-engine", "gost", _digest_option(identity), "-verify", public,
        "-signature", tmp_path / "sig", data,
    )  # fmt: skip

    assert b"Verified OK" in output


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_openssl_signature_verifies_with_ours(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, key, certificate = _engine_identity(openssl_gost, engine, tmp_path)
    data = tmp_path / "data"
    data.write_bytes(MESSAGE)
    signature = openssl_gost(
        "dgst", "-engine", "gost", _digest_option(identity), "-sign", key, data
    )
    cert = Certificate.load(certificate.read_bytes())

    assert plugin.chatkeys_verify(MESSAGE, signature, cert, PROFILE_CMS) is True
    assert plugin.chatkeys_verify(MESSAGE + b".", signature, cert, PROFILE_CMS) is False


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_engine_certificate_signature_verifies(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, _, certificate = _engine_identity(openssl_gost, engine, tmp_path)
    parsed = x509.Certificate.load(Certificate.load(certificate.read_bytes()).der)
    tbs = parsed["tbs_certificate"].dump()
    curve = identity.private_key.curve
    digest = streebog256(tbs) if curve.size == 32 else streebog512(tbs)
    r, s = decode(curve, parsed["signature_value"].native, Encoding.STANDARD)

    assert verify_digest(curve, identity.public_key.point, digest, r, s)


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_our_certificate_accepted_by_openssl(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    _, _, certificate = _our_identity(algorithm, tmp_path)

    text = openssl_gost(
        "x509", "-engine", "gost", "-in", certificate, "-noout", "-text"
    )
    verified = openssl_gost(
        "verify", "-engine", "gost", "-CAfile", certificate, certificate
    )

    assert b"GOST R 34.10-2012" in text
    assert b": OK" in verified


def _enveloped(ktri: bytes, key: bytes, content: bytes) -> bytes:
    ukm = secrets.token_bytes(16)
    parameters = core.Any.load(UkmParameters({"ukm": ukm}).dump())
    encrypted = ctr_acpkm(Kuznyechik(key), ukm[:8], content, 256 * 1024)
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [
                cms.RecipientInfo({"ktri": cms.KeyTransRecipientInfo.load(ktri)})
            ],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {
                    "algorithm": OID_KUZNYECHIK_CTR_ACPKM,
                    "parameters": parameters,
                },
                "encrypted_content": encrypted,
            },
        }
    )
    info = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped})
    return bytes(info.dump())


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_our_cms_copy_decrypts_in_openssl(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, key, certificate = _our_identity(algorithm, tmp_path)
    content_key = secrets.token_bytes(32)
    ktri = export_kexp15(content_key, identity.certificate)
    envelope = tmp_path / "envelope.der"
    envelope.write_bytes(_enveloped(ktri, content_key, MESSAGE))

    output = openssl_gost(
        "cms", "-engine", "gost", "-decrypt", "-binary", "-inform", "DER",
        "-in", envelope, "-recip", certificate, "-inkey", key,
    )  # fmt: skip

    assert output == MESSAGE


def _openssl_envelope(
    openssl: OpenSsl, certificate: Path, cipher: str, directory: Path
) -> cms.EnvelopedData:
    plain = directory / "plain"
    plain.write_bytes(MESSAGE)
    der = openssl(
        "cms", "-engine", "gost", "-encrypt", "-binary", f"-{cipher}",
        "-outform", "DER", "-in", plain, certificate,
    )  # fmt: skip
    return cms.ContentInfo.load(der)["content"]


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_openssl_kuznyechik_envelope_decrypts_with_ours(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, _, certificate = _our_identity(algorithm, tmp_path)
    enveloped = _openssl_envelope(
        openssl_gost, certificate, "kuznyechik-ctr-acpkm", tmp_path
    )
    ktri = enveloped["recipient_infos"][0].chosen.dump()
    copy = import_key_copy(ktri, identity.private_key, identity.certificate)
    content_info = enveloped["encrypted_content_info"]
    parameters = content_info["content_encryption_algorithm"]["parameters"].dump()
    ukm = core.Sequence.load(parameters)[0].native
    content = ctr_acpkm(
        Kuznyechik(copy.key),
        ukm[:8],
        content_info["encrypted_content"].native,
        256 * 1024,
    )

    assert copy.scheme == "kexp15-kuznyechik"
    assert content == MESSAGE


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_openssl_gost89_envelope_decrypts_with_ours(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, _, certificate = _our_identity(algorithm, tmp_path)
    enveloped = _openssl_envelope(openssl_gost, certificate, "gost89", tmp_path)
    ktri = enveloped["recipient_infos"][0].chosen.dump()
    copy = import_key_copy(ktri, identity.private_key, identity.certificate)
    content_info = enveloped["encrypted_content_info"]
    algorithm_id = content_info["content_encryption_algorithm"]
    parameters = core.Sequence.load(algorithm_id["parameters"].dump())
    iv, sbox = parameters[0].native, parameters[1].dotted
    encrypted = content_info["encrypted_content"].native
    content = gost28147_cfb_decrypt(copy.key, iv, encrypted, sbox, key_meshing=True)

    assert algorithm_id["algorithm"].dotted == OID_GOST28147
    assert copy.scheme == "gost28147"
    assert content == MESSAGE


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_engine_keys_load_as_identities(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    identity, key, certificate = _engine_identity(openssl_gost, engine, tmp_path)
    sibling = tmp_path / "sibling.key"
    sibling.write_bytes(key.read_bytes())
    (tmp_path / "sibling.crt").write_bytes(certificate.read_bytes())
    from_sibling = load_identity(str(sibling), NoSecrets())

    assert from_sibling is not None
    assert from_sibling.certificate.der == identity.certificate.der
    assert identity.private_key.to_pkcs8_der() == pem_decode(key.read_bytes())[0][1]
    public = GostPublicKey.from_certificate(identity.certificate)
    assert public.curve is identity.private_key.curve


def test_engine_encrypted_pkcs8_loads(openssl_gost: OpenSsl, tmp_path: Path) -> None:
    key = engine_key(openssl_gost, tmp_path, "gost2012_256:TCA")
    certificate = engine_certificate(openssl_gost, key, "md_gost12_256")
    encrypted = openssl_gost(
        "pkcs8", "-engine", "gost", "-topk8", "-in", key, "-passout", "pass:s3cret"
    )
    path = tmp_path / "encrypted.pem"
    path.write_bytes(encrypted + certificate.read_bytes())
    identity = load_identity(str(path), Passphrase("s3cret"))

    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert identity is not None


@pytest.mark.slow
def test_engine_gost89_pkcs8_loads(openssl_gost: OpenSsl, tmp_path: Path) -> None:
    # PBKDF2 with HMAC-Streebog-512 and GOST 28147-89 CFB.
    key = engine_key(openssl_gost, tmp_path, "gost2012_256:TCB")
    certificate = engine_certificate(openssl_gost, key, "md_gost12_256")
    encrypted = openssl_gost(
        "pkcs8", "-engine", "gost", "-topk8", "-v2", "gost89", "-in", key,
        "-passout", "pass:s3cret",
    )  # fmt: skip
    path = tmp_path / "encrypted.pem"
    path.write_bytes(encrypted + certificate.read_bytes())
    identity = load_identity(str(path), Passphrase("s3cret"))

    assert identity is not None


def test_engine_pkcs12_loads(openssl_gost: OpenSsl, tmp_path: Path) -> None:
    key = engine_key(openssl_gost, tmp_path, "gost2012_512:A")
    certificate = engine_certificate(openssl_gost, key, "md_gost12_512")
    path = tmp_path / "identity.p12"
    openssl_gost(
        "pkcs12", "-engine", "gost", "-export", "-inkey", key, "-in", certificate,
        "-out", path, "-passout", "pass:s3cret",
    )  # fmt: skip
    identity = load_identity(str(path), Passphrase("s3cret"))

    assert identity is not None
    assert identity.certificate.der == Certificate.load(certificate.read_bytes()).der
    with pytest.raises(Exception, match="wrong passphrase"):
        load_identity(str(path), Passphrase("wrong"))


@pytest.mark.slow
def test_engine_gost_pkcs12_loads(openssl_gost: OpenSsl, tmp_path: Path) -> None:
    key = engine_key(openssl_gost, tmp_path, "gost2012_256:TCA")
    certificate = engine_certificate(openssl_gost, key, "md_gost12_256")
    path = tmp_path / "identity.pfx"
    openssl_gost(
        "pkcs12", "-engine", "gost", "-export", "-inkey", key, "-in", certificate,
        "-out", path, "-passout", "pass:s3cret", "-keypbe", "gost89",
        "-certpbe", "gost89", "-macalg", "md_gost12_512",
    )  # fmt: skip
    identity = load_identity(str(path), Passphrase("s3cret"))

    assert identity is not None
    assert identity.certificate.der == Certificate.load(certificate.read_bytes()).der


def test_our_pkcs8_matches_engine_bytes(openssl_gost: OpenSsl, tmp_path: Path) -> None:
    identity, key, _ = _our_identity("gost2012-256a", tmp_path)
    rewritten = openssl_gost("pkey", "-engine", "gost", "-in", key)
    public = openssl_gost(
        "pkey", "-engine", "gost", "-in", key, "-pubout", "-outform", "DER"
    )

    assert rewritten == key.read_bytes()
    assert public == identity.public_key.spki()


def test_our_encrypted_key_opens_in_openssl(
    openssl_gost: OpenSsl, tmp_path: Path
) -> None:
    identity, _, _ = _our_identity("gost2012-256a", tmp_path)
    saved = identity.save(tmp_path / "saved.pem", passphrase="s3cret")
    text = openssl_gost(
        "pkey",
        "-engine",
        "gost",
        "-in",
        saved.reference,
        "-passin",
        "pass:s3cret",
        "-noout",
        "-text",
    )
    scalar = format(identity.private_key.scalar, "X")

    assert f"Private key: {scalar}".encode() in text


@pytest.mark.parametrize(("algorithm", "engine"), KEYS)
def test_format_a_kek_matches_openssl_vko(
    openssl_gost: OpenSsl, tmp_path: Path, algorithm: str, engine: str
) -> None:
    # The recipient derives the KEK with OpenSSL from the UKM in the copy.
    exporter = generate_identity(algorithm, "exporter")
    recipient, recipient_key, _ = _our_identity(algorithm, tmp_path)
    assert exporter is not None
    exporter_public = tmp_path / "exporter.pub"
    exporter_public.write_bytes(pem_encode("PUBLIC KEY", exporter.public_key.spki()))
    chat_key = plugin.chatkeys_generate_chat_key(exporter, PROFILE_KOMANDOR)
    assert chat_key is not None
    copy = plugin.chatkeys_export_chat_key(
        chat_key, recipient.certificate, exporter, PROFILE_KOMANDOR
    )
    assert copy is not None
    parsed = komandor.parse_format_a(copy)
    kek_path = tmp_path / "kek"
    openssl_gost(
        "pkeyutl", "-engine", "gost", "-derive", "-inkey", recipient_key,
        "-peerkey", exporter_public, "-pkeyopt", f"ukmhex:{parsed.ukm.hex()}",
        "-out", kek_path,
    )  # fmt: skip

    assert komandor.open_format_a(parsed, kek_path.read_bytes()) == (
        chat_key.secret,
        chat_key.parameters,
    )
