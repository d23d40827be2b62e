from __future__ import annotations

from pathlib import Path

import pytest

from chatkeys.engine import SyncEngine, drive
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys.store import Store

from .memory_server import MemoryChat, MemoryServer


@pytest.fixture(scope="module")
def providers() -> Providers:
    return Providers.discover()


@pytest.fixture(scope="module")
def people(providers: Providers) -> dict[str, Identity]:
    return {
        name: providers.generate_identity("ec-p256", name)
        for name in ("alice", "alice2", "bob", "bob2", "carol")
    }


def _participant(people: dict[str, Identity], name: str) -> tuple[str, str, object]:
    pid = name.rstrip("0123456789")
    return (pid, name, people[name].certificate)


def _chat(people: dict[str, Identity], chat_id: str, *names: str) -> MemoryChat:
    return MemoryChat(chat_id, [_participant(people, n) for n in names])  # type: ignore[misc]


def _sync(
    server: MemoryServer,
    providers: Providers,
    people: dict[str, Identity],
    name: str,
    **options: object,
):  # type: ignore[no-untyped-def]
    engine = SyncEngine(providers, people[name], **options)  # type: ignore[arg-type]
    return drive(engine.run(), server.perform_for(name))


def test_new_chat_reaches_sync_for_both(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    report = _sync(server, providers, people, "alice")
    assert report.ok
    assert report.outcomes["c1"].key_id == "key-1"
    assert set(server.chats["c1"].copies) == {"alice", "bob"}
    bob_report = _sync(server, providers, people, "bob")
    assert bob_report.ok
    assert bob_report.outcomes["c1"].key_id == "key-1"
    assert bob_report.copies_sent == 0


def test_wait_without_key_sends_nothing(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "alice2", "bob"))
    _sync(server, providers, people, "bob")
    server.chats["c1"].participants.append(_participant(people, "bob2"))  # type: ignore[arg-type]
    report = _sync(server, providers, people, "bob2")
    outcome = report.outcomes["c1"]
    assert outcome.status == "wait"
    assert outcome.reason == "no_key_for_certificate"
    assert report.copies_sent == 0
    assert server.chats["c1"].key_id == "key-1"
    assert "bob2" not in server.chats["c1"].copies


def test_new_certificate_gets_key_from_holder(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    _sync(server, providers, people, "alice")
    server.chats["c1"].participants.append(_participant(people, "bob2"))  # type: ignore[arg-type]
    report = _sync(server, providers, people, "alice")
    assert report.ok
    assert report.copies_registered == 1
    bob2 = _sync(server, providers, people, "bob2")
    assert bob2.ok
    assert bob2.outcomes["c1"].key_id == "key-1"


def test_one_rejected_copy_keeps_good_ones(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    _sync(server, providers, people, "alice")
    for name in ("alice2", "bob2", "carol"):
        server.chats["c1"].participants.append(_participant(people, name))  # type: ignore[arg-type]
    server.reject["bob2"] = "unknown_certificate"
    report = _sync(server, providers, people, "alice")
    assert set(server.chats["c1"].copies) == {"alice", "bob", "alice2", "carol"}
    outcome = report.outcomes["c1"]
    assert outcome.status == "wait"
    assert [(p.cid, p.reason) for p in outcome.pending] == [
        ("bob2", "unknown_certificate")
    ]
    assert not report.ok
    assert report.copies_rejected == 1

    del server.reject["bob2"]
    retry = _sync(server, providers, people, "alice")
    assert retry.ok
    assert "bob2" in server.chats["c1"].copies


def test_timeout_after_commit_reconciled_without_new_key(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    server.fail_after_commit = 1
    report = _sync(server, providers, people, "alice")
    assert report.ok
    assert report.copies_unknown == 2
    assert len(report.warnings) == 1
    assert "unknown" in report.warnings[0]
    assert server.chats["c1"].key_id == "key-1"
    assert len(server.submitted) == 2  # one copy per certificate, sent once
    assert server.requests == ["chats", "keys:2", "chats"]


def test_lost_request_resends_same_copies(
    tmp_path: Path, providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    server.fail_before_commit = 1
    with Store(tmp_path / "alice.db") as store:
        report = _sync(server, providers, people, "alice", store=store)
    assert report.ok
    first, second = server.submitted[:2], server.submitted[2:]
    assert len(second) == 2
    assert {item["cid"]: item["key"] for item in first} == {
        item["cid"]: item["key"] for item in second
    }
    assert server.chats["c1"].key_id == "key-1"


def test_lost_request_resent_by_next_run(
    tmp_path: Path, providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    server.fail_before_commit = 5  # every attempt of this run is lost
    with Store(tmp_path / "alice.db") as store:
        failed = _sync(server, providers, people, "alice", store=store, max_rounds=1)
        assert not failed.ok
        sent_keys = {item["key"] for item in server.submitted}
        server.fail_before_commit = 0
        report = _sync(server, providers, people, "alice", store=store)
    assert report.ok
    assert {item["key"] for item in server.submitted} == sent_keys


def test_conflict_takes_winner_key(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob", "bob2"))
    server.before_submit = lambda: _sync(server, providers, people, "bob")
    report = _sync(server, providers, people, "alice")
    chat = server.chats["c1"]
    assert chat.key_owner == "bob"
    assert report.ok
    assert report.outcomes["c1"].key_id == chat.key_id
    assert set(chat.copies) == {"alice", "bob", "bob2"}


def test_batches_respect_size(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    for index in range(7):
        server.add_chat(_chat(people, f"c{index}", "alice", "bob"))
    report = _sync(server, providers, people, "alice", batch_size=5)
    assert report.ok
    assert [r for r in server.requests if r.startswith("keys")] == [
        "keys:5",
        "keys:5",
        "keys:4",
    ]


def test_malformed_chat_does_not_stop_others(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "good", "alice", "bob"))
    original = server.chats_payload

    def with_broken_chat(cid: str):  # type: ignore[no-untyped-def]
        payload = original(cid)
        payload["data"].append({"id": "broken", "status": "maybe", "certificates": []})
        return payload

    server.chats_payload = with_broken_chat  # type: ignore[method-assign]
    report = _sync(server, providers, people, "alice")
    assert report.outcomes["good"].status == "sync"
    assert [(p.chat_id, p.field) for p in report.problems] == [("broken", "status")]
    assert not report.ok


def test_unsupported_recipient_named(
    providers: Providers, people: dict[str, Identity]
) -> None:
    from chatkeys.certificates import Certificate

    from .gost_certificate import GOST_256_CERTIFICATE_DER

    server = MemoryServer(providers)
    stranger = Certificate.from_der(GOST_256_CERTIFICATE_DER)
    server.add_chat(
        MemoryChat(
            "c1",
            [
                ("alice", "alice", people["alice"].certificate),
                ("dave", "dave", stranger),
            ],
        )
    )
    blocked = Providers()
    for info in providers.infos:
        if info.name == "soft":
            import chatkeys_soft.plugin

            blocked.register(chatkeys_soft.plugin, "soft")
    report = drive(
        SyncEngine(blocked, people["alice"]).run(), server.perform_for("alice")
    )
    outcome = report.outcomes["c1"]
    assert outcome.status == "new"
    assert outcome.reason == "generate_failed"
    pending = {p.cid: p for p in outcome.pending}
    assert pending["dave"].reason == "export_failed"
    assert "GOST R 34.10-2012 256-bit" in pending["dave"].message
    assert "pip install chatkeys-gost" in pending["dave"].message
    assert server.submitted == []


def test_progress_reported(providers: Providers, people: dict[str, Identity]) -> None:
    server = MemoryServer(providers)
    for index in range(3):
        server.add_chat(_chat(people, f"c{index}", "alice", "bob"))
    seen: list[tuple[str, int, int]] = []
    _sync(
        server, providers, people, "alice", progress=lambda *event: seen.append(event)
    )
    assert ("crypto", 6, 6) in seen
    assert ("submit", 6, 6) in seen


def test_two_workers_give_same_result(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    for index in range(20):
        server.add_chat(_chat(people, f"c{index}", "alice", "bob", "bob2"))
    report = _sync(server, providers, people, "alice", workers=2)
    assert report.ok
    assert report.copies_registered == 60
    for index in range(20):
        assert set(server.chats[f"c{index}"].copies) == {"alice", "bob", "bob2"}
    bob = _sync(server, providers, people, "bob")
    assert bob.ok


def test_lost_request_without_store_keeps_key(
    providers: Providers, people: dict[str, Identity]
) -> None:
    server = MemoryServer(providers)
    server.add_chat(_chat(people, "c1", "alice", "bob"))
    server.fail_before_commit = 1
    report = _sync(server, providers, people, "alice")
    assert report.ok
    first, second = server.submitted[:2], server.submitted[2:]
    assert {item["cid"]: item["key"] for item in first} == {
        item["cid"]: item["key"] for item in second
    }
