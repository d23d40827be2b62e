"""Chats: creation on activation and on phone lists, and the Chat objects.

Three kinds of chat exist here, all of `chatType` 0: personal chats between
two profiles, the Favorites chat of a profile with itself, and the chat of a
profile with the system contact. The column ``pair`` names the members of
each (sorted profile ids, ``favorites:<pid>`` or ``system:<pid>``), so a
chat is never created twice for the same members, even by concurrent
requests.

Status is computed per requesting certificate: ``new`` when the chat has no
key, ``sync`` when every active certificate of every member has a copy of the
current key, ``wait`` otherwise.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys_server import records
from chatkeys_server.system import SystemContact

STATUS_NEW = "new"
STATUS_WAIT = "wait"
STATUS_SYNC = "sync"


def _create_chat(
    connection: sqlite3.Connection,
    pair: str,
    members: Sequence[str],
    *,
    favorites: bool,
) -> tuple[str, bool]:
    row = connection.execute("SELECT id FROM chats WHERE pair = ?", (pair,)).fetchone()
    if row is not None:
        return str(row["id"]), False
    chat_id = records.new_id()
    connection.execute(
        "INSERT INTO chats (id, pair, favorites, system, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (chat_id, pair, int(favorites), int(pair.startswith("system:")), time.time()),
    )
    connection.executemany(
        "INSERT INTO chat_members (chat_id, pid) VALUES (?, ?)",
        [(chat_id, member) for member in dict.fromkeys(members)],
    )
    return chat_id, True


def create_personal_chat(
    connection: sqlite3.Connection, pid: str, other_pid: str
) -> tuple[str, bool]:
    """Return the personal chat of two profiles, creating it without keys.

    The flag is True when the chat was created by this call.
    """
    pair = ":".join(sorted((pid, other_pid)))
    return _create_chat(connection, pair, (pid, other_pid), favorites=False)


def activate_profile(
    connection: sqlite3.Connection, pid: str, system: SystemContact
) -> None:
    """Create the chats of a profile that registered its first certificate.

    Favorites and a personal chat with every other active profile are created
    without keys. The chat with the system contact gets a key the server
    makes and exports to every certificate.
    """
    connection.execute(
        "UPDATE profiles SET activated = ? WHERE pid = ? AND activated IS NULL",
        (time.time(), pid),
    )
    _create_chat(connection, f"favorites:{pid}", (pid,), favorites=True)

    system_chat, created = _create_chat(
        connection, f"system:{pid}", (pid, system.pid), favorites=False
    )
    if created:
        system.make_key(connection, system_chat)
    else:
        system.share(connection, system_chat)

    others = connection.execute(
        "SELECT pid FROM profiles WHERE activated IS NOT NULL AND is_system = 0 "
        "AND pid != ?",
        (pid,),
    ).fetchall()
    for row in others:
        create_personal_chat(connection, pid, row["pid"])


def chats_for_phones(
    connection: sqlite3.Connection, pid: str, phones: Sequence[str]
) -> list[str]:
    """Return the personal chats of `pid` with the active profiles of `phones`.

    Missing chats are created without keys. Numbers of no active profile,
    and the caller's own number, are ignored. `phones` are normalised.
    """
    chat_ids: list[str] = []
    for phone in dict.fromkeys(phones):
        row = connection.execute(
            "SELECT pid FROM profiles WHERE phone = ? AND activated IS NOT NULL "
            "AND is_system = 0 AND pid != ?",
            (phone, pid),
        ).fetchone()
        if row is not None:
            chat_id, _ = create_personal_chat(connection, pid, row["pid"])
            chat_ids.append(chat_id)
    return chat_ids


def member_chat_ids(connection: sqlite3.Connection, pid: str) -> list[str]:
    """Return the ids of every chat `pid` is a member of, oldest first."""
    rows = connection.execute(
        "SELECT c.id FROM chat_members m JOIN chats c ON c.id = m.chat_id "
        "WHERE m.pid = ? ORDER BY c.created, c.id",
        (pid,),
    ).fetchall()
    return [row["id"] for row in rows]


def render_chats(
    connection: sqlite3.Connection, pid: str, cid: str, chat_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Return the Chat objects of `chat_ids` for `pid` logged in with `cid`.

    Chats `pid` is not a member of are left out.
    """
    members_of: dict[str, list[str]] = {}
    ids = json.dumps(list(dict.fromkeys(chat_ids)))
    for row in connection.execute(
        "SELECT m.chat_id, m.pid FROM chat_members m "
        "WHERE m.chat_id IN (SELECT value FROM json_each(?)) "
        "AND m.chat_id IN (SELECT chat_id FROM chat_members WHERE pid = ?)",
        (ids, pid),
    ):
        members_of.setdefault(row["chat_id"], []).append(row["pid"])
    if not members_of:
        return []

    all_members = json.dumps(
        sorted({p for members in members_of.values() for p in members})
    )
    profiles = {
        row["pid"]: row
        for row in connection.execute(
            "SELECT * FROM profiles WHERE pid IN (SELECT value FROM json_each(?))",
            (all_members,),
        )
    }
    certificates_of: dict[str, list[dict[str, str]]] = {}
    for row in connection.execute(
        "SELECT pid, cid, der FROM certificates WHERE retired = 0 "
        "AND pid IN (SELECT value FROM json_each(?)) ORDER BY registered, cid",
        (all_members,),
    ):
        certificates_of.setdefault(row["pid"], []).append(_certificate_entry(row))

    chats = {
        row["id"]: row
        for row in connection.execute(
            "SELECT * FROM chats WHERE id IN (SELECT value FROM json_each(?)) "
            "ORDER BY created, id",
            (json.dumps(list(members_of)),),
        )
    }
    copies_of: dict[str, dict[str, bytes]] = {}
    for row in connection.execute(
        "SELECT c.id AS chat_id, k.cid, k.copy FROM chats c "
        "JOIN key_copies k ON k.key_id = c.current_key "
        "WHERE c.id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(members_of)),),
    ):
        copies_of.setdefault(row["chat_id"], {})[row["cid"]] = row["copy"]

    result = []
    for chat_id, chat in chats.items():
        members = members_of[chat_id]
        others = [member for member in members if member != pid]
        contact = profiles[others[0] if others else pid]
        certificates = [
            entry for member in members for entry in certificates_of.get(member, [])
        ]
        copies = copies_of.get(chat_id, {})
        result.append(_chat_object(chat, contact, certificates, copies, cid))
    return result


def _certificate_entry(row: sqlite3.Row) -> dict[str, str]:
    certificate = Certificate.from_der(row["der"])
    return {
        "pid": row["pid"],
        "cid": row["cid"],
        "certificate": certificate.to_api_field(),
        "hash": certificate.fingerprint,
    }


def _chat_object(
    chat: sqlite3.Row,
    contact: sqlite3.Row,
    certificates: list[dict[str, str]],
    copies: dict[str, bytes],
    cid: str,
) -> dict[str, Any]:
    key_id = chat["current_key"]
    wait_list = [entry for entry in certificates if entry["cid"] not in copies]
    if key_id is None:
        status = STATUS_NEW
    elif wait_list:
        status = STATUS_WAIT
    else:
        status = STATUS_SYNC
    own_copy = copies.get(cid) if key_id is not None else None
    chat_key = (
        None
        if own_copy is None
        else {"id": key_id, "key": base64.b64encode(own_copy).decode("ascii")}
    )
    return {
        "id": chat["id"],
        "profileName": contact["name"],
        "profileCompany": contact["company"],
        "profileCompanyId": contact["company_id"],
        "profileTitle": contact["title"],
        "profilePhone": contact["phone"] or "",
        "profilePhoto": contact["photo"],
        "profileType": contact["type"],
        "profileVerified": bool(contact["verified"]),
        "certificates": certificates,
        "chatType": chat["type"],
        "chatName": chat["name"],
        "chatFavorites": bool(chat["favorites"]),
        "chatKey": chat_key,
        "waitList": wait_list,
        "lastMessageText": "",
        "lastMessageStatus": 0,
        "lastMessageTime": int(chat["created"]),
        "unreadMessages": 0,
        "status": status,
    }
