"""Registration of key copies: per-copy results, key rules and atomicity."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def pair(api):
    """Two registered profiles and their personal chat, as listed for Alice."""
    alice = api.register("79260000001")
    bob = api.register("79260000002")
    chat = api.chat_with(alice, lambda chat: chat["profilePhone"] == "79260000002")
    return alice, bob, chat


def _statuses(results):
    return [(result["status"], result["reason"]) for result in results]


def test_first_key_makes_chat_sync(api, pair):
    alice, bob, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")

    results = api.send_copies(
        alice, api.copies(alice, chat, chat_key, chat["certificates"])
    )

    assert _statuses(results) == [("registered", None), ("registered", None)]
    assert results[0]["keyId"] == results[1]["keyId"]
    assert [r["cid"] for r in results] == [c["cid"] for c in chat["certificates"]]
    for session in (alice, bob):
        seen = api.chat_with(session, lambda c: c["id"] == chat["id"])
        assert seen["status"] == "sync"
        assert seen["chatKey"]["id"] == results[0]["keyId"]
        assert api.import_key(session, seen) == chat_key


def test_resend_is_unchanged(api, pair):
    alice, _, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    entries = api.copies(alice, chat, chat_key, chat["certificates"])
    first = api.send_copies(alice, entries)

    again = api.send_copies(alice, entries)

    assert _statuses(again) == [("unchanged", None), ("unchanged", None)]
    assert [r["keyId"] for r in again] == [r["keyId"] for r in first]


def test_different_copy_keeps_first(api, pair):
    alice, bob, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    bob_certificate = [c for c in chat["certificates"] if c["cid"] == bob.cid]
    first = api.copies(alice, chat, chat_key, bob_certificate)
    api.send_copies(alice, first)

    second = api.copies(alice, chat, chat_key, bob_certificate)
    assert second[0]["key"] != first[0]["key"]
    results = api.send_copies(alice, second)

    assert _statuses(results) == [("unchanged", None)]
    assert "first copy is kept" in results[0]["message"]
    seen = api.chat_with(bob, lambda c: c["id"] == chat["id"])
    assert seen["chatKey"]["key"] == first[0]["key"]


def test_bad_signature_rejected(api, pair):
    alice, _, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    entries = api.copies(alice, chat, chat_key, chat["certificates"])
    entries[1]["sign"] = api.sign(b"something else", alice.identity)

    results = api.send_copies(alice, entries)

    assert _statuses(results) == [("registered", None), ("rejected", "bad_signature")]
    assert results[1]["keyId"] is None
    seen = api.chat_with(alice, lambda c: c["id"] == chat["id"])
    assert seen["status"] == "wait"
    assert [c["cid"] for c in seen["waitList"]] == [entries[1]["cid"]]


def test_signature_by_other_certificate_rejected(api, pair):
    alice, bob, chat = pair
    chat_key = api.providers.generate_chat_key(bob.identity, "cms")
    entries = api.copies(bob, chat, chat_key, chat["certificates"])

    results = api.send_copies(alice, entries)

    assert _statuses(results) == [("rejected", "bad_signature")] * 2


def test_partial_batch_keeps_good_copies(api, pair):
    alice, bob, chat = pair
    carol = api.register("79260000003")
    carol_chat = api.chat_with(carol, lambda c: c["profilePhone"] == "79260000001")
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    good = api.copies(alice, chat, chat_key, chat["certificates"])
    carol_certificate = [c for c in carol_chat["certificates"] if c["cid"] == carol.cid]
    stranger = api.copies(alice, chat, chat_key, carol_certificate)[0]
    unknown_cid = dict(good[1], cid="no-such-certificate")
    wrong_pid = dict(good[1], pid=carol.pid)
    not_base64 = dict(good[1], key="***")

    entries = [good[0], stranger, unknown_cid, wrong_pid, not_base64, good[1]]
    results = api.send_copies(alice, entries)

    assert _statuses(results) == [
        ("registered", None),
        ("rejected", "not_participant"),
        ("rejected", "unknown_certificate"),
        ("rejected", "unknown_certificate"),
        ("rejected", "invalid"),
        ("registered", None),
    ]
    assert [r["chatId"] for r in results] == [chat["id"]] * 6
    assert api.chat_with(bob, lambda c: c["id"] == chat["id"])["status"] == "sync"


def test_chat_of_others_is_unknown(api, pair):
    alice, _, chat = pair
    carol = api.register("79260000003")
    chat_key = api.providers.generate_chat_key(carol.identity, "cms")
    entries = api.copies(carol, chat, chat_key, chat["certificates"])
    missing = dict(entries[0], chatId="no-such-chat")

    results = api.send_copies(carol, [*entries, missing])

    assert _statuses(results) == [("rejected", "unknown_chat")] * 3
    assert results[0]["message"] == results[2]["message"].replace(
        "'no-such-chat'", repr(chat["id"])
    )
    assert api.chat_with(alice, lambda c: c["id"] == chat["id"])["status"] == "new"


def test_second_key_is_conflict(api, pair):
    alice, bob, chat = pair
    alice_key = api.providers.generate_chat_key(alice.identity, "cms")
    bob_key = api.providers.generate_chat_key(bob.identity, "cms")
    won = api.send_copies(
        alice, api.copies(alice, chat, alice_key, chat["certificates"])
    )
    bob_chat = api.chat_with(bob, lambda c: c["id"] == chat["id"])

    lost = api.send_copies(
        bob, api.copies(bob, bob_chat, bob_key, bob_chat["certificates"])
    )

    assert _statuses(lost) == [("rejected", "conflict")] * 2
    assert all(result["keyId"] is None for result in lost)
    seen = api.chat_with(bob, lambda c: c["id"] == chat["id"])
    assert seen["chatKey"]["id"] == won[0]["keyId"]
    assert api.import_key(bob, seen) == alice_key


def test_holder_reshares_to_new_certificate(api, pair):
    alice, bob, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    api.send_copies(alice, api.copies(alice, chat, chat_key, chat["certificates"]))
    bob_phone = api.register("79260000002")
    seen = api.chat_with(bob, lambda c: c["id"] == chat["id"])
    assert seen["status"] == "wait"

    imported = api.import_key(bob, seen)
    results = api.send_copies(bob, api.copies(bob, seen, imported, seen["waitList"]))

    assert _statuses(results) == [("registered", None)]
    final = api.chat_with(bob_phone, lambda c: c["id"] == chat["id"])
    assert final["status"] == "sync"
    assert api.import_key(bob_phone, final) == chat_key


def test_holder_with_own_different_copy_is_conflict(api, pair):
    alice, bob, chat = pair
    alice_key = api.providers.generate_chat_key(alice.identity, "cms")
    api.send_copies(alice, api.copies(alice, chat, alice_key, chat["certificates"]))
    bob_key = api.providers.generate_chat_key(bob.identity, "cms")

    results = api.send_copies(bob, api.copies(bob, chat, bob_key, chat["certificates"]))

    assert _statuses(results) == [("rejected", "conflict")] * 2


def test_too_many_copies_rejected(api, pair, config):
    alice, _, chat = pair
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    entry = api.copies(alice, chat, chat_key, chat["certificates"][:1])[0]

    response = api.post(
        "chatsKeys/",
        {"keys": [entry] * (config.max_copies_per_request + 1)},
        token=alice.token,
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_keys"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "'keys'"),
        ({"keys": {}}, "'keys'"),
        ({"keys": [1]}, "'keys[0]'"),
        ({"keys": [{"chatId": 1}]}, "'keys[0]."),
        (
            {"keys": [{"chatId": "a", "pid": "b", "cid": "c", "key": "d"}]},
            "'keys[0].sign'",
        ),
    ],
)
def test_malformed_body_names_field(api, pair, body, field):
    alice, _, _ = pair
    response = api.post("chatsKeys/", body, token=alice.token)
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]


def test_concurrent_first_keys_one_wins(live_api):
    rounds = 4
    setup = live_api()
    alice = setup.register("79260000001")
    contacts = [setup.register(f"7926000010{index}") for index in range(rounds)]

    for contact in contacts:
        clients = [live_api(), live_api()]
        chat = setup.chat_with(
            alice, lambda c, phone=contact.phone: c["profilePhone"] == phone
        )
        batches = []
        for session in (alice, contact):
            chat_key = setup.providers.generate_chat_key(session.identity, "cms")
            batches.append(setup.copies(session, chat, chat_key, chat["certificates"]))
        barrier = threading.Barrier(2)
        outcomes: list[list[tuple[str, str | None]]] = [[], []]

        def send(
            index, session, client=clients, batch=batches, out=outcomes, wait=barrier
        ):
            wait.wait()
            out[index] = _statuses(client[index].send_copies(session, batch[index]))

        threads = [
            threading.Thread(target=send, args=(index, session))
            for index, session in enumerate((alice, contact))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        won = [("registered", None)] * 2
        lost = [("rejected", "conflict")] * 2
        assert sorted(outcomes) == sorted([won, lost])
        views = [
            setup.chat_with(session, lambda c, chat_id=chat["id"]: c["id"] == chat_id)
            for session in (alice, contact)
        ]
        assert [view["status"] for view in views] == ["sync", "sync"]
        assert views[0]["chatKey"]["id"] == views[1]["chatKey"]["id"]
        assert setup.import_key(alice, views[0]) == setup.import_key(contact, views[1])


def test_rejected_copy_retried_later(api, pair):
    alice, _, chat = pair
    bob_phone = api.register("79260000002")
    chat = api.chat_with(alice, lambda c: c["id"] == chat["id"])
    assert len(chat["certificates"]) == 3
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    entries = api.copies(alice, chat, chat_key, chat["certificates"])
    rejected = next(e for e in entries if e["cid"] == bob_phone.cid)
    good_sign = rejected["sign"]
    rejected["sign"] = api.sign(b"tampered", alice.identity)

    first = api.send_copies(alice, entries)
    waiting = api.chat_with(alice, lambda c: c["id"] == chat["id"])
    rejected["sign"] = good_sign
    retried = api.send_copies(alice, [rejected])
    done = api.chat_with(bob_phone, lambda c: c["id"] == chat["id"])

    assert sorted(_statuses(first)) == [
        ("registered", None),
        ("registered", None),
        ("rejected", "bad_signature"),
    ]
    assert waiting["status"] == "wait"
    assert [c["cid"] for c in waiting["waitList"]] == [bob_phone.cid]
    assert _statuses(retried) == [("registered", None)]
    assert done["status"] == "sync"
    assert api.import_key(bob_phone, done) == chat_key
