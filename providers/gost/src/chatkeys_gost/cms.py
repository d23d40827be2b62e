"""Key copies of the `cms` profile: CMS KeyTransRecipientInfo for GOST keys.

A copy is the DER of one KeyTransRecipientInfo (RFC 5652), so it can be put
into an EnvelopedData as it is. Two key-transport schemes are read:

- KExp15 (R 1323565.1.025-2019, RFC 9189), written by `export_kexp15`:
  keyEncryptionAlgorithm kuznyechik-kexp15 (1.2.643.7.1.1.7.2.1; the Magma
  variant 1.2.643.7.1.1.7.1.1 is also read) with parameter
  id-tc26-agreement-gost-3410-2012-256 or -512, and encryptedKey the DER of
  SEQUENCE { OCTET STRING KExp15 output, ephemeral SubjectPublicKeyInfo,
  OCTET STRING ukm (32 bytes) }. KEG with the ephemeral key gives the MAC key
  (first 32 bytes) and the wrap key (last 32). The KExp15 IV is
  ukm[24 : 24 + block size / 2].
- GostR3410-KeyTransport (RFC 4490), as ``openssl cms -gost89`` writes it:
  the CryptoPro key wrap of RFC 4357 under VKO-256 with an 8-byte UKM.

Nothing here touches the message cipher; `chatkeys_gost.messages` does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import cms, core, x509

from chatkeys.certificates import Certificate
from chatkeys_gost.errors import GostError, GostKeyImportError
from chatkeys_gost.keys import GostPrivateKey, GostPublicKey
from chatkeys_gost.primitives.keywrap import cryptopro_unwrap, kexp15, kimp15
from chatkeys_gost.primitives.kuznyechik import Kuznyechik
from chatkeys_gost.primitives.magma import Magma
from chatkeys_gost.vko import VkoContext, keg

__all__ = [
    "OID_KUZNYECHIK_KEXP15",
    "RecipientCopy",
    "export_kexp15",
    "import_key_copy",
    "is_cms_copy",
]

OID_KUZNYECHIK_KEXP15 = "1.2.643.7.1.1.7.2.1"
OID_MAGMA_KEXP15 = "1.2.643.7.1.1.7.1.1"
OID_AGREEMENT_256 = "1.2.643.7.1.1.6.1"
OID_AGREEMENT_512 = "1.2.643.7.1.1.6.2"
_KEXP15_CIPHERS: dict[str, type[Kuznyechik] | type[Magma]] = {
    OID_KUZNYECHIK_KEXP15: Kuznyechik,
    OID_MAGMA_KEXP15: Magma,
}
_TRANSPORT_KEY_OIDS = ("1.2.643.7.1.1.1.1", "1.2.643.7.1.1.1.2")
# asn1crypto reports a wrong tag inside an Any or CHOICE field in several ways.
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)


class _AlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _KeyTransRecipientInfo(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("rid", cms.RecipientIdentifier),
        ("key_encryption_algorithm", _AlgorithmIdentifier),
        ("encrypted_key", core.OctetString),
    ]


class _KeyWrapParameters(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("algorithm", core.ObjectIdentifier),
        ("ukm", core.OctetString, {"optional": True}),
    ]


class _KeyTransport2018(core.Sequence):  # type: ignore[misc]
    """GostR3410-KeyTransport of R 1323565.1.025-2019."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("encrypted_key", core.OctetString),
        ("ephemeral_public_key", core.Any),
        ("ukm", core.OctetString),
    ]


class _EncryptedKey28147(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("encrypted_key", core.OctetString),
        ("mask_key", core.OctetString, {"implicit": 0, "optional": True}),
        ("mac_key", core.OctetString),
    ]


class _TransportParameters(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("encryption_param_set", core.ObjectIdentifier),
        ("ephemeral_public_key", core.Sequence, {"implicit": 0, "optional": True}),
        ("ukm", core.OctetString),
    ]


class _KeyTransport28147(core.Sequence):  # type: ignore[misc]
    """GostR3410-KeyTransport of RFC 4490."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("session_encrypted_key", _EncryptedKey28147),
        (
            "transport_parameters",
            _TransportParameters,
            {"implicit": 0, "optional": True},
        ),
    ]


@dataclass(frozen=True)
class RecipientCopy:
    """A key unwrapped from a copy, with the scheme it travelled in."""

    key: bytes
    scheme: str
    """``"kexp15-kuznyechik"``, ``"kexp15-magma"`` or ``"gost28147"``."""


def _recipient_identifier(certificate: Certificate) -> cms.RecipientIdentifier:
    parsed = x509.Certificate.load(certificate.der)
    return cms.RecipientIdentifier(
        name="issuer_and_serial_number",
        value=cms.IssuerAndSerialNumber(
            {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
        ),
    )


def export_kexp15(key: bytes, recipient: Certificate) -> bytes:
    """Wrap `key` for `recipient` with an ephemeral key, KEG and Kuznyechik KExp15.

    Returns the DER KeyTransRecipientInfo.
    """
    public = GostPublicKey.from_certificate(recipient)
    curve = public.curve
    ephemeral = GostPrivateKey(
        curve, curve.random_scalar(), public.parameter_oid, public.digest_oid
    )
    ukm = secrets.token_bytes(32)
    material = keg(curve, ephemeral.scalar, public.point, ukm)
    half_block = Kuznyechik.block_size // 2
    wrapped = kexp15(
        Kuznyechik, material[:32], material[32:], ukm[24 : 24 + half_block], key
    )

    transport = _transport_2018(wrapped, ephemeral.public_key().spki(), ukm)
    agreement = OID_AGREEMENT_256 if curve.size == 32 else OID_AGREEMENT_512
    return _build_ktri(recipient, OID_KUZNYECHIK_KEXP15, agreement, transport)


def _transport_2018(wrapped: bytes, ephemeral_spki: bytes, ukm: bytes) -> bytes:
    transport = _KeyTransport2018(
        {
            "encrypted_key": wrapped,
            "ephemeral_public_key": core.Any.load(ephemeral_spki),
            "ukm": ukm,
        }
    )
    return bytes(transport.dump())


def _build_ktri(
    recipient: Certificate, wrap_oid: str, agreement_oid: str, transport: bytes
) -> bytes:
    info = _KeyTransRecipientInfo(
        {
            "version": 0,
            "rid": _recipient_identifier(recipient),
            "key_encryption_algorithm": {
                "algorithm": wrap_oid,
                "parameters": _KeyWrapParameters({"algorithm": agreement_oid}),
            },
            "encrypted_key": transport,
        }
    )
    return bytes(info.dump())


def is_cms_copy(data: bytes) -> bool:
    """Return whether `data` parses as a KeyTransRecipientInfo with a GOST scheme."""
    if not data.startswith(b"\x30"):
        return False
    try:
        info = _KeyTransRecipientInfo.load(data, strict=True)
        oid = info["key_encryption_algorithm"]["algorithm"].dotted
    except _PARSE_ERRORS:
        return False
    return oid in _KEXP15_CIPHERS or oid in _TRANSPORT_KEY_OIDS


def import_key_copy(
    data: bytes, private_key: GostPrivateKey, certificate: Certificate
) -> RecipientCopy:
    """Unwrap a KeyTransRecipientInfo made for `certificate`."""
    try:
        info = _KeyTransRecipientInfo.load(data, strict=True)
        version = info["version"].native
        rid = info["rid"]
        oid = info["key_encryption_algorithm"]["algorithm"].dotted
        encrypted_key = info["encrypted_key"].native
    except _PARSE_ERRORS as error:
        raise GostKeyImportError(f"malformed CMS key copy: {error}") from error
    if version != 0:
        raise GostKeyImportError(f"CMS key copy has version {version}, expected 0")
    if rid.dump() != _recipient_identifier(certificate).dump():
        raise GostKeyImportError(
            f"the CMS key copy is addressed to another certificate than "
            f"{certificate.short_id}"
        )
    try:
        if oid in _KEXP15_CIPHERS:
            copy, transport = _import_kexp15(
                encrypted_key, _KEXP15_CIPHERS[oid], private_key
            )
            size = private_key.curve.size
            agreement = OID_AGREEMENT_256 if size == 32 else OID_AGREEMENT_512
            # Only the DER form of the copy is accepted, so no field outside
            # the MAC (version, parameters, key encoding) can change unseen.
            if _build_ktri(certificate, oid, agreement, transport) != data:
                raise GostKeyImportError(
                    "the CMS key copy is not in DER form or has unexpected "
                    f"parameters for a {size * 8}-bit key; it was altered"
                )
            return copy
        if oid in _TRANSPORT_KEY_OIDS:
            return _import_gost28147(encrypted_key, private_key)
    except GostKeyImportError:
        raise
    except (GostError, *_PARSE_ERRORS) as error:
        raise GostKeyImportError(
            f"cannot open the CMS key copy for {certificate.short_id}: {error}"
        ) from error
    raise GostKeyImportError(f"CMS key transport {oid} is not a GOST scheme")


def _ephemeral_key(spki: bytes, private_key: GostPrivateKey) -> GostPublicKey:
    public = GostPublicKey.from_spki(spki)
    if public.curve is not private_key.curve:
        raise GostKeyImportError(
            f"the ephemeral key is on {public.curve.name}, the recipient's on "
            f"{private_key.curve.name}"
        )
    return public


def _import_kexp15(
    encrypted_key: bytes,
    cipher: type[Kuznyechik] | type[Magma],
    private_key: GostPrivateKey,
) -> tuple[RecipientCopy, bytes]:
    """Return the unwrapped key and the DER re-encoding of the transport."""
    transport = _KeyTransport2018.load(encrypted_key, strict=True)
    ukm = transport["ukm"].native
    ephemeral = _ephemeral_key(transport["ephemeral_public_key"].dump(), private_key)
    material = keg(private_key.curve, private_key.scalar, ephemeral.point, ukm)
    half_block = cipher.block_size // 2
    iv = ukm[24 : 24 + half_block]
    wrapped = transport["encrypted_key"].native
    key = kimp15(cipher, material[:32], material[32:], iv, wrapped)
    scheme = "kexp15-kuznyechik" if cipher is Kuznyechik else "kexp15-magma"
    canonical = _transport_2018(wrapped, ephemeral.spki(), ukm)
    return RecipientCopy(key, scheme), canonical


def _import_gost28147(
    encrypted_key: bytes, private_key: GostPrivateKey
) -> RecipientCopy:
    transport = _KeyTransport28147.load(encrypted_key, strict=True)
    parameters = transport["transport_parameters"]
    if isinstance(parameters, core.Void):
        raise GostKeyImportError("the GOST 28147-89 key transport has no ephemeral key")
    ephemeral_field = parameters["ephemeral_public_key"]
    if isinstance(ephemeral_field, core.Void):
        raise GostKeyImportError("the GOST 28147-89 key transport has no ephemeral key")
    spki = b"\x30" + ephemeral_field.dump()[1:]
    ephemeral = _ephemeral_key(spki, private_key)
    ukm = parameters["ukm"].native
    context = VkoContext(private_key.curve, private_key.scalar, ephemeral.point)
    kek = context.kek_256(int.from_bytes(ukm, "little"))
    session = transport["session_encrypted_key"]
    wrapped = ukm + session["encrypted_key"].native + session["mac_key"].native
    sbox = parameters["encryption_param_set"].dotted
    return RecipientCopy(cryptopro_unwrap(kek, wrapped, sbox), "gost28147")
