"""GOST identities: a GOST R 34.10-2012 private key in memory with its certificate.

Where an identity comes from (the `reference`):

- a PEM file holding the PKCS#8 key (``PRIVATE KEY`` or ``ENCRYPTED PRIVATE
  KEY``) and, in the same file, its ``CERTIFICATE``;
- a PEM key file without a certificate, whose certificate sits next to it
  with the same name and the suffix ``.crt``, ``.cer``, ``.cert.pem`` or
  ``.pem`` (looked up in that order), e.g. ``alice.key`` with ``alice.crt``;
- a PKCS#12 file (``.p12`` or ``.pfx``, or any file that parses as one).

Encrypted keys and PKCS#12 files take their passphrase from the secret
source under the name ``"passphrase"``. A file whose key or certificate is not
GOST R 34.10-2012, or that is missing or of another format, is left to other
providers (the hook returns None).

`GostIdentity.save` writes an identity to one PEM file, so that worker
processes can load it again from `reference` and the passphrase.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError
from chatkeys.identity import Identity, SecretSource, sibling_certificate_files
from chatkeys_gost.certificate import self_signed_certificate
from chatkeys_gost.errors import GostError, GostIdentityError, GostKeyError
from chatkeys_gost.keys import (
    GENERATION_PARAMETER_SETS,
    OID_GOST2012_256,
    OID_GOST2012_512,
    GostPrivateKey,
    GostPublicKey,
    pem_decode,
    pem_encode,
    pkcs8_algorithm_oid,
)
from chatkeys_gost.pbes2 import decrypt_private_key_info, encrypt_private_key_info
from chatkeys_gost.pkcs12 import is_pkcs12, load_pkcs12
from chatkeys_gost.vko import VkoContext

__all__ = ["GostIdentity", "generate_identity", "load_identity"]

logger = logging.getLogger(__name__)

PROVIDER_NAME = "gost"
GOST_KEY_OIDS = (OID_GOST2012_256, OID_GOST2012_512)
PKCS12_SUFFIXES = (".p12", ".pfx")
VKO_CACHE_SIZE = 4096
"""How many recipient public keys an identity keeps agreement points for."""


class GostIdentity(Identity):
    """A GOST certificate with its private key held in memory.

    The identity caches, per recipient public key, the point h*d*Q of VKO
    (see `chatkeys_gost.vko.VkoContext`), so repeated Komandor exports to the
    same recipient cost one 64-bit scalar multiplication each.
    """

    provider = PROVIDER_NAME
    fork_safe = True
    """The key lives in process memory, so forked workers may use a copy."""

    def __init__(
        self, private_key: GostPrivateKey, certificate: Certificate, reference: str
    ) -> None:
        public_key = GostPublicKey.from_certificate(certificate)
        if public_key.curve is not private_key.curve or public_key.to_bytes() != (
            private_key.curve.point_to_bytes(
                private_key.curve.public_point(private_key.scalar)
            )
        ):
            raise GostIdentityError(
                f"the private key of {reference!r} does not match certificate "
                f"{certificate.short_id}; pair the key with its own certificate"
            )
        self.certificate = certificate
        self.reference = reference
        self.public_key = public_key
        self._private_key = private_key
        self._vko_cache: OrderedDict[tuple[str, bytes], VkoContext] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def private_key(self) -> GostPrivateKey:
        """The private key. Never log it or put it into a message."""
        return self._private_key

    def vko_context(self, recipient: GostPublicKey) -> VkoContext:
        """Return the cached VKO context for `recipient`, computing it once."""
        key = (recipient.curve.oid, recipient.to_bytes())
        with self._lock:
            context = self._vko_cache.get(key)
            if context is not None:
                self._vko_cache.move_to_end(key)
                return context
        if recipient.curve is not self._private_key.curve:
            raise GostKeyError(
                f"recipient key is on {recipient.curve.name}, this identity's key is "
                f"on {self._private_key.curve.name}; VKO needs one curve"
            )
        context = VkoContext(recipient.curve, self._private_key.scalar, recipient.point)
        with self._lock:
            self._vko_cache[key] = context
            while len(self._vko_cache) > VKO_CACHE_SIZE:
                self._vko_cache.popitem(last=False)
        return context

    def to_pem(self, passphrase: str | None = None) -> bytes:
        """Return the key (encrypted when `passphrase` is given) and the certificate."""
        der = self._private_key.to_pkcs8_der()
        if passphrase is None:
            key_pem = pem_encode("PRIVATE KEY", der)
        else:
            key_pem = pem_encode(
                "ENCRYPTED PRIVATE KEY", encrypt_private_key_info(der, passphrase)
            )
        return key_pem + self.certificate.pem().encode("ascii")

    def save(self, path: str | Path, passphrase: str | None = None) -> GostIdentity:
        """Write the identity to one PEM file; return it with `reference` set to `path`.

        The file gets mode 0600, also when it existed before. Without a
        passphrase the key is stored in clear.
        """
        target = Path(path)
        data = self.to_pem(passphrase)
        with open(target, "wb", opener=_private_opener) as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(data)
        return GostIdentity(self._private_key, self.certificate, str(target))

    def close(self) -> None:
        """Drop the cached agreement points."""
        with self._lock:
            self._vko_cache.clear()


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def generate_identity(algorithm: str, subject: str) -> GostIdentity | None:
    """Generate a key pair and a self-signed certificate; None for other algorithms."""
    parameter_oid = GENERATION_PARAMETER_SETS.get(algorithm)
    if parameter_oid is None:
        return None
    private_key = GostPrivateKey.generate(parameter_oid)
    certificate = self_signed_certificate(private_key, subject)
    return GostIdentity(private_key, certificate, f"generated:{algorithm}")


def load_identity(reference: str, secrets: SecretSource) -> GostIdentity | None:
    """Load an identity from a PEM or PKCS#12 file; None when it is not GOST's."""
    if reference.startswith("pkcs11:") or reference.startswith("generated:"):
        return None
    path = Path(reference)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if path.suffix.lower() in PKCS12_SUFFIXES or not data.lstrip().startswith(b"-----"):
        return _load_pkcs12(path, data, secrets)
    return _load_pem(path, data, secrets)


def _passphrase(secrets: SecretSource, path: Path) -> str:
    passphrase = secrets.get("passphrase", f"GOST private key {path}")
    if passphrase is None:
        raise GostIdentityError(
            f"{path} is encrypted; provide its passphrase (for example in "
            "CHATKEYS_PASSPHRASE)"
        )
    return passphrase


def _is_gost(certificate: Certificate) -> bool:
    return certificate.key_algorithm_oid in GOST_KEY_OIDS


def _load_pem(path: Path, data: bytes, secrets: SecretSource) -> GostIdentity | None:
    blocks = pem_decode(data)
    keys = [
        block
        for block in blocks
        if block[0] in ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
    ]
    certificates = [der for label, der in blocks if label == "CERTIFICATE"]
    if not keys:
        return None
    if not certificates:
        certificates = _sibling_certificates(path)
    parsed = [_parse_certificate(der, path) for der in certificates]
    if parsed and not any(_is_gost(certificate) for certificate in parsed):
        return None

    label, der = keys[0]
    if label == "ENCRYPTED PRIVATE KEY":
        der = decrypt_private_key_info(der, _passphrase(secrets, path))
    private_key = _parse_private_key(der, path)
    if private_key is None:
        return None
    if not parsed:
        raise GostIdentityError(
            f"{path} has no certificate and none of "
            f"{', '.join(p.name for p in sibling_certificate_files(path))} "
            "is next to it; append the certificate PEM to the key file"
        )
    return _pair(private_key, parsed, str(path))


def _load_pkcs12(path: Path, data: bytes, secrets: SecretSource) -> GostIdentity | None:
    if not is_pkcs12(data):
        return None
    contents = load_pkcs12(data, _passphrase(secrets, path))
    parsed = [_parse_certificate(der, path) for der in contents.certificates]
    for der in contents.private_keys:
        private_key = _parse_private_key(der, path)
        if private_key is not None:
            return _pair(private_key, parsed, str(path))
    return None


def _sibling_certificates(path: Path) -> list[bytes]:
    for sibling in sibling_certificate_files(path):
        if not sibling.is_file():
            continue
        data = sibling.read_bytes()
        blocks = [der for label, der in pem_decode(data) if label == "CERTIFICATE"]
        logger.debug("certificate of %s read from %s", path, sibling)
        return blocks or [data]
    return []


def _parse_certificate(der: bytes, path: Path) -> Certificate:
    try:
        return Certificate.load(der)
    except InvalidCertificateError as error:
        raise GostIdentityError(
            f"the certificate stored with {path} is invalid: {error}"
        ) from error


def _parse_private_key(der: bytes, path: Path) -> GostPrivateKey | None:
    if pkcs8_algorithm_oid(der) not in GOST_KEY_OIDS:
        return None
    try:
        return GostPrivateKey.from_pkcs8_der(der)
    except GostError as error:
        raise GostIdentityError(
            f"the GOST private key in {path} is invalid: {error}"
        ) from error


def _pair(
    private_key: GostPrivateKey, certificates: list[Certificate], reference: str
) -> GostIdentity:
    public = private_key.curve.point_to_bytes(
        private_key.curve.public_point(private_key.scalar)
    )
    for certificate in certificates:
        if not _is_gost(certificate):
            continue
        try:
            candidate = GostPublicKey.from_certificate(certificate)
        except GostError:
            continue
        if candidate.curve is private_key.curve and candidate.to_bytes() == public:
            return GostIdentity(private_key, certificate, reference)
    raise GostIdentityError(
        f"no certificate stored with {reference!r} matches its private key; "
        "store the key together with its own certificate"
    )
