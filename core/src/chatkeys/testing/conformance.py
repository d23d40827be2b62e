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
per algorithm and wire profile. By default these are all the profiles that
the algorithm's `AlgorithmInfo` lists; set ``profiles = ("cms",)`` to narrow
them.

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

The suite needs pytest and hypothesis (the ``testing`` extra of chatkeys). It
makes at most a few thousand hook calls per algorithm and profile, which
takes a few seconds for RSA-2048.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError, MessageError, NoProviderError
from chatkeys.identity import Identity
from chatkeys.plugin import ProviderInfo
from chatkeys.providers import Providers
from chatkeys.testing.conformance_setup import (
    FOREIGN_ED25519_CERTIFICATE,
    FOREIGN_UNKNOWN_CERTIFICATE,
    MESSAGE,
    SIGNED_DATA,
    UNKNOWN_CIPHER,
    UNKNOWN_PROFILE,
    ConformanceCase,
    ConformanceSetup,
    ForeignIdentity,
    find_algorithm_info,
)

__all__ = [
    "FOREIGN_ED25519_CERTIFICATE",
    "FOREIGN_UNKNOWN_CERTIFICATE",
    "ConformanceCase",
    "ForeignIdentity",
    "ProviderConformance",
]

_FUZZ_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.differing_executors],
)


class ProviderConformance(ConformanceSetup):
    """Tests of the hook contract for one provider, to subclass per provider."""

    # -- description ------------------------------------------------------

    def test_provider_info_lists_algorithm(
        self,
        provider_info: ProviderInfo,
        algorithm: str,
        profile: str,
        identity: Identity,
    ) -> None:
        described = find_algorithm_info(provider_info, algorithm)
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
        # The messages count leaks and never print the secrets themselves.
        leaks = sum(marker in text for marker in secrets)
        assert leaks == 0, f"{leaks} secret marker(s) in the identity's repr or str"
        leaks = sum(marker in repr(chat_key) for marker in _chat_key_markers(chat_key))
        assert leaks == 0, f"{leaks} secret marker(s) in the chat key's repr"
        with pytest.raises(KeyImportError) as raised:
            providers.import_chat_key(key_copy, identity, [peer_identity.certificate])
        leaks = sum(marker in str(raised.value) for marker in secrets)
        assert leaks == 0, f"{leaks} secret marker(s) in a KeyImportError message"

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
