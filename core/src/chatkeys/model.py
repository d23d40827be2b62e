"""Typed, immutable records of the `/chats/` response, and their parser.

Parsing is the only place that touches the raw JSON. Each chat is parsed on
its own: a chat that breaks the contract becomes a `ChatProblem` naming the
chat id and the field, and the other chats are still returned.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys.errors import (
    InvalidCertificateError,
    InvalidPhoneError,
    InvalidResponseError,
)
from chatkeys.phones import normalize_phone


class ChatStatus(enum.StrEnum):
    """Chat status, computed by the server for the requesting certificate."""

    NEW = "new"
    WAIT = "wait"
    SYNC = "sync"


class ChatType(enum.IntEnum):
    """Kind of chat."""

    PERSONAL = 0
    GROUP = 1
    CHANNEL = 2


class ProfileType(enum.IntEnum):
    """Kind of profile; the API sends the number or, in some data, the letter code."""

    SYS = 0
    FL = 1
    IP = 2
    UL = 3


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant certificate of a chat: profile `pid`, certificate `cid`."""

    pid: str
    cid: str
    certificate: Certificate
    hash: str


@dataclass(frozen=True, slots=True)
class ReceivedKeyCopy:
    """The `chatKey` object: key `id` and the copy for the current certificate."""

    id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Profile:
    """The other participant as the chat shows it (the caller in Favorites)."""

    name: str = ""
    company: str = ""
    company_id: str = ""
    title: str = ""
    phone: str = ""
    photo: bytes = field(default=b"", repr=False)
    type: ProfileType | None = None
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Chat:
    """One chat of the `/chats/` response."""

    id: str
    status: ChatStatus
    chat_type: ChatType
    favorites: bool
    certificates: tuple[Participant, ...]
    chat_key: ReceivedKeyCopy | None
    wait_list: tuple[Participant, ...]
    profile: Profile = Profile()
    name: str = ""
    last_message_text: bytes = field(default=b"", repr=False)
    last_message_status: int | None = None
    last_message_time: int | float | str | None = None
    unread_messages: int = 0


@dataclass(frozen=True, slots=True)
class ChatProblem:
    """A chat that breaks the contract and was skipped.

    `chat_id` is None when the id itself is missing or invalid; `index` is the
    chat's position in the response; `field` is a path such as
    ``certificates[1].certificate``.
    """

    chat_id: str | None
    index: int
    field: str
    message: str

    def __str__(self) -> str:
        where = (
            f"chat {self.chat_id}"
            if self.chat_id is not None
            else f"chat #{self.index}"
        )
        return f"{where}, field {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ChatList:
    """The chats that parsed, and a problem for each chat that did not."""

    chats: tuple[Chat, ...]
    problems: tuple[ChatProblem, ...] = ()


class ChatFieldError(InvalidResponseError):
    """A field of one chat object breaks the contract; `field` is its path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"field {field}: {message}")
        self.field = field
        self.message = message


def parse_chats_response(payload: Any) -> ChatList:
    """Parse a whole `/chats/` response body (the ``{"success", "data"}`` envelope).

    Raises `InvalidResponseError` when the envelope itself is malformed or
    reports failure; problems inside single chats are returned, not raised.
    """
    if not isinstance(payload, Mapping):
        raise InvalidResponseError("the chats response is not a JSON object")
    if payload.get("success") is not True:
        raise InvalidResponseError(
            f"the chats response reports failure: {_error_text(payload)}"
        )
    data = payload.get("data")
    if not isinstance(data, list):
        raise InvalidResponseError("the chats response has no list in field 'data'")
    return parse_chats(data)


def parse_chats(items: Sequence[Any]) -> ChatList:
    """Parse a list of chat objects; each malformed one becomes a `ChatProblem`."""
    chats: list[Chat] = []
    problems: list[ChatProblem] = []
    for index, item in enumerate(items):
        chat_id = item.get("id") if isinstance(item, Mapping) else None
        chat_id = chat_id if isinstance(chat_id, str) and chat_id else None
        try:
            chats.append(parse_chat(item))
        except ChatFieldError as error:
            problems.append(ChatProblem(chat_id, index, error.field, error.message))
    return ChatList(tuple(chats), tuple(problems))


def parse_chat(item: Any) -> Chat:
    """Parse one chat object; raises `ChatFieldError` naming the offending field."""
    if not isinstance(item, Mapping):
        raise ChatFieldError(
            "<chat>", f"expected a JSON object, got {_type_name(item)}"
        )
    chat_id = _string(item, "id", required=True)
    if not chat_id:
        raise ChatFieldError("id", "must not be empty")
    status_text = _string(item, "status", required=True)
    try:
        status = ChatStatus(status_text)
    except ValueError:
        raise ChatFieldError(
            "status", f"unknown status {status_text!r}: expected new, wait or sync"
        ) from None
    chat_type_number = _integer(item, "chatType", default=0)
    try:
        chat_type = ChatType(chat_type_number)
    except ValueError:
        raise ChatFieldError(
            "chatType", f"unknown chat type {chat_type_number}: expected 0, 1 or 2"
        ) from None

    return Chat(
        id=chat_id,
        status=status,
        chat_type=chat_type,
        favorites=_boolean(item, "chatFavorites"),
        certificates=_participants(item, "certificates", required=True),
        chat_key=_chat_key(item),
        wait_list=_participants(item, "waitList", required=False),
        profile=_profile(item),
        name=_string(item, "chatName"),
        last_message_text=_base64(item, "lastMessageText"),
        last_message_status=_optional_integer(item, "lastMessageStatus"),
        last_message_time=_timestamp(item, "lastMessageTime"),
        unread_messages=_integer(item, "unreadMessages", default=0),
    )


def _profile(item: Mapping[str, Any]) -> Profile:
    phone = _string(item, "profilePhone")
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhoneError as error:
            raise ChatFieldError("profilePhone", str(error)) from error
    return Profile(
        name=_string(item, "profileName"),
        company=_string(item, "profileCompany"),
        company_id=_string(item, "profileCompanyId"),
        title=_string(item, "profileTitle"),
        phone=phone,
        photo=_base64(item, "profilePhoto"),
        type=_profile_type(item),
        verified=_boolean(item, "profileVerified"),
    )


def _profile_type(item: Mapping[str, Any]) -> ProfileType | None:
    value = item.get("profileType")
    if value is None:
        return None
    if isinstance(value, bool):
        raise ChatFieldError(
            "profileType", "expected a number 0..3 or SYS/FL/IP/UL, got a boolean"
        )
    if isinstance(value, int):
        try:
            return ProfileType(value)
        except ValueError:
            raise ChatFieldError(
                "profileType", f"unknown profile type {value}: expected 0..3"
            ) from None
    if isinstance(value, str):
        code = value.strip().upper()
        if code in ProfileType.__members__:
            return ProfileType[code]
        if code.isdigit() and int(code) in ProfileType._value2member_map_:
            return ProfileType(int(code))
    raise ChatFieldError(
        "profileType", f"unknown profile type {value!r}: expected 0..3 or SYS/FL/IP/UL"
    )


def _chat_key(item: Mapping[str, Any]) -> ReceivedKeyCopy | None:
    value = item.get("chatKey")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ChatFieldError(
            "chatKey", f"expected an object or null, got {_type_name(value)}"
        )
    key_id = _string(value, "id", required=True, path="chatKey.id")
    if not key_id:
        raise ChatFieldError("chatKey.id", "must not be empty")
    key = _base64(value, "key", required=True, path="chatKey.key")
    if not key:
        raise ChatFieldError("chatKey.key", "must not be empty")
    return ReceivedKeyCopy(key_id, key)


def _participants(
    item: Mapping[str, Any], name: str, *, required: bool
) -> tuple[Participant, ...]:
    value = item.get(name)
    if value is None:
        if required:
            raise ChatFieldError(name, "missing")
        return ()
    if not isinstance(value, list):
        raise ChatFieldError(name, f"expected a list, got {_type_name(value)}")
    participants = []
    for position, entry in enumerate(value):
        path = f"{name}[{position}]"
        if not isinstance(entry, Mapping):
            raise ChatFieldError(path, f"expected an object, got {_type_name(entry)}")
        pid = _string(entry, "pid", required=True, path=f"{path}.pid")
        cid = _string(entry, "cid", required=True, path=f"{path}.cid")
        if not pid or not cid:
            raise ChatFieldError(
                f"{path}.{'pid' if not pid else 'cid'}", "must not be empty"
            )
        text = _string(entry, "certificate", required=True, path=f"{path}.certificate")
        try:
            certificate = Certificate.from_api_field(text)
        except InvalidCertificateError as error:
            raise ChatFieldError(
                f"{path}.certificate", f"certificate of cid {cid}: {error}"
            ) from error
        participants.append(
            Participant(
                pid, cid, certificate, _string(entry, "hash", path=f"{path}.hash")
            )
        )
    return tuple(participants)


def _string(
    item: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    path: str | None = None,
) -> str:
    value = item.get(name)
    if value is None:
        if required:
            raise ChatFieldError(path or name, "missing")
        return ""
    if not isinstance(value, str):
        raise ChatFieldError(
            path or name, f"expected a string, got {_type_name(value)}"
        )
    return value


def _boolean(item: Mapping[str, Any], name: str) -> bool:
    value = item.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ChatFieldError(name, f"expected a boolean, got {_type_name(value)}")
    return value


def _integer(item: Mapping[str, Any], name: str, *, default: int) -> int:
    value = _optional_integer(item, name)
    return default if value is None else value


def _optional_integer(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChatFieldError(name, f"expected an integer, got {_type_name(value)}")
    return value


def _timestamp(item: Mapping[str, Any], name: str) -> int | float | str | None:
    value = item.get(name)
    if value is None or (
        isinstance(value, int | float | str) and not isinstance(value, bool)
    ):
        return value
    raise ChatFieldError(
        name, f"expected a timestamp (number or string), got {_type_name(value)}"
    )


def _base64(
    item: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    path: str | None = None,
) -> bytes:
    text = _string(item, name, required=required, path=path)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ChatFieldError(path or name, "invalid base64") from error


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, text in names.items():
        if isinstance(value, kind):
            return text
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _error_text(payload: Mapping[str, Any]) -> str:
    error = payload.get("error")
    if isinstance(error, Mapping):
        code = error.get("code", "")
        message = error.get("message", "")
        return f"{code}: {message}" if code else str(message) or "no message"
    return "no error details"
