"""GOST keys on tokens, against a stand-in at the PKCS#11 boundary.

SoftHSM has no GOST mechanisms, so a fake session and key object play a
Rutoken-like token: they record every mechanism and parameter the provider
sends and compute with chatkeys-gost's primitives, using the private key of
an identity that chatkeys-gost generated. The signatures are then checked by
chatkeys-gost's own verify hook. Only the PKCS#11 calls are simulated; the
signing arithmetic and the verification are real.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import pytest
from pkcs11 import Attribute

from chatkeys.certificates import Certificate
from chatkeys.errors import KeyImportError
from chatkeys.providers import Providers
from chatkeys.testing import skip_unless_tool
from chatkeys_pkcs11 import KeyKind, TokenIdentity
from chatkeys_pkcs11 import gost as token_gost
from chatkeys_pkcs11.errors import MechanismUnavailableError
from chatkeys_pkcs11.plugin import chatkeys_import_chat_key, chatkeys_sign

DATA = "Контрольный пример".encode()

try:
    from chatkeys_gost import signature as gost_signature
    from chatkeys_gost.curves import Curve
    from chatkeys_gost.primitives.streebog import streebog256
    from chatkeys_gost.vko import vko_256
except ImportError:  # chatkeys-gost is part of this repository; CI has it
    GOST_MISSING = True
else:
    GOST_MISSING = False


class FakeDerivedKey:
    def __init__(self, value: bytes, log: list[str]) -> None:
        self.value = value
        self.log = log

    def __getitem__(self, attribute: Attribute) -> bytes:
        assert attribute == Attribute.VALUE
        return self.value

    def destroy(self) -> None:
        self.log.append("destroy")


class FakeGostKey:
    """A GOST private key object as a token would expose it."""

    def __init__(self, curve: Curve, scalar: int) -> None:
        self.curve = curve
        self.scalar = scalar
        self.calls: list[tuple[int, Any]] = []
        self.log: list[str] = []

    def sign(self, data: bytes, mechanism: Any, mechanism_param: Any = None) -> bytes:
        self.calls.append((int(mechanism), mechanism_param))
        if int(mechanism) == token_gost.CKM_GOSTR3410_WITH_GOSTR3411_12_256:
            digest = streebog256(data)
        else:
            assert int(mechanism) == token_gost.CKM_GOSTR3410
            assert len(data) == 32
            digest = data
        r, s = gost_signature.sign_digest(self.curve, self.scalar, digest)
        return gost_signature.encode(self.curve, r, s, gost_signature.Encoding.STANDARD)

    def derive_key(
        self, key_type: Any, key_length: int, **options: Any
    ) -> FakeDerivedKey:
        mechanism = options["mechanism"]
        raw = options["mechanism_param"]
        self.calls.append((int(mechanism), raw))
        parameters = token_gost._DeriveParameters.from_buffer_copy(raw)
        public = ctypes.string_at(parameters.public_data, parameters.public_data_length)
        ukm = ctypes.string_at(parameters.ukm, parameters.ukm_length)
        assert parameters.kdf == token_gost.CKD_NULL
        assert options["template"][Attribute.SENSITIVE] is False
        value = vko_256(
            self.curve, self.scalar, self.curve.point_from_bytes(public), ukm
        )
        return FakeDerivedKey(value, self.log)


class FakeSession:
    def __init__(self, key: FakeGostKey) -> None:
        self.key = key
        self.digests: list[int] = []

    def get_objects(self, query: dict[Attribute, Any]) -> list[FakeGostKey]:
        return [self.key]

    def digest(self, data: bytes, mechanism: Any) -> bytes:
        self.digests.append(int(mechanism))
        return streebog256(data)


class FakeTokenSession:
    """Stands in for `TokenSession`: a fixed mechanism list, no lock needed."""

    label = "fake-gost-token"
    generation = 1

    def __init__(self, session: FakeSession, mechanisms: set[int]) -> None:
        self.session = session
        self._mechanisms = frozenset(mechanisms)

    def mechanisms(self) -> frozenset[int]:
        return self._mechanisms

    def run(self, operation: Callable[[Any], Any]) -> Any:
        return operation(self.session)


@pytest.fixture
def gost_identity(providers: Providers) -> Any:
    skip_unless_tool(not GOST_MISSING, "chatkeys-gost is not installed")
    identity = providers.generate_identity("gost2012-256a", "GOST on a token")
    yield identity
    identity.close()


def token_identity(
    gost_identity: Any, mechanisms: set[int]
) -> tuple[TokenIdentity, FakeGostKey, FakeSession]:
    private_key = gost_identity.private_key
    key = FakeGostKey(private_key.curve, private_key.scalar)
    session = FakeSession(key)
    certificate: Certificate = gost_identity.certificate
    identity = TokenIdentity(
        FakeTokenSession(session, mechanisms),  # type: ignore[arg-type]
        certificate,
        "pkcs11:token=fake-gost-token;object=gost",
        KeyKind.GOST256,
        {},
    )
    return identity, key, session


def test_hash_and_sign_preferred(providers: Providers, gost_identity: Any) -> None:
    identity, key, session = token_identity(
        gost_identity,
        {
            token_gost.CKM_GOSTR3410_WITH_GOSTR3411_12_256,
            token_gost.CKM_GOSTR3410,
            token_gost.CKM_GOSTR3411_12_256,
        },
    )
    for profile in ("komandor", "cms"):
        signature = chatkeys_sign(DATA, identity, profile)
        assert signature is not None
        assert providers.verify(DATA, signature, identity.certificate, profile)
        assert not providers.verify(
            DATA + b"!", signature, identity.certificate, profile
        )
    assert [mechanism for mechanism, _ in key.calls] == [
        token_gost.CKM_GOSTR3410_WITH_GOSTR3411_12_256
    ] * 2
    assert session.digests == []


def test_komandor_order_is_reversed_standard(
    providers: Providers, gost_identity: Any
) -> None:
    identity, _, _ = token_identity(gost_identity, {token_gost.CKM_GOSTR3410})
    komandor = chatkeys_sign(DATA, identity, "komandor")
    assert komandor is not None
    assert providers.verify(DATA, komandor, identity.certificate, "komandor")
    assert providers.verify(DATA, komandor[::-1], identity.certificate, "cms")
    assert not providers.verify(DATA, komandor, identity.certificate, "cms")


def test_sign_digest_with_token_streebog(
    providers: Providers, gost_identity: Any
) -> None:
    identity, key, session = token_identity(
        gost_identity, {token_gost.CKM_GOSTR3410, token_gost.CKM_GOSTR3411_12_256}
    )
    signature = chatkeys_sign(DATA, identity, "cms")
    assert signature is not None
    assert providers.verify(DATA, signature, identity.certificate, "cms")
    assert session.digests == [token_gost.CKM_GOSTR3411_12_256]
    assert key.calls == [(token_gost.CKM_GOSTR3410, None)]


def test_sign_digest_with_host_streebog(
    providers: Providers, gost_identity: Any
) -> None:
    identity, key, session = token_identity(gost_identity, {token_gost.CKM_GOSTR3410})
    signature = chatkeys_sign(DATA, identity, "cms")
    assert signature is not None
    assert providers.verify(DATA, signature, identity.certificate, "cms")
    assert session.digests == []
    assert key.calls == [(token_gost.CKM_GOSTR3410, None)]


def test_no_gost_mechanism_named(gost_identity: Any) -> None:
    identity, _, _ = token_identity(gost_identity, set())
    with pytest.raises(MechanismUnavailableError, match="0xd4321008"):
        chatkeys_sign(DATA, identity, "cms")


def test_vko_derive_matches_host(providers: Providers, gost_identity: Any) -> None:
    identity, key, _ = token_identity(
        gost_identity, {token_gost.CKM_GOSTR3410_12_DERIVE}
    )
    with providers.generate_identity("gost2012-256a", "Peer") as peer:
        peer_public = peer.certificate.public_key
        # The certificate's key is an OCTET STRING of little-endian X || Y.
        peer_point = peer_public[2:] if peer_public[0] == 0x04 else peer_public
        ukm = bytes.fromhex("0102030405060708")
        derived = token_gost.vko_derive(identity, peer_point, ukm)
        curve = gost_identity.private_key.curve
        expected = vko_256(
            curve,
            peer.private_key.scalar,
            curve.public_point(gost_identity.private_key.scalar),
            ukm,
        )
    assert derived == expected
    assert key.calls[0][0] == token_gost.CKM_GOSTR3410_12_DERIVE
    assert key.log == ["destroy"]


def test_vko_without_mechanism_named(gost_identity: Any) -> None:
    identity, _, _ = token_identity(gost_identity, set())
    with pytest.raises(MechanismUnavailableError, match="CKM_GOSTR3410_12_DERIVE"):
        token_gost.vko_derive(identity, b"\x00" * 64, b"\x01" * 8)


def test_vendor_mechanism_reaches_python_pkcs11_check() -> None:
    from pkcs11 import Mechanism

    mechanism = token_gost.vendor_mechanism(token_gost.CKM_GOSTR3410_12_DERIVE)
    assert isinstance(mechanism, Mechanism)
    assert int(mechanism) == 0xD4321007
    assert token_gost.vendor_mechanism(0x1201) == Mechanism.GOSTR3410


def test_komandor_copy_opens_with_token_vko(
    providers: Providers, gost_identity: Any
) -> None:
    identity, key, _ = token_identity(
        gost_identity, {token_gost.CKM_GOSTR3410_12_DERIVE}
    )
    with providers.generate_identity("gost2012-256a", "Exporter") as exporter:
        chat_key = providers.generate_chat_key(exporter, "komandor")
        key_copy = providers.export_chat_key(
            chat_key, identity.certificate, exporter, "komandor"
        )
        with providers.generate_identity("gost2012-256a", "Stranger") as stranger:
            candidates = [stranger.certificate, exporter.certificate]
            assert chatkeys_import_chat_key(key_copy, identity, candidates) == chat_key
            # The stranger's KEK fails the MAC, the exporter's opens the copy.
            assert len(key.calls) == 2
            assert key.log == ["destroy", "destroy"]
            with pytest.raises(KeyImportError, match="none of the 2 candidate"):
                chatkeys_import_chat_key(key_copy, identity, [stranger.certificate])


def test_cms_copy_for_gost_token_key_rejected(
    providers: Providers, gost_identity: Any
) -> None:
    identity, _, _ = token_identity(gost_identity, {token_gost.CKM_GOSTR3410_12_DERIVE})
    chat_key = providers.generate_chat_key(gost_identity, "cms")
    key_copy = providers.export_chat_key(
        chat_key, identity.certificate, gost_identity, "cms"
    )
    with pytest.raises(KeyImportError, match="format A copies only"):
        chatkeys_import_chat_key(key_copy, identity, [])
