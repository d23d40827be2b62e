"""Key copies on their way to `/chatsKeys/`, and the server's verdict on each.

A `KeySubmission` is one item of the request body. `parse_key_results` reads
the per-copy results of the response; each copy is judged on its own, so one
rejected copy never drops the good ones.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatkeys.errors import InvalidResponseError

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class KeySubmission:
    """One exported and signed copy: chat `chat_id`, for certificate `cid` of `pid`."""

    chat_id: str
    pid: str
    cid: str
    key: bytes = field(repr=False)
    sign: bytes = field(repr=False)

    def to_json(self) -> dict[str, str]:
        """Return the item as the request body carries it."""
        return {
            "chatId": self.chat_id,
            "cid": self.cid,
            "pid": self.pid,
            "key": base64.b64encode(self.key).decode("ascii"),
            "sign": base64.b64encode(self.sign).decode("ascii"),
        }


class CopyStatus(enum.StrEnum):
    """The server's verdict on one copy."""

    REGISTERED = "registered"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class CopyResult:
    """The verdict on one submitted copy; `reason` is a code such as ``conflict``."""

    submission: KeySubmission
    status: CopyStatus
    reason: str = ""
    message: str = ""
    key_id: str = ""

    @property
    def accepted(self) -> bool:
        """Return whether the server keeps this copy."""
        return self.status is not CopyStatus.REJECTED


def batches(
    submissions: Sequence[KeySubmission], size: int = DEFAULT_BATCH_SIZE
) -> Iterator[Sequence[KeySubmission]]:
    """Split `submissions` into request-sized batches of at most `size` copies."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    for start in range(0, len(submissions), size):
        yield submissions[start : start + size]


def request_body(batch: Sequence[KeySubmission]) -> dict[str, Any]:
    """Return the JSON body of `/chatsKeys/` for `batch`."""
    return {"keys": [submission.to_json() for submission in batch]}


def parse_key_results(payload: Any, batch: Sequence[KeySubmission]) -> list[CopyResult]:
    """Match the response's per-copy results to the submitted `batch`.

    Results are matched by (chatId, pid, cid). A copy the response does not
    mention is reported as rejected with reason ``missing_result``. Raises
    `InvalidResponseError` when the response is not the documented shape, so
    the caller treats the whole batch as having an unknown outcome.
    """
    if not isinstance(payload, Mapping):
        raise InvalidResponseError("the chatsKeys response is not a JSON object")
    if payload.get("success") is not True:
        raise InvalidResponseError("the chatsKeys response reports failure")
    data = payload.get("data")
    items = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        raise InvalidResponseError("the chatsKeys response has no list in data.results")

    verdicts: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping):
            raise InvalidResponseError("a chatsKeys result is not an object")
        identity = (item.get("chatId"), item.get("pid"), item.get("cid"))
        if not all(isinstance(part, str) for part in identity):
            raise InvalidResponseError("a chatsKeys result lacks chatId, pid or cid")
        verdicts[identity] = item  # type: ignore[index]

    results = []
    for submission in batch:
        item = verdicts.get((submission.chat_id, submission.pid, submission.cid))
        if item is None:
            results.append(
                CopyResult(
                    submission,
                    CopyStatus.REJECTED,
                    "missing_result",
                    "the response has no result for this copy",
                )
            )
            continue
        try:
            status = CopyStatus(str(item.get("status")))
        except ValueError:
            raise InvalidResponseError(
                f"unknown copy status {item.get('status')!r} "
                f"for chat {submission.chat_id}"
            ) from None
        results.append(
            CopyResult(
                submission,
                status,
                reason=_text(item.get("reason")),
                message=_text(item.get("message")),
                key_id=_text(item.get("keyId")),
            )
        )
    return results


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
