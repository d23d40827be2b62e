from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidResponseError
from chatkeys.model import (
    ChatStatus,
    ChatType,
    ProfileType,
    parse_chats,
    parse_chats_response,
)

from .conftest import ChatFactory, participant_json


def test_full_chat_parses(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    mine, theirs = certificate_pool[0], certificate_pool[1]
    raw = chat_json(
        status="wait",
        certificates=[
            participant_json("p1", "c1", mine),
            participant_json("p2", "c2", theirs),
        ],
        chat_key={"id": "k1", "key": base64.b64encode(b"copy").decode()},
        wait_list=[participant_json("p2", "c2", theirs)],
        profilePhone="8 (926) 123-45-67",
    )
    chat_list = parse_chats([raw])
    assert chat_list.problems == ()
    chat = chat_list.chats[0]
    assert chat.status is ChatStatus.WAIT
    assert chat.chat_type is ChatType.PERSONAL
    assert chat.chat_key is not None
    assert chat.chat_key.key == b"copy"
    assert [p.cid for p in chat.certificates] == ["c1", "c2"]
    assert chat.certificates[0].certificate == mine
    assert chat.wait_list[0].certificate == theirs
    assert chat.profile.phone == "79261234567"
    assert chat.profile.type is ProfileType.IP
    assert chat.profile.photo == b"\x89PNG"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, ProfileType.SYS),
        (3, ProfileType.UL),
        ("SYS", ProfileType.SYS),
        ("ul", ProfileType.UL),
        ("2", ProfileType.IP),
        (None, None),
    ],
)
def test_profile_type_number_or_letter(
    chat_json: ChatFactory, value: object, expected: ProfileType | None
) -> None:
    chat = parse_chats([chat_json(profileType=value)]).chats[0]
    assert chat.profile.type is expected


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": 5}, "id"),
        ({"id": ""}, "id"),
        ({"status": "synced"}, "status"),
        ({"status": None}, "status"),
        ({"chatType": 7}, "chatType"),
        ({"chatType": "0"}, "chatType"),
        ({"profileType": 9}, "profileType"),
        ({"profileType": "XX"}, "profileType"),
        ({"profileType": True}, "profileType"),
        ({"profilePhone": "12345"}, "profilePhone"),
        ({"profilePhoto": "@@@"}, "profilePhoto"),
        ({"lastMessageText": "a"}, "lastMessageText"),
        ({"chatFavorites": "yes"}, "chatFavorites"),
        ({"unreadMessages": 1.5}, "unreadMessages"),
        ({"unreadMessages": True}, "unreadMessages"),
        ({"lastMessageTime": []}, "lastMessageTime"),
        ({"chatKey": "abc"}, "chatKey"),
        ({"chatKey": {"id": "k"}}, "chatKey.key"),
        ({"chatKey": {"id": "", "key": "AA=="}}, "chatKey.id"),
        ({"chatKey": {"id": "k", "key": "!!"}}, "chatKey.key"),
        ({"certificates": None}, "certificates"),
        ({"certificates": "x"}, "certificates"),
        ({"certificates": [1]}, "certificates[0]"),
        ({"certificates": [{"pid": "p", "cid": "c"}]}, "certificates[0].certificate"),
        (
            {"certificates": [{"pid": "p", "cid": "c", "certificate": "aGVsbG8="}]},
            "certificates[0].certificate",
        ),
        ({"waitList": [{"pid": 1, "cid": "c", "certificate": ""}]}, "waitList[0].pid"),
    ],
)
def test_malformed_field_named(
    chat_json: ChatFactory, overrides: dict[str, Any], field: str
) -> None:
    good = chat_json(chat_id="good")
    bad = chat_json(chat_id="bad")
    bad.update(overrides)
    chat_list = parse_chats([bad, good])
    assert [chat.id for chat in chat_list.chats] == ["good"]
    assert len(chat_list.problems) == 1
    problem = chat_list.problems[0]
    assert problem.field == field
    assert problem.index == 0
    expected_id = bad["id"] if isinstance(bad.get("id"), str) and bad["id"] else None
    assert problem.chat_id == expected_id


def test_bad_certificate_problem_names_chat_and_cid(chat_json: ChatFactory) -> None:
    bad = chat_json(
        chat_id="chat-9",
        certificates=[
            {"pid": "p", "cid": "cid-7", "certificate": "aGVsbG8=", "hash": ""}
        ],
    )
    problem = parse_chats([bad]).problems[0]
    assert "chat chat-9" in str(problem)
    assert "cid-7" in str(problem)


def test_non_object_chat_is_problem() -> None:
    chat_list = parse_chats(["oops", None])
    assert len(chat_list.problems) == 2
    assert chat_list.problems[0].chat_id is None


def test_response_envelope_failure_raises() -> None:
    with pytest.raises(InvalidResponseError, match="E42"):
        parse_chats_response(
            {"success": False, "error": {"code": "E42", "message": "no"}}
        )
    with pytest.raises(InvalidResponseError, match="data"):
        parse_chats_response({"success": True, "data": {}})
    with pytest.raises(InvalidResponseError):
        parse_chats_response([])


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_field_names = st.sampled_from(
    [
        "id",
        "status",
        "certificates",
        "chatKey",
        "waitList",
        "chatType",
        "profileType",
        "profilePhone",
        "profilePhoto",
        "unreadMessages",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_field_names, _json, max_size=10))
def test_random_chat_never_crashes(raw: dict[str, Any]) -> None:
    chat_list = parse_chats([raw])
    assert len(chat_list.chats) + len(chat_list.problems) == 1
