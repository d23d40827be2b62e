"""The whole flow over loopback HTTP with the real client and server."""

from __future__ import annotations

import threading

import pytest

from chatkeys.demo import run_demo
from chatkeys.errors import ChatNotSyncedError
from chatkeys.model import ChatStatus
from chatkeys.providers import Providers
from chatkeys.testing import skip_unless_tool

from .conftest import Enroll

DEMO_ALGORITHMS = ["ec-p256", "ec-p384", "rsa-2048", "gost2012-256a", "gost2012-512a"]


@pytest.mark.parametrize("algorithm", DEMO_ALGORITHMS)
def test_demo_flow_reaches_sync(providers: Providers, algorithm: str) -> None:
    names = {
        a.name for info in providers.infos if info.available for a in info.algorithms
    }
    skip_unless_tool(
        algorithm in names, f"no installed provider generates {algorithm} identities"
    )
    result = run_demo(algorithm, providers=providers)
    assert result.ok, result.to_json()
    assert result.message_received == result.message_sent
    final = result.steps[-1].devices
    assert len(final) == 3
    assert all(line.status == "sync" for lines in final.values() for line in lines)


def _chat_with(user_chats, name: str):  # type: ignore[no-untyped-def]
    return next(
        c for c in user_chats.chats if c.profile.name == name and not c.favorites
    )


def test_two_clients_race_first_key(enroll: Enroll) -> None:
    anna = enroll("Анна")
    boris = enroll("Борис")
    barrier = threading.Barrier(2)
    reports = {}

    def run(user) -> None:  # type: ignore[no-untyped-def]
        user.client.login()
        barrier.wait()
        reports[user.name] = user.client.sync()

    threads = [threading.Thread(target=run, args=(user,)) for user in (anna, boris)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert reports["Анна"].ok, reports["Анна"].to_json()
    assert reports["Борис"].ok, reports["Борис"].to_json()
    anna_chat = _chat_with(anna.client.fetch_chats(), "Борис")
    boris_chat = _chat_with(boris.client.fetch_chats(), "Анна")
    assert anna_chat.status is ChatStatus.SYNC
    assert anna_chat.chat_key is not None
    assert boris_chat.chat_key is not None
    assert anna_chat.chat_key.id == boris_chat.chat_key.id
    message = anna.client.chat_cipher(anna_chat).encrypt(b"one key")
    assert boris.client.chat_cipher(boris_chat).decrypt(message) == b"one key"


def test_new_device_waits_without_key_holder(enroll: Enroll) -> None:
    anna = enroll("Анна")
    boris = enroll("Борис")
    assert anna.client.sync().ok
    assert boris.client.sync().ok
    key_id = _chat_with(anna.client.fetch_chats(), "Борис").chat_key.id
    boris_new = enroll("Борис", phone=boris.phone)
    report = boris_new.client.sync()
    chat = _chat_with(boris_new.client.fetch_chats(), "Анна")
    assert chat.status is ChatStatus.WAIT
    assert report.outcomes[chat.id].reason == "no_key_for_certificate"
    assert report.copies_sent == 0
    assert _chat_with(anna.client.fetch_chats(), "Борис").chat_key.id == key_id
    with pytest.raises(ChatNotSyncedError):
        boris_new.client.chat_cipher(chat)
    assert anna.client.sync().ok
    assert boris_new.client.sync().outcomes[chat.id].status is ChatStatus.SYNC


def test_demo_short_algorithm_name(providers: Providers) -> None:
    result = run_demo("gost", providers=providers)
    assert result.algorithm == "gost2012-256a"
    assert result.ok, result.to_json()
