"""The server in a background thread over real HTTP, and its shutdown."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from chatkeys_server.testing import run_server


def test_real_http_round_trip(live_api):
    client = live_api()
    alice = client.register("79260000001")
    bob = client.register("79260000002")

    chats = client.chats(alice)

    assert len(chats) == 3
    assert (
        client.chat_with(bob, lambda c: c["profilePhone"] == "79260000001")["status"]
        == "new"
    )


def test_shutdown_closes_port(config, providers):
    with run_server(config, providers) as server:
        response = httpx.post(
            f"{server.base_url}/api/v2/registryPhone", json={"phone": "x"}
        )
        assert response.status_code == 422
        address = urlsplit(server.base_url)

    with socket.socket() as probe:
        assert probe.connect_ex((address.hostname, address.port)) != 0


def test_start_and_stop_logged(config, providers, caplog):
    caplog.set_level("INFO", logger="chatkeys_server")
    with run_server(config, providers):
        pass
    assert "chatkeys server started" in caplog.text
    assert "chatkeys server stopped" in caplog.text


def test_rejections_logged_without_secrets(api, caplog):
    caplog.set_level("INFO", logger="chatkeys_server")
    alice = api.register("79260000001")
    chat = api.chat_with(alice, lambda c: c["chatFavorites"])
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    entries = api.copies(alice, chat, chat_key, chat["certificates"])
    entries[0]["sign"] = api.sign(b"other", alice.identity)

    api.send_copies(alice, entries)

    rejected = [
        r.getMessage() for r in caplog.records if "bad_signature" in r.getMessage()
    ]
    assert len(rejected) == 1
    assert chat["id"] in rejected[0]
    assert alice.cid in rejected[0]
    assert entries[0]["key"] not in caplog.text
    assert entries[0]["sign"] not in caplog.text
    assert alice.token not in caplog.text
