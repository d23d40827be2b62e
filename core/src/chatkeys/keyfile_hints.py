"""Explanations for a key file that no installed provider loads.

When every provider returns None for an identity reference, the reason is
usually a key algorithm without its provider (a GOST key with only
chatkeys-soft installed). This module looks at the file, and at a sibling
certificate, to name the algorithm and the package to install.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path

from chatkeys import der
from chatkeys.certificates import Certificate, KeyAlgorithm, key_algorithm
from chatkeys.errors import InvalidCertificateError
from chatkeys.identity import sibling_certificate_files

_PEM = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>[A-Za-z0-9+/=\s]*?)-----END "
)
_MAX_SIZE = 1 << 20


def explain_unloadable(reference: str, handled: Mapping[str, str]) -> str:
    """Say why no provider loaded `reference`, naming what to install if known.

    `handled` maps the key algorithm OIDs of the available providers to a
    provider name, so an installed algorithm is never reported as missing.
    """
    if reference.startswith("pkcs11:"):
        return (
            f"no installed provider loads the PKCS#11 URI {reference!r}: "
            "pip install chatkeys-pkcs11"
        )
    path = Path(reference)
    if not path.exists():
        return f"identity file {reference!r} not found"
    if path.is_dir():
        return f"identity {reference!r} is a directory, not a key file"
    try:
        data = path.read_bytes()[:_MAX_SIZE]
    except OSError as error:
        return f"identity file {reference!r} cannot be read: {error.strerror}"
    if not data.strip():
        return f"identity file {reference!r} is empty"

    keys, certificates = _algorithms_in(data)
    if certificates and not keys and b"ENCRYPTED PRIVATE KEY" not in data:
        return (
            f"{reference!r} contains a certificate but no private key: pass the "
            "key file (the certificate may sit beside it)"
        )
    for sibling in _siblings(path):
        try:
            certificates.extend(_algorithms_in(sibling.read_bytes()[:_MAX_SIZE])[1])
        except OSError:
            continue
    if keys and certificates and keys[0].oid != certificates[0].oid:
        return (
            f"the key in {reference!r} uses {keys[0].name}, but its certificate "
            f"uses {certificates[0].name}: they do not belong together"
        )
    found = keys or certificates
    if not found:
        if b"-----BEGIN" in data:
            return (
                f"no installed provider loads {reference!r}: its PEM blocks name no "
                "key algorithm that chatkeys recognises (an encrypted key without "
                "a certificate beside it cannot be told apart)"
            )
        return (
            f"no installed provider loads {reference!r}: expected a PEM file "
            "(PKCS#8 key with its certificate) or a PKCS#12 file"
        )
    algorithm = found[0]
    where = f"the key in {reference!r} uses {algorithm.name}"
    if algorithm.oid in handled:
        return (
            f"{where}, which provider {handled[algorithm.oid]} handles, but no "
            "provider loaded the file: check that key and certificate belong "
            "together and that the file is complete"
        )
    if algorithm.distribution is None:
        return f"{where}, which no chatkeys provider supports"
    return (
        f"{where}, and no installed provider loads it: "
        f"pip install {algorithm.distribution}"
    )


def _siblings(path: Path) -> list[Path]:
    return [sibling for sibling in sibling_certificate_files(path) if sibling.is_file()]


def _algorithms_in(data: bytes) -> tuple[list[KeyAlgorithm], list[KeyAlgorithm]]:
    """Return the algorithms of the private keys and of the certificates in `data`."""
    keys: list[KeyAlgorithm] = []
    certificates: list[KeyAlgorithm] = []
    for match in _PEM.finditer(data):
        try:
            body = base64.b64decode(re.sub(rb"\s+", b"", match["body"]), validate=True)
        except binascii.Error:
            continue
        label = match["label"]
        if label == b"CERTIFICATE":
            try:
                certificates.append(Certificate.from_der(body).key_algorithm)
            except InvalidCertificateError:
                continue
        elif label == b"PRIVATE KEY":
            oid = _private_key_oid(body)
            if oid is not None:
                keys.append(key_algorithm(oid))
    return keys, certificates


def _private_key_oid(body: bytes) -> str | None:
    # PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey, ... }
    try:
        fields = der.children(der.expect(der.read_single(body), der.SEQUENCE))
        identifier = der.children(der.expect(fields[1], der.SEQUENCE))
        return der.decode_oid(identifier[0])
    except (der.DerError, IndexError):
        return None
