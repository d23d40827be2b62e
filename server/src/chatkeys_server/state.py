"""The state one server instance shares between its requests."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from chatkeys.providers import Providers
from chatkeys_server.config import ServerConfig
from chatkeys_server.signatures import SignatureChecker
from chatkeys_server.store import Store
from chatkeys_server.system import SystemContact
from chatkeys_server.tokens import TokenIssuer

logger = logging.getLogger(__name__)


class DevelopmentCodes:
    """Confirmation codes kept in memory in development mode, for in-process tests.

    Thread-safe: requests run in a thread pool.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_request: dict[str, str] = {}
        self._by_phone: dict[str, str] = {}

    def remember(self, request_id: str, phone: str, code: str) -> None:
        """Keep `code` of phone request `request_id` for `phone`."""
        with self._lock:
            self._by_request[request_id] = code
            self._by_phone[phone] = code

    def for_request(self, request_id: str) -> str | None:
        """Return the code of phone request `request_id`, or None when unknown."""
        with self._lock:
            return self._by_request.get(request_id)

    def for_phone(self, phone: str) -> str | None:
        """Return the latest code sent to `phone` (normalised), or None."""
        with self._lock:
            return self._by_phone.get(phone)


@dataclass
class ServerState:
    """Everything a request handler needs: settings, database, crypto, tokens."""

    config: ServerConfig
    providers: Providers
    store: Store
    checker: SignatureChecker
    tokens: TokenIssuer
    system: SystemContact
    codes: DevelopmentCodes = field(default_factory=DevelopmentCodes)

    @classmethod
    def open(
        cls, config: ServerConfig, providers: Providers | None = None
    ) -> ServerState:
        """Open the database and start the system contact for `config`."""
        providers = providers or Providers.discover()
        store = Store(config.db_path)
        checker = SignatureChecker(providers, config.profile)
        system = SystemContact(providers, checker)
        try:
            system.start(config, store)
        except BaseException:
            system.close()
            store.close()
            raise
        tokens = TokenIssuer(
            config.jwt_secret, config.token_lifetime, config.registration_token_lifetime
        )
        return cls(config, providers, store, checker, tokens, system)

    def close(self) -> None:
        """Release the system contact's identity and close the database."""
        self.system.close()
        self.store.close()
