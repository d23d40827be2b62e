"""Tests of chatkeys_soft.signature: schemes, encodings and rejection of bad input."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from chatkeys import der
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.signature import verify

DATA = b"signed data"


def _rsa_key(identity: SoftIdentity) -> rsa.RSAPrivateKey:
    key = identity.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def test_rsa_default_is_pkcs1v15(identities: dict[str, SoftIdentity]) -> None:
    identity = identities["rsa-2048"]
    signature = identity.sign(DATA)
    public_key = _rsa_key(identity).public_key()

    # PKCS#1 v1.5 is deterministic, and cryptography verifies it independently.
    assert signature == identity.sign(DATA)
    public_key.verify(signature, DATA, padding.PKCS1v15(), hashes.SHA256())


def test_rsa_pss_option(identities: dict[str, SoftIdentity]) -> None:
    identity = identities["rsa-2048"].with_rsa_signature("pss")
    signature = identity.sign(DATA)
    public_key = _rsa_key(identity).public_key()

    assert signature != identity.sign(DATA)
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    public_key.verify(signature, DATA, pss, hashes.SHA256())
    assert verify(public_key, DATA, signature)


def test_rsa_verify_accepts_both_schemes_only(
    identities: dict[str, SoftIdentity],
) -> None:
    key = _rsa_key(identities["rsa-2048"])
    public_key = key.public_key()
    mgf = padding.MGF1(hashes.SHA256())

    assert verify(public_key, DATA, key.sign(DATA, padding.PKCS1v15(), hashes.SHA256()))
    assert verify(
        public_key, DATA, key.sign(DATA, padding.PSS(mgf, 32), hashes.SHA256())
    )
    # Other PSS salt lengths and digests are not what this package writes.
    assert not verify(
        public_key, DATA, key.sign(DATA, padding.PSS(mgf, 20), hashes.SHA256())
    )
    assert not verify(
        public_key, DATA, key.sign(DATA, padding.PKCS1v15(), hashes.SHA384())
    )


@pytest.mark.parametrize("algorithm", ["ec-p256", "ec-p384", "ec-p521"])
def test_ecdsa_signature_is_der(
    identities: dict[str, SoftIdentity], algorithm: str
) -> None:
    identity = identities[algorithm]
    signature = identity.sign(DATA)

    r, s = der.children(der.read_single(signature))
    assert (der.decode_integer(r), der.decode_integer(s)) == decode_dss_signature(
        signature
    )
    public_key = identity.private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, DATA, ec.ECDSA(hashes.SHA256()))


def test_ecdsa_rejects_out_of_range_values(identities: dict[str, SoftIdentity]) -> None:
    public_key = identities["ec-p256"].private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    order = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
    for r, s in ((0, 1), (1, 0), (order, 1), (1, order), (-1, 1)):
        signature = der.encode(
            der.SEQUENCE, der.encode_integer(r), der.encode_integer(s)
        )
        assert verify(public_key, DATA, signature) is False


def test_verify_rejects_other_key(
    identities: dict[str, SoftIdentity], peers: dict[str, SoftIdentity]
) -> None:
    for algorithm in ("rsa-2048", "ec-p256"):
        signature = identities[algorithm].sign(DATA)
        public_key = peers[algorithm].private_key.public_key()
        assert verify(public_key, DATA, signature) is False
