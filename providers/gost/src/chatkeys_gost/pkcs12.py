"""PKCS#12 files (RFC 7292) holding a GOST key and its certificate.

Two kinds are read, the ones OpenSSL 3 with the GOST engine writes:

- the default: PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC) bags and an
  HMAC-SHA-256 integrity MAC keyed by the PKCS#12 key derivation;
- ``-keypbe gost89 -certpbe gost89 -macalg md_gost12_512``: PBES2 with
  PBKDF2-HMAC-Streebog-512 and GOST 28147-89, and an HMAC-Streebog-512 MAC
  whose key is bytes 64..96 of PBKDF2-HMAC-Streebog-512 (96 bytes), as
  R 50.1.112-2016 and OpenSSL define it.

The MAC is checked before anything is decrypted, so a wrong passphrase is
reported as such. Legacy PKCS#12 PBE schemes (3DES, RC2) are not read.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from asn1crypto import cms, pkcs12

from chatkeys_gost.errors import GostIdentityError
from chatkeys_gost.pbes2 import (
    AlgorithmIdentifier,
    HmacStreebog512,
    decrypt_encrypted_data,
    decrypt_private_key_info,
    pbkdf2_streebog512,
)

__all__ = ["Pkcs12Contents", "is_pkcs12", "load_pkcs12"]

OID_STREEBOG_512 = "1.2.643.7.1.1.2.3"
_SHA_NAMES = {"sha1", "sha224", "sha256", "sha384", "sha512"}


@dataclass(frozen=True)
class Pkcs12Contents:
    """The private keys (PKCS#8 DER) and certificates (DER) of one file."""

    private_keys: tuple[bytes, ...]
    certificates: tuple[bytes, ...]


def _pkcs12_kdf(hash_name: str, password: bytes, salt: bytes, iterations: int) -> bytes:
    """Derive the MAC key with RFC 7292 appendix B (purpose byte 3)."""
    digest_size = hashlib.new(hash_name).digest_size
    block = hashlib.new(hash_name).block_size
    diversifier = bytes([3]) * block

    def fill(data: bytes) -> bytes:
        if not data:
            return b""
        length = block * ((len(data) + block - 1) // block)
        return (data * (length // len(data) + 1))[:length]

    state = fill(salt) + fill(password)
    digest = hashlib.new(hash_name, diversifier + state).digest()
    for _ in range(iterations - 1):
        digest = hashlib.new(hash_name, digest).digest()
    return digest[:digest_size]


def _check_mac(pfx: pkcs12.Pfx, content: bytes, passphrase: str) -> None:
    mac_data = pfx["mac_data"]
    if mac_data.native is None:
        return
    algorithm = mac_data["mac"]["digest_algorithm"]["algorithm"]
    expected = mac_data["mac"]["digest"].native
    salt = mac_data["mac_salt"].native
    iterations = mac_data["iterations"].native
    if algorithm.native in _SHA_NAMES:
        name = algorithm.native
        password = passphrase.encode("utf-16-be") + b"\0\0"
        key = _pkcs12_kdf(name, password, salt, iterations)
        actual = hmac.new(key, content, name).digest()
    elif algorithm.dotted == OID_STREEBOG_512:
        key = pbkdf2_streebog512(passphrase.encode("utf-8"), salt, iterations, 96)[64:]
        actual = HmacStreebog512(key).mac(content)
    else:
        raise GostIdentityError(
            f"PKCS#12 MAC algorithm {algorithm.dotted} is not supported; export "
            "with -macalg sha256 or md_gost12_512"
        )
    if not hmac.compare_digest(actual, expected):
        raise GostIdentityError("PKCS#12 integrity check failed: wrong passphrase")


def is_pkcs12(data: bytes) -> bool:
    """Return whether `data` is a DER PFX of version 3 holding data content."""
    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        return bool(
            pfx["version"].native == "v3"
            and pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
        )
    except (ValueError, KeyError, TypeError):
        return False


def load_pkcs12(der: bytes, passphrase: str) -> Pkcs12Contents:
    """Read the private keys and certificates of a PKCS#12 file."""
    try:
        pfx = pkcs12.Pfx.load(der)
        auth_safe = pfx["auth_safe"]
        if auth_safe["content_type"].native != "data":
            raise GostIdentityError(
                "PKCS#12 files signed with a public key are not read"
            )
        content = auth_safe["content"].native
    except (ValueError, KeyError, TypeError) as error:
        raise GostIdentityError(f"not a PKCS#12 file: {error}") from error
    _check_mac(pfx, content, passphrase)

    keys: list[bytes] = []
    certificates: list[bytes] = []
    for info in pkcs12.AuthenticatedSafe.load(content):
        kind = info["content_type"].native
        if kind == "data":
            safe_contents = info["content"].native
        elif kind == "encrypted_data":
            encrypted = info["content"]["encrypted_content_info"]
            algorithm = AlgorithmIdentifier.load(
                encrypted["content_encryption_algorithm"].dump()
            )
            safe_contents = decrypt_encrypted_data(
                algorithm, encrypted["encrypted_content"].native, passphrase
            )
        else:
            continue
        for bag in pkcs12.SafeContents.load(safe_contents):
            _collect(bag, passphrase, keys, certificates)
    return Pkcs12Contents(tuple(keys), tuple(certificates))


def _collect(
    bag: pkcs12.SafeBag, passphrase: str, keys: list[bytes], certificates: list[bytes]
) -> None:
    kind = bag["bag_id"].native
    if kind == "pkcs8_shrouded_key_bag":
        keys.append(
            decrypt_private_key_info(bag["bag_value"].untag().dump(), passphrase)
        )
    elif kind == "key_bag":
        keys.append(bag["bag_value"].untag().dump())
    elif kind == "cert_bag":
        value = bag["bag_value"]
        if value["cert_id"].native == "x509":
            certificates.append(value["cert_value"].parsed.dump())
    elif kind == "safe_contents":
        for inner in bag["bag_value"]:
            _collect(inner, passphrase, keys, certificates)


_ = cms  # asn1crypto.cms registers the ContentInfo types that PKCS#12 uses.
