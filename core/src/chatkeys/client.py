"""The synchronous client: login, chats, key registration and the sync driver.

`Client` performs the steps of `chatkeys.engine.SyncEngine` with an
`httpx.Client`. Idempotent requests (fetching chats, login) are retried with
back-off; key registrations are not retried blindly: an unknown outcome is
reconciled by the engine, which fetches the chats again.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx

from chatkeys import api
from chatkeys.engine import (
    Compute,
    FetchChats,
    ProgressCallback,
    Step,
    SubmitKeys,
    SyncEngine,
    drive,
)
from chatkeys.errors import AuthenticationError
from chatkeys.identity import Identity
from chatkeys.messages import ChatCipher, open_chat_cipher
from chatkeys.model import Chat, ChatList, parse_chats_response
from chatkeys.phones import normalize_phone
from chatkeys.planner import CertificatePolicy
from chatkeys.providers import Providers
from chatkeys.report import SyncReport
from chatkeys.store import Store
from chatkeys.submissions import (
    DEFAULT_BATCH_SIZE,
    CopyResult,
    KeySubmission,
    parse_key_results,
    request_body,
)
from chatkeys.tokens import TokenCache

logger = logging.getLogger(__name__)


class Client:
    """A logged-in session of one identity with one server."""

    def __init__(
        self,
        server: str,
        identity: Identity,
        providers: Providers | None = None,
        *,
        profile: str | None = None,
        settings: api.HttpSettings | None = None,
        token_cache: TokenCache | None = None,
        transport: httpx.BaseTransport | None = None,
        allow_plain_http: bool = False,
    ) -> None:
        self.server = api.check_server_url(server, allow_plain_http=allow_plain_http)
        self.identity = identity
        self.providers = providers or Providers.discover()
        self.profile = profile or self.providers.default_profile(
            identity.certificate, identity.provider
        )
        self.settings = settings or api.HttpSettings()
        self.token_cache = token_cache
        self._token: api.Token | None = None
        self._http = httpx.Client(
            timeout=self.settings.timeout(),
            limits=self.settings.limits(),
            verify=self.settings.verify,
            transport=transport,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Login

    def login(self, *, force: bool = False) -> api.Token:
        """Log in with the identity's certificate (challenge, signature, token)."""
        fingerprint = self.identity.certificate.fingerprint
        if not force:
            if self._token is not None and self._token.valid():
                return self._token
            if self.token_cache is not None:
                cached = self.token_cache.get(self.server, fingerprint)
                if cached is not None:
                    self._token = cached
                    return cached
        data = self._request(
            api.AUTH,
            {"certificate": self.identity.certificate.to_api_field()},
            idempotent=True,
            authenticated=False,
        )
        challenge_id, challenge = api.read_challenge(data)
        signature = self.providers.sign(challenge, self.identity, self.profile)
        data = self._request(
            api.CONFIRM_AUTH,
            {"challengeId": challenge_id, "sign": _b64(signature)},
            idempotent=False,
            authenticated=False,
        )
        self._token = api.Token.from_data(data)
        if self.token_cache is not None:
            self.token_cache.put(self.server, fingerprint, self._token)
        logger.info(
            "logged in to %s as pid %s cid %s",
            self.server,
            self._token.pid,
            self._token.cid,
        )
        return self._token

    # API calls

    def fetch_chats(self, phones: Sequence[str] = ()) -> ChatList:
        """Fetch all chats, or with `phones` the chats created for those numbers."""
        return parse_chats_response(api.envelope(self._fetch_raw(tuple(phones))))

    def add_phones(self, phones: Sequence[str]) -> ChatList:
        """Send phone numbers; returns the chats created or found for them."""
        normalized = tuple(normalize_phone(phone) for phone in phones)
        return self.fetch_chats(normalized)

    def submit_keys(self, copies: Sequence[KeySubmission]) -> list[CopyResult]:
        """Register key copies (one request) and return each copy's result."""
        data = self._request(api.CHATS_KEYS, request_body(copies), idempotent=False)
        return parse_key_results(api.envelope(data), copies)

    def sync(
        self,
        phones: Sequence[str] = (),
        *,
        store: Store | None = None,
        policy: CertificatePolicy | None = None,
        progress: ProgressCallback | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_rounds: int = 3,
        workers: int = 1,
    ) -> SyncReport:
        """Bring every chat to `sync` as far as this certificate can.

        `workers` above 1 exports and signs in that many forked processes
        when the identity allows it (see `chatkeys.workers`).
        """
        engine = SyncEngine(
            self.providers,
            self.identity,
            profile=self.profile,
            store=store,
            policy=policy,
            batch_size=batch_size,
            max_rounds=max_rounds,
            progress=progress,
            workers=workers,
        )
        normalized = tuple(normalize_phone(phone) for phone in phones)
        return drive(engine.run(normalized), self._perform)

    def chat_cipher(self, chat: Chat) -> ChatCipher:
        """Return the message cipher of a `sync` chat."""
        return open_chat_cipher(self.providers, chat, self.identity)

    # Plumbing

    def _perform(self, step: Step) -> Any:
        if isinstance(step, FetchChats):
            return api.envelope(self._fetch_raw(step.phones))
        if isinstance(step, SubmitKeys):
            return api.envelope(
                self._request(
                    api.CHATS_KEYS, request_body(step.copies), idempotent=False
                )
            )
        if isinstance(step, Compute):
            return step.function()
        raise TypeError(f"unknown engine step {step!r}")

    def _fetch_raw(self, phones: tuple[str, ...]) -> Any:
        body: dict[str, Any] = {"phones": list(phones)} if phones else {}
        return self._request(api.CHATS, body, idempotent=True)

    def _request(
        self,
        path: str,
        body: dict[str, Any],
        *,
        idempotent: bool,
        authenticated: bool = True,
    ) -> Any:
        target = api.url(self.server, path)
        attempts = api.Attempts(self.settings, idempotent, target)
        relogged = False
        while True:
            headers = {}
            if authenticated:
                headers["Authorization"] = f"Bearer {self.login().token}"
            try:
                response = self._http.post(target, json=body, headers=headers)
            except httpx.TransportError as error:
                time.sleep(attempts.after_error(error))
                continue
            delay = attempts.after_response(response)
            if delay is not None:
                time.sleep(delay)
                continue
            try:
                return api.read_response(response)
            except AuthenticationError:
                if not authenticated or relogged:
                    raise
                relogged = True
                self._drop_token()
                continue

    def _drop_token(self) -> None:
        self._token = None
        if self.token_cache is not None:
            self.token_cache.forget(self.server, self.identity.certificate.fingerprint)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
