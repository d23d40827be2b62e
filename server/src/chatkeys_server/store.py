"""The server's SQLite database: schema, connections and transactions.

The database runs in WAL mode, where readers do not wait for the writer.
Every write happens in one ``BEGIN IMMEDIATE`` transaction, which takes the
write lock at its start: two concurrent registrations of a chat's first key
are therefore serialised, and the second sees the first one's key.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    pid TEXT PRIMARY KEY,
    phone TEXT UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    company_id TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    photo TEXT NOT NULL DEFAULT '',
    type INTEGER NOT NULL DEFAULT 1,
    verified INTEGER NOT NULL DEFAULT 0,
    is_system INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    activated REAL
);
CREATE TABLE IF NOT EXISTS certificates (
    cid TEXT PRIMARY KEY,
    pid TEXT NOT NULL REFERENCES profiles(pid),
    der BLOB NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    registered REAL NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS certificates_pid ON certificates(pid);
CREATE TABLE IF NOT EXISTS phone_requests (
    request_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    profile_fields TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires REAL NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS registration_tokens (
    jti TEXT PRIMARY KEY,
    pid TEXT NOT NULL REFERENCES profiles(pid),
    cid TEXT REFERENCES certificates(cid)
);
CREATE TABLE IF NOT EXISTS challenges (
    challenge_id TEXT PRIMARY KEY,
    cid TEXT NOT NULL REFERENCES certificates(cid),
    challenge BLOB NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    pair TEXT NOT NULL UNIQUE,
    type INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    favorites INTEGER NOT NULL DEFAULT 0,
    system INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    current_key TEXT
);
CREATE TABLE IF NOT EXISTS chat_members (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    pid TEXT NOT NULL REFERENCES profiles(pid),
    PRIMARY KEY (chat_id, pid)
);
CREATE INDEX IF NOT EXISTS chat_members_pid ON chat_members(pid);
CREATE TABLE IF NOT EXISTS chat_keys (
    key_id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    creator_cid TEXT NOT NULL REFERENCES certificates(cid),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS key_copies (
    key_id TEXT NOT NULL REFERENCES chat_keys(key_id),
    cid TEXT NOT NULL REFERENCES certificates(cid),
    pid TEXT NOT NULL REFERENCES profiles(pid),
    copy BLOB NOT NULL,
    sign BLOB NOT NULL,
    exporter_cid TEXT NOT NULL REFERENCES certificates(cid),
    registered REAL NOT NULL,
    PRIMARY KEY (key_id, cid)
);
"""


class Store:
    """The database file at `path`, opened anew for every transaction.

    A connection per transaction keeps the store safe to use from any thread
    of the server's thread pool. One more connection stays open until
    `close()`: when the last connection to a WAL database closes, SQLite
    checkpoints and deletes the WAL file, which would otherwise happen at the
    end of every transaction.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keeper: sqlite3.Connection | None = self._connect()
        self._keeper.execute("PRAGMA journal_mode=WAL")
        self._keeper.executescript(SCHEMA)
        logger.debug("database %s is ready", path)

    def close(self) -> None:
        """Close the connection that keeps the database open."""
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside a read transaction (one consistent snapshot)."""
        with self._transaction("BEGIN") as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside a ``BEGIN IMMEDIATE`` write transaction.

        The transaction commits when the block ends and rolls back when it
        raises.
        """
        with self._transaction("BEGIN IMMEDIATE") as connection:
            yield connection

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        connection = self._connect()
        try:
            connection.execute(begin)
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()
