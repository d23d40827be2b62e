"""GOST R 34.10-2012 keys on tokens, through the TC26 vendor mechanisms.

Rutoken and JaCarta number their GOST mechanisms in the TC26 vendor range
(0xD4321000 and up). Which ones a token has is read from its mechanism list
at run time; nothing here assumes a vendor:

- signing prefers the token's hash-and-sign mechanism
  (``CKM_GOSTR3410_WITH_GOSTR3411_12_256``/``_512``); otherwise it signs a
  Streebog digest (``CKM_GOSTR3410``/``CKM_GOSTR3410_512``) computed by the
  token's ``CKM_GOSTR3411_12_256``/``_512`` or, failing that, on the host by
  chatkeys-gost;
- VKO key agreement uses ``CKM_GOSTR3410_12_DERIVE`` with the raw
  ``CK_GOSTR3410_DERIVE_PARAMS`` structure (KDF, peer public key, UKM); it
  opens Komandor format A key copies, with chatkeys-gost doing the unwrap.

The token's signature is taken as 64 (or 128) bytes ``s || r``, big-endian,
the order of RFC 4491 and OpenSSL. The ``komandor`` profile reverses the
whole buffer into CryptoAPI order.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from pkcs11 import Attribute, KeyType, Mechanism
from pkcs11 import exceptions as p11errors

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys_pkcs11.errors import (
    MechanismUnavailableError,
    TokenKeyImportError,
    TokenSignatureError,
)
from chatkeys_pkcs11.identity import GOST256_OID, GOST512_OID, KeyKind, TokenIdentity

CKM_GOSTR3410 = 0x1201
CKM_GOSTR3410_512 = 0xD4321006
CKM_GOSTR3410_12_DERIVE = 0xD4321007
CKM_GOSTR3410_WITH_GOSTR3411_12_256 = 0xD4321008
CKM_GOSTR3410_WITH_GOSTR3411_12_512 = 0xD4321009
CKM_GOSTR3411_12_256 = 0xD4321012
CKM_GOSTR3411_12_512 = 0xD4321013
CKD_NULL = 0x1
CKM_KDF_4357 = 0xD4321025
CKM_KDF_GOSTR3411_2012_256 = 0xD4321026

_MECHANISMS = {
    KeyKind.GOST256: (
        CKM_GOSTR3410_WITH_GOSTR3411_12_256,
        CKM_GOSTR3410,
        CKM_GOSTR3411_12_256,
    ),
    KeyKind.GOST512: (
        CKM_GOSTR3410_WITH_GOSTR3411_12_512,
        CKM_GOSTR3410_512,
        CKM_GOSTR3411_12_512,
    ),
}


def vendor_mechanism(value: int) -> Mechanism:
    """Return a `Mechanism` for a number python-pkcs11's enum does not list.

    ``Mechanism(0xD4321008)`` raises ValueError; an int-backed pseudo-member
    passes python-pkcs11's type check and reaches the token unchanged.
    """
    try:
        return Mechanism(value)
    except ValueError:
        member: Mechanism = int.__new__(Mechanism, value)
        member._name_ = f"VENDOR_{value:#x}"
        member._value_ = value
        return member


def sign_gost(identity: TokenIdentity, data: bytes, *, cryptoapi_order: bool) -> bytes:
    """Sign `data` with a GOST key on the token.

    Returns ``s || r`` big-endian, or the reversed buffer when
    `cryptoapi_order` is true. Raises `MechanismUnavailableError` when the
    token lacks every GOST signing mechanism for the key size.
    """
    hash_and_sign, sign_digest, digest_mechanism = _MECHANISMS[identity.kind]
    mechanisms = identity.token_session.mechanisms()

    def operation(session: Any, key: Any) -> bytes:
        if hash_and_sign in mechanisms:
            return bytes(key.sign(data, mechanism=vendor_mechanism(hash_and_sign)))
        if sign_digest not in mechanisms:
            raise MechanismUnavailableError(
                f"token {identity.token_label!r} offers no GOST R 34.10-2012 signing "
                f"mechanism for {identity.kind.value} keys (looked for "
                f"{hash_and_sign:#x} and {sign_digest:#x})"
            )
        if digest_mechanism in mechanisms:
            digest = bytes(
                session.digest(data, mechanism=vendor_mechanism(digest_mechanism))
            )
        else:
            digest = _host_streebog(identity.kind, data)
        return bytes(key.sign(digest, mechanism=vendor_mechanism(sign_digest)))

    # NOTE: the s || r order of token output is checked only against the
    # stand-in token of the tests, not against a Rutoken or JaCarta.
    try:
        signature = identity.run(operation)
    except p11errors.PKCS11Error as error:
        raise TokenSignatureError(
            f"token {identity.token_label!r} failed to make a GOST signature for "
            f"{identity.reference!r}: {type(error).__name__}"
        ) from error
    return signature[::-1] if cryptoapi_order else signature


def _host_streebog(kind: KeyKind, data: bytes) -> bytes:
    try:
        from chatkeys_gost.primitives import streebog
    except ImportError as error:
        raise MechanismUnavailableError(
            "the token has no Streebog mechanism and chatkeys-gost is not installed "
            "to hash on the host: pip install chatkeys-gost"
        ) from error
    if kind is KeyKind.GOST512:
        return bytes(streebog.streebog512(data))
    return bytes(streebog.streebog256(data))


class _DeriveParameters(ctypes.Structure):
    """``CK_GOSTR3410_DERIVE_PARAMS`` in the platform's C layout."""

    _fields_ = (
        ("kdf", ctypes.c_ulong),
        ("public_data", ctypes.c_void_p),
        ("public_data_length", ctypes.c_ulong),
        ("ukm", ctypes.c_void_p),
        ("ukm_length", ctypes.c_ulong),
    )


def vko_derive(
    identity: TokenIdentity, peer_public_key: bytes, ukm: bytes, kdf: int = CKD_NULL
) -> bytes:
    """Return the VKO GOST R 34.10-2012 key-encryption key with a peer.

    `peer_public_key` is the peer's little-endian ``X || Y`` (the contents of
    the certificate's OCTET STRING), `ukm` the user keying material as the
    wire carries it, `kdf` one of `CKD_NULL`, `CKM_KDF_4357` or
    `CKM_KDF_GOSTR3411_2012_256`. The derived 32-byte key is read and its
    object destroyed; tokens that refuse to reveal it raise
    `TokenKeyImportError`.
    """
    if CKM_GOSTR3410_12_DERIVE not in identity.token_session.mechanisms():
        raise MechanismUnavailableError(
            f"token {identity.token_label!r} lacks CKM_GOSTR3410_12_DERIVE "
            f"({CKM_GOSTR3410_12_DERIVE:#x}), so it cannot do VKO key agreement"
        )
    public_buffer = ctypes.create_string_buffer(peer_public_key, len(peer_public_key))
    ukm_buffer = ctypes.create_string_buffer(ukm, len(ukm))
    parameters = _DeriveParameters(
        kdf,
        ctypes.cast(public_buffer, ctypes.c_void_p),
        len(peer_public_key),
        ctypes.cast(ukm_buffer, ctypes.c_void_p),
        len(ukm),
    )
    # The structure's pointers refer to the two buffers, which stay alive
    # until this function returns.
    raw_parameters = bytes(parameters)

    def operation(session: Any, key: Any) -> bytes:
        derived = key.derive_key(
            KeyType.GENERIC_SECRET,
            256,
            mechanism=vendor_mechanism(CKM_GOSTR3410_12_DERIVE),
            mechanism_param=raw_parameters,
            template={
                Attribute.SENSITIVE: False,
                Attribute.EXTRACTABLE: True,
                Attribute.TOKEN: False,
            },
        )
        try:
            return bytes(derived[Attribute.VALUE])
        finally:
            derived.destroy()

    try:
        return identity.run(operation)
    except p11errors.PKCS11Error as error:
        raise TokenKeyImportError(
            f"VKO key agreement on token {identity.token_label!r} failed "
            f"({type(error).__name__}); the peer key may be on another curve"
        ) from error
    finally:
        del public_buffer, ukm_buffer


def open_komandor_copy(
    identity: TokenIdentity, key_copy: bytes, candidates: Sequence[Certificate]
) -> ChatKey:
    """Open a Komandor format A key copy (SIMPLEBLOB) with VKO on the token.

    Format A is static-static, so the exporter is unknown: each GOST
    certificate of `candidates` on the identity's curve, then the identity's
    own, gives a key-encryption key by `vko_derive`, and the first one whose
    MAC verifies opens the copy. The unwrap itself runs on the host with
    chatkeys-gost. Raises `TokenKeyImportError` when no candidate opens it.
    """
    try:
        from chatkeys_gost import komandor
        from chatkeys_gost.errors import GostError, GostUnwrapError
        from chatkeys_gost.plugin import KOMANDOR_CIPHER, recipient_key
    except ImportError as error:
        raise TokenKeyImportError(
            "opening Komandor key copies needs chatkeys-gost: pip install chatkeys-gost"
        ) from error
    try:
        parsed = komandor.parse_format_a(key_copy)
        own_curve = recipient_key(identity.certificate).curve
    except GostError as error:
        # TODO: format B and cms copies need the ephemeral-key VKO on the
        # token as well; only format A is read here.
        raise TokenKeyImportError(
            f"cannot open this key copy with the GOST key of {identity.reference!r}: "
            f"{error}; keys on tokens open Komandor format A copies only"
        ) from error
    tried = 0
    for certificate in (*candidates, identity.certificate):
        if certificate.key_algorithm_oid not in (GOST256_OID, GOST512_OID):
            continue
        try:
            public = recipient_key(certificate)
        except GostError:
            continue
        if public.curve is not own_curve:
            continue
        tried += 1
        # NOTE: the UKM goes to the token in wire order (little-endian), as
        # RFC 7836 reads it; no hardware token confirmed this yet.
        kek = vko_derive(identity, public.to_bytes(), parsed.ukm)
        try:
            chat_key, iv = komandor.open_format_a(parsed, kek)
        except GostUnwrapError:
            continue
        return ChatKey(KOMANDOR_CIPHER, chat_key, iv)
    raise TokenKeyImportError(
        f"the format A key copy opens with none of the {tried} candidate exporter "
        f"certificates for {identity.certificate.short_id}: it was made by another "
        "certificate, for another recipient, or altered"
    )
