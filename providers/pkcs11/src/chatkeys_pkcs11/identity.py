"""Identities whose private key stays on a PKCS#11 token.

`load_token_identity` resolves a ``pkcs11:`` URI to a token, a private key
and its certificate. The certificate is a ``CKO_CERTIFICATE`` object with the
key's ``CKA_ID``, or else the ``x-certificate-file`` of the URI, and its
algorithm must match the key's type. The identity
shares its token's session with every other identity on that token and
releases it on `TokenIdentity.close`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11 import exceptions as p11errors

from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError
from chatkeys.identity import Identity, SecretSource
from chatkeys_pkcs11.errors import TokenError, TokenIdentityError
from chatkeys_pkcs11.library import (
    Module,
    TokenSession,
    candidate_module_paths,
    get_module,
    shared_session,
)
from chatkeys_pkcs11.uri import TokenUri

logger = logging.getLogger(__name__)

PROVIDER_NAME = "pkcs11"

CKK_GOSTR3410 = 0x30
"""Key type of GOST R 34.10 256-bit keys (PKCS#11 2.40)."""
CKK_GOSTR3410_512 = 0xD4321003
"""Key type of GOST R 34.10-2012 512-bit keys in the TC26 vendor range."""

RSA_OID = "1.2.840.113549.1.1.1"
EC_OID = "1.2.840.10045.2.1"
GOST256_OID = "1.2.643.7.1.1.1.1"
GOST512_OID = "1.2.643.7.1.1.1.2"

T = TypeVar("T")


class KeyKind(enum.Enum):
    """The algorithm family of a key on a token."""

    RSA = "rsa"
    EC = "ec"
    GOST256 = "gost2012-256"
    GOST512 = "gost2012-512"


_KIND_BY_OID = {
    RSA_OID: KeyKind.RSA,
    EC_OID: KeyKind.EC,
    GOST256_OID: KeyKind.GOST256,
    GOST512_OID: KeyKind.GOST512,
}


class TokenIdentity(Identity):
    """A certificate whose private key is an object on a PKCS#11 token.

    `kind` is the key's algorithm family and `object_id` its ``CKA_ID``.
    Operations run through `run`, which holds the module lock and looks the
    key up again after the shared session was replaced.
    """

    def __init__(
        self,
        token_session: TokenSession,
        certificate: Certificate,
        reference: str,
        kind: KeyKind,
        key_query: dict[Attribute, Any],
    ) -> None:
        self.provider = PROVIDER_NAME
        self.certificate = certificate
        self.reference = reference
        self.kind = kind
        self.token_session = token_session
        self._key_query = key_query
        self._key: Any = None
        self._key_generation = -1
        self._key_bits: int | None = None
        self._closed = False

    @property
    def module(self) -> Module:
        """The PKCS#11 module of the token."""
        return self.token_session.module

    @property
    def token_label(self) -> str:
        """The label of the token holding the key."""
        return self.token_session.label

    def certificate_key_bits(self) -> int:
        """The size of the RSA modulus or EC field of the certificate's key."""
        if self._key_bits is None:
            public_key = load_der_public_key(self.certificate.spki)
            if isinstance(public_key, rsa.RSAPublicKey):
                self._key_bits = public_key.key_size
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                self._key_bits = public_key.curve.key_size
            else:
                raise TokenIdentityError(
                    f"the certificate of {self.reference!r} has no RSA or EC public key"
                )
        return self._key_bits

    def ec_field_bytes(self) -> int:
        """The size in bytes of an ECDH secret with this identity's key."""
        return (self.certificate_key_bits() + 7) // 8

    def run(self, operation: Callable[[Any, Any], T]) -> T:
        """Call `operation(session, private_key)` under the module lock."""
        if self._closed:
            raise TokenError(f"identity {self.reference!r} is closed; load it again")

        def with_key(session: Any) -> T:
            if self._key_generation != self.token_session.generation:
                self._key = _find_one(session, self._key_query, self.reference)
                self._key_generation = self.token_session.generation
            return operation(session, self._key)

        return self.token_session.run(with_key)

    def close(self) -> None:
        """Release the token session; the last identity on the token logs out."""
        if self._closed:
            return
        self._closed = True
        self._key = None
        self.token_session.release()


def load_token_identity(uri_text: str, secrets: SecretSource) -> TokenIdentity:
    """Load the identity a ``pkcs11:`` URI names.

    The PIN comes from the URI (``pin-value``, ``pin-source``) or from
    ``secrets.get("pin", ...)``. It is requested only when the token is not
    logged in already, and again if the login is lost later. Raises
    `TokenIdentityError` or `TokenUriError`.
    """
    uri = TokenUri.parse(uri_text)
    paths = candidate_module_paths(uri)
    if not paths:
        raise TokenIdentityError(
            f"no PKCS#11 module for {uri.reference!r}: add module-path to the URI or "
            "set CHATKEYS_PKCS11_MODULE (no SoftHSM or OpenSC module was found)"
        )
    failures = []
    for path in paths:
        module = get_module(path)
        try:
            token = module.find_token(uri)
        except TokenIdentityError as error:
            failures.append(str(error))
            continue
        return _load_from_token(module, token, uri, secrets)
    raise TokenIdentityError("; ".join(failures))


def _load_from_token(
    module: Module, token: Any, uri: TokenUri, secrets: SecretSource
) -> TokenIdentity:
    key_query: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if uri.object_label is not None:
        key_query[Attribute.LABEL] = uri.object_label
    if uri.object_id is not None:
        key_query[Attribute.ID] = uri.object_id
    if uri.object_type not in (None, "private"):
        raise TokenIdentityError(
            f"{uri.reference!r} selects type={uri.object_type}; an identity needs "
            "type=private or no type attribute"
        )

    def probe(session: Any) -> bool:
        with module.lock:
            return bool(list(session.get_objects(key_query)))

    def pin_source() -> str | None:
        pin = uri.read_pin()
        if pin is None:
            pin = secrets.get("pin", f"PKCS#11 token {token.label!r}")
        return pin

    with shared_session(module, token, pin_source, probe) as token_session:

        def read(session: Any) -> tuple[Any, bytes]:
            key = _find_one(session, key_query, uri.reference)
            return key, _certificate_der(session, key, uri)

        key, certificate_der = token_session.run(read)
        try:
            certificate = Certificate.load(certificate_der)
        except InvalidCertificateError as error:
            raise TokenIdentityError(
                f"the certificate for {uri.reference!r} is not a valid X.509 "
                f"certificate: {error}"
            ) from error
        kind = _key_kind(certificate, uri)
        _check_key_type(token_session, key, kind, uri)
        identity = TokenIdentity(
            token_session, certificate, uri.reference, kind, key_query
        )
        logger.debug(
            "loaded %s identity %s from token %r",
            kind.value,
            certificate.short_id,
            token_session.label,
        )
        return identity


def _find_one(session: Any, query: dict[Attribute, Any], reference: str) -> Any:
    objects = list(session.get_objects(query))
    if not objects:
        raise TokenIdentityError(
            f"no private key matches {reference!r}; check the object label or id "
            "(pkcs11-tool --list-objects --login shows them) and the PIN"
        )
    if len(objects) > 1:
        raise TokenIdentityError(
            f"{len(objects)} private keys match {reference!r}; add object= or id= to "
            "the URI"
        )
    return objects[0]


def _certificate_der(session: Any, key: Any, uri: TokenUri) -> bytes:
    """Return the certificate from the token (same CKA_ID) or the URI's file."""
    try:
        key_id = key[Attribute.ID]
    except p11errors.PKCS11Error:
        key_id = b""
    if key_id:
        query = {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id}
        certificates = list(session.get_objects(query))
        if certificates:
            value: bytes = certificates[0][Attribute.VALUE]
            return bytes(value)
    if uri.certificate_file is None:
        raise TokenIdentityError(
            f"no certificate with the key's CKA_ID on the token for {uri.reference!r}; "
            "store one there or add x-certificate-file=<path> to the URI"
        )
    try:
        return Path(uri.certificate_file).read_bytes()
    except OSError as error:
        raise TokenIdentityError(
            f"cannot read x-certificate-file {uri.certificate_file!r}: {error.strerror}"
        ) from error


def _key_kind(certificate: Certificate, uri: TokenUri) -> KeyKind:
    kind = _KIND_BY_OID.get(certificate.key_algorithm_oid)
    if kind is None:
        raise TokenIdentityError(
            f"the certificate of {uri.reference!r} uses "
            f"{certificate.key_algorithm.name}, which chatkeys-pkcs11 does not "
            "handle (RSA, EC and GOST R 34.10-2012 are supported)"
        )
    return kind


_EXPECTED_KEY_TYPES = {
    KeyKind.RSA: {int(KeyType.RSA)},
    KeyKind.EC: {int(KeyType.EC)},
    KeyKind.GOST256: {CKK_GOSTR3410},
    KeyKind.GOST512: {CKK_GOSTR3410_512, CKK_GOSTR3410},
}


def _check_key_type(
    token_session: TokenSession, key: Any, kind: KeyKind, uri: TokenUri
) -> None:
    """Reject a certificate whose algorithm is not the key's."""
    key_type = token_session.run(lambda session: int(key[Attribute.KEY_TYPE]))
    if key_type not in _EXPECTED_KEY_TYPES[kind]:
        raise TokenIdentityError(
            f"the key of {uri.reference!r} has PKCS#11 key type {key_type:#x}, but "
            f"its certificate is for {kind.value}; the URI selects the wrong key or "
            "certificate"
        )
