"""Phone confirmation, certificate registration and profile activation."""

from __future__ import annotations

from chatkeys_server.system import SYSTEM_NAME


def test_activation_creates_three_kinds(api):
    alice = api.register("79260000001", profileName="Alice")
    bob = api.register("+7 (926) 000-00-02", profileName="Bob")

    chats = api.chats(bob)
    favorites = [chat for chat in chats if chat["chatFavorites"]]
    system = [chat for chat in chats if chat["profileType"] == 0]
    personal = [chat for chat in chats if chat["profilePhone"] == "79260000001"]
    assert len(chats) == 3
    assert len(favorites) == 1
    assert len(system) == 1
    assert len(personal) == 1
    assert favorites[0]["profileName"] == "Bob"
    assert favorites[0]["status"] == "new"
    assert system[0]["profileName"] == SYSTEM_NAME
    assert system[0]["status"] == "sync"
    assert personal[0]["profileName"] == "Alice"
    assert personal[0]["status"] == "new"
    assert {c["cid"] for c in personal[0]["certificates"]} == {alice.cid, bob.cid}
