"""Registration: phone confirmation and certificate registration.

A phone request sends a six-digit code (in development mode it is logged and
kept in memory, because SMS delivery is not implemented). Confirming the code
creates the profile on first use and returns a registration token, which
registers one certificate after proving possession of its private key. The
first certificate activates the profile and creates its chats. A later one is
added to the profile as a new device.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError, InvalidPhoneError
from chatkeys.phones import normalize_phone
from chatkeys_server import chats, records
from chatkeys_server.errors import RequestRejected
from chatkeys_server.state import ServerState
from chatkeys_server.tokens import TokenClaims
from chatkeys_server.validation import (
    decode_base64,
    get_optional_string,
    get_string,
    invalid,
    require_object,
)

logger = logging.getLogger(__name__)

PROFILE_TYPES = {"FL": 1, "IP": 2, "UL": 3}
PROFILE_TEXT_FIELDS = {
    "profileName": "name",
    "profileCompany": "company",
    "profileTitle": "title",
}
PROFILE_UPDATES = {
    "name": "UPDATE profiles SET name = ? WHERE pid = ?",
    "company": "UPDATE profiles SET company = ? WHERE pid = ?",
    "title": "UPDATE profiles SET title = ? WHERE pid = ?",
    "type": "UPDATE profiles SET type = ? WHERE pid = ?",
}


def _code_hash(secret: bytes, request_id: str, code: str) -> str:
    return hmac.new(secret, f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _profile_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, column in PROFILE_TEXT_FIELDS.items():
        value = get_optional_string(body, name)
        if value is not None:
            fields[column] = value
    profile_type = body.get("profileType")
    if profile_type is not None:
        if isinstance(profile_type, str) and profile_type.upper() in PROFILE_TYPES:
            profile_type = PROFILE_TYPES[profile_type.upper()]
        if (
            isinstance(profile_type, bool)
            or not isinstance(profile_type, int)
            or profile_type not in PROFILE_TYPES.values()
        ):
            raise invalid(
                "profileType",
                "1 (FL), 2 (IP) or 3 (UL). Type 0 (SYS) is reserved for the "
                "system contact",
            )
        fields["type"] = profile_type
    return fields


MAX_OPEN_REQUESTS_PER_PHONE = 3
"""Open code requests (unconfirmed, unexpired, with attempts left) one phone
number may have at once."""


def registry_phone(state: ServerState, body: Any) -> dict[str, Any]:
    """Start a phone confirmation and return its request id."""
    body = require_object(body)
    raw_phone = get_string(body, "phone")
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhoneError as error:
        raise RequestRejected(
            422, "invalid_phone", f"field 'phone': {error}"
        ) from error
    fields = _profile_fields(body)

    request_id = records.new_id()
    code = f"{secrets.randbelow(10**6):06d}"
    with state.store.write() as connection:
        connection.execute(
            "DELETE FROM phone_requests WHERE expires < ?",
            (time.time() - records.STALE_SECONDS,),
        )
        # Each request allows max_code_attempts guesses, so open requests per
        # number are capped too; otherwise new requests would make the
        # 6-digit code guessable.
        open_requests = connection.execute(
            "SELECT COUNT(*) FROM phone_requests "
            "WHERE phone = ? AND expires > ? AND confirmed = 0 AND attempts < ?",
            (phone, time.time(), state.config.max_code_attempts),
        ).fetchone()[0]
        if open_requests >= MAX_OPEN_REQUESTS_PER_PHONE:
            logger.warning("phone %s: too many open confirmation requests", phone)
            raise RequestRejected(
                429,
                "too_many_requests",
                f"phone {phone} has {open_requests} unconfirmed code requests; "
                "confirm one or wait until they expire",
            )
        connection.execute(
            "INSERT INTO phone_requests (request_id, phone, profile_fields, code_hash, "
            "expires) VALUES (?, ?, ?, ?, ?)",
            (
                request_id,
                phone,
                json.dumps(fields),
                _code_hash(state.config.jwt_secret, request_id, code),
                time.time() + state.config.phone_request_lifetime,
            ),
        )

    if state.config.development:
        state.codes.remember(request_id, phone, code)
        logger.info(
            "development mode: confirmation code for phone %s (request %s) is %s",
            phone,
            request_id,
            code,
        )
    else:
        logger.warning(
            "SMS delivery is not implemented: the code of request %s for phone %s "
            "was not sent. Run the server in development mode to read codes",
            request_id,
            phone,
        )
    return {"requestId": request_id}


def confirm_phone(state: ServerState, body: Any) -> dict[str, Any]:
    """Check a confirmation code and return a registration token and the profile id."""
    body = require_object(body)
    request_id = get_string(body, "requestId")
    code = get_string(body, "code")

    rejection: RequestRejected | None = None
    with state.store.write() as connection:
        row = connection.execute(
            "SELECT * FROM phone_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is None:
            raise RequestRejected(
                404,
                "unknown_request",
                f"requestId {request_id!r} is unknown: request a new code",
            )
        if row["confirmed"]:
            raise RequestRejected(
                409, "request_used", f"requestId {request_id!r} was already confirmed"
            )
        if row["expires"] < time.time():
            raise RequestRejected(
                410,
                "request_expired",
                f"requestId {request_id!r} has expired: request a new code",
            )
        if row["attempts"] >= state.config.max_code_attempts:
            raise RequestRejected(
                429,
                "too_many_attempts",
                f"requestId {request_id!r} has no attempts left: request a new code",
            )
        expected = row["code_hash"]
        if not hmac.compare_digest(
            expected, _code_hash(state.config.jwt_secret, request_id, code)
        ):
            connection.execute(
                "UPDATE phone_requests SET attempts = attempts + 1 "
                "WHERE request_id = ?",
                (request_id,),
            )
            left = state.config.max_code_attempts - row["attempts"] - 1
            rejection = RequestRejected(
                422, "wrong_code", f"field 'code' is wrong; attempts left: {left}"
            )
        else:
            connection.execute(
                "UPDATE phone_requests SET confirmed = 1 WHERE request_id = ?",
                (request_id,),
            )
            pid = _profile_for_phone(
                connection, row["phone"], json.loads(row["profile_fields"])
            )
            token, jti = state.tokens.issue_registration(pid)
            connection.execute(
                "INSERT INTO registration_tokens (jti, pid) VALUES (?, ?)", (jti, pid)
            )
    if rejection is not None:
        logger.warning("wrong confirmation code for request %s", request_id)
        raise rejection
    return {"registrationToken": token, "pid": pid}


def _profile_for_phone(connection: Any, phone: str, fields: dict[str, Any]) -> str:
    row = connection.execute(
        "SELECT pid FROM profiles WHERE phone = ?", (phone,)
    ).fetchone()
    if row is not None:
        pid = str(row["pid"])
        for column, value in fields.items():
            connection.execute(PROFILE_UPDATES[column], (value, pid))
        return pid
    pid = records.new_id()
    connection.execute(
        "INSERT INTO profiles (pid, phone, name, company, title, type, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            pid,
            phone,
            fields.get("name", ""),
            fields.get("company", ""),
            fields.get("title", ""),
            fields.get("type", 1),
            time.time(),
        ),
    )
    return pid


def register_certificate(
    state: ServerState, token: str, claims: TokenClaims, body: Any
) -> dict[str, Any]:
    """Register a certificate to the profile of a registration token.

    `claims` are the verified claims of `token`. `body["sign"]` must be a
    signature of the token's UTF-8 bytes made with the certificate's private
    key.
    """
    body = require_object(body)
    try:
        certificate = Certificate.from_api_field(get_string(body, "certificate"))
    except InvalidCertificateError as error:
        raise RequestRejected(
            422,
            "invalid_certificate",
            f"field 'certificate' is not a certificate: {error}",
        ) from error
    sign = decode_base64(get_string(body, "sign"), "sign")
    validity = certificate.validity_problem()
    if validity:
        logger.warning("registration to profile %s rejected: %s", claims.pid, validity)
        raise RequestRejected(
            422, "certificate_not_valid", f"field 'certificate': {validity}"
        )
    if not state.checker.is_supported(certificate):
        raise RequestRejected(
            422,
            "unsupported_algorithm",
            f"field 'certificate': {state.checker.unsupported_reason(certificate)}",
        )
    if not state.checker.verify(token.encode("utf-8"), sign, certificate):
        logger.warning(
            "registration of certificate %s to profile %s rejected: bad signature",
            certificate.short_id,
            claims.pid,
        )
        raise RequestRejected(
            403,
            "bad_signature",
            "field 'sign' is not a signature of the registration token made with "
            "the certificate's private key in wire profile "
            f"{state.checker.profile_for(certificate)!r}",
        )

    with state.store.write() as connection:
        cid = _add_certificate(state, connection, claims.pid, claims.jti, certificate)
    return {"pid": claims.pid, "cid": cid}


def _add_certificate(
    state: ServerState, connection: Any, pid: str, jti: str, certificate: Certificate
) -> str:
    token_row = connection.execute(
        "SELECT cid FROM registration_tokens WHERE jti = ? AND pid = ?", (jti, pid)
    ).fetchone()
    if token_row is None:
        raise RequestRejected(401, "invalid_token", "the registration token is unknown")
    existing = connection.execute(
        "SELECT cid, pid FROM certificates WHERE fingerprint = ?",
        (certificate.fingerprint,),
    ).fetchone()
    if existing is not None and existing["pid"] != pid:
        raise RequestRejected(
            409,
            "certificate_taken",
            f"certificate {certificate.short_id} is registered to another profile",
        )
    if token_row["cid"] is not None:
        if existing is not None and existing["cid"] == token_row["cid"]:
            return str(existing["cid"])
        raise RequestRejected(
            401,
            "token_used",
            "the registration token was already used for another certificate: "
            "confirm the phone again",
        )
    if existing is not None:
        connection.execute(
            "UPDATE registration_tokens SET cid = ? WHERE jti = ?",
            (existing["cid"], jti),
        )
        return str(existing["cid"])

    cid = records.new_id()
    connection.execute(
        "INSERT INTO certificates (cid, pid, der, fingerprint, registered) "
        "VALUES (?, ?, ?, ?, ?)",
        (cid, pid, certificate.der, certificate.fingerprint, time.time()),
    )
    connection.execute(
        "UPDATE registration_tokens SET cid = ? WHERE jti = ?", (cid, jti)
    )
    activated = connection.execute(
        "SELECT activated FROM profiles WHERE pid = ?", (pid,)
    ).fetchone()["activated"]
    if activated is None:
        chats.activate_profile(connection, pid, state.system)
        logger.info("profile %s activated with certificate %s", pid, cid)
    else:
        system_chat = connection.execute(
            "SELECT id FROM chats WHERE pair = ?", (f"system:{pid}",)
        ).fetchone()
        if system_chat is not None:
            state.system.share(connection, system_chat["id"])
        logger.info("certificate %s added to profile %s", cid, pid)
    return cid
