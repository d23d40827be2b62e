"""A file cache of login tokens, so that each command does not log in again.

Tokens are bearer credentials: the file is written with mode 0600, replaced
atomically, and its contents never reach a log.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from chatkeys.api import Token

logger = logging.getLogger(__name__)


def default_token_path() -> Path:
    """Return ``$XDG_CACHE_HOME/chatkeys/tokens.json`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "chatkeys" / "tokens.json"


class TokenCache:
    """Tokens keyed by server URL and certificate fingerprint."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_token_path()

    def get(self, server: str, fingerprint: str) -> Token | None:
        """Return a still-valid cached token, or None."""
        entry = self._read().get(_key(server, fingerprint))
        if not isinstance(entry, dict):
            return None
        try:
            token = Token(
                str(entry["token"]),
                float(entry["expiresAt"]),
                str(entry.get("pid", "")),
                str(entry.get("cid", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return token if token.valid() else None

    def put(self, server: str, fingerprint: str, token: Token) -> None:
        """Save `token`, dropping expired entries."""
        entries: dict[str, object] = {
            key: value
            for key, value in self._read().items()
            if isinstance(value, dict) and float(value.get("expiresAt", 0)) > 0
        }
        entries[_key(server, fingerprint)] = {
            "token": token.token,
            "expiresAt": token.expires_at,
            "pid": token.pid,
            "cid": token.cid,
        }
        self._write(entries)

    def forget(self, server: str, fingerprint: str) -> None:
        """Drop the token of one server and certificate."""
        entries = self._read()
        if entries.pop(_key(server, fingerprint), None) is not None:
            self._write(entries)

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning(
                "ignoring unreadable token cache %s: %s",
                self.path,
                type(error).__name__,
            )
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=".tokens-"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(entries, file)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _key(server: str, fingerprint: str) -> str:
    return f"{server.rstrip('/')}#{fingerprint}"
