"""Exceptions of the server, each one an HTTP error response."""

from __future__ import annotations

from chatkeys.errors import ChatkeysError


class ServerError(ChatkeysError):
    """Base class of the errors raised by the reference server."""


class ServerConfigError(ServerError, ValueError):
    """A server setting is invalid."""


class SystemIdentityError(ServerError):
    """The system contact's identity cannot be used with this database."""


class RequestRejected(ServerError):
    """A request the server rejects, sent back as an error response.

    `status` is the HTTP status, `code` the machine-readable error code of the
    response body and the message its human-readable text, which names the
    field or value at fault.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
