"""Signatures of the CMS profile for RSA and EC keys.

- RSA signs with RSASSA-PKCS1-v1_5 and SHA-256 by default, or with
  RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) when the identity's
  `rsa_signature` option is ``"pss"``. Verification accepts both, because
  the API's `sign` field carries no algorithm identifier, so a verifier
  cannot tell which one a signer chose. Both are sound with SHA-256. PSS is
  accepted only with a 32-byte salt, the one parameter set this package
  writes.
- EC signs with ECDSA over SHA-256. The signature is the DER
  ``SEQUENCE { r INTEGER, s INTEGER }`` of RFC 3279.

Verification returns False for every malformed or non-matching signature and
never raises for one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

RsaSignatureScheme = Literal["pkcs1v15", "pss"]
"""The RSA signature scheme of an identity: RSASSA-PKCS1-v1_5 or RSASSA-PSS."""

PSS_SALT_LENGTH = 32

_PSS = padding.PSS(padding.MGF1(hashes.SHA256()), PSS_SALT_LENGTH)
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def sign(
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    data: bytes,
    rsa_scheme: RsaSignatureScheme = "pkcs1v15",
) -> bytes:
    """Sign `data` with SHA-256 in the encoding described in this module."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, _ECDSA_SHA256)
    return private_key.sign(data, _PSS if rsa_scheme == "pss" else _PKCS1V15, _SHA256)


def verify(
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    data: bytes,
    signature: bytes,
) -> bool:
    """Return whether `signature` over `data` verifies with `public_key`."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _verifies(lambda: public_key.verify(signature, data, _ECDSA_SHA256))
    if len(signature) != (public_key.key_size + 7) // 8:
        return False
    return _verifies(
        lambda: public_key.verify(signature, data, _PKCS1V15, _SHA256)
    ) or _verifies(lambda: public_key.verify(signature, data, _PSS, _SHA256))


def _verifies(check: Callable[[], None]) -> bool:
    try:
        check()
    except (InvalidSignature, ValueError):
        return False
    return True
