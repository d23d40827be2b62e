"""The sync algorithm as a sans-I/O generator.

`SyncEngine.run` yields steps (`FetchChats`, `SubmitKeys`, `Compute`) and
receives each step's result through ``send``; a driver (`chatkeys.client`)
performs the HTTP requests and runs the crypto, in threads for the async
driver. A transport failure is thrown into the generator as
`TransportError`. The algorithm therefore exists once, and its tests need no
server.

One run:

1. Fetch all chats (after sending a phone list, if given) and store them.
2. Plan every chat; export and sign copies for GENERATE and RESHARE.
3. Send the copies in batches; apply each copy's result on its own.
4. Fetch all chats again and store them; plan again, for at most
   `max_rounds` rounds, until nothing is left that this run can do.

A `new` chat's copies are saved (in the store, when there is one) before they
are sent. If the outcome of a batch is unknown (time-out after sending), the
chats are fetched again; a chat still `new` then gets the *same* copies
again, never a different key.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import ChatkeysError, InvalidResponseError, TransportError
from chatkeys.identity import Identity
from chatkeys.model import Chat, ChatList, ChatStatus, parse_chats_response
from chatkeys.planner import Action, CertificatePolicy, ChatPlan, plan_chats
from chatkeys.providers import Providers
from chatkeys.report import ChatOutcome, PendingCertificate, SyncReport
from chatkeys.submissions import (
    DEFAULT_BATCH_SIZE,
    CopyResult,
    KeySubmission,
    batches,
    parse_key_results,
)
from chatkeys.workers import ExportJob, exports_for

logger = logging.getLogger(__name__)

T = TypeVar("T")

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are ``crypto`` and ``submit``."""


@dataclass(frozen=True, slots=True)
class FetchChats:
    """Step: POST `/chats/`; send back the decoded JSON response."""

    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SubmitKeys:
    """Step: POST `/chatsKeys/` with `copies`; send back the decoded JSON response."""

    copies: Sequence[KeySubmission]


@dataclass(frozen=True, slots=True)
class Compute:
    """Step: call `function()` (CPU-bound crypto) and send back its result."""

    function: Callable[[], Any]


Step = FetchChats | SubmitKeys | Compute


class PendingStore(Protocol):
    """The local-store interface of the engine; `chatkeys.store.Store` has it."""

    def apply_chat_list(self, chat_list: ChatList) -> None: ...

    def pending_copies(self, chat_id: str, exporter: str) -> list[KeySubmission]: ...

    def save_pending_copies(
        self, exporter: str, copies: Sequence[KeySubmission]
    ) -> None: ...

    def clear_pending_copies(self, chat_id: str) -> None: ...

    def record_outcomes(self, report: SyncReport) -> None: ...


class _MemoryPending:
    """Pending copies kept for one run when the engine has no store."""

    def __init__(self) -> None:
        self._copies: dict[tuple[str, str], list[KeySubmission]] = {}

    def pending_copies(self, chat_id: str, exporter: str) -> list[KeySubmission]:
        return list(self._copies.get((chat_id, exporter), ()))

    def save_pending_copies(
        self, exporter: str, copies: Sequence[KeySubmission]
    ) -> None:
        for copy in copies:
            self._copies.setdefault((copy.chat_id, exporter), []).append(copy)

    def clear_pending_copies(self, chat_id: str) -> None:
        for key in [key for key in self._copies if key[0] == chat_id]:
            del self._copies[key]


@dataclass(slots=True)
class _Prepared:
    copies: list[KeySubmission] = field(default_factory=list)
    generated: set[str] = field(default_factory=set)
    chat_failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    recipient_failures: dict[str, list[PendingCertificate]] = field(
        default_factory=dict
    )


class SyncEngine:
    """The sync of every chat of one identity, independent of I/O."""

    def __init__(
        self,
        providers: Providers,
        identity: Identity,
        *,
        profile: str | None = None,
        store: PendingStore | None = None,
        policy: CertificatePolicy | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_rounds: int = 3,
        progress: ProgressCallback | None = None,
        workers: int = 1,
    ) -> None:
        self.providers = providers
        self.identity = identity
        self.profile = profile or providers.default_profile(
            identity.certificate, identity.provider
        )
        self.store = store
        # Copies of new keys are kept even without a store, so a retry within
        # this run resends the same copies instead of minting another key.
        self._pending: PendingStore | _MemoryPending = store or _MemoryPending()
        self.policy = policy
        self.batch_size = batch_size
        self.max_rounds = max_rounds
        self.progress = progress
        self.workers = workers
        self._exporter = identity.certificate.fingerprint

    def run(self, phones: Sequence[str] = ()) -> Generator[Step, Any, SyncReport]:
        """Run one sync; see the module docstring for the steps."""
        report = SyncReport()
        if phones:
            created = yield from self._fetch(report, tuple(phones))
            logger.info("phone list created or returned %d chats", len(created.chats))
        chat_list = yield from self._fetch(report, ())
        rejected: dict[tuple[str, str], PendingCertificate] = {}
        failures = _Prepared()

        for _ in range(self.max_rounds):
            work = self._actionable(
                plan_chats(chat_list.chats, self.identity.certificate, self.policy),
                rejected,
            )
            if not work:
                break
            report.rounds += 1
            prepared: _Prepared = yield Compute(functools.partial(self._prepare, work))
            failures.chat_failures.update(prepared.chat_failures)
            failures.recipient_failures.update(prepared.recipient_failures)
            if not prepared.copies:
                break
            generated = [c for c in prepared.copies if c.chat_id in prepared.generated]
            self._pending.save_pending_copies(self._exporter, generated)

            yield from self._submit(prepared.copies, report, rejected)
            chat_list = yield from self._fetch(report, ())

        self._finish(report, chat_list, rejected, failures)
        if self.store is not None:
            self.store.record_outcomes(report)
        return report

    def _fetch(
        self, report: SyncReport, phones: tuple[str, ...]
    ) -> Generator[Step, Any, ChatList]:
        payload = yield FetchChats(phones)
        chat_list = parse_chats_response(payload)
        for problem in chat_list.problems:
            logger.info("skipped malformed %s", problem)
        if not phones:
            report.problems = list(chat_list.problems)
            if self.store is not None:
                self.store.apply_chat_list(chat_list)
            self._clear_settled(chat_list)
        return chat_list

    def _actionable(
        self, plans: list[ChatPlan], rejected: dict[tuple[str, str], PendingCertificate]
    ) -> list[ChatPlan]:
        """Keep GENERATE/RESHARE plans minus certificates rejected in this run."""
        work = []
        for plan in plans:
            if plan.action not in (Action.GENERATE, Action.RESHARE):
                continue
            recipients = tuple(
                r for r in plan.recipients if (plan.chat.id, r.cid) not in rejected
            )
            if plan.action is Action.RESHARE and not recipients:
                continue
            if plan.action is Action.GENERATE and len(recipients) != len(
                plan.recipients
            ):
                continue  # a first key goes to every certificate or to none
            work.append(ChatPlan(plan.chat, plan.action, recipients, plan.withheld))
        return work

    def _prepare(self, work: list[ChatPlan]) -> _Prepared:
        """Make the chat keys, then export and sign every copy (CPU-bound)."""
        prepared = _Prepared()
        total = sum(len(plan.recipients) for plan in work)
        done = 0
        jobs: list[ExportJob] = []
        for plan in work:
            chat = plan.chat
            if plan.action is Action.GENERATE:
                saved = self._saved_copies(chat, plan)
                if saved is not None:
                    prepared.copies.extend(saved)
                    prepared.generated.add(chat.id)
                    done += len(plan.recipients)
                    self._report_progress("crypto", done, total)
                    continue
            chat_key = self._chat_key(plan, prepared)
            if chat_key is None:
                continue
            jobs.extend(
                ExportJob(chat.id, r.pid, r.cid, chat_key, r.certificate.der)
                for r in plan.recipients
            )

        def finished(count: int) -> None:
            nonlocal done
            done += count
            self._report_progress("crypto", done, total)

        # Grouped by recipient, a worker meets each certificate in one run of jobs,
        # which keeps per-recipient caches (the GOST VKO point) warm.
        jobs.sort(key=lambda job: job.certificate_der)
        exports = exports_for(self.providers, self.identity, self.profile, self.workers)
        try:
            results = exports.run(jobs, finished)
        finally:
            exports.close()
        for result in results:
            if result.submission is not None:
                prepared.copies.append(result.submission)
            else:
                job = result.job
                prepared.recipient_failures.setdefault(job.chat_id, []).append(
                    PendingCertificate(job.pid, job.cid, "export_failed", result.error)
                )
        for chat_id in prepared.generated & set(prepared.recipient_failures):
            # A first key that not every participant can read would split the chat.
            prepared.copies = [c for c in prepared.copies if c.chat_id != chat_id]
            prepared.generated.discard(chat_id)
            prepared.chat_failures[chat_id] = (
                "generate_failed",
                "the new key could not be exported to every participant certificate",
            )
        return prepared

    def _chat_key(self, plan: ChatPlan, prepared: _Prepared) -> ChatKey | None:
        """Generate the key of a new chat or import the key of a chat to reshare."""
        chat = plan.chat
        try:
            if plan.action is Action.GENERATE:
                chat_key = self.providers.generate_chat_key(self.identity, self.profile)
                prepared.generated.add(chat.id)
                return chat_key
            assert chat.chat_key is not None  # the planner reshares only with a key
            return self.providers.import_chat_key(
                chat.chat_key.key, self.identity, self._candidates(chat)
            )
        except ChatkeysError as error:
            reason = (
                "generate_failed" if plan.action is Action.GENERATE else "import_failed"
            )
            prepared.chat_failures[chat.id] = (reason, str(error))
            return None

    def _saved_copies(self, chat: Chat, plan: ChatPlan) -> list[KeySubmission] | None:
        """Return the copies an earlier attempt saved for this `new` chat."""
        saved = self._pending.pending_copies(chat.id, self._exporter)
        if not saved:
            return None
        by_cid = {copy.cid: copy for copy in saved}
        if all(recipient.cid in by_cid for recipient in plan.recipients):
            logger.info("chat %s: resending the copies of an earlier attempt", chat.id)
            return [by_cid[recipient.cid] for recipient in plan.recipients]
        # NOTE: a participant certificate appeared since the earlier attempt. Its
        # copies cannot be extended without the key, which is never stored, so the
        # saved copies are resent as they are and the new certificate is served by
        # a reshare once the key is registered.
        logger.info("chat %s: resending earlier copies; new certificates wait", chat.id)
        return list(saved)

    def _candidates(self, chat: Chat) -> list[Certificate]:
        certificates = [participant.certificate for participant in chat.certificates]
        if self.identity.certificate not in certificates:
            certificates.append(self.identity.certificate)
        return certificates

    def _submit(
        self,
        copies: list[KeySubmission],
        report: SyncReport,
        rejected: dict[tuple[str, str], PendingCertificate],
    ) -> Generator[Step, Any, None]:
        sent = 0
        for batch in batches(copies, self.batch_size):
            try:
                payload = yield SubmitKeys(batch)
                results = parse_key_results(payload, batch)
            except TransportError as error:
                if not error.sent:
                    report.errors.append(f"key copies not sent: {error}")
                    return
                self._unknown_outcome(report, len(batch), str(error))
                return
            except InvalidResponseError as error:
                self._unknown_outcome(
                    report, len(batch), f"unreadable response: {error}"
                )
                return
            report.copies_sent += len(batch)
            for result in results:
                self._apply_result(result, report, rejected)
            reasons = Counter(r.reason or "rejected" for r in results if not r.accepted)
            if reasons:
                summary = ", ".join(
                    f"{count} {reason}" for reason, count in reasons.items()
                )
                logger.warning("server rejected key copies: %s", summary)
            sent += len(batch)
            self._report_progress("submit", sent, len(copies))

    def _unknown_outcome(self, report: SyncReport, count: int, cause: str) -> None:
        # The copies reached the server or may have: they count as sent.
        report.copies_sent += count
        report.copies_unknown += count
        message = (
            f"the outcome of {count} key copies is unknown ({cause}); the chats "
            "were fetched again to reconcile"
        )
        logger.info(message)  # the report carries it; no second line on stderr
        report.warnings.append(message)

    def _apply_result(
        self,
        result: CopyResult,
        report: SyncReport,
        rejected: dict[tuple[str, str], PendingCertificate],
    ) -> None:
        copy = result.submission
        if result.accepted:
            report.copies_registered += 1
            return
        report.copies_rejected += 1
        logger.info(
            "chat %s: copy for cid %s rejected: %s %s",
            copy.chat_id,
            copy.cid,
            result.reason,
            result.message,
        )
        rejected[(copy.chat_id, copy.cid)] = PendingCertificate(
            copy.pid, copy.cid, result.reason or "rejected", result.message
        )
        if result.reason == "conflict":
            # Another client registered the chat's first key; ours is dropped and
            # the winner's key arrives as chatKey in the next fetch.
            self._pending.clear_pending_copies(copy.chat_id)

    def _clear_settled(self, chat_list: ChatList) -> None:
        for chat in chat_list.chats:
            if chat.status is not ChatStatus.NEW:
                self._pending.clear_pending_copies(chat.id)

    def _finish(
        self,
        report: SyncReport,
        chat_list: ChatList,
        rejected: dict[tuple[str, str], PendingCertificate],
        failures: _Prepared,
    ) -> None:
        for plan in plan_chats(chat_list.chats, self.identity.certificate, self.policy):
            chat = plan.chat
            waiting = {participant.cid for participant in chat.wait_list}
            pending = [
                p
                for (chat_id, cid), p in rejected.items()
                if chat_id == chat.id
                and chat.status is not ChatStatus.SYNC
                and (chat.status is ChatStatus.NEW or cid in waiting)
            ]
            pending.extend(failures.recipient_failures.get(chat.id, ()))
            pending.extend(
                PendingCertificate(
                    w.participant.pid, w.participant.cid, w.reason.value, w.detail
                )
                for w in plan.withheld
            )
            reason, detail = "", ""
            if chat.id in failures.chat_failures:
                reason, detail = failures.chat_failures[chat.id]
            elif plan.reason is not None:
                reason, detail = plan.reason.value, plan.detail
            elif chat.status is not ChatStatus.SYNC:
                reason = pending[0].reason if pending else "not_synced"
                detail = (
                    pending[0].message
                    if pending
                    else "the server still reports this chat as " + chat.status.value
                )
            report.outcomes[chat.id] = ChatOutcome(
                chat_id=chat.id,
                status=chat.status,
                action=plan.action,
                reason=reason,
                detail=detail,
                key_id=chat.chat_key.id if chat.chat_key else "",
                pending=tuple(pending),
            )

    def _report_progress(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


def drive(generator: Generator[Step, Any, T], perform: Callable[[Step], Any]) -> T:
    """Run an engine generator to completion with a synchronous `perform`.

    `perform` executes one step and returns its result; a `TransportError` it
    raises is thrown into the generator.
    """
    try:
        step = next(generator)
        while True:
            try:
                result = perform(step)
            except TransportError as error:
                step = generator.throw(error)
            else:
                step = generator.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
