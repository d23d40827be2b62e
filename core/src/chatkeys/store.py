"""The local store: chats, pending key copies and reasons, in SQLite.

One transaction per applied chat list, so a crash never leaves half a list.
Writes use ``BEGIN IMMEDIATE`` with a busy time-out and WAL journaling, so
several processes can share one store file without losing an update. Each
applied list gets the next value of a store-wide generation counter, and a
row is only overwritten by a list applied later.

Chat keys in clear are stored only when the store is opened with
``keep_keys=True``; otherwise the store keeps ids, statuses, the exported
(wrapped) copies of a `new` chat awaiting registration, and reasons.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chatkeys.chatkey import ChatKey
from chatkeys.errors import StoreError
from chatkeys.model import ChatList
from chatkeys.report import SyncReport
from chatkeys.submissions import KeySubmission

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2

_MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE chats (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            chat_type INTEGER NOT NULL,
            favorites INTEGER NOT NULL,
            name TEXT NOT NULL,
            profile_name TEXT NOT NULL,
            profile_phone TEXT NOT NULL,
            key_id TEXT NOT NULL,
            wait_count INTEGER NOT NULL,
            generation INTEGER NOT NULL
        );
        CREATE TABLE pending_copies (
            chat_id TEXT NOT NULL,
            exporter TEXT NOT NULL,
            pid TEXT NOT NULL,
            cid TEXT NOT NULL,
            key BLOB NOT NULL,
            sign BLOB NOT NULL,
            created REAL NOT NULL,
            PRIMARY KEY (chat_id, exporter, cid)
        );
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta VALUES ('generation', 0);
    """,
    2: """
        ALTER TABLE chats ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE chats ADD COLUMN detail TEXT NOT NULL DEFAULT '';
        CREATE TABLE pending_reasons (
            chat_id TEXT NOT NULL,
            pid TEXT NOT NULL,
            cid TEXT NOT NULL,
            reason TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (chat_id, cid)
        );
        CREATE TABLE chat_keys (
            chat_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            cipher TEXT NOT NULL,
            secret BLOB NOT NULL,
            parameters BLOB NOT NULL,
            PRIMARY KEY (chat_id, key_id)
        );
    """,
}


@dataclass(frozen=True, slots=True)
class StoredChat:
    """A chat as the store last saw it; `reason` explains a chat not `sync`."""

    id: str
    status: str
    chat_type: int
    favorites: bool
    name: str
    profile_name: str
    profile_phone: str
    key_id: str
    wait_count: int
    reason: str
    detail: str
    generation: int


@dataclass(frozen=True, slots=True)
class StoredPending:
    """A certificate of a chat still waiting for the key, with the last reason."""

    chat_id: str
    pid: str
    cid: str
    reason: str
    message: str


class Store:
    """A SQLite store file shared safely by threads and processes."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keep_keys: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.keep_keys = keep_keys
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                self.path,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the store {self.path}: {error}") from error

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise StoreError(
                    f"cannot write the store {self.path}: {error}"
                ) from error
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            else:
                try:
                    self._connection.execute("COMMIT")
                except sqlite3.Error as error:
                    self._connection.execute("ROLLBACK")
                    raise StoreError(
                        f"cannot commit to the store {self.path}: {error}"
                    ) from error

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.path} has schema version {version}, newer than "
                    f"this chatkeys ({SCHEMA_VERSION}); upgrade chatkeys"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                logger.info(
                    "migrating store %s to schema version %d", self.path, target
                )
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target:d}")

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._lock:
            return int(self._connection.execute("PRAGMA user_version").fetchone()[0])

    def apply_chat_list(self, chat_list: ChatList) -> None:
        """Store every chat of `chat_list` in one transaction."""
        try:
            with self._transaction() as db:
                db.execute(
                    "UPDATE meta SET value = value + 1 WHERE name = 'generation'"
                )
                generation = db.execute(
                    "SELECT value FROM meta WHERE name = 'generation'"
                ).fetchone()[0]
                db.executemany(
                    """
                    INSERT INTO chats (id, status, chat_type, favorites, name,
                        profile_name, profile_phone, key_id, wait_count, generation)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        status = excluded.status,
                        chat_type = excluded.chat_type,
                        favorites = excluded.favorites,
                        name = excluded.name,
                        profile_name = excluded.profile_name,
                        profile_phone = excluded.profile_phone,
                        key_id = excluded.key_id,
                        wait_count = excluded.wait_count,
                        generation = excluded.generation
                    WHERE excluded.generation > chats.generation
                    """,
                    [
                        (
                            chat.id,
                            chat.status.value,
                            int(chat.chat_type),
                            int(chat.favorites),
                            chat.name,
                            chat.profile.name,
                            chat.profile.phone,
                            chat.chat_key.id if chat.chat_key else "",
                            len(chat.wait_list),
                            generation,
                        )
                        for chat in chat_list.chats
                    ],
                )
        except sqlite3.Error as error:
            raise StoreError(f"cannot store chats in {self.path}: {error}") from error

    def chats(self) -> list[StoredChat]:
        """Return every stored chat, ordered by id."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT id, status, chat_type, favorites, name, profile_name, "
                "profile_phone, key_id, wait_count, reason, detail, generation "
                "FROM chats ORDER BY id"
            ).fetchall()
        return [
            StoredChat(
                id=row[0],
                status=row[1],
                chat_type=row[2],
                favorites=bool(row[3]),
                name=row[4],
                profile_name=row[5],
                profile_phone=row[6],
                key_id=row[7],
                wait_count=row[8],
                reason=row[9],
                detail=row[10],
                generation=row[11],
            )
            for row in rows
        ]

    def pending_reasons(self, chat_id: str | None = None) -> list[StoredPending]:
        """Return the certificates still waiting, with the last reason."""
        query = "SELECT chat_id, pid, cid, reason, message FROM pending_reasons"
        parameters: tuple[str, ...] = ()
        if chat_id is not None:
            query += " WHERE chat_id = ?"
            parameters = (chat_id,)
        with self._lock:
            rows = self._connection.execute(
                query + " ORDER BY chat_id, cid", parameters
            )
            return [StoredPending(*row) for row in rows.fetchall()]

    def pending_copies(self, chat_id: str, exporter: str) -> list[KeySubmission]:
        """Return the copies saved for `chat_id` by the certificate `exporter`."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT pid, cid, key, sign FROM pending_copies "
                "WHERE chat_id = ? AND exporter = ? ORDER BY cid",
                (chat_id, exporter),
            ).fetchall()
        return [
            KeySubmission(chat_id, pid, cid, key, sign) for pid, cid, key, sign in rows
        ]

    def save_pending_copies(
        self, exporter: str, copies: Sequence[KeySubmission]
    ) -> None:
        """Save the copies of new keys before they are sent."""
        if not copies:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO pending_copies VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.chat_id, exporter, c.pid, c.cid, c.key, c.sign, time.time())
                    for c in copies
                ],
            )

    def clear_pending_copies(self, chat_id: str) -> None:
        """Forget the saved copies of `chat_id` (its key is registered or lost)."""
        with self._transaction() as db:
            db.execute("DELETE FROM pending_copies WHERE chat_id = ?", (chat_id,))

    def record_outcomes(self, report: SyncReport) -> None:
        """Store each chat's reason and its waiting certificates from `report`."""
        with self._transaction() as db:
            for outcome in report.outcomes.values():
                db.execute(
                    "UPDATE chats SET reason = ?, detail = ? WHERE id = ?",
                    (outcome.reason, outcome.detail, outcome.chat_id),
                )
                db.execute(
                    "DELETE FROM pending_reasons WHERE chat_id = ?", (outcome.chat_id,)
                )
                db.executemany(
                    "INSERT OR REPLACE INTO pending_reasons VALUES (?, ?, ?, ?, ?)",
                    [
                        (outcome.chat_id, p.pid, p.cid, p.reason, p.message)
                        for p in outcome.pending
                    ],
                )

    def save_chat_key(self, chat_id: str, key_id: str, chat_key: ChatKey) -> None:
        """Keep a chat key in clear; needs a store opened with ``keep_keys=True``."""
        if not self.keep_keys:
            raise StoreError(
                "this store does not keep chat keys; open it with keep_keys=True to "
                "cache keys in clear"
            )
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO chat_keys VALUES (?, ?, ?, ?, ?)",
                (
                    chat_id,
                    key_id,
                    chat_key.cipher,
                    chat_key.secret,
                    chat_key.parameters,
                ),
            )

    def load_chat_key(self, chat_id: str, key_id: str) -> ChatKey | None:
        """Return a cached chat key, or None when it is not cached."""
        with self._lock:
            row = self._connection.execute(
                "SELECT cipher, secret, parameters FROM chat_keys "
                "WHERE chat_id = ? AND key_id = ?",
                (chat_id, key_id),
            ).fetchone()
        return None if row is None else ChatKey(row[0], row[1], row[2])
