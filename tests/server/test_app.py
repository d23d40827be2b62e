"""The response envelope, and the server's responses to malformed requests.

No request may produce a 5xx: malformed JSON, wrong types and oversize bodies
get a 4xx whose message names the field.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = [
    "registryPhone",
    "confirmPhone",
    "certificateRegistration/",
    "auth",
    "confirmAuth",
    "chats/",
    "chatsKeys/",
]
AUTHENTICATED = {"certificateRegistration/", "chats/", "chatsKeys/"}


def _error(response):
    payload = response.json()
    assert payload["success"] is False
    assert set(payload["error"]) == {"code", "message"}
    return payload["error"]


@pytest.fixture
def alice(api):
    return api.register("79260000001")


@pytest.fixture
def registration_token(api):
    token, _ = api.registration_token("79260000002")
    return token


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_malformed_json_rejected(api, alice, endpoint):
    token, _ = api.registration_token("79260000002")
    if endpoint != "certificateRegistration/":
        token = alice.token
    response = api.post(endpoint, token=token, content=b'{"phone": ')
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("registryPhone", {"phone": 79260000001}, "'phone'"),
        ("registryPhone", {"phone": "79260000001", "profileName": 5}, "'profileName'"),
        (
            "registryPhone",
            {"phone": "79260000001", "profileType": True},
            "'profileType'",
        ),
        ("registryPhone", [], "'body'"),
        ("confirmPhone", {"requestId": "x"}, "'code'"),
        ("confirmPhone", {"requestId": ["x"], "code": "1"}, "'requestId'"),
        ("auth", {"cid": 5}, "'cid'"),
        ("confirmAuth", {"challengeId": "x", "sign": "%%%"}, "'sign'"),
        ("chats/", {"phones": "79260000002"}, "'phones'"),
        ("chats/", {"chatIds": [1]}, "'chatIds[0]'"),
        ("chats/", "x", "'body'"),
    ],
)
def test_wrong_types_name_field(api, alice, endpoint, body, field):
    response = api.post(endpoint, body, token=alice.token)
    assert response.status_code == 422
    assert field in _error(response)["message"]


def test_nan_is_not_json(api):
    response = api.post("registryPhone", content=b'{"phone": NaN}')
    assert response.status_code == 400


def test_oversize_body_rejected(api, alice, config):
    padding = "x" * config.max_body_size
    response = api.post(
        "chatsKeys/", {"keys": [], "padding": padding}, token=alice.token
    )
    assert response.status_code == 413
    assert _error(response)["code"] == "body_too_large"


def test_oversize_body_without_length_rejected(api, alice, config):
    async def chunks():
        for _ in range(config.max_body_size // 65536 + 2):
            yield b" " * 65536

    response = api.post("chatsKeys/", token=alice.token, content=chunks())
    assert response.status_code == 413


def test_deeply_nested_body_rejected(api):
    response = api.post("registryPhone", content=b"[" * 100000 + b"]" * 100000)
    assert response.status_code == 400


def test_unknown_path_in_envelope(api):
    response = api.post("nothing")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_wrong_method_in_envelope(api):
    response = api.http.request("GET", "/api/v2/chatsKeys/")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_paths_work_with_and_without_slash(api):
    for path in ("registryPhone", "registryPhone/"):
        assert api.post(path, {"phone": "79260000001"}).status_code == 200


_text = st.one_of(
    st.text(),
    st.sampled_from(["", "79260000002", "AAAA", "\ud800", "a\udfffb"]),
)
_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_value = st.recursive(
    _scalar,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=4)
    ),
    max_leaves=10,
)
REQUEST_FIELDS = {
    "registryPhone": [
        "phone",
        "profileName",
        "profileCompany",
        "profileTitle",
        "profileType",
    ],
    "confirmPhone": ["requestId", "code"],
    "certificateRegistration/": ["certificate", "sign"],
    "auth": ["certificate", "cid"],
    "confirmAuth": ["challengeId", "sign"],
    "chats/": ["phones", "chatIds"],
    "chatsKeys/": ["keys"],
}
COPY_FIELDS = ["chatId", "pid", "cid", "key", "sign"]
_copies = st.lists(
    st.fixed_dictionaries({}, optional=dict.fromkeys(COPY_FIELDS, _value)), max_size=3
)


def _body_for(endpoint: str) -> st.SearchStrategy[object]:
    """Random JSON, and objects with the endpoint's field names and random values."""
    fields = {
        name: _value | _copies | st.lists(_text) for name in REQUEST_FIELDS[endpoint]
    }
    return _value | st.fixed_dictionaries({}, optional=fields)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(endpoint=st.sampled_from(ENDPOINTS), data=st.data())
def test_random_json_never_fails_server(api, alice, registration_token, endpoint, data):
    body = data.draw(_body_for(endpoint))
    token = (
        registration_token if endpoint == "certificateRegistration/" else alice.token
    )
    response = api.post(endpoint, token=token, content=json.dumps(body).encode("ascii"))
    assert response.status_code < 500
    if response.status_code >= 400:
        _error(response)
    else:
        assert response.json()["success"] is True


@pytest.mark.parametrize(
    ("endpoint", "content", "field"),
    [
        (
            "chatsKeys/",
            rb'{"keys": [{"chatId": "\ud800", "pid": "a"}]}',
            "keys[0].chatId",
        ),
        ("chats/", rb'{"chatIds": ["x", "a\udc00"]}', "chatIds[1]"),
        (
            "registryPhone",
            rb'{"phone": "79260000002", "profileName": "\ud800"}',
            "profileName",
        ),
        ("auth", rb'{"\ud800": 1}', "body key"),
    ],
)
def test_lone_surrogate_names_field(api, alice, endpoint, content, field):
    response = api.post(endpoint, token=alice.token, content=content)
    assert response.status_code == 422
    assert repr(field) in _error(response)["message"]
