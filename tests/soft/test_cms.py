"""Tests of chatkeys_soft.cms, with asn1crypto as an independent parser."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys import der
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys_soft import cms
from chatkeys_soft.errors import SoftKeyImportError, SoftUnsupportedProfileError
from chatkeys_soft.identity import SoftIdentity
from chatkeys_soft.messages import generate_chat_key

from .conftest import ALGORITHMS

EC_ALGORITHMS = [algorithm for algorithm in ALGORITHMS if algorithm.startswith("ec")]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_export_open_round_trip(
    identities: dict[str, SoftIdentity], algorithm: str
) -> None:
    identity = identities[algorithm]
    chat_key = generate_chat_key()

    key_copy = cms.export_key_copy(chat_key, identity.certificate)

    assert cms.open_key_copy(key_copy, identity.certificate, identity) == chat_key


def test_rsa_copy_is_oaep_sha256_key_trans(identities: dict[str, SoftIdentity]) -> None:
    identity = identities["rsa-2048"]
    key_copy = cms.export_key_copy(generate_chat_key(), identity.certificate)

    info = asn1_cms.RecipientInfo.load(key_copy)
    assert info.name == "ktri"
    ktri = info.chosen
    assert ktri["version"].native == "v0"
    assert ktri["rid"].name == "issuer_and_serial_number"
    algorithm = ktri["key_encryption_algorithm"]
    assert algorithm["algorithm"].native == "rsaes_oaep"
    parameters = algorithm["parameters"]
    assert parameters["hash_algorithm"]["algorithm"].native == "sha256"
    assert parameters["mask_gen_algorithm"]["algorithm"].native == "mgf1"
    assert (
        parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native == "sha256"
    )
    # The hash and MGF fields are written out, not left to the SHA-1 defaults.
    fields = der.children(der.read_single(parameters.dump()))
    assert [field.tag for field in fields] == [der.CONTEXT_0, der.CONTEXT_1]
    assert len(ktri["encrypted_key"].native) == 256
    assert info.dump(force=True) == key_copy

    parsed = cms.parse_key_copy(key_copy)
    assert isinstance(parsed, cms.KeyTransCopy)
    assert parsed.hash_name == "sha256"
    assert parsed.recipient.matches(identity.certificate)


@pytest.mark.parametrize("algorithm", EC_ALGORITHMS)
def test_ec_copy_is_ephemeral_static_key_agree(
    identities: dict[str, SoftIdentity], algorithm: str
) -> None:
    identity = identities[algorithm]
    key_copy = cms.export_key_copy(generate_chat_key(), identity.certificate)

    info = asn1_cms.RecipientInfo.load(key_copy)
    assert info.name == "kari"
    kari = info.chosen
    assert kari["version"].native == "v3"
    assert kari["originator"].name == "originator_key"
    assert kari["ukm"].native is None
    algorithm_info = kari["key_encryption_algorithm"]
    assert algorithm_info["algorithm"].dotted == "1.3.132.1.11.1"
    wrap = asn1_cms.KeyEncryptionAlgorithm.load(algorithm_info["parameters"].dump())
    assert wrap["algorithm"].dotted == "2.16.840.1.101.3.4.1.45"
    assert wrap["parameters"].native is None
    (entry,) = kari["recipient_encrypted_keys"]
    assert len(entry["encrypted_key"].native) == 40
    assert info.dump(force=True) == key_copy

    parsed = cms.parse_key_copy(key_copy)
    assert isinstance(parsed, cms.KeyAgreeCopy)
    point = kari["originator"].chosen["public_key"].native
    assert parsed.originator_point == point
    assert point[0] == 0x04
    assert parsed.kdf_hash_name == "sha256"
    assert parsed.wrap_key_size == 32


def test_copies_of_one_key_differ(identities: dict[str, SoftIdentity]) -> None:
    chat_key = generate_chat_key()
    for algorithm in ("rsa-2048", "ec-p256"):
        certificate = identities[algorithm].certificate
        first = cms.export_key_copy(chat_key, certificate)
        second = cms.export_key_copy(chat_key, certificate)
        assert first != second


def test_kari_shared_info_der(identities: dict[str, SoftIdentity]) -> None:
    key_copy = cms.export_key_copy(
        generate_chat_key(), identities["ec-p256"].certificate
    )
    parsed = cms.parse_key_copy(key_copy)
    assert isinstance(parsed, cms.KeyAgreeCopy)

    # SEQUENCE { keyInfo id-aes256-wrap, suppPubInfo [2] OCTET STRING 256 bits }
    expected = bytes.fromhex(
        "3015300b060960864801650304012da20604040000 0100".replace(" ", "")
    )
    assert cms.kari_shared_info(parsed) == expected


def test_kdf_x963_sha256_known_answers() -> None:
    # A published ANS X9.63 KDF known-answer vector: SHA-256, 192-bit Z,
    # empty SharedInfo, 128-bit output.
    shared_secret = bytes.fromhex("96c05619d56c328ab95fe84b18264b08725b85e33fd34f08")
    expected = bytes.fromhex("443024c3dae66b95e6f5670601558f71")
    assert cms.kdf_x963_sha256(shared_secret, 16, b"") == expected


@settings(max_examples=50, deadline=None)
@given(
    shared_secret=st.binary(min_size=1, max_size=80),
    length=st.integers(min_value=1, max_value=100),
    shared_info=st.binary(max_size=64),
)
def test_kdf_x963_sha256_matches_cryptography(
    shared_secret: bytes, length: int, shared_info: bytes
) -> None:
    peer = X963KDF(hashes.SHA256(), length, shared_info)
    assert cms.kdf_x963_sha256(shared_secret, length, shared_info) == peer.derive(
        shared_secret
    )


def test_open_key_agree_with_ukm(identities: dict[str, SoftIdentity]) -> None:
    # Built with asn1crypto and cryptography's X963KDF, independently of the
    # exporter, with a UKM, an untagged structure and a compressed point.
    identity = identities["ec-p384"]
    curve = ec.SECP384R1()
    public_key = identity.private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    ephemeral = ec.generate_private_key(curve)
    shared_secret = ephemeral.exchange(ec.ECDH(), public_key)
    ukm = os.urandom(64)
    shared_info = _EccCmsSharedInfo(
        {
            "key_info": {"algorithm": "2.16.840.1.101.3.4.1.45"},
            "entity_u_info": ukm,
            "supp_pub_info": (256).to_bytes(4, "big"),
        }
    ).dump()
    kek = X963KDF(hashes.SHA256(), 32, shared_info).derive(shared_secret)
    chat_key = generate_chat_key()
    kari = _key_agree_info(identity, ephemeral, ukm, aes_key_wrap(kek, chat_key.secret))

    assert cms.open_key_copy(kari.dump(), identity.certificate, identity) == chat_key
    parsed = cms.parse_key_copy(kari.dump())
    assert isinstance(parsed, cms.KeyAgreeCopy)
    assert cms.kari_shared_info(parsed) == shared_info


def test_open_rejects_other_recipient(
    identities: dict[str, SoftIdentity], peers: dict[str, SoftIdentity]
) -> None:
    for algorithm in ("rsa-2048", "ec-p256"):
        key_copy = cms.export_key_copy(
            generate_chat_key(), peers[algorithm].certificate
        )
        identity = identities[algorithm]
        with pytest.raises(SoftKeyImportError, match="not for certificate"):
            cms.open_key_copy(key_copy, identity.certificate, identity)


def test_open_rejects_wrong_key_family(identities: dict[str, SoftIdentity]) -> None:
    rsa_copy = cms.export_key_copy(
        generate_chat_key(), identities["rsa-2048"].certificate
    )
    ec_identity = identities["ec-p256"]
    with pytest.raises(SoftKeyImportError, match="RSA key transport"):
        cms.open_key_copy(rsa_copy, ec_identity.certificate, ec_identity)


def test_open_rejects_other_curve_point(identities: dict[str, SoftIdentity]) -> None:
    # A P-256 ephemeral point inside a copy addressed to a P-384 certificate.
    p384 = identities["ec-p384"]
    p256_copy = cms.export_key_copy(
        generate_chat_key(), identities["ec-p256"].certificate
    )
    parsed = cms.parse_key_copy(p256_copy)
    assert isinstance(parsed, cms.KeyAgreeCopy)
    forged = cms.export_key_copy(generate_chat_key(), p384.certificate)
    own = cms.parse_key_copy(forged)
    assert isinstance(own, cms.KeyAgreeCopy)
    mixed = forged.replace(own.originator_point, parsed.originator_point)
    with pytest.raises(SoftKeyImportError):
        cms.open_key_copy(mixed, p384.certificate, p384)


class _FailingOperations:
    """Private-key operations that fail the way a token or a bad input does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
        raise self.error

    def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
        raise self.error


@pytest.mark.parametrize("algorithm", ["rsa-2048", "ec-p256"])
def test_open_types_operation_errors(
    identities: dict[str, SoftIdentity], algorithm: str
) -> None:
    certificate = identities[algorithm].certificate
    key_copy = cms.export_key_copy(generate_chat_key(), certificate)

    with pytest.raises(SoftKeyImportError) as raised:
        cms.open_key_copy(key_copy, certificate, _FailingOperations(ValueError("x")))
    assert isinstance(raised.value.__cause__, ValueError)

    own_error = KeyImportError("token rejected the operation")
    with pytest.raises(KeyImportError) as passed_through:
        cms.open_key_copy(key_copy, certificate, _FailingOperations(own_error))
    assert passed_through.value is own_error


def test_operations_receive_uncompressed_point(
    identities: dict[str, SoftIdentity],
) -> None:
    identity = identities["ec-p521"]
    seen: list[bytes] = []

    class Recording:
        def rsa_oaep_decrypt(self, ciphertext: bytes, hash_name: str) -> bytes:
            raise AssertionError("not an RSA copy")

        def ecdh_shared_secret(self, peer_public_point: bytes) -> bytes:
            seen.append(peer_public_point)
            return identity.ecdh_shared_secret(peer_public_point)

    chat_key = generate_chat_key()
    key_copy = cms.export_key_copy(chat_key, identity.certificate)
    assert cms.open_key_copy(key_copy, identity.certificate, Recording()) == chat_key
    assert len(seen) == 1
    assert seen[0][0] == 0x04
    assert len(seen[0]) == 1 + 2 * 66


def test_export_rejects_other_cipher(identities: dict[str, SoftIdentity]) -> None:
    certificate = identities["ec-p256"].certificate
    for chat_key in (
        ChatKey("gost28147-cfb", os.urandom(32), os.urandom(8)),
        ChatKey("aes-256-gcm", os.urandom(16)),
    ):
        with pytest.raises(SoftUnsupportedProfileError):
            cms.export_key_copy(chat_key, certificate)


def _der_elements() -> st.SearchStrategy[bytes]:
    """DER-shaped trees with the tags of RecipientInfo, to get past the first byte."""
    primitive_tags = st.sampled_from([0x02, 0x03, 0x04, 0x05, 0x06, 0x80])
    constructed_tags = st.sampled_from([0x30, 0x31, 0xA0, 0xA1, 0xA2])
    leaves = st.builds(der.encode, primitive_tags, st.binary(max_size=40))
    return st.recursive(
        leaves,
        lambda children: st.builds(
            lambda tag, parts: der.encode(tag, *parts),
            constructed_tags,
            st.lists(children, max_size=5),
        ),
        max_leaves=25,
    )


@settings(max_examples=300, deadline=None)
@given(garbage=st.one_of(st.binary(max_size=600), _der_elements()))
def test_parse_garbage_raises_typed_error(garbage: bytes) -> None:
    try:
        parsed = cms.parse_key_copy(garbage)
    except SoftKeyImportError:
        return
    assert isinstance(parsed, cms.KeyTransCopy | cms.KeyAgreeCopy)


@settings(max_examples=300, deadline=None)
@given(garbage=_der_elements())
def test_open_der_garbage_raises_typed_error(
    identities: dict[str, SoftIdentity], garbage: bytes
) -> None:
    for algorithm in ("rsa-2048", "ec-p256"):
        identity = identities[algorithm]
        with pytest.raises(SoftKeyImportError):
            cms.open_key_copy(garbage, identity.certificate, identity)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_open_mutated_copy_never_crashes(
    identities: dict[str, SoftIdentity], data: st.DataObject
) -> None:
    algorithm = data.draw(st.sampled_from(["rsa-2048", "ec-p256"]))
    identity = identities[algorithm]
    chat_key = ChatKey("aes-256-gcm", bytes(range(32)))
    key_copy = bytearray(_cached_copy(identity, chat_key))
    start = data.draw(st.integers(0, len(key_copy)))
    end = data.draw(st.integers(start, min(len(key_copy), start + 8)))
    key_copy[start:end] = data.draw(st.binary(max_size=8))

    try:
        opened = cms.open_key_copy(bytes(key_copy), identity.certificate, identity)
    except SoftKeyImportError:
        return
    assert opened == chat_key


class _EccCmsSharedInfo(asn1_core.Sequence):  # type: ignore[misc]
    """ECC-CMS-SharedInfo of RFC 5753, which asn1crypto does not define."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("key_info", asn1_cms.KeyEncryptionAlgorithm),
        ("entity_u_info", asn1_core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", asn1_core.OctetString, {"explicit": 2}),
    ]


_COPIES: dict[str, bytes] = {}


def _cached_copy(identity: SoftIdentity, chat_key: ChatKey) -> bytes:
    if identity.reference not in _COPIES:
        _COPIES[identity.reference] = cms.export_key_copy(
            chat_key, identity.certificate
        )
    return _COPIES[identity.reference]


def _key_agree_info(
    identity: SoftIdentity,
    ephemeral: ec.EllipticCurvePrivateKey,
    ukm: bytes,
    wrapped: bytes,
) -> asn1_cms.KeyAgreeRecipientInfo:
    certificate = asn1_x509.Certificate.load(identity.certificate.der)
    point = ephemeral.public_key().public_bytes(
        Encoding.X962, PublicFormat.CompressedPoint
    )
    return asn1_cms.KeyAgreeRecipientInfo(
        {
            "version": "v3",
            "originator": asn1_cms.OriginatorIdentifierOrKey(
                name="originator_key",
                value={"algorithm": {"algorithm": "ec"}, "public_key": point},
            ),
            "ukm": ukm,
            "key_encryption_algorithm": {
                "algorithm": "1.3.132.1.11.1",
                "parameters": asn1_cms.KeyEncryptionAlgorithm(
                    {"algorithm": "2.16.840.1.101.3.4.1.45"}
                ),
            },
            "recipient_encrypted_keys": [
                {
                    "rid": asn1_cms.KeyAgreementRecipientIdentifier(
                        name="issuer_and_serial_number",
                        value={
                            "issuer": certificate.issuer,
                            "serial_number": certificate.serial_number,
                        },
                    ),
                    "encrypted_key": wrapped,
                }
            ],
        }
    )


def _wrong_field_counts() -> dict[str, bytes]:
    """Copies with one field too few in a place that is unpacked by position."""
    version_0, version_3 = der.encode_integer(0), der.encode_integer(3)
    issuer_and_serial = der.encode(
        der.SEQUENCE, der.encode(der.SEQUENCE), der.encode_integer(1)
    )
    ec_algorithm = der.encode(der.SEQUENCE, der.encode_oid("1.2.840.10045.2.1"))
    point = der.encode(der.BIT_STRING, b"\0\x04" + bytes(64))
    originator = der.encode(
        der.CONTEXT_0, der.encode(der.CONTEXT_1, ec_algorithm, point)
    )
    key_agreement = der.encode(
        der.SEQUENCE,
        der.encode_oid("1.3.132.1.11.1"),
        der.encode(der.SEQUENCE, der.encode_oid("2.16.840.1.101.3.4.1.45")),
    )
    entry = der.encode(der.SEQUENCE, issuer_and_serial, der.encode(der.OCTET_STRING))
    sha256 = der.encode(der.SEQUENCE, der.encode_oid("2.16.840.1.101.3.4.2.1"))
    oaep = der.encode(
        der.SEQUENCE,
        der.encode_oid("1.2.840.113549.1.1.7"),
        der.encode(
            der.SEQUENCE,
            der.encode(der.CONTEXT_0, sha256),
            der.encode(der.CONTEXT_0, sha256),
        ),
    )
    return {
        "originator-one-field": der.encode(
            der.CONTEXT_1,
            version_3,
            der.encode(der.CONTEXT_0, der.encode(der.CONTEXT_1, ec_algorithm)),
            key_agreement,
            der.encode(der.SEQUENCE, entry),
        ),
        "entry-one-field": der.encode(
            der.CONTEXT_1,
            version_3,
            originator,
            key_agreement,
            der.encode(der.SEQUENCE, der.encode(der.SEQUENCE, issuer_and_serial)),
        ),
        "rid-one-field": der.encode(
            der.SEQUENCE,
            version_0,
            der.encode(der.SEQUENCE, der.encode(der.SEQUENCE)),
            oaep,
            der.encode(der.OCTET_STRING),
        ),
        "oaep-repeated-fields": der.encode(
            der.SEQUENCE,
            version_0,
            issuer_and_serial,
            oaep,
            der.encode(der.OCTET_STRING),
        ),
    }


@pytest.mark.parametrize("name", list(_wrong_field_counts()))
def test_parse_wrong_field_counts(name: str) -> None:
    with pytest.raises(SoftKeyImportError, match="fields"):
        cms.parse_key_copy(_wrong_field_counts()[name])


def _constructed_paths(
    element: der.Element, path: tuple[int, ...] = ()
) -> list[tuple[int, ...]]:
    """Paths (child indexes from the root) of every constructed element."""
    if not element.tag & 0x20:
        return []
    paths = [path]
    for index, child in enumerate(der.children(element)):
        paths += _constructed_paths(child, (*path, index))
    return paths


def _rebuild(
    element: der.Element,
    path: tuple[int, ...],
    edit: Callable[[list[bytes]], list[bytes]],
) -> bytes:
    """Re-encode `element` with `edit` applied to the child list at `path`."""
    children = [child.encoded for child in der.children(element)]
    if path:
        inner = der.children(element)[path[0]]
        children[path[0]] = _rebuild(inner, path[1:], edit)
    else:
        children = edit(children)
    return der.encode(element.tag, *children)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_structurally_mutated_copy_typed_error(
    identities: dict[str, SoftIdentity], data: st.DataObject
) -> None:
    algorithm = data.draw(st.sampled_from(["rsa-2048", "ec-p256"]))
    identity = identities[algorithm]
    chat_key = ChatKey("aes-256-gcm", bytes(range(32)))
    root = der.read_single(_cached_copy(identity, chat_key))
    path = data.draw(st.sampled_from(_constructed_paths(root)))
    operation = data.draw(st.sampled_from(["drop", "duplicate", "swap", "insert"]))
    position = data.draw(st.integers(0, 8))
    extra = der.encode(
        data.draw(st.sampled_from([0x02, 0x04, 0x05, 0x06, 0x30, 0xA0, 0xA1])),
        data.draw(st.binary(max_size=8)),
    )

    def edit(children: list[bytes]) -> list[bytes]:
        if not children or operation == "insert":
            return [*children[:position], extra, *children[position:]]
        index = position % len(children)
        if operation == "drop":
            return children[:index] + children[index + 1 :]
        if operation == "duplicate":
            return [*children[: index + 1], children[index], *children[index + 1 :]]
        other = (index + 1) % len(children)
        swapped = list(children)
        swapped[index], swapped[other] = swapped[other], swapped[index]
        return swapped

    mutated = _rebuild(root, path, edit)
    try:
        opened = cms.open_key_copy(mutated, identity.certificate, identity)
    except SoftKeyImportError:
        return
    assert opened == chat_key


def test_short_rsa_recipient_rejected() -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from chatkeys.certificates import Certificate
    from chatkeys.chatkey import ChatKey
    from chatkeys.errors import InvalidCertificateError

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "weak")])
    now = datetime.datetime.now(datetime.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    with pytest.raises(InvalidCertificateError, match="1024-bit RSA key"):
        cms.export_key_copy(
            ChatKey("aes-256-gcm", bytes(32)), Certificate.from_der(der)
        )
