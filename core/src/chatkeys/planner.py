"""The sync planner: what to do with each chat, decided without I/O or crypto.

Every rule of the key-synchronisation contract lives here:

- `new`, no `chatKey`, at least one contact certificate (or Favorites): generate
  a key and export it to every participant certificate, the caller's own
  included.
- `wait` with a `chatKey`: import it and export it to every certificate in
  `waitList`.
- `wait` without a `chatKey`: nothing can be done from this certificate. A new
  key is never minted here, because that would fork the chat.

Contradictory input never leads to a new key: a `chatKey` in a `new` chat, a
`sync` chat without a `chatKey`, or one chat id twice with different contents
all become `Action.WAIT` with a reason. A `waitList` entry that names a
certificate the chat does not list is withheld, since exporting the key to a
certificate outside the chat would leak it. So is a certificate that has expired or
is not valid yet.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from chatkeys.certificates import Certificate
from chatkeys.model import Chat, ChatStatus, Participant


class Action(enum.StrEnum):
    """The sync's decision for one chat."""

    GENERATE = "generate"
    """Generate a chat key and export it to every participant certificate."""
    RESHARE = "reshare"
    """Import the chat key and export it to the certificates in `waitList`."""
    WAIT = "wait"
    """Nothing can be done now, for the cause in `reason`."""
    DONE = "done"
    """The chat is `sync`; nothing to do."""


class WaitReason(enum.StrEnum):
    """The reason a chat is left waiting."""

    NO_KEY_FOR_CERTIFICATE = "no_key_for_certificate"
    """The chat has keys, but none exported to the current certificate: the key
    must come from a certificate that has it (the profile's previous one, or
    the contact's side)."""
    NO_CONTACT_CERTIFICATE = "no_contact_certificate"
    """A `new` chat lists no certificate of the contact yet."""
    NOT_A_PARTICIPANT = "not_a_participant"
    """The current certificate is not among the chat's certificates."""
    NOTHING_TO_SHARE = "nothing_to_share"
    """The chat is `wait` for the server, but no certificate in its `waitList`
    may receive a copy from this certificate."""
    INCONSISTENT = "inconsistent"
    """The server's data contradicts itself (see `ChatPlan.detail`)."""
    CERTIFICATE_NOT_VALID = "certificate_not_valid"
    """The current certificate has expired or is not valid yet."""
    DUPLICATE_CHAT = "duplicate_chat"
    """The same chat id appears twice in one response with different contents."""


class WithheldReason(enum.StrEnum):
    """The reason one certificate gets no copy."""

    NOT_A_PARTICIPANT = "not_a_participant"
    """The `waitList` names a certificate that the chat's `certificates` do not list."""
    CERTIFICATE_NOT_VALID = "certificate_not_valid"
    """The certificate has expired or is not valid yet."""
    POLICY = "policy"
    """The integrator's certificate policy rejected the certificate."""


@dataclass(frozen=True, slots=True)
class Withheld:
    """A certificate that gets no copy, with the reason and details."""

    participant: Participant
    reason: WithheldReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ChatPlan:
    """The decision for one chat.

    `recipients` are the certificates to export to (for GENERATE and RESHARE),
    `withheld` those deliberately skipped, and `reason` and `detail` give the
    cause when a chat waits.
    """

    chat: Chat
    action: Action
    recipients: tuple[Participant, ...] = ()
    withheld: tuple[Withheld, ...] = ()
    reason: WaitReason | None = None
    detail: str = ""


CertificatePolicy = Callable[[Chat, Participant], str | None]
"""An integrator's check of a recipient: returns None to allow the export, or
a reason to withhold it (for example a certificate not issued by a trusted
CA). The default allows every participant certificate."""


def plan_chats(
    chats: Iterable[Chat],
    current: Certificate,
    policy: CertificatePolicy | None = None,
    now: datetime.datetime | None = None,
) -> list[ChatPlan]:
    """Plan every chat for the identity whose certificate is `current`.

    Chats are returned in their first-seen order; a chat id that occurs twice
    with different contents is planned once, as `WAIT` with `DUPLICATE_CHAT`.
    """
    first_seen: dict[str, Chat] = {}
    conflicting: set[str] = set()
    for chat in chats:
        seen = first_seen.setdefault(chat.id, chat)
        if seen != chat:
            conflicting.add(chat.id)
    plans = []
    for chat_id, chat in first_seen.items():
        if chat_id in conflicting:
            plans.append(
                ChatPlan(
                    chat,
                    Action.WAIT,
                    reason=WaitReason.DUPLICATE_CHAT,
                    detail="the response lists this chat twice with different contents",
                )
            )
        else:
            plans.append(plan_chat(chat, current, policy, now))
    return plans


def plan_chat(
    chat: Chat,
    current: Certificate,
    policy: CertificatePolicy | None = None,
    now: datetime.datetime | None = None,
) -> ChatPlan:
    """Plan one chat for the identity whose certificate is `current`.

    Recipients whose certificate is outside its validity period at `now`
    (default: the current time) are withheld, then `policy` is applied.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    problem = current.validity_problem(now)
    if problem:
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.CERTIFICATE_NOT_VALID,
            detail=f"{problem}; register a new certificate",
        )
    own = _find_own(chat.certificates, current)
    if own is None:
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.NOT_A_PARTICIPANT,
            detail=f"certificate {current.short_id} is not among the chat's "
            "certificates",
        )
    if chat.status is ChatStatus.NEW:
        return _plan_new(chat, own, policy, now)
    if chat.chat_key is None:
        if chat.status is ChatStatus.SYNC:
            return ChatPlan(
                chat,
                Action.WAIT,
                reason=WaitReason.INCONSISTENT,
                detail="status is sync but no chatKey is exported to this certificate",
            )
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.NO_KEY_FOR_CERTIFICATE,
            detail="no copy of the chat key is exported to this certificate; it must "
            "come from the profile's previous certificate or from the contact",
        )
    if not chat.wait_list:
        if chat.status is ChatStatus.SYNC:
            return ChatPlan(chat, Action.DONE)
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.NOTHING_TO_SHARE,
            detail="status is wait but the waitList is empty",
        )
    return _plan_reshare(chat, policy, now)


def _plan_new(
    chat: Chat,
    own: Participant,
    policy: CertificatePolicy | None,
    now: datetime.datetime,
) -> ChatPlan:
    if chat.chat_key is not None:
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.INCONSISTENT,
            detail="status is new but a chatKey is present; no new key is made",
        )
    has_contact = any(p.pid != own.pid for p in chat.certificates)
    if not has_contact and not chat.favorites:
        return ChatPlan(
            chat,
            Action.WAIT,
            reason=WaitReason.NO_CONTACT_CERTIFICATE,
            detail="the chat lists no certificate of the contact yet",
        )
    recipients, withheld = _apply_policy(chat, _unique(chat.certificates), policy, now)
    if not recipients:
        return ChatPlan(
            chat,
            Action.WAIT,
            withheld=withheld,
            reason=WaitReason.NOTHING_TO_SHARE,
            detail="every certificate of the chat was withheld",
        )
    return ChatPlan(chat, Action.GENERATE, recipients=recipients, withheld=withheld)


def _plan_reshare(
    chat: Chat, policy: CertificatePolicy | None, now: datetime.datetime
) -> ChatPlan:
    listed = {(p.pid, p.cid, p.certificate.fingerprint) for p in chat.certificates}
    candidates: list[Participant] = []
    withheld: list[Withheld] = []
    for entry in _unique(chat.wait_list):
        if (entry.pid, entry.cid, entry.certificate.fingerprint) in listed:
            candidates.append(entry)
        else:
            withheld.append(
                Withheld(
                    entry,
                    WithheldReason.NOT_A_PARTICIPANT,
                    f"waitList names cid {entry.cid} of pid {entry.pid}, which the "
                    "chat's certificates do not list",
                )
            )
    recipients, rejected = _apply_policy(chat, candidates, policy, now)
    withheld.extend(rejected)
    if not recipients:
        return ChatPlan(
            chat,
            Action.WAIT,
            withheld=tuple(withheld),
            reason=WaitReason.NOTHING_TO_SHARE,
            detail="every certificate in the waitList was withheld",
        )
    return ChatPlan(
        chat, Action.RESHARE, recipients=recipients, withheld=tuple(withheld)
    )


def _apply_policy(
    chat: Chat,
    candidates: Sequence[Participant],
    policy: CertificatePolicy | None,
    now: datetime.datetime,
) -> tuple[tuple[Participant, ...], tuple[Withheld, ...]]:
    allowed: list[Participant] = []
    withheld: list[Withheld] = []
    for participant in candidates:
        problem = participant.certificate.validity_problem(now)
        if problem:
            withheld.append(
                Withheld(participant, WithheldReason.CERTIFICATE_NOT_VALID, problem)
            )
            continue
        verdict = policy(chat, participant) if policy is not None else None
        if verdict is None:
            allowed.append(participant)
        else:
            withheld.append(Withheld(participant, WithheldReason.POLICY, verdict))
    return tuple(allowed), tuple(withheld)


def _find_own(
    participants: Sequence[Participant], current: Certificate
) -> Participant | None:
    for participant in participants:
        if participant.certificate.fingerprint == current.fingerprint:
            return participant
    return None


def _unique(participants: Iterable[Participant]) -> list[Participant]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for participant in participants:
        key = (participant.pid, participant.cid)
        if key not in seen:
            seen.add(key)
            unique.append(participant)
    return unique
