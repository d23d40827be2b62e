"""Setting up the provider conformance suite: the provider, its cases, fixtures.

`ConformanceSetup` is the base class of
`chatkeys.testing.conformance.ProviderConformance`, which contains the tests
and documents how to use them. This module finds the provider under test (by
entry point or as a module), runs every test once per algorithm and wire
profile, and defines the class-scoped fixtures that subclasses may override.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, ClassVar

import pytest

from chatkeys import der
from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
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


def _unknown_algorithm_certificate() -> Certificate:
    # RFC 5612 reserves enterprise number 32473 for documentation, so no real
    # provider implements the key algorithm 1.3.6.1.4.1.32473.1 built here.
    name = der.encode(
        der.SEQUENCE,
        der.encode(
            der.SET,
            der.encode(
                der.SEQUENCE,
                der.encode_oid("2.5.4.3"),
                der.encode(0x0C, b"conformance unknown algorithm"),
            ),
        ),
    )
    signature_algorithm = der.encode(
        der.SEQUENCE, der.encode_oid("1.3.6.1.4.1.32473.2")
    )
    spki = der.encode(
        der.SEQUENCE,
        der.encode(der.SEQUENCE, der.encode_oid("1.3.6.1.4.1.32473.1")),
        der.encode(der.BIT_STRING, b"\x00" + b"\x42" * 32),
    )
    tbs = der.encode(
        der.SEQUENCE,
        der.encode(der.CONTEXT_0, der.encode_integer(2)),
        der.encode_integer(1),
        signature_algorithm,
        name,
        der.encode(
            der.SEQUENCE,
            der.encode(0x17, b"260101000000Z"),
            der.encode(0x18, b"21260101000000Z"),
        ),
        name,
        spki,
    )
    return Certificate.from_der(
        der.encode(
            der.SEQUENCE,
            tbs,
            signature_algorithm,
            der.encode(der.BIT_STRING, b"\x00" + bytes(64)),
        )
    )


FOREIGN_UNKNOWN_CERTIFICATE = _unknown_algorithm_certificate()
"""A certificate whose key algorithm (1.3.6.1.4.1.32473.1, a documentation
OID) no provider implements; the default of `foreign_certificates`."""

UNKNOWN_PROFILE = "conformance-unknown-profile"
UNKNOWN_CIPHER = "conformance-unknown-cipher"
SIGNED_DATA = b"chatkeys conformance: data to sign"
MESSAGE = b"chatkeys conformance: a chat message"


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


class ConformanceSetup:
    """The provider under test, its cases and the class-scoped fixtures of the suite."""

    provider_entry_point: ClassVar[str | None] = None
    provider_plugin: ClassVar[object | None] = None
    algorithms: ClassVar[Sequence[str]] = ()
    profiles: ClassVar[Sequence[str] | None] = None
    authenticated_messages: ClassVar[bool] = True

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run every test once per (algorithm, profile) of the provider."""
        if "conformance_case" not in metafunc.fixturenames:
            return
        info = _provider_info(self._plugin())
        cases: list[ConformanceCase] = []
        for algorithm in self.algorithms:
            profiles = self.profiles or find_algorithm_info(info, algorithm).profiles
            cases.extend(ConformanceCase(algorithm, profile) for profile in profiles)
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
        """Return strings that must not appear in reprs or error messages.

        The suite cannot know how a provider's private keys look, so the
        default returns none and only the chat key's bytes are checked.
        Return, for example, the hex and base64 of the private key's value to
        have them checked too.
        """
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
        """Certificates of algorithms the provider under test does not handle.

        The default is `FOREIGN_UNKNOWN_CERTIFICATE`. Override this class-scoped
        fixture to return more, e.g. `FOREIGN_ED25519_CERTIFICATE` for a
        provider that does not handle Ed25519.
        """
        return (FOREIGN_UNKNOWN_CERTIFICATE,)

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


def find_algorithm_info(info: ProviderInfo, algorithm: str) -> AlgorithmInfo:
    """Return the entry of `info` named `algorithm`; a usage error if there is none."""
    for described in info.algorithms:
        if described.name == algorithm:
            return described
    names = ", ".join(described.name for described in info.algorithms)
    raise pytest.UsageError(
        f"provider {info.name} does not list algorithm {algorithm!r}; it lists: {names}"
    )
