"""The Starlette application: routes, the response envelope and error handling.

Every response is ``{"success": true, "data": ...}`` or, with a 4xx or 5xx
status, ``{"success": false, "error": {"code": ..., "message": ...}}``.
Handlers read the body on the event loop and run the database and crypto work
in the thread pool. Every rejected request is logged with its method, path,
status and code, and with the caller's profile and certificate when known.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatkeys.errors import InvalidPhoneError
from chatkeys.phones import normalize_phone
from chatkeys.providers import Providers
from chatkeys_server import chats, key_copies, registration, sessions
from chatkeys_server.config import ServerConfig
from chatkeys_server.errors import RequestRejected
from chatkeys_server.state import ServerState
from chatkeys_server.tokens import SCOPE_REGISTER, bearer_token
from chatkeys_server.validation import get_string_list, read_json, require_object

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v2/"


def success(data: Any) -> JSONResponse:
    """Wrap `data` in the success envelope."""
    return JSONResponse({"success": True, "data": data})


def failure(status: int, code: str, message: str) -> JSONResponse:
    """Build an error response in the failure envelope."""
    return JSONResponse(
        {"success": False, "error": {"code": code, "message": message}},
        status_code=status,
    )


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.chatkeys
    return state


async def _body(request: Request, *, optional: bool = False) -> Any:
    return await read_json(
        request, _state(request).config.max_body_size, optional=optional
    )


async def registry_phone(request: Request) -> Response:
    body = await _body(request)
    return success(
        await run_in_threadpool(registration.registry_phone, _state(request), body)
    )


async def confirm_phone(request: Request) -> Response:
    body = await _body(request)
    return success(
        await run_in_threadpool(registration.confirm_phone, _state(request), body)
    )


async def certificate_registration(request: Request) -> Response:
    state = _state(request)
    token = bearer_token(request.headers.get("authorization"))
    claims = state.tokens.verify(token, SCOPE_REGISTER)
    request.state.caller = (claims.pid, None)
    body = await _body(request)
    return success(
        await run_in_threadpool(
            registration.register_certificate, state, token, claims, body
        )
    )


async def auth(request: Request) -> Response:
    body = await _body(request)
    return success(await run_in_threadpool(sessions.start_login, _state(request), body))


async def confirm_auth(request: Request) -> Response:
    body = await _body(request)
    return success(
        await run_in_threadpool(sessions.confirm_login, _state(request), body)
    )


async def list_chats(request: Request) -> Response:
    state = _state(request)
    token = bearer_token(request.headers.get("authorization"))
    claims, certificate = await run_in_threadpool(sessions.authenticate, state, token)
    request.state.caller = (claims.pid, claims.cid)
    body = None if request.method == "GET" else await _body(request, optional=True)
    return success(
        await run_in_threadpool(_chats, state, claims.pid, certificate.cid, body)
    )


def _chats(state: ServerState, pid: str, cid: str, body: Any) -> list[dict[str, Any]]:
    body = {} if body is None else require_object(body)
    phones = get_string_list(body, "phones")
    chat_ids = get_string_list(body, "chatIds")
    normalised = []
    for index, phone in enumerate(phones or []):
        try:
            normalised.append(normalize_phone(phone))
        except InvalidPhoneError as error:
            raise RequestRejected(
                422, "invalid_phone", f"field 'phones[{index}]': {error}"
            ) from error

    if phones is None and chat_ids is None:
        with state.store.read() as connection:
            return chats.render_chats(
                connection, pid, cid, chats.member_chat_ids(connection, pid)
            )
    selected: list[str] = []
    if phones:
        with state.store.write() as connection:
            selected.extend(chats.chats_for_phones(connection, pid, normalised))
    selected.extend(chat_ids or [])
    with state.store.read() as connection:
        return chats.render_chats(connection, pid, cid, selected)


async def chats_keys(request: Request) -> Response:
    state = _state(request)
    token = bearer_token(request.headers.get("authorization"))
    claims, certificate = await run_in_threadpool(sessions.authenticate, state, token)
    request.state.caller = (claims.pid, claims.cid)
    body = await _body(request)
    return success(
        await run_in_threadpool(key_copies.register_copies, state, certificate, body)
    )


def _routes() -> list[Route]:
    endpoints: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("registryPhone", registry_phone, ["POST"]),
        ("confirmPhone", confirm_phone, ["POST"]),
        ("certificateRegistration", certificate_registration, ["POST"]),
        ("auth", auth, ["POST"]),
        ("confirmAuth", confirm_auth, ["POST"]),
        ("chats", list_chats, ["GET", "POST"]),
        ("chatsKeys", chats_keys, ["POST"]),
    ]
    routes = []
    for name, endpoint, methods in endpoints:
        for path in (API_PREFIX + name, API_PREFIX + name + "/"):
            routes.append(Route(path, endpoint, methods=methods))
    return routes


def _log_rejection(request: Request, status: int, code: str) -> None:
    caller = getattr(request.state, "caller", None)
    logger.warning(
        "rejected %s %s: %d %s%s",
        request.method,
        request.url.path,
        status,
        code,
        _caller_ids(caller),
    )


def _caller_ids(caller: tuple[str, str | None] | None) -> str:
    if caller is None:
        return ""
    pid, cid = caller
    return (
        f" (profile {pid})" if cid is None else f" (profile {pid}, certificate {cid})"
    )


async def _rejected(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestRejected)
    _log_rejection(request, error.status, error.code)
    return failure(error.status, error.code, error.message)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(error.status_code, "http_error")
    _log_rejection(request, error.status_code, code)
    message = f"{request.method} {request.url.path}: {error.detail}"
    return failure(error.status_code, code, message)


async def _unexpected(request: Request, error: Exception) -> Response:
    logger.error(
        "internal error in %s %s", request.method, request.url.path, exc_info=error
    )
    return failure(500, "internal_error", "internal server error: see the server log")


def create_app(config: ServerConfig, providers: Providers | None = None) -> Starlette:
    """Build the application for `config`: open the database, start the system contact.

    `providers` defaults to the installed providers (`Providers.discover()`).
    """
    state = ServerState.open(config, providers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        logger.info(
            "chatkeys server started: database %s, profile %s%s",
            config.db_path,
            config.profile,
            ", development mode" if config.development else "",
        )
        try:
            yield
        finally:
            state.close()
            logger.info("chatkeys server stopped")

    app = Starlette(
        routes=_routes(),
        exception_handlers={
            RequestRejected: _rejected,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.chatkeys = state
    return app
