"""Passphrase encryption of private keys: PBES2 (RFC 8018) as OpenSSL writes it.

Two PBES2 variants come out of OpenSSL 3 with the GOST engine, and both are
read here:

- the OpenSSL default: PBKDF2 with HMAC-SHA-256 (or another SHA-2/SHA-1 PRF)
  and AES-CBC (128, 192 or 256 bits);
- ``-v2 gost89``: PBKDF2 with HMAC-Streebog-512 and GOST 28147-89 in CFB
  mode, IV and S-box given in the parameters.

`encrypt_private_key_info` writes the OpenSSL default, which every OpenSSL
reads. The passphrase is encoded as UTF-8, as OpenSSL does for PBES2.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from asn1crypto import core
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from chatkeys_gost.errors import GostIdentityError
from chatkeys_gost.primitives.modes import gost28147_cfb_decrypt
from chatkeys_gost.primitives.streebog import Streebog

__all__ = [
    "HmacStreebog512",
    "decrypt_private_key_info",
    "encrypt_private_key_info",
    "pbkdf2_streebog512",
]

OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_GOST28147 = "1.2.643.2.2.21"
OID_HMAC_STREEBOG_256 = "1.2.643.7.1.1.4.1"
OID_HMAC_STREEBOG_512 = "1.2.643.7.1.1.4.2"

_SHA_PRFS = {
    "1.2.840.113549.2.7": "sha1",
    "1.2.840.113549.2.8": "sha224",
    "1.2.840.113549.2.9": "sha256",
    "1.2.840.113549.2.10": "sha384",
    "1.2.840.113549.2.11": "sha512",
}
_AES_CBC = {
    "2.16.840.1.101.3.4.1.2": 16,
    "2.16.840.1.101.3.4.1.22": 24,
    "2.16.840.1.101.3.4.1.42": 32,
}
_ITERATIONS = 2048


class AlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    """AlgorithmIdentifier with parameters left undecoded."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class EncryptedPrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    """EncryptedPrivateKeyInfo of RFC 5208."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("encryption_algorithm", AlgorithmIdentifier),
        ("encrypted_data", core.OctetString),
    ]


class Pbes2Parameters(core.Sequence):  # type: ignore[misc]
    """PBES2-params of RFC 8018."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("key_derivation_func", AlgorithmIdentifier),
        ("encryption_scheme", AlgorithmIdentifier),
    ]


class Pbkdf2Parameters(core.Sequence):  # type: ignore[misc]
    """PBKDF2-params of RFC 8018 (specified salt only)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("salt", core.OctetString),
        ("iteration_count", core.Integer),
        ("key_length", core.Integer, {"optional": True}),
        ("prf", AlgorithmIdentifier, {"optional": True}),
    ]


class Gost28147Parameters(core.Sequence):  # type: ignore[misc]
    """Gost28147-89-Parameters of RFC 4357: IV and S-box."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("iv", core.OctetString),
        ("encryption_param_set", core.ObjectIdentifier),
    ]


class HmacStreebog512:
    """HMAC with Streebog-512 (R 50.1.113-2016) with the key's pads hashed once."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = Streebog(64, key).digest()
        key = key.ljust(64, b"\0")
        self._inner = Streebog(64, bytes(b ^ 0x36 for b in key))
        self._outer = Streebog(64, bytes(b ^ 0x5C for b in key))

    def mac(self, data: bytes) -> bytes:
        """Return the 64-byte HMAC of `data`."""
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def pbkdf2_streebog512(
    password: bytes, salt: bytes, iterations: int, length: int
) -> bytes:
    """Derive `length` bytes with PBKDF2 and HMAC-Streebog-512 (R 50.1.111-2016)."""
    prf = HmacStreebog512(password)
    output = b""
    block = 1
    while len(output) < length:
        u = prf.mac(salt + block.to_bytes(4, "big"))
        accumulated = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = prf.mac(u)
            accumulated ^= int.from_bytes(u, "big")
        output += accumulated.to_bytes(64, "big")
        block += 1
    return output[:length]


def _derive(kdf: AlgorithmIdentifier, password: bytes, length: int) -> bytes:
    if kdf["algorithm"].dotted != OID_PBKDF2:
        raise GostIdentityError(
            f"key derivation {kdf['algorithm'].dotted} is not PBKDF2; re-export "
            "the key with OpenSSL 3 (openssl pkcs8 -topk8)"
        )
    parameters = Pbkdf2Parameters.load(kdf["parameters"].dump())
    salt = parameters["salt"].native
    iterations = parameters["iteration_count"].native
    prf = parameters["prf"]
    prf_oid = (
        "1.2.840.113549.2.7" if isinstance(prf, core.Void) else prf["algorithm"].dotted
    )
    if prf_oid in _SHA_PRFS:
        return hashlib.pbkdf2_hmac(
            _SHA_PRFS[prf_oid], password, salt, iterations, length
        )
    if prf_oid == OID_HMAC_STREEBOG_512:
        return pbkdf2_streebog512(password, salt, iterations, length)
    raise GostIdentityError(f"PBKDF2 pseudo-random function {prf_oid} is not supported")


def _decrypt_aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _decrypt_gost28147_cfb(key: bytes, parameters: bytes, data: bytes) -> bytes:
    # OpenSSL's gost89 cipher is CFB with CryptoPro key meshing.
    parsed = Gost28147Parameters.load(parameters)
    sbox = parsed["encryption_param_set"].dotted
    iv = parsed["iv"].native
    return gost28147_cfb_decrypt(key, iv, data, sbox, key_meshing=True)


def decrypt_encrypted_data(
    algorithm: AlgorithmIdentifier, data: bytes, passphrase: str
) -> bytes:
    """Decrypt `data` encrypted with the PBES2 `algorithm` under `passphrase`.

    Raises `GostIdentityError` for a wrong passphrase (detected by the
    padding or by the structure of the result) and for unsupported schemes.
    """
    if algorithm["algorithm"].dotted != OID_PBES2:
        raise GostIdentityError(
            f"key encryption {algorithm['algorithm'].dotted} is not PBES2; "
            "re-export the key with OpenSSL 3, whose default is PBES2"
        )
    try:
        parameters = Pbes2Parameters.load(algorithm["parameters"].dump())
        scheme = parameters["encryption_scheme"]
        scheme_oid = scheme["algorithm"].dotted
        password = passphrase.encode("utf-8")
        if scheme_oid in _AES_CBC:
            key = _derive(
                parameters["key_derivation_func"], password, _AES_CBC[scheme_oid]
            )
            iv = core.OctetString.load(scheme["parameters"].dump()).native
            return _decrypt_aes_cbc(key, iv, data)
        if scheme_oid == OID_GOST28147:
            key = _derive(parameters["key_derivation_func"], password, 32)
            return _decrypt_gost28147_cfb(key, scheme["parameters"].dump(), data)
    except ValueError as error:
        raise GostIdentityError(
            "cannot decrypt the private key: wrong passphrase or damaged file"
        ) from error
    raise GostIdentityError(
        f"PBES2 cipher {scheme_oid} is not supported (use AES-CBC or gost89)"
    )


def decrypt_private_key_info(der: bytes, passphrase: str) -> bytes:
    """Decrypt a DER EncryptedPrivateKeyInfo; return the PrivateKeyInfo DER."""
    try:
        info = EncryptedPrivateKeyInfo.load(der)
        algorithm = info["encryption_algorithm"]
        data = info["encrypted_data"].native
    except ValueError as error:
        raise GostIdentityError(f"malformed encrypted private key: {error}") from error
    plain = decrypt_encrypted_data(algorithm, data, passphrase)
    if not plain.startswith(b"\x30"):
        raise GostIdentityError("cannot decrypt the private key: wrong passphrase")
    return plain


def encrypt_private_key_info(der: bytes, passphrase: str) -> bytes:
    """Encrypt a PrivateKeyInfo with PBKDF2-HMAC-SHA-256 and AES-256-CBC."""
    salt = secrets.token_bytes(16)
    iv = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac(
        "sha256", passphrase.encode("utf-8"), salt, _ITERATIONS, 32
    )
    padder = padding.PKCS7(128).padder()
    padded = padder.update(der) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()

    kdf = AlgorithmIdentifier(
        {
            "algorithm": OID_PBKDF2,
            "parameters": Pbkdf2Parameters(
                {
                    "salt": salt,
                    "iteration_count": _ITERATIONS,
                    "prf": AlgorithmIdentifier(
                        {"algorithm": "1.2.840.113549.2.9", "parameters": core.Null()}
                    ),
                }
            ),
        }
    )
    scheme = AlgorithmIdentifier(
        {"algorithm": "2.16.840.1.101.3.4.1.42", "parameters": core.OctetString(iv)}
    )
    info = EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": OID_PBES2,
                "parameters": Pbes2Parameters(
                    {"key_derivation_func": kdf, "encryption_scheme": scheme}
                ),
            },
            "encrypted_data": encrypted,
        }
    )
    return bytes(info.dump())
