"""The contract's server side in memory, for testing the sans-I/O engine.

This stands in for the server only in engine unit tests, so that each rule of
the algorithm (partial rejection, unknown outcomes, conflicts) can be forced
precisely. The real reference server over HTTP is exercised in tests/server
and tests/e2e. Signatures are verified with the real providers.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys.engine import Compute, FetchChats, Step, SubmitKeys
from chatkeys.errors import TransportError
from chatkeys.providers import Providers


@dataclass
class MemoryChat:
    id: str
    participants: list[tuple[str, str, Certificate]]
    favorites: bool = False
    key_id: str = ""
    key_owner: str = ""
    copies: dict[str, bytes] = field(default_factory=dict)


class MemoryServer:
    """Chats, keys and the chatsKeys rules; `hooks` let a test inject faults."""

    def __init__(self, providers: Providers) -> None:
        self.providers = providers
        self.chats: dict[str, MemoryChat] = {}
        self.reject: dict[str, str] = {}  # cid -> reason
        self.requests: list[str] = []
        self.submitted: list[dict[str, Any]] = []
        self.before_submit: Callable[[], None] | None = None
        self.fail_after_commit = 0
        self.fail_before_commit = 0
        self._key_ids = itertools.count(1)

    def add_chat(self, chat: MemoryChat) -> None:
        self.chats[chat.id] = chat

    def chats_payload(self, cid: str) -> dict[str, Any]:
        data = []
        for chat in self.chats.values():
            if not any(p[1] == cid for p in chat.participants):
                continue
            entries = [self._entry(p) for p in chat.participants]
            waiting = [
                self._entry(p) for p in chat.participants if p[1] not in chat.copies
            ]
            if not chat.key_id:
                status = "new"
            elif waiting:
                status = "wait"
            else:
                status = "sync"
            copy = chat.copies.get(cid)
            data.append(
                {
                    "id": chat.id,
                    "status": status,
                    "chatFavorites": chat.favorites,
                    "certificates": entries,
                    "waitList": waiting if chat.key_id else [],
                    "chatKey": (
                        {"id": chat.key_id, "key": base64.b64encode(copy).decode()}
                        if copy
                        else None
                    ),
                }
            )
        return {"success": True, "data": data}

    def register(self, exporter_cid: str, body: dict[str, Any]) -> dict[str, Any]:
        exporter = self._certificate(exporter_cid)
        results = []
        for item in body["keys"]:
            chat = self.chats[item["chatId"]]
            key = base64.b64decode(item["key"])
            signature = base64.b64decode(item["sign"])
            result = {
                "chatId": chat.id,
                "pid": item["pid"],
                "cid": item["cid"],
                "keyId": None,
            }
            profile = self.providers.default_profile(exporter)
            if item["cid"] in self.reject:
                result.update(
                    status="rejected", reason=self.reject[item["cid"]], message=""
                )
            elif not self.providers.verify(key, signature, exporter, profile):
                result.update(status="rejected", reason="bad_signature", message="")
            elif (
                chat.key_id
                and chat.key_owner != exporter_cid
                and exporter_cid not in chat.copies
            ):
                result.update(status="rejected", reason="conflict", message="")
            elif chat.copies.get(item["cid"]) == key:
                result.update(
                    status="unchanged", reason=None, message="", keyId=chat.key_id
                )
            else:
                if not chat.key_id:
                    chat.key_id = f"key-{next(self._key_ids)}"
                    chat.key_owner = exporter_cid
                chat.copies.setdefault(item["cid"], key)
                result.update(
                    status="registered", reason=None, message="", keyId=chat.key_id
                )
            results.append(result)
        return {"success": True, "data": {"results": results}}

    def perform_for(self, cid: str) -> Callable[[Step], Any]:
        def perform(step: Step) -> Any:
            if isinstance(step, FetchChats):
                self.requests.append("chats")
                return self.chats_payload(cid)
            if isinstance(step, SubmitKeys):
                self.requests.append(f"keys:{len(step.copies)}")
                if self.before_submit is not None:
                    hook, self.before_submit = self.before_submit, None
                    hook()
                body = {"keys": [copy.to_json() for copy in step.copies]}
                self.submitted.extend(body["keys"])
                if self.fail_before_commit:
                    self.fail_before_commit -= 1
                    raise TransportError("read timed out", sent=True)
                result = self.register(cid, body)
                if self.fail_after_commit:
                    self.fail_after_commit -= 1
                    raise TransportError("read timed out", sent=True)
                return result
            if isinstance(step, Compute):
                return step.function()
            raise AssertionError(step)

        return perform

    def _entry(self, participant: tuple[str, str, Certificate]) -> dict[str, str]:
        pid, cid, certificate = participant
        return {
            "pid": pid,
            "cid": cid,
            "certificate": certificate.to_api_field(),
            "hash": certificate.fingerprint,
        }

    def _certificate(self, cid: str) -> Certificate:
        for chat in self.chats.values():
            for _, participant_cid, certificate in chat.participants:
                if participant_cid == cid:
                    return certificate
        raise KeyError(cid)
