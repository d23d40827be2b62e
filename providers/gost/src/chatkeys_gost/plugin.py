"""The hooks of the GOST provider, registered as ``chatkeys.providers: gost``.

Two wire profiles, ``komandor`` (the default) and ``cms``:

- komandor: chat keys ``gost28147-cfb`` (32-byte key, 8-byte IV in
  `ChatKey.parameters`); key copies in format A, static-static VKO with the
  exporter's key and a random 8-byte UKM (import also reads format B);
  signatures over Streebog of the data in CryptoAPI byte order.
- cms: chat keys ``kuznyechik-ctr-acpkm-omac`` (32-byte key); key copies are
  KeyTransRecipientInfo with an ephemeral key, KEG and Kuznyechik KExp15;
  signatures over Streebog of the data in RFC 4491 byte order.

Streebog-256 goes with 256-bit keys and Streebog-512 with 512-bit keys.
Hooks that need no private key (verification, CMS export, messages) answer
for any GOST certificate, whoever holds the key; hooks that use the private
key answer only for `GostIdentity`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import MessageError
from chatkeys.identity import Identity, SecretSource
from chatkeys.plugin import (
    PROFILE_CMS,
    PROFILE_KOMANDOR,
    AlgorithmInfo,
    ProviderInfo,
    hookimpl,
)
from chatkeys_gost import cms, komandor, messages
from chatkeys_gost.errors import (
    GostError,
    GostKeyImportError,
    GostUnsupportedProfileError,
    GostUnwrapError,
)
from chatkeys_gost.identity import (
    GOST_KEY_OIDS,
    PROVIDER_NAME,
    GostIdentity,
    generate_identity,
    load_identity,
)
from chatkeys_gost.keys import GENERATION_PARAMETER_SETS, GostPublicKey
from chatkeys_gost.primitives.keywrap import gost28147_unwrap
from chatkeys_gost.primitives.streebog import streebog256, streebog512
from chatkeys_gost.signature import Encoding, decode, encode, sign_digest, verify_digest

DISTRIBUTION = "chatkeys-gost"
KOMANDOR_CIPHER = "gost28147-cfb"
"""`ChatKey.cipher` of Komandor chat keys: GOST 28147-89 CFB, S-box Z."""

PROFILES = (PROFILE_KOMANDOR, PROFILE_CMS)
_ENCODINGS = {PROFILE_KOMANDOR: Encoding.CRYPTOAPI, PROFILE_CMS: Encoding.STANDARD}


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _description(name: str) -> str:
    bits = name[len("gost2012-") : -1]
    paramset = name[-1].upper()
    return f"GOST R 34.10-2012 {bits}-bit, TC26 parameter set {paramset}"


@hookimpl
def chatkeys_provider_info() -> ProviderInfo:
    """Describe the provider; it is pure Python and always available."""
    return ProviderInfo(
        name=PROVIDER_NAME,
        distribution=DISTRIBUTION,
        version=_version(),
        algorithms=tuple(
            AlgorithmInfo(
                name=name,
                oid=GOST_KEY_OIDS[0] if "-256" in name else GOST_KEY_OIDS[1],
                description=_description(name),
                profiles=PROFILES,
            )
            for name in GENERATION_PARAMETER_SETS
        ),
    )


@hookimpl
def chatkeys_load_identity(reference: str, secrets: SecretSource) -> Identity | None:
    """Load a GOST key and certificate from a PEM or PKCS#12 file."""
    return load_identity(reference, secrets)


@hookimpl
def chatkeys_generate_identity(algorithm: str, subject: str) -> Identity | None:
    """Generate a GOST identity for the ``gost2012-*`` algorithm names."""
    return generate_identity(algorithm, subject)


@lru_cache(maxsize=4096)
def _public_key(
    algorithm_oid: str, parameters: bytes, public_key: bytes
) -> GostPublicKey:
    return GostPublicKey.from_parts(algorithm_oid, parameters, public_key)


def recipient_key(certificate: Certificate) -> GostPublicKey:
    """Return the validated public key of a GOST certificate, cached."""
    return _public_key(
        certificate.key_algorithm_oid,
        certificate.key_parameters,
        certificate.public_key,
    )


def _is_gost(certificate: Certificate) -> bool:
    return certificate.key_algorithm_oid in GOST_KEY_OIDS


@hookimpl
def chatkeys_generate_chat_key(identity: Identity, profile: str) -> ChatKey | None:
    """Generate a Komandor (28147-89 key and IV) or CMS (Kuznyechik) chat key."""
    if not _is_gost(identity.certificate):
        return None
    if profile == PROFILE_KOMANDOR:
        return ChatKey(KOMANDOR_CIPHER, secrets.token_bytes(32), secrets.token_bytes(8))
    if profile == PROFILE_CMS:
        return ChatKey(messages.CMS_CIPHER, secrets.token_bytes(32))
    return None


@hookimpl
def chatkeys_export_chat_key(
    chat_key: ChatKey, recipient: Certificate, exporter: Identity, profile: str
) -> bytes | None:
    """Wrap `chat_key` for `recipient` in the profile's key-copy format."""
    if not _is_gost(recipient) or profile not in PROFILES:
        return None
    if profile == PROFILE_CMS:
        if chat_key.cipher != messages.CMS_CIPHER:
            raise GostUnsupportedProfileError(
                f"chat key cipher {chat_key.cipher!r} cannot travel in a GOST cms "
                f"copy, which carries {messages.CMS_CIPHER} keys: every member of "
                "a chat must use one algorithm family and wire profile"
            )
        return cms.export_kexp15(chat_key.secret, recipient)

    if not isinstance(exporter, GostIdentity):
        return None
    if chat_key.cipher != KOMANDOR_CIPHER or len(chat_key.parameters) != 8:
        raise GostUnsupportedProfileError(
            f"chat key cipher {chat_key.cipher!r} cannot travel in the komandor "
            f"profile, which carries {KOMANDOR_CIPHER} keys with an 8-byte IV: "
            "every member of a chat must use one algorithm family and wire profile"
        )
    public = recipient_key(recipient)
    if public.curve is not exporter.public_key.curve:
        raise GostUnsupportedProfileError(
            f"format A needs the exporter and recipient {recipient.short_id} on "
            f"one curve, got {exporter.public_key.curve.name} and {public.curve.name}"
        )
    ukm = secrets.token_bytes(8)
    kek = exporter.vko_context(public).kek_256(int.from_bytes(ukm, "little"))
    return komandor.build_format_a(chat_key.secret, chat_key.parameters, ukm, kek)


@hookimpl
def chatkeys_import_chat_key(
    key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
) -> ChatKey | None:
    """Unwrap a cms copy, a format A copy (trying each candidate) or format B."""
    if not isinstance(identity, GostIdentity):
        return None
    if cms.is_cms_copy(key_copy):
        opened = cms.import_key_copy(
            key_copy, identity.private_key, identity.certificate
        )
        return ChatKey(messages.CMS_CIPHER, opened.key)
    if komandor.detect_format(key_copy) == "A":
        return _import_format_a(key_copy, identity, candidates)
    return _import_format_b(key_copy, identity)


def _import_format_a(
    key_copy: bytes, identity: GostIdentity, candidates: Sequence[Certificate]
) -> ChatKey:
    parsed = komandor.parse_format_a(key_copy)
    ukm = int.from_bytes(parsed.ukm, "little")
    tried = 0
    for certificate in (*candidates, identity.certificate):
        if not _is_gost(certificate):
            continue
        try:
            public = recipient_key(certificate)
        except GostError:
            continue
        if public.curve is not identity.public_key.curve:
            continue
        tried += 1
        kek = identity.vko_context(public).kek_256(ukm)
        try:
            key, iv = komandor.open_format_a(parsed, kek)
        except GostUnwrapError:
            continue
        return ChatKey(KOMANDOR_CIPHER, key, iv)
    raise GostKeyImportError(
        f"the format A key copy opens with none of the {tried} candidate "
        f"exporter certificates for {identity.certificate.short_id}: it was made "
        "by another certificate, for another recipient, or altered"
    )


def _import_format_b(key_copy: bytes, identity: GostIdentity) -> ChatKey:
    parsed = komandor.parse_format_b(key_copy)
    try:
        ephemeral = GostPublicKey.from_spki(parsed.ephemeral_spki)
    except GostError as error:
        raise GostKeyImportError(
            f"invalid ephemeral key in format B copy: {error}"
        ) from error
    if ephemeral.curve is not identity.public_key.curve:
        raise GostKeyImportError(
            f"the format B ephemeral key is on {ephemeral.curve.name}, the identity's "
            f"on {identity.public_key.curve.name}"
        )
    # NOTE: no real format B copy was available. The wrapped key is read as
    # the RFC 4357 layout UKM || key || MAC when it is 44 bytes, and otherwise
    # as key (|| MAC) with the copy's IV as the UKM.
    wrapped = parsed.wrapped_key
    if len(wrapped) == 44:
        ukm = wrapped[:8]
    else:
        ukm = parsed.iv
        wrapped = ukm + wrapped + (parsed.mac or b"")
    if len(wrapped) != 44:
        raise GostKeyImportError(
            f"format B copy with a {len(parsed.wrapped_key)}-byte wrapped key and "
            f"{'a' if parsed.mac else 'no'} MAC is not a layout this provider reads"
        )
    context = identity.vko_context(ephemeral)
    kek = context.kek_256(int.from_bytes(ukm, "little"))
    try:
        key = gost28147_unwrap(kek, wrapped, komandor.SBOX_Z)
    except GostUnwrapError as error:
        raise GostKeyImportError(
            "the format B key copy does not open with "
            f"{identity.certificate.short_id}: made for another recipient or altered"
        ) from error
    return ChatKey(KOMANDOR_CIPHER, key, parsed.iv)


def _digest(data: bytes, size: int) -> bytes:
    return streebog256(data) if size == 32 else streebog512(data)


@hookimpl
def chatkeys_sign(data: bytes, identity: Identity, profile: str) -> bytes | None:
    """Sign Streebog(data): CryptoAPI order for komandor, RFC 4491 order for cms."""
    if not isinstance(identity, GostIdentity) or profile not in _ENCODINGS:
        return None
    curve = identity.private_key.curve
    r, s = sign_digest(curve, identity.private_key.scalar, _digest(data, curve.size))
    return encode(curve, r, s, _ENCODINGS[profile])


@hookimpl
def chatkeys_verify(
    data: bytes, signature: bytes, certificate: Certificate, profile: str
) -> bool | None:
    """Check a signature in the profile's byte order; False for anything malformed."""
    if not _is_gost(certificate) or profile not in _ENCODINGS:
        return None
    try:
        public = recipient_key(certificate)
        r, s = decode(public.curve, signature, _ENCODINGS[profile])
    except GostError:
        return False
    return verify_digest(
        public.curve, public.point, _digest(data, public.curve.size), r, s
    )


@hookimpl
def chatkeys_encrypt_message(chat_key: ChatKey, plaintext: bytes) -> bytes | None:
    """Encrypt with 28147-89 CFB (komandor) or Kuznyechik CTR-ACPKM-OMAC (cms)."""
    try:
        if chat_key.cipher == KOMANDOR_CIPHER:
            return komandor.encrypt_message(
                chat_key.secret, chat_key.parameters, plaintext
            )
        if chat_key.cipher == messages.CMS_CIPHER:
            return messages.encrypt(chat_key.secret, plaintext)
    except GostError as error:
        raise MessageError(
            f"cannot encrypt with this {chat_key.cipher} key: {error}"
        ) from error
    return None


@hookimpl
def chatkeys_decrypt_message(chat_key: ChatKey, ciphertext: bytes) -> bytes | None:
    """Decrypt a message of either cipher; raise MessageError when it fails."""
    try:
        if chat_key.cipher == KOMANDOR_CIPHER:
            return komandor.decrypt_message(
                chat_key.secret, chat_key.parameters, ciphertext
            )
        if chat_key.cipher == messages.CMS_CIPHER:
            return messages.decrypt(chat_key.secret, ciphertext)
    except GostError as error:
        raise MessageError(
            f"cannot decrypt with this {chat_key.cipher} key: {error}"
        ) from error
    return None
