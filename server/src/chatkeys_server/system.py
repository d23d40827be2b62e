"""The system contact "Командор": its profile, identity and chat keys.

The server itself is the system contact, so it makes the keys of every chat
with it. It generates the key, exports a copy to every participant
certificate and signs each copy with its identity. The copy for its own
certificate is how it reads the key back later.

The provider contract has no hook to serialise a generated identity, so the
identity lives in memory: it is loaded from `ServerConfig.system_identity`
when that is set, and generated anew on every start otherwise. A new
identity on start retires the previous certificate of the system profile and
gives every system chat a fresh key, because nothing can unwrap the old
copies any more.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from chatkeys.chatkey import ChatKey
from chatkeys.errors import ProviderError
from chatkeys.identity import Identity
from chatkeys.providers import Providers
from chatkeys_server import records
from chatkeys_server.config import ServerConfig
from chatkeys_server.errors import SystemIdentityError
from chatkeys_server.records import ParticipantCertificate
from chatkeys_server.signatures import SignatureChecker
from chatkeys_server.store import Store

logger = logging.getLogger(__name__)

SYSTEM_NAME = "Командор"
SYSTEM_TYPE = 0


class SystemContact:
    """The server's own profile and identity, which make the system chats' keys."""

    def __init__(self, providers: Providers, checker: SignatureChecker) -> None:
        self._providers = providers
        self._checker = checker
        self._keys: dict[str, ChatKey] = {}
        self.identity: Identity
        self.pid = ""
        self.cid = ""

    @property
    def profile(self) -> str:
        """The wire profile of the system chats' keys and signatures."""
        return self._checker.profile_for(self.identity.certificate)

    def start(self, config: ServerConfig, store: Store) -> None:
        """Load or generate the identity and record it as the system profile's."""
        if config.system_identity is not None:
            self.identity = self._providers.load_identity(config.system_identity)
            logger.info(
                "system contact identity loaded from %s", config.system_identity
            )
        else:
            self.identity = self._providers.generate_identity(
                config.system_algorithm, SYSTEM_NAME
            )
            logger.info(
                "system contact identity generated: %s, certificate %s",
                config.system_algorithm,
                self.identity.certificate.short_id,
            )

        with store.write() as connection:
            self.pid = self._ensure_profile(connection)
            self.cid, replaced = self._ensure_certificate(connection)
            if replaced:
                self._rekey_all(connection)

    def close(self) -> None:
        """Release the identity and forget the keys held in memory."""
        self._keys.clear()
        identity = getattr(self, "identity", None)
        if identity is not None:
            identity.close()

    def _ensure_profile(self, connection: sqlite3.Connection) -> str:
        row = connection.execute(
            "SELECT pid FROM profiles WHERE is_system = 1"
        ).fetchone()
        if row is not None:
            return str(row["pid"])
        pid = records.new_id()
        connection.execute(
            "INSERT INTO profiles "
            "(pid, phone, name, type, verified, is_system, created, activated) "
            "VALUES (?, NULL, ?, ?, 1, 1, ?, ?)",
            (pid, SYSTEM_NAME, SYSTEM_TYPE, time.time(), time.time()),
        )
        return pid

    def _ensure_certificate(self, connection: sqlite3.Connection) -> tuple[str, bool]:
        certificate = self.identity.certificate
        row = connection.execute(
            "SELECT cid, pid FROM certificates WHERE fingerprint = ?",
            (certificate.fingerprint,),
        ).fetchone()
        if row is not None and row["pid"] == self.pid:
            connection.execute(
                "UPDATE certificates SET retired = 1 WHERE pid = ? AND cid != ?",
                (self.pid, row["cid"]),
            )
            connection.execute(
                "UPDATE certificates SET retired = 0 WHERE cid = ?", (row["cid"],)
            )
            return str(row["cid"]), False
        if row is not None:
            raise SystemIdentityError(
                f"the system identity's certificate {certificate.short_id} is "
                "registered to a user profile: configure another system identity"
            )

        retired = connection.execute(
            "UPDATE certificates SET retired = 1 WHERE pid = ? AND retired = 0",
            (self.pid,),
        ).rowcount
        cid = records.new_id()
        connection.execute(
            "INSERT INTO certificates (cid, pid, der, fingerprint, registered) "
            "VALUES (?, ?, ?, ?, ?)",
            (cid, self.pid, certificate.der, certificate.fingerprint, time.time()),
        )
        return cid, retired > 0

    def _rekey_all(self, connection: sqlite3.Connection) -> None:
        chat_ids = [
            row["id"]
            for row in connection.execute(
                "SELECT id FROM chats WHERE system = 1"
            ).fetchall()
        ]
        for chat_id in chat_ids:
            self.make_key(connection, chat_id)
        logger.info(
            "system identity changed: %d system chats got a new key", len(chat_ids)
        )

    def make_key(self, connection: sqlite3.Connection, chat_id: str) -> str:
        """Give `chat_id` a fresh key and share it with every participant."""
        chat_key = self._providers.generate_chat_key(self.identity, self.profile)
        key_id = records.insert_key(connection, chat_id, self.cid)
        self._keys[key_id] = chat_key
        for recipient in records.participant_certificates(connection, chat_id):
            self._share(connection, chat_id, key_id, chat_key, recipient)
        return key_id

    def share(self, connection: sqlite3.Connection, chat_id: str) -> None:
        """Export the current key of `chat_id` to every certificate that lacks it.

        A chat without a key, or one whose key the server can no longer read,
        gets a fresh key instead.
        """
        key_id = records.current_key(connection, chat_id)
        if key_id is None:
            self.make_key(connection, chat_id)
            return
        copies = records.copies_of_key(connection, key_id)
        chat_key = self._read_key(key_id, copies.get(self.cid))
        if chat_key is None:
            logger.warning(
                "system chat %s: the current key is unreadable, making a new one",
                chat_id,
            )
            self.make_key(connection, chat_id)
            return
        for recipient in records.participant_certificates(connection, chat_id):
            if recipient.cid not in copies:
                self._share(connection, chat_id, key_id, chat_key, recipient)

    def _read_key(self, key_id: str, own_copy: bytes | None) -> ChatKey | None:
        cached = self._keys.get(key_id)
        if cached is not None or own_copy is None:
            return cached
        try:
            chat_key = self._providers.import_chat_key(
                own_copy, self.identity, [self.identity.certificate]
            )
        except ProviderError as error:
            logger.warning("cannot unwrap the system copy of key %s: %s", key_id, error)
            return None
        self._keys[key_id] = chat_key
        return chat_key

    def _share(
        self,
        connection: sqlite3.Connection,
        chat_id: str,
        key_id: str,
        chat_key: ChatKey,
        recipient: ParticipantCertificate,
    ) -> None:
        try:
            copy = self._providers.export_chat_key(
                chat_key, recipient.certificate, self.identity, self.profile
            )
            sign = self._providers.sign(copy, self.identity, self.profile)
        except ProviderError as error:
            # NOTE: a recipient of another algorithm family (a GOST certificate
            # for an EC system identity) lands here and stays in the waitList.
            logger.warning(
                "system chat %s: cannot export the key to certificate %s: %s",
                chat_id,
                recipient.cid,
                error,
            )
            return
        records.insert_copy(connection, key_id, recipient, copy, sign, self.cid)
