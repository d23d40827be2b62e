"""Reading request bodies and checking the types of their fields.

Every check raises `RequestRejected` naming the field at fault with a JSON
path such as ``keys[2].chatId``. The status is 400 for a body that is not
JSON, 413 for a body over the size limit and 422 for a field of the wrong
type or value.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request

from chatkeys_server.errors import RequestRejected

JsonObject = dict[str, Any]


async def read_json(request: Request, max_size: int, *, optional: bool = False) -> Any:
    """Read and parse the request body, at most `max_size` bytes.

    With `optional`, an empty body gives None instead of an error.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_size:
        raise _too_large(max_size)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_size:
            raise _too_large(max_size)
        chunks.append(chunk)
    body = b"".join(chunks)

    if not body.strip():
        if optional:
            return None
        raise RequestRejected(
            400, "invalid_json", "the request body is empty: send a JSON object"
        )
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestRejected(
            400, "invalid_json", f"the request body is not valid UTF-8 JSON: {error}"
        ) from error
    except RecursionError as error:
        raise RequestRejected(
            400, "invalid_json", "the request body is nested too deeply"
        ) from error
    _reject_surrogates(value)
    return value


def _reject_surrogates(value: Any) -> None:
    """Reject strings with lone UTF-16 surrogates, which JSON escapes allow.

    Such a string cannot be encoded as UTF-8, so SQLite and every later step
    would fail on it.
    """
    pending: list[tuple[str, Any]] = [("body", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            _check_text(path, item)
        elif isinstance(item, list):
            pending.extend(
                (f"{path}[{index}]", child) for index, child in enumerate(item)
            )
        elif isinstance(item, dict):
            for name, child in item.items():
                _check_text(f"{path} key", name)
                pending.append((_join(path, name), child))


def _check_text(path: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RequestRejected(
            422,
            "invalid_field",
            f"field {path!r} contains a lone UTF-16 surrogate, which is not valid text",
        ) from error


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _too_large(max_size: int) -> RequestRejected:
    return RequestRejected(
        413, "body_too_large", f"the request body is larger than {max_size} bytes"
    )


def invalid(path: str, expected: str) -> RequestRejected:
    """Build the 422 error for field `path` that is not `expected`."""
    return RequestRejected(422, "invalid_field", f"field {path!r} must be {expected}")


def require_object(value: Any, path: str = "body") -> JsonObject:
    """Return `value` if it is a JSON object."""
    if not isinstance(value, dict):
        raise invalid(path, "a JSON object")
    return value


def _join(parent: str, name: str) -> str:
    return name if parent == "body" else f"{parent}.{name}"


def get_string(obj: JsonObject, name: str, parent: str = "body") -> str:
    """Return the required non-empty string field `name` of `obj`."""
    path = _join(parent, name)
    if name not in obj or obj[name] is None:
        raise RequestRejected(422, "missing_field", f"field {path!r} is required")
    value = obj[name]
    if not isinstance(value, str) or not value:
        raise invalid(path, "a non-empty string")
    return value


def get_optional_string(obj: JsonObject, name: str, parent: str = "body") -> str | None:
    """Return the optional string field `name` of `obj`, or None when absent."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(_join(parent, name), "a string")
    return value


def get_optional_list(
    obj: JsonObject, name: str, parent: str = "body"
) -> list[Any] | None:
    """Return the optional list field `name` of `obj`, or None when absent."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid(_join(parent, name), "a list")
    return value


def get_string_list(
    obj: JsonObject, name: str, parent: str = "body"
) -> list[str] | None:
    """Return the optional list of strings `name` of `obj`, or None when absent."""
    values = get_optional_list(obj, name, parent)
    if values is None:
        return None
    path = _join(parent, name)
    for index, item in enumerate(values):
        if not isinstance(item, str):
            raise invalid(f"{path}[{index}]", "a string")
    return values


def decode_base64(value: str, path: str) -> bytes:
    """Decode the standard base64 `value` of field `path` (whitespace ignored)."""
    try:
        decoded = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise invalid(path, "base64") from error
    if not decoded:
        raise invalid(path, "base64 of at least one byte")
    return decoded
