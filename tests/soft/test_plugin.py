"""Tests of chatkeys_soft.plugin: which inputs the hooks claim and which they leave."""

from __future__ import annotations

import dataclasses

import pytest

from chatkeys.errors import InvalidCertificateError, NoProviderError
from chatkeys.identity import Identity
from chatkeys.plugin import PROFILE_CMS, PROFILE_KOMANDOR
from chatkeys.providers import Providers
from chatkeys_soft import plugin
from chatkeys_soft.identity import SoftIdentity, generate_identity


class TokenIdentity(Identity):
    """An identity another provider made (a key on a token, say)."""

    def __init__(self, identity: SoftIdentity) -> None:
        self.provider = "token"
        self.certificate = identity.certificate
        self.reference = "pkcs11:object=test"


@pytest.fixture(scope="module")
def providers() -> Providers:
    providers = Providers()
    providers.register(plugin, "soft")
    return providers


def test_entry_point_registers_soft() -> None:
    infos = {info.name: info for info in Providers.discover().infos}
    assert infos["soft"].available
    assert infos["soft"].distribution == "chatkeys-soft"


def test_info_lists_algorithms() -> None:
    info = plugin.chatkeys_provider_info()
    names = [algorithm.name for algorithm in info.algorithms]
    assert names == [
        "rsa-2048",
        "rsa-3072",
        "rsa-4096",
        "ec-p256",
        "ec-p384",
        "ec-p521",
    ]
    assert all(algorithm.profiles == (PROFILE_CMS,) for algorithm in info.algorithms)


@pytest.mark.parametrize(
    ("algorithm", "key_bits"), [("rsa-3072", 3072), ("rsa-4096", 4096)]
)
def test_generates_large_rsa(algorithm: str, key_bits: int) -> None:
    identity = generate_identity(algorithm, "carol")
    assert identity is not None
    assert identity.private_key.key_size == key_bits


def test_unknown_algorithm_not_generated(providers: Providers) -> None:
    assert plugin.chatkeys_generate_identity("gost2012-256a", "x") is None
    with pytest.raises(NoProviderError, match="rsa-2048"):
        providers.generate_identity("gost2012-256a", "x")


def test_komandor_profile_left_to_others(
    identities: dict[str, SoftIdentity], peers: dict[str, SoftIdentity]
) -> None:
    identity = identities["ec-p256"]
    chat_key = plugin.chatkeys_generate_chat_key(identity, PROFILE_CMS)
    assert chat_key is not None
    signature = identity.sign(b"x")
    certificate = peers["ec-p256"].certificate

    assert plugin.chatkeys_generate_chat_key(identity, PROFILE_KOMANDOR) is None
    assert (
        plugin.chatkeys_export_chat_key(
            chat_key, certificate, identity, PROFILE_KOMANDOR
        )
        is None
    )
    assert plugin.chatkeys_sign(b"x", identity, PROFILE_KOMANDOR) is None
    assert (
        plugin.chatkeys_verify(b"x", signature, identity.certificate, PROFILE_KOMANDOR)
        is None
    )


def test_token_identity_gets_export_not_private_operations(
    providers: Providers, identities: dict[str, SoftIdentity]
) -> None:
    soft = identities["rsa-2048"]
    token = TokenIdentity(soft)

    chat_key = providers.generate_chat_key(token, PROFILE_CMS)
    key_copy = providers.export_chat_key(chat_key, soft.certificate, token, PROFILE_CMS)

    assert providers.import_chat_key(key_copy, soft, []) == chat_key
    assert plugin.chatkeys_import_chat_key(key_copy, token, []) is None
    assert plugin.chatkeys_sign(b"x", token, PROFILE_CMS) is None


def test_certificate_with_broken_key(
    providers: Providers, identities: dict[str, SoftIdentity]
) -> None:
    identity = identities["rsa-2048"]
    broken = dataclasses.replace(
        identity.certificate,
        fingerprint="0" * 64,
        spki=b"\x30\x03\x02\x01\x00",
    )
    chat_key = providers.generate_chat_key(identity, PROFILE_CMS)

    assert providers.verify(b"x", identity.sign(b"x"), broken, PROFILE_CMS) is False
    with pytest.raises(InvalidCertificateError, match="invalid RSA public key"):
        providers.export_chat_key(chat_key, broken, identity, PROFILE_CMS)
