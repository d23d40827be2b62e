"""The system contact: its identity, and the keys of its chats across restarts."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chatkeys.certificates import Certificate
from chatkeys_server.app import create_app
from chatkeys_server.errors import SystemIdentityError
from chatkeys_server.system import SYSTEM_NAME


def _system_chat(api, session):
    return api.chat_with(session, lambda chat: chat["profileType"] == 0)


def _system_certificates(chat, pid):
    return [c for c in chat["certificates"] if c["pid"] != pid]


def test_system_copies_signed_by_system(api):
    alice = api.register("79260000001")
    chat = _system_chat(api, alice)
    (system_entry,) = _system_certificates(chat, alice.pid)
    certificate = Certificate.from_api_field(system_entry["certificate"])

    with api.state.store.read() as connection:
        rows = connection.execute(
            "SELECT copy, sign, exporter_cid FROM key_copies k "
            "JOIN chats c ON c.current_key = k.key_id WHERE c.id = ?",
            (chat["id"],),
        ).fetchall()

    assert len(rows) == 2
    for row in rows:
        assert row["exporter_cid"] == system_entry["cid"]
        assert api.providers.verify(row["copy"], row["sign"], certificate, "cms")
    assert certificate == api.state.system.identity.certificate
    assert chat["profileName"] == SYSTEM_NAME


def test_new_identity_rekeys_system_chats(api_factory, config, caplog):
    with api_factory(config) as first:
        alice = first.register("79260000001")
        before = _system_chat(first, alice)
        old_key = first.import_key(alice, before)

    caplog.set_level(logging.INFO, logger="chatkeys_server")
    with api_factory(config) as second:
        alice = second.login(alice.identity)
        after = _system_chat(second, alice)

        assert after["id"] == before["id"]
        assert after["status"] == "sync"
        assert after["chatKey"]["id"] != before["chatKey"]["id"]
        assert _system_certificates(after, alice.pid) != _system_certificates(
            before, alice.pid
        )
        assert len(_system_certificates(after, alice.pid)) == 1
        assert second.import_key(alice, after) != old_key
    assert "1 system chats got a new key" in caplog.text


def test_loaded_identity_keeps_system_keys(api_factory, config, identity_file):
    reference = str(identity_file(SYSTEM_NAME))
    config = dataclasses.replace(config, system_identity=reference)
    with api_factory(config) as first:
        alice = first.register("79260000001")
        before = _system_chat(first, alice)
        old_key = first.import_key(alice, before)

    with api_factory(config) as second:
        assert second.state.system._keys == {}
        alice = second.login(alice.identity)
        unchanged = _system_chat(second, alice)
        device = second.register("79260000001")
        shared = _system_chat(second, device)

    assert unchanged["chatKey"]["id"] == before["chatKey"]["id"]
    assert unchanged["certificates"] == before["certificates"]
    assert shared["status"] == "sync"
    assert shared["chatKey"]["id"] == before["chatKey"]["id"]
    assert second.import_key(device, shared) == old_key


def test_user_certificate_as_system_rejected(api_factory, config, identity_file):
    reference = str(identity_file("alice"))
    with api_factory(config) as api:
        api.register("79260000001", api.providers.load_identity(reference))

    config = dataclasses.replace(config, system_identity=reference)
    with pytest.raises(SystemIdentityError, match="registered to a user profile"):
        create_app(config, api.providers)
