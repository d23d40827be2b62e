"""Login by signed challenge and the checks on bearer tokens."""

from __future__ import annotations

import base64
import time

import jwt
import pytest


def _error(response):
    payload = response.json()
    assert payload["success"] is False
    return payload["error"]


def test_login_by_cid(api):
    alice = api.register("79260000001")

    challenge = api.data(api.post("auth", {"cid": alice.cid}))
    assert len(base64.b64decode(challenge["challenge"])) == 32
    signed = api.sign(base64.b64decode(challenge["challenge"]), alice.identity)
    login = api.data(
        api.post(
            "confirmAuth", {"challengeId": challenge["challengeId"], "sign": signed}
        )
    )

    assert login["pid"] == alice.pid
    assert login["cid"] == alice.cid
    assert login["expiresAt"] > time.time()
    assert api.chats(alice)


def test_challenge_is_single_use(api):
    alice = api.register("79260000001")
    challenge = api.data(api.post("auth", {"cid": alice.cid}))
    signed = api.sign(base64.b64decode(challenge["challenge"]), alice.identity)
    body = {"challengeId": challenge["challengeId"], "sign": signed}
    assert api.post("confirmAuth", body).status_code == 200

    response = api.post("confirmAuth", body)

    assert response.status_code == 404
    assert _error(response)["code"] == "unknown_challenge"


def test_wrong_signature_burns_challenge(api):
    alice = api.register("79260000001")
    challenge = api.data(api.post("auth", {"cid": alice.cid}))
    raw = base64.b64decode(challenge["challenge"])
    wrong = api.sign(raw, api.new_identity())

    rejected = api.post(
        "confirmAuth", {"challengeId": challenge["challengeId"], "sign": wrong}
    )
    retried = api.post(
        "confirmAuth",
        {
            "challengeId": challenge["challengeId"],
            "sign": api.sign(raw, alice.identity),
        },
    )

    assert rejected.status_code == 401
    assert _error(rejected)["code"] == "bad_signature"
    assert retried.status_code == 404


def test_expired_challenge_rejected(api, monkeypatch):
    alice = api.register("79260000001")
    challenge = api.data(api.post("auth", {"cid": alice.cid}))
    signed = api.sign(base64.b64decode(challenge["challenge"]), alice.identity)
    later = time.time() + api.state.config.challenge_lifetime + 1
    monkeypatch.setattr(time, "time", lambda: later)

    response = api.post(
        "confirmAuth", {"challengeId": challenge["challengeId"], "sign": signed}
    )

    assert response.status_code == 401
    assert _error(response)["code"] == "challenge_expired"


def test_unknown_certificate_cannot_login(api):
    stranger = api.new_identity()
    response = api.post("auth", {"certificate": stranger.certificate.to_api_field()})
    assert response.status_code == 404
    assert _error(response)["code"] == "unknown_certificate"


def test_login_needs_certificate_or_cid(api):
    response = api.post("auth", {})
    assert response.status_code == 422
    assert "'certificate'" in _error(response)["message"]


def _forged(config, **claims):
    now = int(time.time())
    base = {
        "sub": "p",
        "cid": "c",
        "scope": "session",
        "jti": "j",
        "iat": now,
        "exp": now + 60,
    }
    return jwt.encode({**base, **claims}, config.jwt_secret, algorithm="HS256")


def test_expired_token_rejected(api, config):
    alice = api.register("79260000001")
    expired = _forged(config, sub=alice.pid, cid=alice.cid, exp=int(time.time()) - 10)

    response = api.post("chats/", token=expired)

    assert response.status_code == 401
    assert _error(response)["code"] == "token_expired"


def test_registration_token_cannot_list_chats(api):
    token, _ = api.registration_token("79260000001")
    response = api.post("chats/", token=token)
    assert response.status_code == 401
    assert _error(response)["code"] == "wrong_token_scope"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Basic abc"}, "missing_token"),
        ({"Authorization": "Bearer not.a.token"}, "invalid_token"),
    ],
)
def test_bad_authorization_rejected(api, headers, code):
    response = api.http.request("POST", "/api/v2/chatsKeys/", headers=headers, json={})
    assert response.status_code == 401
    assert _error(response)["code"] == code


def test_token_of_other_secret_rejected(api):
    alice = api.register("79260000001")
    forged = jwt.encode(
        {
            "sub": alice.pid,
            "cid": alice.cid,
            "scope": "session",
            "jti": "j",
            "exp": 2**40,
        },
        b"another secret of thirty-two bytes",
        algorithm="HS256",
    )
    response = api.post("chats/", token=forged)
    assert response.status_code == 401
    assert _error(response)["code"] == "invalid_token"


def test_token_of_unknown_certificate_rejected(api, config):
    alice = api.register("79260000001")
    response = api.post("chats/", token=_forged(config, sub=alice.pid, cid="gone"))
    assert response.status_code == 401
    assert _error(response)["code"] == "invalid_token"
