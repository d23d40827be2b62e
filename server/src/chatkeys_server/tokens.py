"""JSON Web Tokens (HS256) for registration and for sessions.

A registration token (scope ``register``) names the profile whose phone was
just confirmed and allows one certificate registration. A session token
(scope ``session``) names the profile and its current certificate, the one
that signed the login challenge. Both carry an expiry.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from chatkeys_server.errors import RequestRejected

ALGORITHM = "HS256"
SCOPE_REGISTER = "register"
SCOPE_SESSION = "session"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Claims of a verified token: profile, certificate (session only), id."""

    pid: str
    cid: str | None
    jti: str
    scope: str
    expires_at: int


class TokenIssuer:
    """Issues and verifies the server's tokens with one secret."""

    def __init__(
        self, secret: bytes, session_lifetime: int, registration_lifetime: int
    ):
        self._secret = secret
        self._session_lifetime = session_lifetime
        self._registration_lifetime = registration_lifetime

    def issue_session(self, pid: str, cid: str) -> tuple[str, int]:
        """Return a session token for `pid` logged in with `cid`, and its expiry."""
        expires_at = int(time.time()) + self._session_lifetime
        return self._encode(SCOPE_SESSION, pid, expires_at, cid=cid), expires_at

    def issue_registration(self, pid: str) -> tuple[str, str]:
        """Return a registration token for profile `pid`, and its id (``jti``)."""
        expires_at = int(time.time()) + self._registration_lifetime
        jti = uuid.uuid4().hex
        return self._encode(SCOPE_REGISTER, pid, expires_at, jti=jti), jti

    def _encode(
        self,
        scope: str,
        pid: str,
        expires_at: int,
        cid: str | None = None,
        jti: str | None = None,
    ) -> str:
        claims: dict[str, object] = {
            "sub": pid,
            "scope": scope,
            "jti": jti or uuid.uuid4().hex,
            "iat": int(time.time()),
            "exp": expires_at,
        }
        if cid is not None:
            claims["cid"] = cid
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, scope: str) -> TokenClaims:
        """Return the claims of `token`, which must be valid and of `scope`.

        Raises `RequestRejected` with status 401 and code ``token_expired``,
        ``invalid_token`` or ``wrong_token_scope``.
        """
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "scope", "jti"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise RequestRejected(
                401, "token_expired", "the bearer token has expired: log in again"
            ) from error
        except jwt.InvalidTokenError as error:
            raise RequestRejected(
                401, "invalid_token", f"the bearer token is invalid: {error}"
            ) from error

        if claims.get("scope") != scope:
            raise RequestRejected(
                401,
                "wrong_token_scope",
                f"this request needs a token of scope {scope!r}, "
                f"got one of scope {claims.get('scope')!r}",
            )
        cid = claims.get("cid")
        if scope == SCOPE_SESSION and not isinstance(cid, str):
            raise RequestRejected(
                401, "invalid_token", "the bearer token names no certificate"
            )
        if not isinstance(claims["sub"], str) or not isinstance(claims["jti"], str):
            raise RequestRejected(
                401, "invalid_token", "the bearer token has malformed claims"
            )
        return TokenClaims(
            pid=claims["sub"],
            cid=cid if isinstance(cid, str) else None,
            jti=claims["jti"],
            scope=scope,
            expires_at=int(claims["exp"]),
        )


def bearer_token(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer`` header value."""
    if not authorization:
        raise RequestRejected(
            401, "missing_token", "header 'Authorization: Bearer <token>' is required"
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestRejected(
            401, "missing_token", "header 'Authorization' must be 'Bearer <token>'"
        )
    return token.strip()
