"""Settings of one server instance."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from chatkeys.plugin import PROFILE_CMS, PROFILE_KOMANDOR
from chatkeys_server.errors import ServerConfigError

PROFILES = (PROFILE_KOMANDOR, PROFILE_CMS)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Settings of one server instance.

    `db_path` is the SQLite database, created on first start. `jwt_secret` is
    the HS256 key of every token (random per instance by default, so tokens
    do not survive a restart). Lifetimes are in seconds. `profile` is the wire
    profile preferred where an algorithm has several (GOST: ``komandor`` or
    ``cms``). Other algorithms use their provider's default profile.
    `development` keeps confirmation codes in memory and writes them to the
    log. `system_identity` is a reference (file path or ``pkcs11:`` URI) to
    load the system contact's identity from. Without it, a throwaway identity
    of `system_algorithm` is generated on every start.
    """

    db_path: Path
    jwt_secret: bytes = field(
        default_factory=lambda: secrets.token_bytes(32), repr=False
    )
    token_lifetime: int = 3600
    registration_token_lifetime: int = 600
    challenge_lifetime: int = 120
    phone_request_lifetime: int = 600
    max_code_attempts: int = 5
    profile: str = PROFILE_KOMANDOR
    development: bool = False
    max_body_size: int = 4 * 1024 * 1024
    max_copies_per_request: int = 1000
    system_algorithm: str = "ec-p256"
    system_identity: str | None = None

    def __post_init__(self) -> None:
        if not self.profile:
            raise ServerConfigError(
                f"profile must name a wire profile, such as {', '.join(PROFILES)}"
            )
        for name in (
            "token_lifetime",
            "registration_token_lifetime",
            "challenge_lifetime",
            "phone_request_lifetime",
            "max_code_attempts",
            "max_body_size",
            "max_copies_per_request",
        ):
            if getattr(self, name) <= 0:
                raise ServerConfigError(f"{name} must be a positive number")
        object.__setattr__(self, "db_path", Path(self.db_path))
