"""The asynchronous client: the same API and sync driver as `chatkeys.client`.

Crypto steps run in a worker thread (`asyncio.to_thread`), so a long export
does not block the event loop. Concurrent requests share one connection pool
whose size `HttpSettings.max_connections` limits; requests above the limit
wait for a free connection instead of failing.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Generator, Sequence
from typing import Any, TypeVar

import httpx

from chatkeys import api
from chatkeys.engine import (
    Compute,
    FetchChats,
    ProgressCallback,
    Step,
    SubmitKeys,
    SyncEngine,
)
from chatkeys.errors import AuthenticationError, TransportError
from chatkeys.identity import Identity
from chatkeys.model import ChatList, parse_chats_response
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

T = TypeVar("T")


class AsyncClient:
    """A logged-in asynchronous session of one identity with one server."""

    def __init__(
        self,
        server: str,
        identity: Identity,
        providers: Providers | None = None,
        *,
        profile: str | None = None,
        settings: api.HttpSettings | None = None,
        token_cache: TokenCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
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
        self._login_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(
            timeout=self.settings.timeout(),
            limits=self.settings.limits(),
            verify=self.settings.verify,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def login(self, *, force: bool = False) -> api.Token:
        """Log in with the identity's certificate (challenge, signature, token)."""
        async with self._login_lock:
            fingerprint = self.identity.certificate.fingerprint
            if not force:
                if self._token is not None and self._token.valid():
                    return self._token
                if self.token_cache is not None:
                    cached = self.token_cache.get(self.server, fingerprint)
                    if cached is not None:
                        self._token = cached
                        return cached
            data = await self._request(
                api.AUTH,
                {"certificate": self.identity.certificate.to_api_field()},
                idempotent=True,
                authenticated=False,
            )
            challenge_id, challenge = api.read_challenge(data)
            signature = await asyncio.to_thread(
                self.providers.sign, challenge, self.identity, self.profile
            )
            data = await self._request(
                api.CONFIRM_AUTH,
                {
                    "challengeId": challenge_id,
                    "sign": base64.b64encode(signature).decode("ascii"),
                },
                idempotent=False,
                authenticated=False,
            )
            self._token = api.Token.from_data(data)
            if self.token_cache is not None:
                self.token_cache.put(self.server, fingerprint, self._token)
            return self._token

    async def fetch_chats(self, phones: Sequence[str] = ()) -> ChatList:
        """Fetch all chats, or with `phones` the chats created for those numbers."""
        return parse_chats_response(api.envelope(await self._fetch_raw(tuple(phones))))

    async def add_phones(self, phones: Sequence[str]) -> ChatList:
        """Send phone numbers; returns the chats created or found for them."""
        return await self.fetch_chats(tuple(normalize_phone(phone) for phone in phones))

    async def submit_keys(self, copies: Sequence[KeySubmission]) -> list[CopyResult]:
        """Register key copies (one request) and return each copy's result."""
        data = await self._request(
            api.CHATS_KEYS, request_body(copies), idempotent=False
        )
        return parse_key_results(api.envelope(data), copies)

    async def sync(
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
        return await self._drive(engine.run(normalized))

    async def _drive(self, generator: Generator[Step, Any, T]) -> T:
        try:
            step = next(generator)
            while True:
                try:
                    result = await self._perform(step)
                except TransportError as error:
                    step = generator.throw(error)
                else:
                    step = generator.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, FetchChats):
            return api.envelope(await self._fetch_raw(step.phones))
        if isinstance(step, SubmitKeys):
            data = await self._request(
                api.CHATS_KEYS, request_body(step.copies), idempotent=False
            )
            return api.envelope(data)
        if isinstance(step, Compute):
            return await asyncio.to_thread(step.function)
        raise TypeError(f"unknown engine step {step!r}")

    async def _fetch_raw(self, phones: tuple[str, ...]) -> Any:
        body: dict[str, Any] = {"phones": list(phones)} if phones else {}
        return await self._request(api.CHATS, body, idempotent=True)

    async def _request(
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
                headers["Authorization"] = f"Bearer {(await self.login()).token}"
            try:
                response = await self._http.post(target, json=body, headers=headers)
            except httpx.TransportError as error:
                await asyncio.sleep(attempts.after_error(error))
                continue
            delay = attempts.after_response(response)
            if delay is not None:
                await asyncio.sleep(delay)
                continue
            try:
                return api.read_response(response)
            except AuthenticationError:
                if not authenticated or relogged:
                    raise
                relogged = True
                self._token = None
                if self.token_cache is not None:
                    self.token_cache.forget(
                        self.server, self.identity.certificate.fingerprint
                    )
                continue
