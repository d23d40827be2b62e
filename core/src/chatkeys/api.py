"""The HTTP API of the server, without I/O: paths, bodies, response checks.

The sync and async clients share these pieces, so both speak the same API
and report errors the same way.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from chatkeys.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    TransportError,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v2/"

CHATS = "chats/"
CHATS_KEYS = "chatsKeys/"
AUTH = "auth"
CONFIRM_AUTH = "confirmAuth"
REGISTRY_PHONE = "registryPhone"
CONFIRM_PHONE = "confirmPhone"
CERTIFICATE_REGISTRATION = "certificateRegistration/"

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Time-outs (seconds), retries and connection limits of a client.

    `retries` applies to idempotent requests only (fetching chats, login
    steps); `backoff` is the first delay, doubled on each retry with jitter
    and capped at `max_backoff`. `pool_timeout` None waits for a free
    connection as long as it takes, so a burst of requests above
    `max_connections` queues instead of failing.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    pool_timeout: float | None = None
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_connections: int = 10
    verify: bool | str = True

    def timeout(self) -> httpx.Timeout:
        """Return the httpx time-out configuration."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )

    def limits(self) -> httpx.Limits:
        """Return the httpx connection limits."""
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_connections,
        )

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Return how long to wait before retry number `attempt` (from 1)."""
        if retry_after is not None and retry_after.isdigit():
            return min(float(retry_after), self.max_backoff)
        base: float = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return base * (0.5 + random.random() / 2)


class Attempts:
    """Retry decisions for one request, shared by the sync and async clients.

    Each method returns the delay in seconds before the next attempt, or
    None (for responses) when the response is final. A transport error on
    the last attempt is raised as `TransportError`.
    """

    def __init__(self, settings: HttpSettings, idempotent: bool, target: str) -> None:
        self.settings = settings
        self.limit = 1 + (settings.retries if idempotent else 0)
        self.target = target
        self.attempt = 1

    def after_error(self, error: httpx.TransportError) -> float:
        """Return the delay before retrying after `error`, or raise it."""
        failure = transport_error(error, "POST", self.target)
        if self.attempt >= self.limit:
            raise failure from error
        delay = self.settings.delay(self.attempt)
        self.attempt += 1
        logger.warning("retrying in %.1f s: %s", delay, failure)
        return delay

    def after_response(self, response: httpx.Response) -> float | None:
        """Return the delay before retrying a retryable status, else None."""
        if response.status_code not in RETRYABLE_STATUS or self.attempt >= self.limit:
            return None
        delay = self.settings.delay(self.attempt, response.headers.get("Retry-After"))
        self.attempt += 1
        logger.warning(
            "retrying %s in %.1f s after HTTP %d",
            self.target,
            delay,
            response.status_code,
        )
        return delay


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(server: str, *, allow_plain_http: bool = False) -> str:
    """Return `server` without a trailing slash, or raise for an unsafe URL.

    Plain ``http://`` sends the bearer token in clear, so it is accepted only
    for loopback hosts (a local reference server) unless `allow_plain_http`.
    """
    try:
        parsed = httpx.URL(server)
    except httpx.InvalidURL as error:
        raise ConfigurationError(f"invalid server URL {server!r}: {error}") from error
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(
            f"invalid server URL {server!r}: expected https://host[:port]"
        )
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        if not allow_plain_http:
            raise ConfigurationError(
                f"server URL {server!r} uses plain http, which would send the login "
                "token in clear: use https, or for a trusted network pass "
                "--allow-plain-http (CHATKEYS_ALLOW_PLAIN_HTTP=1; "
                "allow_plain_http=True in the library)"
            )
        logger.warning("using plain http to %s: tokens travel in clear", parsed.host)
    return server.rstrip("/")


def url(base_url: str, path: str) -> str:
    """Join the server's base URL and an API path."""
    return base_url.rstrip("/") + API_PREFIX + path


def transport_error(
    error: httpx.TransportError, method: str, target: str
) -> TransportError:
    """Translate an httpx error, telling whether the request may have arrived."""
    not_sent = isinstance(
        error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
    return TransportError(
        f"{method} {target} {kind}: {type(error).__name__}: {error}", sent=not not_sent
    )


def read_response(response: httpx.Response) -> Any:
    """Return the `data` of a successful response; raise `ApiError` otherwise."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    target = f"{response.request.method} {response.request.url.path}"
    if (
        response.is_success
        and isinstance(payload, Mapping)
        and payload.get("success") is True
    ):
        return payload.get("data")
    code, message = _error_details(payload)
    if response.is_success:
        text = message or "the response is not a success envelope"
        raise ApiError(
            f"{target} failed: {text}", status=response.status_code, code=code
        )
    error_class = (
        AuthenticationError if response.status_code in (401, 403) else ApiError
    )
    raise error_class(
        f"{target} failed with HTTP {response.status_code}: {code or 'error'}: "
        f"{message or response.reason_phrase}",
        status=response.status_code,
        code=code,
    )


def envelope(data: Any) -> dict[str, Any]:
    """Wrap `data` in the success envelope the engine expects."""
    return {"success": True, "data": data}


@dataclass(frozen=True, slots=True)
class Token:
    """A login token: the JWT, its expiry (unix seconds) and who it names."""

    token: str
    expires_at: float
    pid: str
    cid: str

    def valid(self, margin: float = 30.0) -> bool:
        """Return whether the token is still valid `margin` seconds from now."""
        return time.time() + margin < self.expires_at

    @classmethod
    def from_data(cls, data: Any) -> Token:
        """Read the `confirmAuth` response data."""
        if not isinstance(data, Mapping):
            raise InvalidResponseError("confirmAuth returned no object")
        token, expires_at = data.get("token"), data.get("expiresAt")
        pid, cid = data.get("pid"), data.get("cid")
        if not isinstance(token, str) or not token:
            raise InvalidResponseError("confirmAuth returned no token")
        if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
            raise InvalidResponseError("confirmAuth returned no numeric expiresAt")
        return cls(token, float(expires_at), str(pid or ""), str(cid or ""))


def read_challenge(data: Any) -> tuple[str, bytes]:
    """Read the `auth` response data: the challenge id and its bytes."""
    if not isinstance(data, Mapping):
        raise InvalidResponseError("auth returned no object")
    challenge_id, challenge = data.get("challengeId"), data.get("challenge")
    if not isinstance(challenge_id, str) or not isinstance(challenge, str):
        raise InvalidResponseError("auth returned no challengeId and challenge")
    try:
        return challenge_id, base64.b64decode(challenge, validate=True)
    except binascii.Error as error:
        raise InvalidResponseError(
            "auth returned a challenge that is not base64"
        ) from error


def _error_details(payload: Any) -> tuple[str, str]:
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping):
            return str(error.get("code") or ""), str(error.get("message") or "")
    return "", ""
