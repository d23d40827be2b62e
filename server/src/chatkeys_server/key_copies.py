"""Registration of key copies (``POST chatsKeys/``).

Each copy is judged on its own and gets a result in request order, so one
bad copy never drops the good ones. The exporter is the caller's current
certificate, and every copy's ``sign`` must verify over its ``key`` bytes
with it. Reasons are checked in this order: ``invalid`` (undecodable
base64), ``unknown_chat`` (the chat does not exist *or* the caller is not a
member: both get the same reason, so chats of others stay hidden),
``unknown_certificate`` (no such active certificate of that profile),
``not_participant`` (the recipient's profile is not a member of the chat),
``bad_signature``, then the key rules below.

The server cannot see inside copies, so it tells which key a copy carries
from who sent it. All copies of one chat in one request are taken to carry
the same key, and judged together:

- A chat without a key takes the caller's key as its current key, with the
  caller as the key's creator.
- A chat with a current key accepts copies from the key's creator and from
  callers with a registered copy of it. The exception is a request that also
  carries a copy for the caller's own certificate that differs from the
  registered one, because that caller made a key of its own.
- Copies from anyone else are a ``conflict``. The caller must fetch the
  chats, import the current key from ``chatKey`` and share that key.

All of it runs in one ``BEGIN IMMEDIATE`` transaction, so of two concurrent
first keys exactly one wins. A copy identical to the registered one is
``unchanged``. A different copy for a certificate that already has one of the
current key is also ``unchanged``: the first copy is kept, because its
recipient may already have imported it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from chatkeys_server import records
from chatkeys_server.errors import RequestRejected
from chatkeys_server.records import ParticipantCertificate
from chatkeys_server.state import ServerState
from chatkeys_server.validation import get_string, require_object

logger = logging.getLogger(__name__)

REGISTERED = "registered"
UNCHANGED = "unchanged"
REJECTED = "rejected"


@dataclass(slots=True)
class _Copy:
    chat_id: str
    pid: str
    cid: str
    key: bytes | None
    sign: bytes | None
    signature_valid: bool = False
    status: str = ""
    reason: str | None = None
    message: str = ""
    key_id: str | None = None

    def reject(self, reason: str, message: str) -> None:
        self.status, self.reason, self.message = REJECTED, reason, message

    def result(self) -> dict[str, Any]:
        return {
            "chatId": self.chat_id,
            "pid": self.pid,
            "cid": self.cid,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "keyId": self.key_id,
        }


def _decode(value: str) -> bytes | None:
    try:
        decoded = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def parse_copies(body: Any, max_copies: int) -> list[_Copy]:
    """Check the shape of a ``chatsKeys`` body and return its copies."""
    body = require_object(body)
    if "keys" not in body or body["keys"] is None:
        raise RequestRejected(422, "missing_field", "field 'keys' is required")
    entries = body["keys"]
    if not isinstance(entries, list):
        raise RequestRejected(422, "invalid_field", "field 'keys' must be a list")
    if len(entries) > max_copies:
        raise RequestRejected(
            422,
            "too_many_keys",
            f"field 'keys' has {len(entries)} copies, more than the limit of "
            f"{max_copies}: send them in several requests",
        )
    copies = []
    for index, entry in enumerate(entries):
        path = f"keys[{index}]"
        entry = require_object(entry, path)
        key_field = get_string(entry, "key", path)
        sign_field = get_string(entry, "sign", path)
        copy = _Copy(
            chat_id=get_string(entry, "chatId", path),
            pid=get_string(entry, "pid", path),
            cid=get_string(entry, "cid", path),
            key=_decode(key_field),
            sign=_decode(sign_field),
        )
        if copy.key is None or copy.sign is None:
            field = "key" if copy.key is None else "sign"
            copy.reject("invalid", f"field {path}.{field} is empty or not base64")
        copies.append(copy)
    return copies


def register_copies(
    state: ServerState, exporter: ParticipantCertificate, body: Any
) -> dict[str, Any]:
    """Judge and register the copies of a ``chatsKeys`` body sent by `exporter`."""
    copies = parse_copies(body, state.config.max_copies_per_request)

    verified: dict[tuple[bytes, bytes], bool] = {}
    for copy in copies:
        if copy.status or copy.key is None or copy.sign is None:
            continue
        pair = (copy.key, copy.sign)
        if pair not in verified:
            verified[pair] = state.checker.verify(
                copy.key, copy.sign, exporter.certificate
            )
        copy.signature_valid = verified[pair]

    with state.store.write() as connection:
        for copy in copies:
            if not copy.status:
                _check_addressing(connection, exporter, copy)
        _apply_key_rules(connection, exporter, copies)

    for copy in copies:
        if copy.status == REJECTED:
            logger.warning(
                "key copy rejected (%s): chat %s, exporter certificate %s, "
                "recipient certificate %s",
                copy.reason,
                copy.chat_id,
                exporter.cid,
                copy.cid,
            )
    return {"results": [copy.result() for copy in copies]}


def _check_addressing(
    connection: sqlite3.Connection, exporter: ParticipantCertificate, copy: _Copy
) -> None:
    if not records.is_member(connection, copy.chat_id, exporter.pid):
        copy.reject(
            "unknown_chat",
            f"chat {copy.chat_id!r} does not exist or you are not a member of it",
        )
        return
    recipient = records.active_certificate(connection, copy.cid)
    if recipient is None or recipient.pid != copy.pid:
        copy.reject(
            "unknown_certificate",
            f"certificate {copy.cid!r} of profile {copy.pid!r} is not registered",
        )
        return
    if not records.is_member(connection, copy.chat_id, recipient.pid):
        copy.reject(
            "not_participant",
            f"profile {copy.pid!r} is not a member of chat {copy.chat_id!r}",
        )
        return
    if not copy.signature_valid:
        copy.reject(
            "bad_signature",
            f"field 'sign' does not verify over 'key' with your certificate "
            f"{exporter.cid!r}",
        )


def _apply_key_rules(
    connection: sqlite3.Connection,
    exporter: ParticipantCertificate,
    copies: list[_Copy],
) -> None:
    by_chat: dict[str, list[_Copy]] = {}
    for copy in copies:
        if not copy.status:
            by_chat.setdefault(copy.chat_id, []).append(copy)

    for chat_id, chat_copies in by_chat.items():
        key_id = records.current_key(connection, chat_id)
        if key_id is None:
            key_id = records.insert_key(connection, chat_id, exporter.cid)
            registered: dict[str, bytes] = {}
        else:
            registered = records.copies_of_key(connection, key_id)
            conflict = _conflict_reason(
                connection, exporter, key_id, registered, chat_copies
            )
            if conflict is not None:
                for copy in chat_copies:
                    copy.reject("conflict", conflict)
                continue

        for copy in chat_copies:
            assert copy.key is not None and copy.sign is not None
            copy.key_id = key_id
            existing = registered.get(copy.cid)
            if existing == copy.key:
                copy.status = UNCHANGED
                copy.message = "this copy is already registered"
            elif existing is not None:
                copy.status = UNCHANGED
                copy.message = (
                    f"certificate {copy.cid!r} already has a copy of key {key_id!r}, "
                    "so the first copy is kept"
                )
            else:
                recipient = ParticipantCertificate(copy.pid, copy.cid, b"")
                records.insert_copy(
                    connection, key_id, recipient, copy.key, copy.sign, exporter.cid
                )
                registered[copy.cid] = copy.key
                copy.status = REGISTERED
                copy.message = f"registered as a copy of key {key_id!r}"


def _conflict_reason(
    connection: sqlite3.Connection,
    exporter: ParticipantCertificate,
    key_id: str,
    registered: dict[str, bytes],
    chat_copies: list[_Copy],
) -> str | None:
    chat_id = chat_copies[0].chat_id
    advice = "fetch the chats, import the key from 'chatKey' and share that key"
    own_copy = registered.get(exporter.cid)
    for copy in chat_copies:
        if copy.cid == exporter.cid and own_copy is not None and copy.key != own_copy:
            return (
                f"chat {chat_id!r} already has key {key_id!r} and your certificate "
                f"has a different copy of it, so this copy is of another key: {advice}"
            )
    # NOTE: a holder or creator that made a new key and sends no copy for its own
    # certificate passes this check, so its copies join the current key.
    if own_copy is not None or records.key_creator(connection, key_id) == exporter.cid:
        return None
    return (
        f"chat {chat_id!r} already has key {key_id!r} and your certificate has no "
        f"copy of it, so this copy is of another key: {advice}"
    )
