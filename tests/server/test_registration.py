"""Phone confirmation, certificate registration and profile activation."""

from __future__ import annotations

import base64

from chatkeys_server.system import SYSTEM_NAME


def _error(response):
    payload = response.json()
    assert payload["success"] is False
    return payload["error"]


def test_activation_creates_three_kinds(api):
    alice = api.register("79260000001", profileName="Alice")
    bob = api.register("+7 (926) 000-00-02", profileName="Bob", profileType=2)

    chats = api.chats(bob)
    favorites = [chat for chat in chats if chat["chatFavorites"]]
    system = [chat for chat in chats if chat["profileType"] == 0]
    personal = [chat for chat in chats if chat["profilePhone"] == "79260000001"]
    assert len(chats) == 3
    assert len(favorites) == 1
    assert len(system) == 1
    assert len(personal) == 1
    assert favorites[0]["profileName"] == "Bob"
    assert favorites[0]["profileType"] == 2
    assert favorites[0]["profilePhone"] == "79260000002"
    assert favorites[0]["status"] == "new"
    assert [c["cid"] for c in favorites[0]["certificates"]] == [bob.cid]
    assert system[0]["profileName"] == SYSTEM_NAME
    assert system[0]["profileVerified"] is True
    assert personal[0]["profileName"] == "Alice"
    assert personal[0]["status"] == "new"
    assert personal[0]["chatKey"] is None
    assert {c["cid"] for c in personal[0]["certificates"]} == {alice.cid, bob.cid}
    assert len(api.chats(alice)) == 3


def test_system_chat_key_opens(api):
    alice = api.register("79260000001")

    system = api.chat_with(alice, lambda chat: chat["profileType"] == 0)
    assert system["status"] == "sync"
    assert system["waitList"] == []
    assert len(system["certificates"]) == 2
    chat_key = api.import_key(alice, system)
    assert len(chat_key.secret) == 32


def test_second_certificate_turns_chats_wait(api):
    alice = api.register("79260000001")
    bob = api.register("79260000002")
    personal = api.chat_with(alice, lambda chat: chat["profilePhone"] == "79260000002")
    chat_key = api.providers.generate_chat_key(alice.identity, "cms")
    results = api.send_copies(
        alice, api.copies(alice, personal, chat_key, personal["certificates"])
    )
    assert [r["status"] for r in results] == ["registered", "registered"]
    assert (
        api.chat_with(bob, lambda chat: chat["id"] == personal["id"])["status"]
        == "sync"
    )

    bob_phone = api.register("79260000002")
    assert bob_phone.pid == bob.pid
    assert bob_phone.cid != bob.cid

    seen_by_old = api.chat_with(bob, lambda chat: chat["id"] == personal["id"])
    seen_by_new = api.chat_with(bob_phone, lambda chat: chat["id"] == personal["id"])
    assert seen_by_old["status"] == "wait"
    assert seen_by_old["chatKey"] is not None
    assert [c["cid"] for c in seen_by_old["waitList"]] == [bob_phone.cid]
    assert seen_by_new["status"] == "wait"
    assert seen_by_new["chatKey"] is None
    assert len(seen_by_new["certificates"]) == 3


def test_second_certificate_gets_system_key(api):
    first = api.register("79260000001")
    second = api.register("79260000001")

    old_view = api.chat_with(first, lambda chat: chat["profileType"] == 0)
    new_view = api.chat_with(second, lambda chat: chat["profileType"] == 0)
    assert new_view["status"] == "sync"
    assert old_view["status"] == "sync"
    assert new_view["chatKey"]["id"] == old_view["chatKey"]["id"]
    assert api.import_key(second, new_view) == api.import_key(first, old_view)


def test_wrong_code_counts_attempts(api, config):
    request_id = api.data(api.post("registryPhone", {"phone": "89260000001"}))[
        "requestId"
    ]
    code = api.state.codes.for_request(request_id)
    assert api.state.codes.for_phone("79260000001") == code
    wrong = "000000" if code != "000000" else "111111"

    for attempt in range(config.max_code_attempts):
        response = api.post("confirmPhone", {"requestId": request_id, "code": wrong})
        assert response.status_code == 422
        assert _error(response)["code"] == "wrong_code"
        assert (
            f"attempts left: {config.max_code_attempts - attempt - 1}"
            in (_error(response)["message"])
        )
    response = api.post("confirmPhone", {"requestId": request_id, "code": code})
    assert response.status_code == 429
    assert _error(response)["code"] == "too_many_attempts"


def test_confirmed_request_is_single_use(api):
    request_id = api.data(api.post("registryPhone", {"phone": "89260000001"}))[
        "requestId"
    ]
    code = api.state.codes.for_request(request_id)
    body = {"requestId": request_id, "code": code}
    assert api.post("confirmPhone", body).status_code == 200

    response = api.post("confirmPhone", body)
    assert response.status_code == 409
    assert _error(response)["code"] == "request_used"


def test_unknown_request_rejected(api):
    response = api.post("confirmPhone", {"requestId": "nope", "code": "123456"})
    assert response.status_code == 404
    assert _error(response)["code"] == "unknown_request"


def test_invalid_phone_names_field(api):
    response = api.post("registryPhone", {"phone": "+1 555 0100"})
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_phone"
    assert "'phone'" in _error(response)["message"]


def test_system_profile_type_rejected(api):
    response = api.post("registryPhone", {"phone": "79260000001", "profileType": 0})
    assert response.status_code == 422
    assert "profileType" in _error(response)["message"]


def test_letter_profile_type_accepted(api):
    session = api.register("79260000001", profileType="UL", profileCompany="Ромашка")
    favorites = api.chat_with(session, lambda chat: chat["chatFavorites"])
    assert favorites["profileType"] == 3
    assert favorites["profileCompany"] == "Ромашка"


def test_registration_rejects_bad_signature(api):
    token, _ = api.registration_token("79260000001")
    identity = api.new_identity()
    other = api.new_identity()
    body = {
        "certificate": identity.certificate.to_api_field(),
        "sign": api.sign(token.encode(), other),
    }
    response = api.post("certificateRegistration/", body, token=token)
    assert response.status_code == 403
    assert _error(response)["code"] == "bad_signature"
    assert "'sign'" in _error(response)["message"]
    assert "wire profile 'cms'" in _error(response)["message"]


def test_registration_rejects_non_certificate(api):
    token, _ = api.registration_token("79260000001")
    body = {
        "certificate": base64.b64encode(b"not a certificate").decode(),
        "sign": base64.b64encode(b"x").decode(),
    }
    response = api.post("certificateRegistration/", body, token=token)
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_certificate"
    assert "'certificate'" in _error(response)["message"]


def test_registration_accepts_der_and_crlf_shapes(api):
    identity = api.new_identity()
    pem = identity.certificate.pem()
    shapes = [
        base64.b64encode(identity.certificate.der).decode(),
        base64.b64encode(pem.replace("\n", "\r\n").encode()).decode(),
        base64.b64encode(pem.replace("\n", "").encode()).decode(),
    ]
    token, _ = api.registration_token("79260000001")
    sign = api.sign(token.encode(), identity)
    cids = set()
    for shape in shapes:
        registered = api.post(
            "certificateRegistration/",
            {"certificate": shape, "sign": sign},
            token=token,
        )
        cids.add(api.data(registered)["cid"])
    assert len(cids) == 1


def test_registration_token_single_use(api):
    token, _ = api.registration_token("79260000001")
    first = api.new_identity()
    second = api.new_identity()
    for identity, status in ((first, 200), (second, 401)):
        body = {
            "certificate": identity.certificate.to_api_field(),
            "sign": api.sign(token.encode(), identity),
        }
        response = api.post("certificateRegistration/", body, token=token)
        assert response.status_code == status
    assert _error(response)["code"] == "token_used"


def test_certificate_of_other_profile_rejected(api):
    alice = api.register("79260000001")
    token, _ = api.registration_token("79260000002")
    body = {
        "certificate": alice.identity.certificate.to_api_field(),
        "sign": api.sign(token.encode(), alice.identity),
    }
    response = api.post("certificateRegistration/", body, token=token)
    assert response.status_code == 409
    assert _error(response)["code"] == "certificate_taken"


def test_session_token_cannot_register(api):
    alice = api.register("79260000001")
    identity = api.new_identity()
    body = {
        "certificate": identity.certificate.to_api_field(),
        "sign": api.sign(alice.token.encode(), identity),
    }
    response = api.post("certificateRegistration/", body, token=alice.token)
    assert response.status_code == 401
    assert _error(response)["code"] == "wrong_token_scope"


def test_registration_rejects_expired_certificate(api):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from chatkeys.certificates import Certificate

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "old")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    token, _ = api.registration_token("79260000001")
    body = {
        "certificate": Certificate.from_der(der).to_api_field(),
        "sign": base64.b64encode(b"x").decode(),
    }
    response = api.post("certificateRegistration/", body, token=token)
    assert response.status_code == 422
    assert _error(response)["code"] == "certificate_not_valid"
    assert "expired on 2020-12-31" in _error(response)["message"]


def test_open_code_requests_per_phone_capped(api):
    for _ in range(3):
        assert api.post("registryPhone", {"phone": "79260000077"}).status_code == 200
    response = api.post("registryPhone", {"phone": "8 926 000-00-77"})
    assert response.status_code == 429
    assert _error(response)["code"] == "too_many_requests"
    assert api.post("registryPhone", {"phone": "79260000078"}).status_code == 200


def test_login_rejected_after_certificate_expires(api):
    import datetime
    import time

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from chatkeys.certificates import Certificate
    from chatkeys_soft.identity import SoftIdentity

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "brief")])
    now = datetime.datetime.now(datetime.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(8)
        .not_valid_before(now - datetime.timedelta(seconds=5))
        .not_valid_after(now + datetime.timedelta(seconds=2))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    identity = SoftIdentity(Certificate.from_der(der), key, "brief")
    token, _ = api.registration_token("79260000091")
    body = {
        "certificate": identity.certificate.to_api_field(),
        "sign": api.sign(token.encode(), identity),
    }
    assert api.post("certificateRegistration/", body, token=token).status_code == 200
    time.sleep(3)
    response = api.post("auth", {"certificate": identity.certificate.to_api_field()})
    assert response.status_code == 403
    assert _error(response)["code"] == "certificate_not_valid"
