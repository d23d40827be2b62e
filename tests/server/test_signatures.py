"""Signatures and keys of GOST certificates, in the profile the server is set to.

A GOST certificate is verified in the server's profile: ``komandor``
(CryptoAPI byte order) by default, or ``cms``. EC certificates always use
``cms``. Identities and signatures come from the installed chatkeys-gost.
"""

from __future__ import annotations

import base64
import dataclasses
import logging

import pytest

from chatkeys.certificates import Certificate
from chatkeys_server.signatures import SignatureChecker

GOST = "gost2012-256a"


@pytest.fixture
def gost_providers(providers):
    generators = [
        info.name
        for info in providers.infos
        if info.available and any(a.name == GOST for a in info.algorithms)
    ]
    assert generators, f"no provider generates {GOST}: pip install chatkeys-gost"
    return providers


def _register(api, phone, identity, profile):
    token, pid = api.registration_token(phone)
    sign = base64.b64encode(
        api.providers.sign(token.encode(), identity, profile)
    ).decode()
    body = {"certificate": identity.certificate.to_api_field(), "sign": sign}
    return api.post("certificateRegistration/", body, token=token), pid


def _login(api, identity, profile):
    challenge = api.data(api.post("auth", {"cid": _cid(api, identity)}))
    raw = base64.b64decode(challenge["challenge"])
    sign = base64.b64encode(api.providers.sign(raw, identity, profile)).decode()
    login = api.data(
        api.post("confirmAuth", {"challengeId": challenge["challengeId"], "sign": sign})
    )
    return login


def api_certificate(entry):
    return Certificate.from_api_field(entry["certificate"])


def _cid(api, identity):
    with api.state.store.read() as connection:
        row = connection.execute(
            "SELECT cid FROM certificates WHERE fingerprint = ?",
            (identity.certificate.fingerprint,),
        ).fetchone()
    return row["cid"]


def test_profile_follows_algorithm(gost_providers):
    gost = gost_providers.generate_identity(GOST, "gost").certificate
    ec = gost_providers.generate_identity("ec-p256", "ec").certificate

    komandor = SignatureChecker(gost_providers, "komandor")
    cms = SignatureChecker(gost_providers, "cms")

    assert komandor.profile_for(gost) == "komandor"
    assert komandor.profile_for(ec) == "cms"
    assert cms.profile_for(gost) == "cms"
    assert cms.profile_for(ec) == "cms"


def test_komandor_server_takes_cryptoapi_order(api, gost_providers):
    identity = gost_providers.generate_identity(GOST, "alice")

    standard, _ = _register(api, "79260000001", identity, "cms")
    cryptoapi, _ = _register(api, "79260000001", identity, "komandor")

    assert standard.status_code == 403
    assert standard.json()["error"]["code"] == "bad_signature"
    assert cryptoapi.status_code == 200


def test_cms_server_takes_standard_order(api_factory, config, gost_providers):
    config = dataclasses.replace(config, profile="cms")
    identity = gost_providers.generate_identity(GOST, "alice")
    with api_factory(config) as api:
        cryptoapi, _ = _register(api, "79260000001", identity, "komandor")
        standard, _ = _register(api, "79260000001", identity, "cms")
        login = _login(api, identity, "cms")

    assert cryptoapi.status_code == 403
    assert standard.status_code == 200
    assert login["cid"] == standard.json()["data"]["cid"]


def test_komandor_copies_registered(api, gost_providers):
    alice = gost_providers.generate_identity(GOST, "alice")
    bob = gost_providers.generate_identity(GOST, "bob")
    assert api.data(_register(api, "79260000001", alice, "komandor")[0])
    assert api.data(_register(api, "79260000002", bob, "komandor")[0])
    alice_token = _login(api, alice, "komandor")["token"]
    bob_token = _login(api, bob, "komandor")["token"]
    chats = api.data(api.post("chats/", token=alice_token))
    (chat,) = [c for c in chats if c["profilePhone"] == "79260000002"]

    chat_key = gost_providers.generate_chat_key(alice, "komandor")
    entries = []
    for recipient in chat["certificates"]:
        certificate = api_certificate(recipient)
        copy = gost_providers.export_chat_key(chat_key, certificate, alice, "komandor")
        entries.append(
            {
                "chatId": chat["id"],
                "pid": recipient["pid"],
                "cid": recipient["cid"],
                "key": base64.b64encode(copy).decode(),
                "sign": base64.b64encode(
                    gost_providers.sign(copy, alice, "komandor")
                ).decode(),
            }
        )
    results = api.data(api.post("chatsKeys/", {"keys": entries}, token=alice_token))[
        "results"
    ]
    seen = [
        c
        for c in api.data(api.post("chats/", token=bob_token))
        if c["id"] == chat["id"]
    ]

    assert [r["status"] for r in results] == ["registered", "registered"]
    assert seen[0]["status"] == "sync"
    candidates = [api_certificate(c) for c in seen[0]["certificates"]]
    copy = base64.b64decode(seen[0]["chatKey"]["key"])
    assert gost_providers.import_chat_key(copy, bob, candidates) == chat_key


def test_gost_system_contact_shares_key(api_factory, config, gost_providers):
    config = dataclasses.replace(config, system_algorithm=GOST)
    alice = gost_providers.generate_identity(GOST, "alice")
    with api_factory(config) as api:
        assert api.data(_register(api, "79260000001", alice, "komandor")[0])
        token = _login(api, alice, "komandor")["token"]
        chats = api.data(api.post("chats/", token=token))

    (system,) = [c for c in chats if c["profileType"] == 0]
    candidates = [api_certificate(c) for c in system["certificates"]]
    copy = base64.b64decode(system["chatKey"]["key"])
    assert system["status"] == "sync"
    assert (
        gost_providers.import_chat_key(copy, alice, candidates).cipher
        == "gost28147-cfb"
    )


def test_ec_system_contact_cannot_serve_gost(api, gost_providers, caplog):
    caplog.set_level(logging.WARNING, logger="chatkeys_server")
    alice = gost_providers.generate_identity(GOST, "alice")
    assert api.data(_register(api, "79260000001", alice, "komandor")[0])
    token = _login(api, alice, "komandor")["token"]

    (system,) = [
        c for c in api.data(api.post("chats/", token=token)) if c["profileType"] == 0
    ]

    assert system["status"] == "wait"
    assert system["chatKey"] is None
    assert [c["cid"] for c in system["waitList"]] == [_cid(api, alice)]
    assert "cannot export the key to certificate" in caplog.text


class _OwnProfileProvider:
    """A provider that lists the GOST 256 OID under a profile of its own."""

    @staticmethod
    def chatkeys_provider_info():
        from chatkeys.plugin import AlgorithmInfo, ProviderInfo

        return ProviderInfo(
            "own",
            "own",
            "1",
            (AlgorithmInfo("own-256", "1.2.643.7.1.1.1.1", "", ("own",)),),
        )


def test_profile_falls_back_to_algorithm_default(gost_providers):
    from chatkeys.providers import Providers

    certificate = gost_providers.generate_identity(GOST, "own").certificate
    only_own = Providers()
    only_own.register(_OwnProfileProvider, "own")
    assert SignatureChecker(only_own, "komandor").profile_for(certificate) == "own"
    assert SignatureChecker(gost_providers, "cms").profile_for(certificate) == "cms"
    assert (
        SignatureChecker(gost_providers, "own").profile_for(certificate) == "komandor"
    )
