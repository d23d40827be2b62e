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


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_field_names = st.sampled_from(
    [
        "phone",
        "code",
        "requestId",
        "certificate",
        "sign",
        "cid",
        "challengeId",
        "phones",
        "chatIds",
        "keys",
        "chatId",
        "pid",
        "key",
        "profileType",
        "profileName",
    ]
)
_shaped = st.recursive(
    _json,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(_field_names, children, max_size=5)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(endpoint=st.sampled_from(ENDPOINTS), body=_shaped)
def test_random_json_never_fails_server(api, alice, registration_token, endpoint, body):
    token = (
        registration_token if endpoint == "certificateRegistration/" else alice.token
    )
    response = api.post(endpoint, token=token, content=json.dumps(body).encode())
    assert response.status_code < 500
    if response.status_code >= 400:
        _error(response)
    else:
        assert response.json()["success"] is True
