"""The provider conformance suite: the same cases for every crypto provider.

Any provider, in this repository or a third party's, proves that it keeps the
hook contract of `chatkeys.hookspecs` by subclassing `ProviderConformance`
in its own tests::

    from chatkeys.testing.conformance import ProviderConformance

    class TestMyProviderConformance(ProviderConformance):
        provider_entry_point = "myprovider"   # name under chatkeys.providers
        algorithms = ("myalg-256",)           # AlgorithmInfo.name values

A provider still under development that is not installed passes its module
instead, ``provider_plugin = my_package.plugin``. pytest collects the
subclass as usual (its name starts with ``Test``), and every test runs once
per algorithm and wire profile: by default every profile the algorithm's
`AlgorithmInfo` lists; set ``profiles = ("cms",)`` to narrow them.

The suite registers only the provider under test in a fresh
`chatkeys.providers.Providers`, so "the provider returned None" shows as
`NoProviderError`, and an unexpected exception in a hook shows as a bare
`ProviderError`, which fails the tests that expect a typed error. An
unavailable provider (``available=False``) makes every test skip with its
reason, or fail when ``CHATKEYS_REQUIRE_TOOLS=1``.

Fixtures a subclass may override, all class-scoped:

- ``identity`` and ``peer_identity``: two identities of `algorithm`; by
  default generated with `Providers.generate_identity`. Override them for a
  provider that loads identities instead (from a token, from files).
- ``foreign_certificates``: certificates of algorithms the provider does not
  handle; by default an Ed25519 certificate, which no chatkeys provider
  handles. Add one of a neighbouring algorithm (another curve, RSA for a GOST
  provider) to make the check sharper.

Class attributes: ``authenticated_messages = False`` for a message cipher
without integrity (the Komandor CFB profile); the tamper test then only
checks that a modified message never decrypts to the original text. The
method `secret_markers` returns strings that must never appear in an
identity's repr or an error message (for example the private key's digits).

The suite needs pytest and hypothesis; it makes at most a few thousand hook
calls per algorithm and profile, a few seconds for RSA-2048.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError, MessageError, NoProviderError
from chatkeys.identity import Identity
from chatkeys.plugin import ENTRY_POINT_GROUP, AlgorithmInfo, ProviderInfo
from chatkeys.providers import Providers
from chatkeys.testing import skip_unless_tool

FOREIGN_ED25519_CERTIFICATE = Certificate.from_der(
    base64.b64decode(
        "MIIBZzCCARmgAwIBAgIUXsSfPNqENBJUPiXmR2h5d4nueI8wBQYDK2VwMCgxJjAkBgNVBAMMHWNv"
        "bmZvcm1hbmNlIGZvcmVpZ24gYWxnb3JpdGhtMCAXDTI2MTIwNDE1NDAxN1oYDzIxMjYxMTEwMTU0"
        "MDE3WjAoMSYwJAYDVQQDDB1jb25mb3JtYW5jZSBmb3JlaWduIGFsZ29yaXRobTAqMAUGAytlcAMh"
        "AKD0Ky6+DdO1QcatZsl2hEMDrLhJ1dRqcItZz5nqdcIyo1MwUTAdBgNVHQ4EFgQUU1/X04wMh7C2"
        "6vXVwzqFiAmyAaIwHwYDVR0jBBgwFoAUU1/X04wMh7C26vXVwzqFiAmyAaIwDwYDVR0TAQH/BAUw"
        "AwEB/zAFBgMrZXADQQDDnfV3xOeVEEk+w3Z4EahLtKrbD5qyVXSLgcgLw8+J0Z68AcXqV2FEe0uw"
        "Ihe+mXGS00/hmL27C9N8xExMZ/0I"
    )
)
"""A self-signed Ed25519 certificate (public data only), valid until 2126."""

UNKNOWN_PROFILE = "conformance-unknown-profile"
UNKNOWN_CIPHER = "conformance-unknown-cipher"
SIGNED_DATA = b"chatkeys conformance: data to sign"
MESSAGE = b"chatkeys conformance: a chat message"

_FUZZ_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.differing_executors],
)


@dataclass(frozen=True, slots=True)
class ConformanceCase:
    """One algorithm of the provider under test in one wire profile."""

    algorithm: str
    profile: str


class ForeignIdentity(Identity):
    """An identity of no installed provider: every hook must return None for it."""

    def __init__(self, certificate: Certificate) -> None:
        self.provider = "conformance-foreign"
        self.certificate = certificate
        self.reference = "conformance:foreign"


class ProviderConformance:
    """Tests of the hook contract for one provider, to subclass per provider."""

    provider_entry_point: ClassVar[str | None] = None
    provider_plugin: ClassVar[object | None] = None
    algorithms: ClassVar[Sequence[str]] = ()
    profiles: ClassVar[Sequence[str] | None] = None
    authenticated_messages: ClassVar[bool] = True

    # -- parametrisation and fixtures ------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run every test once per (algorithm, profile) of the provider."""
        if "conformance_case" not in metafunc.fixturenames:
            return
        info = _provider_info(self._plugin())
        cases = [
            ConformanceCase(algorithm, profile)
            for algorithm in self.algorithms
            for profile in self.profiles or _algorithm_info(info, algorithm).profiles
        ]
        if not cases:
            raise pytest.UsageError(
                f"{type(self).__name__} lists no algorithms: set `algorithms` to "
                "AlgorithmInfo names of the provider under test"
            )
        metafunc.parametrize(
            "conformance_case",
            cases,
            ids=[f"{case.algorithm}-{case.profile}" for case in cases],
            scope="class",
        )

    def secret_markers(self, identity: Identity) -> Sequence[str]:
        """Return strings that must not appear in reprs or error messages."""
        return ()

    @pytest.fixture(scope="class")
    @classmethod
    def providers(cls) -> Providers:
        """A `Providers` with only the provider under test registered."""
        providers = Providers()
        info = providers.register(cls._plugin(), "under-test")
        assert info is not None, "the provider has no chatkeys_provider_info hook"
        skip_unless_tool(
            info.available, f"provider {info.name} is unavailable: {info.reason}"
        )
        return providers

    @pytest.fixture(scope="class")
    @classmethod
    def provider_info(cls, providers: Providers) -> ProviderInfo:
        """The description the provider under test returned."""
        return providers.infos[-1]

    @pytest.fixture(scope="class")
    @classmethod
    def algorithm(cls, conformance_case: ConformanceCase) -> str:
        """The `AlgorithmInfo.name` under test."""
        return conformance_case.algorithm

    @pytest.fixture(scope="class")
    @classmethod
    def profile(cls, conformance_case: ConformanceCase) -> str:
        """The wire profile under test."""
        return conformance_case.profile

    @pytest.fixture(scope="class")
    @classmethod
    def identity(cls, providers: Providers, algorithm: str) -> Iterator[Identity]:
        """The current user's identity (the exporter and signer)."""
        with providers.generate_identity(algorithm, "conformance alice") as identity:
            yield identity

    @pytest.fixture(scope="class")
    @classmethod
    def peer_identity(cls, providers: Providers, algorithm: str) -> Iterator[Identity]:
        """A second identity of the same algorithm (the recipient)."""
        with providers.generate_identity(algorithm, "conformance bob") as identity:
            yield identity

    @pytest.fixture(scope="class")
    @classmethod
    def foreign_certificates(cls) -> Sequence[Certificate]:
        """Certificates of algorithms the provider under test does not handle."""
        return (FOREIGN_ED25519_CERTIFICATE,)

    @pytest.fixture(scope="class")
    @classmethod
    def chat_key(
        cls, providers: Providers, identity: Identity, profile: str
    ) -> ChatKey:
        """A chat key generated for `identity` in `profile`."""
        return providers.generate_chat_key(identity, profile)

    @pytest.fixture(scope="class")
    @classmethod
    def key_copy(
        cls,
        providers: Providers,
        chat_key: ChatKey,
        identity: Identity,
        peer_identity: Identity,
        profile: str,
    ) -> bytes:
        """`chat_key` exported by `identity` to `peer_identity`'s certificate."""
        return providers.export_chat_key(
            chat_key, peer_identity.certificate, identity, profile
        )

    @pytest.fixture(scope="class")
    @classmethod
    def signature(cls, providers: Providers, identity: Identity, profile: str) -> bytes:
        """`identity`'s signature over `SIGNED_DATA`."""
        return providers.sign(SIGNED_DATA, identity, profile)

    # -- description ------------------------------------------------------

    def test_provider_info_lists_algorithm(
        self,
        provider_info: ProviderInfo,
        algorithm: str,
        profile: str,
        identity: Identity,
    ) -> None:
        described = _algorithm_info(provider_info, algorithm)
        assert profile in described.profiles
        assert described.oid == identity.certificate.key_algorithm_oid
        assert identity.provider == provider_info.name
        assert provider_info.version

    def test_identity_repr_has_no_secret(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        key_copy: bytes,
    ) -> None:
        text = f"{identity!r} {identity!s}"
        assert identity.certificate.short_id in text
        assert "PRIVATE KEY" not in text
        assert len(text) < 1000
        secrets = [*self.secret_markers(identity), *_chat_key_markers(chat_key)]
        assert not [marker for marker in secrets if marker in text]
        assert not [
            marker for marker in _chat_key_markers(chat_key) if marker in repr(chat_key)
        ]
        with pytest.raises(KeyImportError) as raised:
            providers.import_chat_key(key_copy, identity, [peer_identity.certificate])
        assert not [marker for marker in secrets if marker in str(raised.value)]

    # -- key copies ----------------------------------------------------------

    def test_export_import_round_trip(
        self,
        providers: Providers,
        chat_key: ChatKey,
        identity: Identity,
        peer_identity: Identity,
        key_copy: bytes,
        profile: str,
    ) -> None:
        candidates = [identity.certificate, peer_identity.certificate]
        assert (
            providers.import_chat_key(key_copy, peer_identity, candidates) == chat_key
        )

        own_copy = providers.export_chat_key(
            chat_key, identity.certificate, identity, profile
        )
        assert providers.import_chat_key(own_copy, identity, candidates) == chat_key

    def test_import_with_wrong_identity_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        key_copy: bytes,
    ) -> None:
        candidates = [identity.certificate, peer_identity.certificate]
        with pytest.raises(KeyImportError):
            providers.import_chat_key(key_copy, identity, candidates)

    def test_tampered_copy_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        key_copy: bytes,
    ) -> None:
        candidates = [identity.certificate, peer_identity.certificate]
        accepted = []
        for position in range(len(key_copy)):
            for mask in (0x01, 0xFF):
                tampered = bytearray(key_copy)
                tampered[position] ^= mask
                if not _import_rejected(
                    providers, bytes(tampered), peer_identity, candidates
                ):
                    accepted.append((position, mask))
        assert accepted == [], "tampered copies accepted at (position, xor mask)"

    def test_truncated_copy_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        key_copy: bytes,
    ) -> None:
        candidates = [identity.certificate, peer_identity.certificate]
        variants = [key_copy[:length] for length in range(len(key_copy))]
        variants += [key_copy + b"\x00", key_copy + key_copy]
        accepted = [
            len(variant)
            for variant in variants
            if not _import_rejected(providers, variant, peer_identity, candidates)
        ]
        assert accepted == [], "shortened or extended copies accepted (lengths)"

    @_FUZZ_SETTINGS
    @given(garbage=st.binary(max_size=1024))
    def test_garbage_copy_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        garbage: bytes,
    ) -> None:
        with pytest.raises(KeyImportError):
            providers.import_chat_key(
                garbage,
                peer_identity,
                [identity.certificate, peer_identity.certificate],
            )

    # -- signatures ----------------------------------------------------------

    def test_signature_round_trip(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        signature: bytes,
        profile: str,
    ) -> None:
        assert providers.verify(SIGNED_DATA, signature, identity.certificate, profile)
        assert not providers.verify(
            SIGNED_DATA + b"!", signature, identity.certificate, profile
        )
        assert not providers.verify(
            SIGNED_DATA, signature, peer_identity.certificate, profile
        )
        empty = providers.sign(b"", identity, profile)
        assert providers.verify(b"", empty, identity.certificate, profile)

    def test_tampered_signature_rejected(
        self, providers: Providers, identity: Identity, signature: bytes, profile: str
    ) -> None:
        variants = []
        for position in range(len(signature)):
            for mask in (0x01, 0xFF):
                tampered = bytearray(signature)
                tampered[position] ^= mask
                variants.append(bytes(tampered))
        variants += [signature[:length] for length in range(len(signature))]
        variants += [signature + b"\x00", b"\x00" * len(signature)]
        accepted = [
            variant.hex()
            for variant in variants
            if providers.verify(SIGNED_DATA, variant, identity.certificate, profile)
            is not False
        ]
        assert accepted == [], "tampered signatures accepted"

    @_FUZZ_SETTINGS
    @given(garbage=st.binary(max_size=1024))
    def test_garbage_signature_returns_false(
        self, providers: Providers, identity: Identity, profile: str, garbage: bytes
    ) -> None:
        assert (
            providers.verify(SIGNED_DATA, garbage, identity.certificate, profile)
            is False
        )

    # -- inputs that belong to other providers -------------------------------

    def test_other_algorithm_certificate_returns_none(
        self,
        providers: Providers,
        identity: Identity,
        chat_key: ChatKey,
        signature: bytes,
        key_copy: bytes,
        foreign_certificates: Sequence[Certificate],
        profile: str,
    ) -> None:
        for certificate in foreign_certificates:
            with pytest.raises(NoProviderError):
                providers.export_chat_key(chat_key, certificate, identity, profile)
            with pytest.raises(NoProviderError):
                providers.verify(SIGNED_DATA, signature, certificate, profile)
            foreign = ForeignIdentity(certificate)
            with pytest.raises(NoProviderError):
                providers.generate_chat_key(foreign, profile)

        # Own certificate, but an identity object another provider made.
        impostor = ForeignIdentity(identity.certificate)
        with pytest.raises(NoProviderError):
            providers.import_chat_key(key_copy, impostor, [identity.certificate])
        with pytest.raises(NoProviderError):
            providers.sign(SIGNED_DATA, impostor, profile)

    def test_unknown_profile_returns_none(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        signature: bytes,
    ) -> None:
        with pytest.raises(NoProviderError):
            providers.generate_chat_key(identity, UNKNOWN_PROFILE)
        with pytest.raises(NoProviderError):
            providers.export_chat_key(
                chat_key, peer_identity.certificate, identity, UNKNOWN_PROFILE
            )
        with pytest.raises(NoProviderError):
            providers.sign(SIGNED_DATA, identity, UNKNOWN_PROFILE)
        with pytest.raises(NoProviderError):
            providers.verify(
                SIGNED_DATA, signature, identity.certificate, UNKNOWN_PROFILE
            )

    # -- messages ----------------------------------------------------------

    def test_message_round_trip_and_tamper(
        self, providers: Providers, chat_key: ChatKey, identity: Identity, profile: str
    ) -> None:
        ciphertext = providers.encrypt_message(chat_key, MESSAGE)
        assert MESSAGE not in ciphertext
        assert providers.decrypt_message(chat_key, ciphertext) == MESSAGE
        empty = providers.encrypt_message(chat_key, b"")
        assert providers.decrypt_message(chat_key, empty) == b""

        accepted = []
        for position in range(len(ciphertext)):
            tampered = bytearray(ciphertext)
            tampered[position] ^= 0x01
            if not _message_rejected(
                providers, chat_key, bytes(tampered), self.authenticated_messages
            ):
                accepted.append(position)
        assert accepted == [], "tampered messages accepted at positions"

        other_key = providers.generate_chat_key(identity, profile)
        assert other_key != chat_key
        assert _message_rejected(
            providers, other_key, ciphertext, self.authenticated_messages
        )
        if self.authenticated_messages:
            for length in (0, 1, len(ciphertext) - 1):
                with pytest.raises(MessageError):
                    providers.decrypt_message(chat_key, ciphertext[:length])

        unknown = ChatKey(UNKNOWN_CIPHER, chat_key.secret, chat_key.parameters)
        with pytest.raises(NoProviderError):
            providers.encrypt_message(unknown, MESSAGE)
        with pytest.raises(NoProviderError):
            providers.decrypt_message(unknown, ciphertext)

    # -- helpers ------------------------------------------------------------

    @classmethod
    def _plugin(cls) -> object:
        if cls.provider_plugin is not None:
            return cls.provider_plugin
        if cls.provider_entry_point is None:
            raise pytest.UsageError(
                f"{cls.__name__} names no provider: set provider_entry_point "
                "or provider_plugin"
            )
        found = metadata.entry_points(
            group=ENTRY_POINT_GROUP, name=cls.provider_entry_point
        )
        for entry_point in found:
            return entry_point.load()
        raise pytest.UsageError(
            f"no entry point {cls.provider_entry_point!r} in group "
            f"{ENTRY_POINT_GROUP}: install the provider's distribution "
            "(pip install -e PATH)"
        )


def _provider_info(plugin: Any) -> ProviderInfo:
    info: ProviderInfo = plugin.chatkeys_provider_info()
    return info


def _algorithm_info(info: ProviderInfo, algorithm: str) -> AlgorithmInfo:
    for described in info.algorithms:
        if described.name == algorithm:
            return described
    names = ", ".join(described.name for described in info.algorithms)
    raise pytest.UsageError(
        f"provider {info.name} does not list algorithm {algorithm!r}; it lists: {names}"
    )


def _chat_key_markers(chat_key: ChatKey) -> list[str]:
    secret = chat_key.secret
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        repr(secret),
    ]


def _import_rejected(
    providers: Providers,
    key_copy: bytes,
    identity: Identity,
    candidates: Sequence[Certificate],
) -> bool:
    try:
        providers.import_chat_key(key_copy, identity, candidates)
    except KeyImportError:
        return True
    return False


def _message_rejected(
    providers: Providers, chat_key: ChatKey, ciphertext: bytes, authenticated: bool
) -> bool:
    try:
        plaintext = providers.decrypt_message(chat_key, ciphertext)
    except MessageError:
        return True
    return not authenticated and plaintext != MESSAGE
