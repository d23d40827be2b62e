from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import StoreError
from chatkeys.model import ChatList, ChatStatus, parse_chats
from chatkeys.planner import Action
from chatkeys.report import ChatOutcome, PendingCertificate, SyncReport
from chatkeys.store import SCHEMA_VERSION, Store
from chatkeys.submissions import KeySubmission

from .conftest import ChatFactory, participant_json


def _chat_list(
    chat_json: ChatFactory, pool: list[Certificate], ids: list[str], status: str = "new"
) -> ChatList:
    certificates = [
        participant_json("p1", "c1", pool[0]),
        participant_json("p2", "c2", pool[1]),
    ]
    return parse_chats(
        [chat_json(chat_id=i, status=status, certificates=certificates) for i in ids]
    )


def test_apply_and_read_back(
    tmp_path: Path, chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.apply_chat_list(_chat_list(chat_json, certificate_pool, ["a", "b"]))
        chats = store.chats()
    assert [c.id for c in chats] == ["a", "b"]
    assert chats[0].status == "new"
    assert chats[0].profile_phone == "79261234567"


def test_later_list_overwrites_earlier(
    tmp_path: Path, chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.apply_chat_list(_chat_list(chat_json, certificate_pool, ["a"], "new"))
        store.apply_chat_list(_chat_list(chat_json, certificate_pool, ["a"], "wait"))
        assert store.chats()[0].status == "wait"
        assert store.chats()[0].generation == 2


def test_schema_version_recorded(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == SCHEMA_VERSION


def test_migrates_version_one_file(
    tmp_path: Path, chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE chats (
            id TEXT PRIMARY KEY, status TEXT NOT NULL, chat_type INTEGER NOT NULL,
            favorites INTEGER NOT NULL, name TEXT NOT NULL,
            profile_name TEXT NOT NULL, profile_phone TEXT NOT NULL,
            key_id TEXT NOT NULL, wait_count INTEGER NOT NULL,
            generation INTEGER NOT NULL);
        CREATE TABLE pending_copies (
            chat_id TEXT NOT NULL, exporter TEXT NOT NULL, pid TEXT NOT NULL,
            cid TEXT NOT NULL, key BLOB NOT NULL, sign BLOB NOT NULL,
            created REAL NOT NULL, PRIMARY KEY (chat_id, exporter, cid));
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta VALUES ('generation', 5);
        INSERT INTO chats VALUES ('old', 'sync', 0, 0, '', 'n', '', 'k', 0, 5);
        PRAGMA user_version = 1;
        """
    )
    connection.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.chats()[0].id == "old"
        assert store.chats()[0].reason == ""
        store.apply_chat_list(_chat_list(chat_json, certificate_pool, ["new"]))
        generations = {chat.id: chat.generation for chat in store.chats()}
        assert generations == {"old": 5, "new": 6}


def test_newer_schema_rejected(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer than this chatkeys"):
        Store(path)


def test_pending_copies_scoped_by_exporter(tmp_path: Path) -> None:
    copies = [
        KeySubmission("a", "p1", "c1", b"k1", b"s1"),
        KeySubmission("a", "p2", "c2", b"k2", b"s2"),
    ]
    with Store(tmp_path / "s.db") as store:
        store.save_pending_copies("fp-1", copies)
        assert store.pending_copies("a", "fp-1") == copies
        assert store.pending_copies("a", "fp-2") == []
        store.clear_pending_copies("a")
        assert store.pending_copies("a", "fp-1") == []


def test_outcomes_recorded(
    tmp_path: Path, chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    report = SyncReport()
    report.outcomes["a"] = ChatOutcome(
        "a",
        ChatStatus.WAIT,
        Action.RESHARE,
        "bad_signature",
        "rejected",
        pending=(
            PendingCertificate(
                "p2", "c2", "bad_signature", "signature does not verify"
            ),
        ),
    )
    with Store(tmp_path / "s.db") as store:
        store.apply_chat_list(_chat_list(chat_json, certificate_pool, ["a"]))
        store.record_outcomes(report)
        assert store.chats()[0].reason == "bad_signature"
        pending = store.pending_reasons("a")
    assert [(p.cid, p.reason) for p in pending] == [("c2", "bad_signature")]


def test_chat_keys_need_opt_in(tmp_path: Path) -> None:
    key = ChatKey("aes-256-gcm", b"\x01" * 32)
    with (
        Store(tmp_path / "s.db") as store,
        pytest.raises(StoreError, match="keep_keys=True"),
    ):
        store.save_chat_key("a", "k", key)
    with Store(tmp_path / "s.db", keep_keys=True) as store:
        store.save_chat_key("a", "k", key)
        assert store.load_chat_key("a", "k") == key
        assert store.load_chat_key("a", "other") is None


def test_unwritable_path_is_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(blocker / "s.db")


_WRITER = """
import sys
from chatkeys.model import parse_chats
from chatkeys.store import Store
from chatkeys.submissions import KeySubmission

path, worker, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Store(path) as store:
    for index in range(rounds):
        chat = {"id": f"w{worker}-{index}", "status": "new", "certificates": []}
        store.apply_chat_list(parse_chats([chat]))
        copy = KeySubmission(f"shared-{index}", "p", f"c{worker}", b"k", b"s")
        store.save_pending_copies(f"fp{worker}", [copy])
"""


def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    Store(path).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, path, str(n), "60"])
        for n in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    with Store(path) as store:
        ids = {chat.id for chat in store.chats()}
        assert ids == {f"w{w}-{i}" for w in range(2) for i in range(60)}
        assert max(chat.generation for chat in store.chats()) == 120
        for index in range(60):
            assert len(store.pending_copies(f"shared-{index}", "fp0")) == 1
            assert len(store.pending_copies(f"shared-{index}", "fp1")) == 1
