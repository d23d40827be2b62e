"""Login by certificate: a single-use challenge, then a session token.

The client names a registered certificate, receives 32 random bytes, and
returns a signature of them made with the certificate's private key. A
challenge is deleted at its first use, whatever the outcome.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from typing import Any

from chatkeys.certificates import Certificate
from chatkeys.errors import InvalidCertificateError
from chatkeys_server import records
from chatkeys_server.errors import RequestRejected
from chatkeys_server.records import ParticipantCertificate
from chatkeys_server.state import ServerState
from chatkeys_server.tokens import SCOPE_SESSION, TokenClaims
from chatkeys_server.validation import decode_base64, get_string, require_object

logger = logging.getLogger(__name__)

CHALLENGE_SIZE = 32


def start_login(state: ServerState, body: Any) -> dict[str, Any]:
    """Return a fresh challenge for the certificate named by `cid` or `certificate`."""
    body = require_object(body)
    if body.get("cid") is not None:
        cid = get_string(body, "cid")
        with state.store.read() as connection:
            found = records.active_certificate(connection, cid)
        subject = f"certificate {cid!r}"
    elif body.get("certificate") is not None:
        try:
            certificate = Certificate.from_api_field(get_string(body, "certificate"))
        except InvalidCertificateError as error:
            raise RequestRejected(
                422,
                "invalid_certificate",
                f"field 'certificate' is not a certificate: {error}",
            ) from error
        with state.store.read() as connection:
            row = connection.execute(
                "SELECT cid FROM certificates WHERE fingerprint = ? AND retired = 0",
                (certificate.fingerprint,),
            ).fetchone()
            found = (
                None
                if row is None
                else records.active_certificate(connection, row["cid"])
            )
        subject = f"certificate {certificate.short_id}"
    else:
        raise RequestRejected(
            422, "missing_field", "field 'certificate' or field 'cid' is required"
        )
    if found is None:
        raise RequestRejected(
            404,
            "unknown_certificate",
            f"{subject} is not registered: register it first",
        )
    validity = found.certificate.validity_problem()
    if validity:
        logger.warning("login with %s rejected: %s", subject, validity)
        raise RequestRejected(
            403, "certificate_not_valid", f"{validity}: register a new certificate"
        )

    challenge_id = records.new_id()
    challenge = secrets.token_bytes(CHALLENGE_SIZE)
    with state.store.write() as connection:
        connection.execute(
            "DELETE FROM challenges WHERE expires < ?",
            (time.time() - records.STALE_SECONDS,),
        )
        connection.execute(
            "INSERT INTO challenges (challenge_id, cid, challenge, expires) "
            "VALUES (?, ?, ?, ?)",
            (
                challenge_id,
                found.cid,
                challenge,
                time.time() + state.config.challenge_lifetime,
            ),
        )
    return {
        "challengeId": challenge_id,
        "challenge": base64.b64encode(challenge).decode("ascii"),
    }


def confirm_login(state: ServerState, body: Any) -> dict[str, Any]:
    """Check the signed challenge and return a session token."""
    body = require_object(body)
    challenge_id = get_string(body, "challengeId")
    sign = decode_base64(get_string(body, "sign"), "sign")

    with state.store.write() as connection:
        row = connection.execute(
            "SELECT cid, challenge, expires FROM challenges WHERE challenge_id = ?",
            (challenge_id,),
        ).fetchone()
        connection.execute(
            "DELETE FROM challenges WHERE challenge_id = ?", (challenge_id,)
        )
        found = (
            None if row is None else records.active_certificate(connection, row["cid"])
        )
    if row is None:
        raise RequestRejected(
            404,
            "unknown_challenge",
            f"challengeId {challenge_id!r} is unknown or already used: "
            "request a new one",
        )
    if row["expires"] < time.time():
        raise RequestRejected(
            401, "challenge_expired", f"challengeId {challenge_id!r} has expired"
        )
    if found is None:
        raise RequestRejected(
            401,
            "unknown_certificate",
            "the certificate of this challenge is not registered",
        )
    if not state.checker.verify(row["challenge"], sign, found.certificate):
        logger.warning("login with certificate %s rejected: bad signature", found.cid)
        raise RequestRejected(
            401,
            "bad_signature",
            "field 'sign' is not a signature of the challenge made with the "
            "certificate's private key in wire profile "
            f"{state.checker.profile_for(found.certificate)!r}",
        )

    token, expires_at = state.tokens.issue_session(found.pid, found.cid)
    return {"token": token, "expiresAt": expires_at, "pid": found.pid, "cid": found.cid}


def authenticate(
    state: ServerState, token: str
) -> tuple[TokenClaims, ParticipantCertificate]:
    """Return the claims of a session token and its certificate, still registered."""
    claims = state.tokens.verify(token, SCOPE_SESSION)
    assert claims.cid is not None  # verify() requires it for session tokens
    with state.store.read() as connection:
        found = records.active_certificate(connection, claims.cid)
    if found is None or found.pid != claims.pid:
        raise RequestRejected(
            401,
            "invalid_token",
            "the certificate of the bearer token is no longer registered: log in again",
        )
    return claims, found
