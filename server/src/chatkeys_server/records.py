"""Queries shared by the server's operations: participants, certificates, keys.

Each function takes a connection inside a transaction of `chatkeys_server.store`
and neither commits nor rolls back.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass

from chatkeys.certificates import Certificate

STALE_SECONDS = 24 * 3600
"""Age past expiry after which phone requests and challenges are deleted.

Until then, a request that uses one is rejected as expired, not unknown.
"""


def new_id() -> str:
    """Return a fresh random identifier for a profile, certificate, chat or key."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ParticipantCertificate:
    """An active certificate `cid` of profile `pid`, with its DER as received."""

    pid: str
    cid: str
    der: bytes

    @property
    def certificate(self) -> Certificate:
        """The parsed certificate (cached by the DER's hash)."""
        return Certificate.from_der(self.der)


def participant_certificates(
    connection: sqlite3.Connection, chat_id: str
) -> list[ParticipantCertificate]:
    """Return every active certificate of every member of `chat_id`."""
    rows = connection.execute(
        "SELECT c.pid, c.cid, c.der FROM chat_members m "
        "JOIN certificates c ON c.pid = m.pid AND c.retired = 0 "
        "WHERE m.chat_id = ? ORDER BY c.registered, c.cid",
        (chat_id,),
    ).fetchall()
    return [ParticipantCertificate(row["pid"], row["cid"], row["der"]) for row in rows]


def active_certificate(
    connection: sqlite3.Connection, cid: str
) -> ParticipantCertificate | None:
    """Return the active certificate `cid`, or None when unknown or retired."""
    row = connection.execute(
        "SELECT pid, cid, der FROM certificates WHERE cid = ? AND retired = 0", (cid,)
    ).fetchone()
    if row is None:
        return None
    return ParticipantCertificate(row["pid"], row["cid"], row["der"])


def is_member(connection: sqlite3.Connection, chat_id: str, pid: str) -> bool:
    """Return whether profile `pid` is a member of chat `chat_id`."""
    row = connection.execute(
        "SELECT 1 FROM chat_members WHERE chat_id = ? AND pid = ?", (chat_id, pid)
    ).fetchone()
    return row is not None


def current_key(connection: sqlite3.Connection, chat_id: str) -> str | None:
    """Return the id of the current key of `chat_id`, or None when it has none."""
    row = connection.execute(
        "SELECT current_key FROM chats WHERE id = ?", (chat_id,)
    ).fetchone()
    return None if row is None else row["current_key"]


def key_creator(connection: sqlite3.Connection, key_id: str) -> str:
    """Return the certificate that registered the first copy of `key_id`."""
    row = connection.execute(
        "SELECT creator_cid FROM chat_keys WHERE key_id = ?", (key_id,)
    ).fetchone()
    return str(row["creator_cid"])


def copies_of_key(connection: sqlite3.Connection, key_id: str) -> dict[str, bytes]:
    """Return the registered copies of `key_id` by recipient certificate."""
    rows = connection.execute(
        "SELECT cid, copy FROM key_copies WHERE key_id = ?", (key_id,)
    ).fetchall()
    return {row["cid"]: row["copy"] for row in rows}


def insert_key(connection: sqlite3.Connection, chat_id: str, creator_cid: str) -> str:
    """Record a new key of `chat_id` made by `creator_cid` and make it current."""
    key_id = new_id()
    connection.execute(
        "INSERT INTO chat_keys (key_id, chat_id, creator_cid, created) "
        "VALUES (?, ?, ?, ?)",
        (key_id, chat_id, creator_cid, time.time()),
    )
    connection.execute(
        "UPDATE chats SET current_key = ? WHERE id = ?", (key_id, chat_id)
    )
    return key_id


def insert_copy(
    connection: sqlite3.Connection,
    key_id: str,
    recipient: ParticipantCertificate,
    copy: bytes,
    sign: bytes,
    exporter_cid: str,
) -> None:
    """Record a copy of `key_id` exported to `recipient`, signed by `exporter_cid`."""
    connection.execute(
        "INSERT INTO key_copies "
        "(key_id, cid, pid, copy, sign, exporter_cid, registered) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key_id, recipient.cid, recipient.pid, copy, sign, exporter_cid, time.time()),
    )
