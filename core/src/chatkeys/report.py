"""The result of a sync: per chat, where it ended and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chatkeys.model import ChatProblem, ChatStatus
from chatkeys.planner import Action, WaitReason


@dataclass(frozen=True, slots=True)
class PendingCertificate:
    """A certificate of a chat that still lacks the key, with the reason.

    `reason` is a server rejection code (``bad_signature``, ``conflict``, ...),
    a `chatkeys.planner.WithheldReason`, or one of ``export_failed``,
    ``unknown_outcome``.
    """

    pid: str
    cid: str
    reason: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    """Where one chat ended after the sync.

    `status` is the status in the last response; `reason` explains a chat
    that is not `sync` (a `WaitReason` value, or ``import_failed``,
    ``generate_failed``); `key_id` is the current key id when the chat has one.
    """

    chat_id: str
    status: ChatStatus
    action: Action
    reason: str = ""
    detail: str = ""
    key_id: str = ""
    pending: tuple[PendingCertificate, ...] = ()

    @property
    def synced(self) -> bool:
        """Whether the chat is `sync`."""
        return self.status is ChatStatus.SYNC


@dataclass(slots=True)
class SyncReport:
    """Everything a sync did and could not do."""

    outcomes: dict[str, ChatOutcome] = field(default_factory=dict)
    problems: list[ChatProblem] = field(default_factory=list)
    rounds: int = 0
    copies_sent: int = 0
    copies_registered: int = 0
    copies_rejected: int = 0
    copies_unknown: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Events that did not stop the sync but deserve a look, such as a
    registration whose outcome was unknown and was reconciled by a fetch."""

    @property
    def ok(self) -> bool:
        """Whether every chat is `sync` and nothing went wrong."""
        return (
            not self.problems
            and not self.errors
            and all(outcome.synced for outcome in self.outcomes.values())
        )

    def status_counts(self) -> Counter[str]:
        """Count chats per final status."""
        return Counter(outcome.status.value for outcome in self.outcomes.values())

    def reason_counts(self) -> Counter[str]:
        """Count chats that are not `sync` per reason."""
        counts: Counter[str] = Counter()
        for outcome in self.outcomes.values():
            if not outcome.synced:
                counts[outcome.reason or WaitReason.NO_KEY_FOR_CERTIFICATE.value] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "ok": self.ok,
            "rounds": self.rounds,
            "copies": {
                "sent": self.copies_sent,
                "registered": self.copies_registered,
                "rejected": self.copies_rejected,
                "unknown": self.copies_unknown,
            },
            "statuses": dict(self.status_counts()),
            "reasons": dict(self.reason_counts()),
            "chats": [
                {
                    "id": outcome.chat_id,
                    "status": outcome.status.value,
                    "action": outcome.action.value,
                    "reason": outcome.reason,
                    "detail": outcome.detail,
                    "keyId": outcome.key_id,
                    "pending": [
                        {
                            "pid": p.pid,
                            "cid": p.cid,
                            "reason": p.reason,
                            "message": p.message,
                        }
                        for p in outcome.pending
                    ],
                }
                for outcome in self.outcomes.values()
            ],
            "problems": [
                {
                    "chatId": problem.chat_id,
                    "index": problem.index,
                    "field": problem.field,
                    "message": problem.message,
                }
                for problem in self.problems
            ],
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }
