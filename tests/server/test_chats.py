"""Chat lists: phone lists, filters, visibility and status per certificate."""

from __future__ import annotations

import threading


def test_phones_create_personal_chats(api):
    alice = api.register("79260000001")
    bob = api.register("79260000002")
    carol = api.register("79260000003")

    found = api.chats(
        alice, {"phones": ["8 (926) 000-00-02", "79990000000", "+79260000003"]}
    )

    assert [chat["profilePhone"] for chat in found] == ["79260000002", "79260000003"]
    expected = [
        api.chat_with(alice, lambda c, phone=phone: c["profilePhone"] == phone)["id"]
        for phone in ("79260000002", "79260000003")
    ]
    assert [chat["id"] for chat in found] == expected
    assert found[0]["id"] in {chat["id"] for chat in api.chats(bob)}
    assert found[1]["id"] in {chat["id"] for chat in api.chats(carol)}


def test_phones_create_missing_chat(api):
    alice = api.register("79260000001")
    bob = api.register("79260000002")
    chat = api.chat_with(alice, lambda c: c["profilePhone"] == "79260000002")
    with api.state.store.write() as connection:
        connection.execute("DELETE FROM chat_members WHERE chat_id = ?", (chat["id"],))
        connection.execute("DELETE FROM chats WHERE id = ?", (chat["id"],))
    assert len(api.chats(alice)) == 2

    found = api.chats(alice, {"phones": ["79260000002"]})

    assert len(found) == 1
    assert found[0]["status"] == "new"
    assert found[0]["id"] != chat["id"]
    assert found[0]["id"] in {c["id"] for c in api.chats(bob)}
    assert len(api.chats(alice)) == 3


def test_unknown_and_own_numbers_ignored(api):
    alice = api.register("79260000001")
    assert api.chats(alice, {"phones": ["79990000000", "79260000001"]}) == []


def test_invalid_phone_in_list_names_index(api):
    alice = api.register("79260000001")
    response = api.post(
        "chats/", {"phones": ["79260000002", "12345"]}, token=alice.token
    )
    assert response.status_code == 422
    assert "phones[1]" in response.json()["error"]["message"]


def test_chat_ids_filter_own_chats(api):
    alice = api.register("79260000001")
    bob = api.register("79260000002")
    alice_favorites = api.chat_with(alice, lambda c: c["chatFavorites"])
    bob_favorites = api.chat_with(bob, lambda c: c["chatFavorites"])

    found = api.chats(
        alice, {"chatIds": [alice_favorites["id"], bob_favorites["id"], "x"]}
    )

    assert [chat["id"] for chat in found] == [alice_favorites["id"]]


def test_get_lists_all_chats(api):
    alice = api.register("79260000001")
    response = api.http.request(
        "GET", "/api/v2/chats", headers={"Authorization": f"Bearer {alice.token}"}
    )
    assert [chat["id"] for chat in api.data(response)] == [
        chat["id"] for chat in api.chats(alice)
    ]


def test_chat_object_fields(api):
    alice = api.register("79260000001", profileName="Alice", profileTitle="CTO")
    chat = api.chat_with(alice, lambda c: c["chatFavorites"])
    expected = {
        "id": str,
        "profileName": str,
        "profileCompany": str,
        "profileCompanyId": str,
        "profileTitle": str,
        "profilePhone": str,
        "profilePhoto": str,
        "profileType": int,
        "profileVerified": bool,
        "certificates": list,
        "chatType": int,
        "chatName": str,
        "chatFavorites": bool,
        "waitList": list,
        "lastMessageText": str,
        "lastMessageStatus": int,
        "lastMessageTime": int,
        "unreadMessages": int,
        "status": str,
    }
    assert set(chat) == {*expected, "chatKey"}
    for name, kind in expected.items():
        assert isinstance(chat[name], kind), name
    assert chat["profileTitle"] == "CTO"
    assert chat["chatType"] == 0
    entry = chat["certificates"][0]
    assert set(entry) == {"pid", "cid", "certificate", "hash"}
    assert entry["hash"] == alice.identity.certificate.fingerprint
    assert entry["certificate"] == alice.identity.certificate.to_api_field()


def test_status_per_certificate(api):
    alice = api.register("79260000001")
    alice_phone = api.register("79260000001")
    bob = api.register("79260000002")
    chat = api.chat_with(bob, lambda c: c["profilePhone"] == "79260000001")
    assert len(chat["certificates"]) == 3
    chat_key = api.providers.generate_chat_key(bob.identity, "cms")
    recipients = [c for c in chat["certificates"] if c["cid"] != alice_phone.cid]
    api.send_copies(bob, api.copies(bob, chat, chat_key, recipients))

    views = {
        name: api.chat_with(session, lambda c: c["id"] == chat["id"])
        for name, session in (("alice", alice), ("phone", alice_phone), ("bob", bob))
    }

    assert {name: view["status"] for name, view in views.items()} == {
        "alice": "wait",
        "phone": "wait",
        "bob": "wait",
    }
    assert views["alice"]["chatKey"] is not None
    assert views["phone"]["chatKey"] is None
    assert [c["cid"] for c in views["bob"]["waitList"]] == [alice_phone.cid]


def test_concurrent_activations_one_chat_per_pair(live_api):
    count = 6
    clients = [live_api() for _ in range(count)]
    identities = [
        client.new_identity(f"user{index}") for index, client in enumerate(clients)
    ]
    sessions = [None] * count

    def register(index):
        sessions[index] = clients[index].register(
            f"7926000002{index}", identities[index]
        )

    threads = [
        threading.Thread(target=register, args=(index,)) for index in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    pairs = {}
    for client, session in zip(clients, sessions, strict=True):
        assert session is not None
        chats = client.chats(session)
        personal = [
            c for c in chats if not c["chatFavorites"] and c["profileType"] != 0
        ]
        assert len(chats) == count + 1
        assert len({c["profilePhone"] for c in personal}) == count - 1
        for chat in personal:
            pair = frozenset(entry["pid"] for entry in chat["certificates"])
            pairs.setdefault(pair, set()).add(chat["id"])
    assert len(pairs) == count * (count - 1) // 2
    assert all(len(ids) == 1 for ids in pairs.values())
