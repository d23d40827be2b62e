"""Signatures made by RSA and EC keys on a token, in the ``cms`` encodings.

- RSA: PKCS#1 v1.5 with SHA-256 (the ``cms`` default), or RSASSA-PSS with
  SHA-256, MGF1-SHA-256 and a 32-byte salt passed explicitly, because
  python-pkcs11's default PSS parameters are SHA-1.
- EC: ECDSA (``CKM_ECDSA``) over a SHA-256 digest computed on the host,
  DER-encoded as ``ECDSA-Sig-Value``. The combined ``CKM_ECDSA_SHA256`` is
  missing on SoftHSM 2.6.1 and python-pkcs11's default for EC keys is
  ``CKM_ECDSA_SHA512``, so the mechanism is always given.

The signatures are the ones pyca/cryptography makes and verifies with the
same key; GOST signatures live in `chatkeys_pkcs11.gost`.
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import MGF, Mechanism
from pkcs11 import exceptions as p11errors
from pkcs11.util.ec import encode_ecdsa_signature

from chatkeys_pkcs11.errors import TokenIdentityError, TokenSignatureError
from chatkeys_pkcs11.identity import KeyKind, TokenIdentity

PSS_SALT_LENGTH = 32
"""Salt length of RSASSA-PSS signatures, equal to the SHA-256 digest size."""

# DER of DigestInfo for SHA-256 without the digest (RFC 8017, section 9.2).
_SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


class RsaPadding(enum.Enum):
    """The RSA signature scheme."""

    PKCS1V15 = "pkcs1v15"
    PSS = "pss"


DEFAULT_RSA_PADDING = RsaPadding.PKCS1V15
"""The RSA scheme of the ``cms`` profile: sha256WithRSAEncryption."""


def sign_cms(
    identity: TokenIdentity, data: bytes, rsa_padding: RsaPadding = DEFAULT_RSA_PADDING
) -> bytes:
    """Sign `data` with an RSA or EC key on the token.

    Raises `TokenSignatureError` when the token refuses (no login, key
    without CKA_SIGN, mechanism missing).
    """
    mechanisms = identity.token_session.mechanisms()
    if identity.kind is KeyKind.RSA:
        if rsa_padding is RsaPadding.PSS:
            return _sign_rsa_pss(identity, data, mechanisms)
        return _sign_rsa_pkcs1v15(identity, data, mechanisms)
    if identity.kind is KeyKind.EC:
        return _sign_ecdsa(identity, data, mechanisms)
    raise TokenSignatureError(
        f"sign_cms handles RSA and EC keys, not {identity.kind.value}"
    )


def _sign_rsa_pkcs1v15(
    identity: TokenIdentity, data: bytes, mechanisms: frozenset[int]
) -> bytes:
    if Mechanism.SHA256_RSA_PKCS in mechanisms:
        return _sign(identity, data, Mechanism.SHA256_RSA_PKCS, None)
    _require(
        identity, mechanisms, Mechanism.RSA_PKCS, "CKM_SHA256_RSA_PKCS or CKM_RSA_PKCS"
    )
    digest_info = _SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(data).digest()
    return _sign(identity, digest_info, Mechanism.RSA_PKCS, None)


def _sign_rsa_pss(
    identity: TokenIdentity, data: bytes, mechanisms: frozenset[int]
) -> bytes:
    parameters = (Mechanism.SHA256, MGF.SHA256, PSS_SALT_LENGTH)
    if Mechanism.SHA256_RSA_PKCS_PSS in mechanisms:
        return _sign(identity, data, Mechanism.SHA256_RSA_PKCS_PSS, parameters)
    _require(
        identity,
        mechanisms,
        Mechanism.RSA_PKCS_PSS,
        "CKM_SHA256_RSA_PKCS_PSS or CKM_RSA_PKCS_PSS",
    )
    return _sign(
        identity, hashlib.sha256(data).digest(), Mechanism.RSA_PKCS_PSS, parameters
    )


def _sign_ecdsa(
    identity: TokenIdentity, data: bytes, mechanisms: frozenset[int]
) -> bytes:
    _require(identity, mechanisms, Mechanism.ECDSA, "CKM_ECDSA")
    raw = _sign(identity, hashlib.sha256(data).digest(), Mechanism.ECDSA, None)
    return bytes(encode_ecdsa_signature(raw))


def _require(
    identity: TokenIdentity, mechanisms: frozenset[int], mechanism: int, names: str
) -> None:
    if mechanism not in mechanisms:
        raise TokenSignatureError(
            f"token {identity.token_label!r} offers neither of {names}, so it cannot "
            f"sign with {identity.kind.value} keys"
        )


def _sign(
    identity: TokenIdentity, data: bytes, mechanism: Any, parameters: Any
) -> bytes:
    def operation(session: Any, key: Any) -> bytes:
        signature: bytes = key.sign(
            data, mechanism=mechanism, mechanism_param=parameters
        )
        return bytes(signature)

    try:
        return identity.run(operation)
    except p11errors.PKCS11Error as error:
        raise TokenSignatureError(
            f"token {identity.token_label!r} failed to sign with {mechanism!r} for "
            f"{identity.reference!r}: {type(error).__name__}"
        ) from error


def check_key_matches_certificate(identity: TokenIdentity) -> None:
    """Sign a fixed message on the token and verify it with the certificate.

    Catches a URI whose key and certificate belong to different key pairs.
    Raises `TokenIdentityError` when the signature does not verify.
    """
    message = b"chatkeys-pkcs11 key and certificate check"
    try:
        signature = sign_cms(identity, message)
    except TokenSignatureError as error:
        raise TokenIdentityError(
            f"cannot check the key of {identity.reference!r} against its certificate: "
            f"{error}"
        ) from error
    if not verify_cms(identity.certificate.spki, message, signature):
        raise TokenIdentityError(
            f"the certificate of {identity.reference!r} does not belong to the private "
            "key on the token; fix the object label or id, or x-certificate-file"
        )


def verify_cms(
    spki: bytes,
    data: bytes,
    signature: bytes,
    rsa_padding: RsaPadding = DEFAULT_RSA_PADDING,
) -> bool:
    """Return whether a ``cms`` signature verifies with the public key `spki`."""
    public_key = load_der_public_key(spki)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            scheme: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if rsa_padding is RsaPadding.PKCS1V15
                else padding.PSS(padding.MGF1(hashes.SHA256()), PSS_SALT_LENGTH)
            )
            public_key.verify(signature, data, scheme, hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True
