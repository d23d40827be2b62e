"""The core's provider conformance suite, run on the GOST provider.

The Komandor message cipher (GOST 28147-89 CFB) has no integrity check, so
that profile runs with ``authenticated_messages = False``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import KeyImportError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.testing.conformance import (
    FOREIGN_ED25519_CERTIFICATE,
    ProviderConformance,
)
from chatkeys_gost.identity import GostIdentity

ALGORITHMS = ("gost2012-256a", "gost2012-512a")


def _rsa_certificate() -> Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsa neighbour")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return Certificate.from_der(certificate.public_bytes(serialization.Encoding.DER))


class _GostConformance(ProviderConformance):
    provider_entry_point = "gost"
    algorithms = ALGORITHMS

    @pytest.fixture(scope="class")
    @classmethod
    def foreign_certificates(cls) -> Sequence[Certificate]:
        """Ed25519, plus RSA as a neighbouring algorithm."""
        return (FOREIGN_ED25519_CERTIFICATE, _rsa_certificate())

    def secret_markers(self, identity: Identity) -> Sequence[str]:
        assert isinstance(identity, GostIdentity)
        scalar = identity.private_key.scalar
        return (str(scalar), format(scalar, "x"), format(scalar, "X"))


class TestKomandorConformance(_GostConformance):
    """The komandor profile, where the exporter can open its own copies.

    Format A is static-static: the exporter's VKO(d_a, Q_b) equals the
    recipient's VKO(d_b, Q_a), so a copy opens for its exporter too (who
    holds the chat key anyway). The two cases that import a copy with the
    exporter as "the wrong identity" use a third identity here instead. The
    format's IV has no MAC, so the tamper case allows a changed IV.
    """

    profiles: ClassVar[Sequence[str]] = ("komandor",)
    authenticated_messages = False

    @pytest.fixture(scope="class")
    @classmethod
    def stranger(cls, providers: Providers, algorithm: str) -> Iterator[Identity]:
        """An identity that neither exported nor received the copy."""
        with providers.generate_identity(algorithm, "conformance carol") as identity:
            yield identity

    def test_exporter_opens_own_copy(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        key_copy: bytes,
    ) -> None:
        opened = providers.import_chat_key(
            key_copy, identity, [peer_identity.certificate]
        )

        assert opened == chat_key

    def test_identity_repr_has_no_secret(  # type: ignore[override]
        self,
        providers: Providers,
        stranger: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        key_copy: bytes,
    ) -> None:
        super().test_identity_repr_has_no_secret(
            providers, stranger, peer_identity, chat_key, key_copy
        )

    def test_tampered_copy_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        key_copy: bytes,
    ) -> None:
        # The IV (the last 8 bytes) travels outside the SIMPLEBLOB, and no MAC
        # covers it; changing it can only change the IV, never the key.
        candidates = [identity.certificate, peer_identity.certificate]
        accepted = []
        for position in range(len(key_copy)):
            for mask in (0x01, 0xFF):
                tampered = bytearray(key_copy)
                tampered[position] ^= mask
                try:
                    opened = providers.import_chat_key(
                        bytes(tampered), peer_identity, candidates
                    )
                except KeyImportError:
                    continue
                in_iv = position >= len(key_copy) - 8
                if not (in_iv and opened.secret == chat_key.secret):
                    accepted.append((position, mask))

        assert accepted == [], "tampered copies accepted at (position, xor mask)"

    def test_import_with_wrong_identity_rejected(  # type: ignore[override]
        self,
        providers: Providers,
        identity: Identity,
        stranger: Identity,
        key_copy: bytes,
    ) -> None:
        with pytest.raises(KeyImportError):
            providers.import_chat_key(key_copy, stranger, [identity.certificate])


class TestCmsConformance(_GostConformance):
    """The cms profile.

    For 512-bit keys KEG reads only ukm[0:16] and KExp15 only ukm[24:32], so
    ukm[16:24] is covered by no MAC (R 1323565.1.020-2018); the tamper case
    allows changes there as long as the key still opens unchanged.
    """

    profiles: ClassVar[Sequence[str]] = ("cms",)

    def test_tampered_copy_rejected(
        self,
        providers: Providers,
        identity: Identity,
        peer_identity: Identity,
        chat_key: ChatKey,
        key_copy: bytes,
        algorithm: str,
    ) -> None:
        candidates = [identity.certificate, peer_identity.certificate]
        unused_ukm = range(len(key_copy) - 16, len(key_copy) - 8)
        accepted = []
        for position in range(len(key_copy)):
            for mask in (0x01, 0xFF):
                tampered = bytearray(key_copy)
                tampered[position] ^= mask
                try:
                    opened = providers.import_chat_key(
                        bytes(tampered), peer_identity, candidates
                    )
                except KeyImportError:
                    continue
                allowed = "512" in algorithm and position in unused_ukm
                if not (allowed and opened == chat_key):
                    accepted.append((position, mask))

        assert accepted == [], "tampered copies accepted at (position, xor mask)"
