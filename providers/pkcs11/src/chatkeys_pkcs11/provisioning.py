"""Key pairs and self-signed certificates created on a token, for tests and demos.

`create_key_and_certificate` generates an RSA or EC key pair on the token.
The private key is sensitive and not extractable, and may sign plus decrypt
(RSA) or derive (EC). A self-signed X.509 certificate, signed by the token,
is stored under the same ``CKA_ID`` and label. The result is
loadable with `chatkeys_pkcs11.identity.load_token_identity`.

The certificate is assembled from a to-be-signed part built by
pyca/cryptography: a builder signs it once with a throwaway host key of the
same kind, so that its signature algorithm identifier is right, and the
token's signature over those exact bytes replaces the throwaway one.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import secrets
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11errors
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)

from chatkeys_pkcs11.errors import TokenIdentityError
from chatkeys_pkcs11.library import (
    Module,
    candidate_module_paths,
    get_module,
    shared_session,
)
from chatkeys_pkcs11.uri import TokenUri

CURVES = {
    "p256": ("secp256r1", ec.SECP256R1()),
    "p384": ("secp384r1", ec.SECP384R1()),
    "p521": ("secp521r1", ec.SECP521R1()),
}
"""EC curves by the short name used in algorithm names (``pkcs11-ec-p256``)."""

RSA_SIZES = (2048, 3072, 4096)

CERTIFICATE_VALIDITY = datetime.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class ProvisionedKey:
    """A key pair and certificate on a token.

    `uri` names the private key (token, serial, object label and module
    path, no PIN); `certificate_der` is the stored certificate.
    """

    label: str
    object_id: bytes
    uri: str
    certificate_der: bytes


def create_key_and_certificate(
    token_uri: str,
    algorithm: str,
    subject: str,
    *,
    pin: str | None = None,
    label: str | None = None,
) -> ProvisionedKey:
    """Generate a key pair and a self-signed certificate on a token.

    `token_uri` selects the token and its module; the PIN comes from `pin`
    or the URI. `algorithm` is ``"ec-p256"``, ``"ec-p384"``, ``"ec-p521"``,
    ``"rsa-2048"``, ``"rsa-3072"`` or ``"rsa-4096"``; `subject` becomes the
    certificate's common name. Raises `TokenIdentityError` on failure.
    """
    uri = TokenUri.parse(token_uri)
    pin = pin if pin is not None else uri.read_pin()
    if pin is None:
        raise TokenIdentityError(
            f"creating a key on {uri.reference!r} needs the user PIN: pass pin= or "
            "add pin-source or pin-value to the URI"
        )
    paths = candidate_module_paths(uri)
    if not paths:
        raise TokenIdentityError(
            f"no PKCS#11 module for {uri.reference!r}: add module-path to the URI"
        )
    module = get_module(paths[0])
    token = module.find_token(uri)
    label = label or f"chatkeys-{secrets.token_hex(4)}"
    object_id = os.urandom(8)
    with shared_session(
        module, token, lambda: pin, lambda session: False
    ) as token_session:
        try:
            certificate_der = token_session.run(
                lambda session: _provision(
                    session, algorithm, subject, label, object_id
                )
            )
        except p11errors.PKCS11Error as error:
            raise TokenIdentityError(
                f"token {token_session.label!r} failed to create a {algorithm} key: "
                f"{type(error).__name__}"
            ) from error
    token_session.release()
    key_uri = _key_uri(module, token_session.label, token_session.serial, label)
    return ProvisionedKey(label, object_id, key_uri, certificate_der)


def _provision(
    session: Any, algorithm: str, subject: str, label: str, object_id: bytes
) -> bytes:
    family, _, size = algorithm.partition("-")
    common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: object_id}
    private_template = {
        **common,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
    }
    if family == "ec" and size in CURVES:
        curve_name, curve = CURVES[size]
        parameters = session.create_domain_parameters(
            KeyType.EC,
            {Attribute.EC_PARAMS: encode_named_curve_parameters(curve_name)},
            local=True,
        )
        public, private = parameters.generate_keypair(
            store=True,
            public_template={**common, Attribute.VERIFY: True},
            private_template={**private_template, Attribute.DERIVE: True},
        )
        public_key: Any = load_der_public_key(encode_ec_public_key(public))
        host_key: Any = ec.generate_private_key(curve)
    elif family == "rsa" and size.isdigit() and int(size) in RSA_SIZES:
        public, private = session.generate_keypair(
            KeyType.RSA,
            int(size),
            store=True,
            public_template={**common, Attribute.VERIFY: True, Attribute.ENCRYPT: True},
            private_template={**private_template, Attribute.DECRYPT: True},
        )
        public_key = rsa.RSAPublicNumbers(
            int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
            int.from_bytes(public[Attribute.MODULUS], "big"),
        ).public_key()
        host_key = rsa.generate_private_key(
            65537, 1024 if int(size) > 1024 else int(size)
        )
    else:
        raise TokenIdentityError(
            f"cannot create a {algorithm!r} key on a token; expected one of "
            + ", ".join(
                [f"ec-{name}" for name in CURVES] + [f"rsa-{n}" for n in RSA_SIZES]
            )
        )
    certificate_der = _self_signed(private, public_key, host_key, subject, family)
    name = x509.load_der_x509_certificate(certificate_der).subject.public_bytes()
    session.create_object(
        {
            **common,
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.VALUE: certificate_der,
            Attribute.SUBJECT: name,
            Attribute.PRIVATE: False,
        }
    )
    return certificate_der


def _self_signed(
    private: Any, public_key: Any, host_key: Any, subject: str, family: str
) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=family == "rsa",
        data_encipherment=False,
        key_agreement=family == "ec",
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    draft = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERTIFICATE_VALIDITY)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
        .sign(host_key, hashes.SHA256())
    )
    tbs = draft.tbs_certificate_bytes
    if family == "ec":
        raw = private.sign(hashlib.sha256(tbs).digest(), mechanism=Mechanism.ECDSA)
        signature = bytes(encode_ecdsa_signature(raw))
    else:
        signature = bytes(private.sign(tbs, mechanism=Mechanism.SHA256_RSA_PKCS))
    algorithm_identifier = asn1_x509.Certificate.load(draft.public_bytes(Encoding.DER))[
        "signature_algorithm"
    ].dump()
    bit_string = _der_element(0x03, b"\x00" + signature)
    return _der_element(0x30, tbs + algorithm_identifier + bit_string)


def _der_element(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(size)]) + size
    return header + content


def _key_uri(module: Module, token_label: str, serial: str, label: str) -> str:
    from urllib.parse import quote

    return (
        f"pkcs11:token={quote(token_label, safe='')};serial={quote(serial, safe='')};"
        f"object={quote(label, safe='')};type=private"
        f"?module-path={quote(module.path, safe='')}"
    )
