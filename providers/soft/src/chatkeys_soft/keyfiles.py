"""Loading identities from key files and saving them to PEM.

Two kinds of reference are loaded:

- A PEM file with one private key (PKCS#8, encrypted PKCS#8, or the
  traditional ``RSA PRIVATE KEY`` / ``EC PRIVATE KEY`` forms). The
  certificate is taken from the same file when it contains a
  ``CERTIFICATE`` block. Otherwise it is read from a sibling file named after
  the key file without its suffix and without a ``.key`` before it. For
  ``alice.key`` or ``alice.key.pem`` that is ``alice.crt``, ``alice.cer``,
  ``alice.cert.pem`` or ``alice.pem``, each in PEM or DER. Among several
  certificates, the one whose public key matches the private key is used.
- A PKCS#12 file (``.p12``/``.pfx``, or any file whose content is PKCS#12).
  A file that uses GOST algorithms, or whose MAC verifies with the
  passphrase although `cryptography` cannot read it (a GOST key inside), is
  left to other providers (see `chatkeys_soft.pkcs12_check`).

The passphrase of an encrypted key comes from ``secrets.get("passphrase",
...)``. References with a URI scheme (``pkcs11:``), directories, files of
other kinds and keys of other algorithms (GOST) give None, so another
provider can load them. A path that does not exist raises
`SoftIdentityError`, as does every failure on a file of these kinds.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
    pkcs12,
)

from chatkeys import der
from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError
from chatkeys.identity import SecretSource, sibling_certificate_files
from chatkeys_soft.errors import SoftIdentityError
from chatkeys_soft.identity import PrivateKey, SoftIdentity, key_matches_certificate
from chatkeys_soft.pkcs12_check import mac_matches, uses_gost_algorithms
from chatkeys_soft.recipients import (
    CURVES,
    OID_EC_PUBLIC_KEY,
    OID_RSA,
    is_own_certificate,
)

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_PEM_BLOCK = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----.*?-----END (?P=label)-----", re.DOTALL
)
_PKCS12_SUFFIXES = (".p12", ".pfx")
_CURVE_NAMES = {curve.name for curve in CURVES.values()}


def certificate_paths(key_path: Path) -> list[Path]:
    """Return the sibling files searched for the certificate of `key_path`."""
    return sibling_certificate_files(key_path)


def load_identity(reference: str, secrets: SecretSource) -> SoftIdentity | None:
    """Load a PEM or PKCS#12 identity, or return None when `reference` is not one.

    Raises `SoftIdentityError` naming the file and the fix when the file is
    missing or unreadable, a passphrase is missing or wrong, the certificate
    cannot be found, or key and certificate do not match.
    """
    if _URI_SCHEME.match(reference):
        return None
    path = Path(reference)
    if path.is_dir():
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise SoftIdentityError(
            f"identity file {path} not found: pass the path of a PEM key file or a "
            "PKCS#12 file"
        ) from error
    except OSError as error:
        raise SoftIdentityError(
            f"failed to read identity file {path}: {error}"
        ) from error

    if path.suffix.lower() in _PKCS12_SUFFIXES or _looks_like_pkcs12(data):
        return _load_pkcs12(path, data, secrets)
    if b"-----BEGIN" in data:
        return _load_pem(path, data, secrets)
    return None


def save_identity(
    identity: SoftIdentity,
    key_path: str | os.PathLike[str],
    cert_path: str | os.PathLike[str] | None = None,
    passphrase: str | None = None,
) -> None:
    """Write `identity` as PEM: the PKCS#8 key, then or beside it the certificate.

    With `cert_path` None the certificate follows the key in `key_path`;
    otherwise it goes to `cert_path` (use `certificate_paths` to pick a name
    `load_identity` finds). With `passphrase` the key is encrypted with the
    best scheme `cryptography` offers. The key file is created with mode 0600.
    """
    encryption = (
        BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    )
    key_pem = identity.private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, encryption
    )
    certificate_pem = identity.certificate.pem().encode("ascii")
    if cert_path is None:
        _write_private(Path(key_path), key_pem + certificate_pem)
        return
    _write_private(Path(key_path), key_pem)
    Path(cert_path).write_bytes(certificate_pem)


def save_pkcs12(
    identity: SoftIdentity, path: str | os.PathLike[str], passphrase: str | None
) -> None:
    """Write `identity` as a PKCS#12 file, encrypted when `passphrase` is given."""
    encryption = (
        BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    )
    certificate = identity.certificate
    data = pkcs12.serialize_key_and_certificates(
        identity.reference.encode(),
        identity.private_key,
        x509.load_der_x509_certificate(certificate.der),
        None,
        encryption,
    )
    _write_private(Path(path), data)


def _load_pem(path: Path, data: bytes, secrets: SecretSource) -> SoftIdentity | None:
    blocks = [
        (match["label"].decode(), match[0]) for match in _PEM_BLOCK.finditer(data)
    ]
    keys = [block for label, block in blocks if label.endswith("PRIVATE KEY")]
    certificates = _certificates(
        [block for label, block in blocks if label == "CERTIFICATE"], path
    )
    if not keys:
        if any(is_own_certificate(certificate) for certificate in certificates):
            raise SoftIdentityError(
                f"{path} contains a certificate but no private key: pass the file "
                "that contains the private key"
            )
        return None
    if len(keys) > 1:
        raise SoftIdentityError(
            f"{path} contains {len(keys)} private keys: keep one key per file"
        )
    key_block = keys[0]
    if _foreign_pkcs8(key_block):
        return None

    searched = [path]
    if not certificates:
        for candidate in certificate_paths(path):
            searched.append(candidate)
            if candidate.is_file():
                certificates = _certificates([candidate.read_bytes()], candidate)
                break
    if certificates and not any(_rsa_or_ec(c) for c in certificates):
        return None

    # NOTE: a key of another algorithm encrypted with standard PBES2 and with
    # no certificate beside it is recognised only after decryption, so the
    # passphrase is requested here before the key is left to other providers.
    encrypted = (
        b"ENCRYPTED" in key_block.split(b"\n", 2)[0]
        or b"Proc-Type: 4,ENCRYPTED" in key_block
    )
    password = _passphrase(path, secrets) if encrypted else None
    try:
        private_key = load_pem_private_key(key_block, password)
    except UnsupportedAlgorithm:
        return None
    except (ValueError, TypeError) as error:
        reason = "wrong passphrase or damaged key" if encrypted else "damaged key"
        raise SoftIdentityError(
            f"failed to load the private key in {path}: {reason}"
        ) from error
    own_key = _own_key(private_key, path)
    if own_key is None:
        return None

    if not certificates:
        tried = ", ".join(str(candidate) for candidate in searched)
        raise SoftIdentityError(
            f"certificate for the private key in {path} not found; looked in {tried}: "
            "put the certificate in one of these files"
        )
    return _identity(own_key, certificates, path)


def _load_pkcs12(path: Path, data: bytes, secrets: SecretSource) -> SoftIdentity | None:
    loaded = None
    for password in (None, b""):
        try:
            loaded = pkcs12.load_key_and_certificates(data, password)
            break
        except ValueError:
            continue
        except UnsupportedAlgorithm:
            return None
    if loaded is None:
        if uses_gost_algorithms(data):
            return None
        password = _passphrase(path, secrets)
        try:
            loaded = pkcs12.load_key_and_certificates(data, password)
        except UnsupportedAlgorithm:
            return None
        except ValueError as error:
            if mac_matches(data, password):
                # The passphrase is right, so cryptography cannot read the
                # contents: a key of another algorithm, left to other providers.
                return None
            raise SoftIdentityError(
                f"failed to open PKCS#12 file {path}: wrong passphrase or damaged file"
            ) from error
    private_key, certificate, additional = loaded
    if private_key is None:
        raise SoftIdentityError(f"PKCS#12 file {path} contains no private key")
    own_key = _own_key(private_key, path)
    if own_key is None:
        return None
    ders = [
        c.public_bytes(Encoding.DER)
        for c in [certificate, *additional]
        if c is not None
    ]
    if not ders:
        raise SoftIdentityError(
            f"PKCS#12 file {path} contains no certificate: export the file "
            "again with the certificate"
        )
    return _identity(own_key, _certificates(ders, path), path)


def _identity(
    private_key: PrivateKey, certificates: list[Certificate], path: Path
) -> SoftIdentity:
    for certificate in certificates:
        if key_matches_certificate(private_key, certificate):
            return SoftIdentity(certificate, private_key, str(path))
    names = ", ".join(certificate.short_id for certificate in certificates)
    raise SoftIdentityError(
        f"the private key in {path} does not match its certificate ({names}): "
        "pair the key with the certificate issued for it"
    )


def _own_key(private_key: object, path: Path) -> PrivateKey | None:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if private_key.curve.name not in _CURVE_NAMES:
            raise SoftIdentityError(
                f"the EC key in {path} is on curve {private_key.curve.name}; supported "
                f"curves: {', '.join(sorted(_CURVE_NAMES))}"
            )
        return private_key
    return None


def _certificates(blobs: list[bytes], path: Path) -> list[Certificate]:
    try:
        return [Certificate.load(blob) for blob in blobs]
    except InvalidCertificateError as error:
        raise SoftIdentityError(f"invalid certificate in {path}: {error}") from error


def _passphrase(path: Path, secrets: SecretSource) -> bytes:
    passphrase = secrets.get("passphrase", f"private key {path}")
    if passphrase is None:
        raise SoftIdentityError(
            f"the private key in {path} is encrypted and no passphrase was supplied: "
            "set CHATKEYS_PASSPHRASE, or run the command in a terminal to be asked"
        )
    return passphrase.encode()


def _rsa_or_ec(certificate: Certificate) -> bool:
    # Any curve: a key on an unsupported curve gets an error naming the curve.
    return certificate.key_algorithm_oid in (OID_RSA, OID_EC_PUBLIC_KEY)


def _foreign_pkcs8(key_block: bytes) -> bool:
    """Return whether a PKCS#8 block is visibly another provider's.

    That is an unencrypted key of another algorithm, or an encrypted key
    protected with GOST algorithms, which `cryptography` cannot decrypt.
    """
    body = key_block.split(b"-----")[2]
    try:
        decoded = base64.b64decode(body)
    except binascii.Error:
        return False
    if key_block.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"):
        return uses_gost_algorithms(decoded)
    if not key_block.startswith(b"-----BEGIN PRIVATE KEY-----"):
        return False
    try:
        info = der.children(der.read_single(decoded))
        oid = der.decode_oid(der.children(info[1])[0])
    except (der.DerError, IndexError):
        return False
    return oid not in (OID_RSA, OID_EC_PUBLIC_KEY)


def _looks_like_pkcs12(data: bytes) -> bool:
    try:
        parts = der.children(der.read_single(data))
        return der.decode_integer(parts[0]) == 3 and parts[1].tag == der.SEQUENCE
    except (der.DerError, IndexError):
        return False


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
