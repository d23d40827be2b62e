"""PKCS#11 modules, their process-wide locks and the shared token sessions.

python-pkcs11 initialises a module with ``C_Initialize(NULL)``, and SoftHSM
2.6.1 then turns its own locking off: two threads with their own sessions
crash the process. Every PKCS#11 call of this provider therefore runs under
`Module.lock`, one re-entrant lock per module path.

Login state belongs to the token, not to a session: closing the session that
logged in logs every session of the process out. So this module keeps one
`TokenSession` per token and counts its users. It logs in only when the
token is not already logged in, and treats ``CKR_USER_ALREADY_LOGGED_IN`` as
success. It logs out (by closing its session) only when the last identity
on the token is closed. Sessions still open at interpreter exit are closed
then.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pkcs11
from pkcs11 import exceptions as p11errors

from chatkeys_pkcs11.errors import TokenError, TokenIdentityError
from chatkeys_pkcs11.uri import TokenUri

logger = logging.getLogger(__name__)

MODULE_VARIABLE = "CHATKEYS_PKCS11_MODULE"
"""Environment variable naming the PKCS#11 module used when a URI has none."""

DEFAULT_MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/pkcs11/opensc-pkcs11.so",
)
"""Debian locations of the SoftHSM 2 and OpenSC modules, tried in this order."""

STALE_HANDLE_ERRORS: tuple[type[Exception], ...] = (
    p11errors.ObjectHandleInvalid,
    p11errors.KeyHandleInvalid,
    p11errors.SessionHandleInvalid,
    p11errors.SessionClosed,
    p11errors.UserNotLoggedIn,
)
"""Errors meaning a session or object handle died (logout, reinitialisation)."""

T = TypeVar("T")

PinSource = Callable[[], "str | None"]
"""Returns the user PIN when a login needs it (None when there is none)."""


class Module:
    """One PKCS#11 module (shared library) and the lock around all its calls."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._library: Any = None

    @property
    def library(self) -> Any:
        """The initialised python-pkcs11 library; call only with `lock` held."""
        if self._library is None or not self._library.initialized:
            try:
                self._library = pkcs11.lib(self.path)
            except (p11errors.PKCS11Error, OSError) as error:
                raise TokenIdentityError(
                    f"cannot load the PKCS#11 module {self.path!r}: {error}; "
                    f"check the module-path attribute or {MODULE_VARIABLE}"
                ) from error
        return self._library

    def find_token(self, uri: TokenUri) -> Any:
        """Return the one token matching `uri`'s token attributes.

        Raises `TokenIdentityError` when none or several match.
        """
        with self.lock:
            library = self.library
            matches = []
            for slot in library.get_slots(token_present=True):
                if uri.slot_id is not None and slot.slot_id != uri.slot_id:
                    continue
                token = slot.get_token()
                if _token_matches(token, uri):
                    matches.append(token)
        if not matches:
            raise TokenIdentityError(
                f"no {uri.describe_token()} in PKCS#11 module {self.path!r}; check the "
                "token label or serial in the URI (softhsm2-util --show-slots or "
                "pkcs11-tool --list-token-slots lists them)"
            )
        if len(matches) > 1:
            raise TokenIdentityError(
                f"{len(matches)} tokens match {uri.describe_token()} in module "
                f"{self.path!r}; add the token serial to the URI"
            )
        return matches[0]


def _token_matches(token: Any, uri: TokenUri) -> bool:
    if uri.token is not None and token.label != uri.token:
        return False
    if uri.serial is not None:
        serial = token.serial
        text = (
            serial.decode("ascii", "replace") if isinstance(serial, bytes) else serial
        )
        if text.strip() != uri.serial:
            return False
    if uri.manufacturer is not None and token.manufacturer_id != uri.manufacturer:
        return False
    return uri.model is None or token.model == uri.model


_modules: dict[str, Module] = {}
_registry_lock = threading.Lock()
_sessions: dict[tuple[str, str], TokenSession] = {}


def get_module(path: str) -> Module:
    """Return the process-wide `Module` for `path`, creating it on first use."""
    resolved = str(Path(path))
    with _registry_lock:
        module = _modules.get(resolved)
        if module is None:
            module = _modules[resolved] = Module(resolved)
        return module


def candidate_module_paths(uri: TokenUri) -> list[str]:
    """Return the module paths to try for `uri`, best first.

    The URI's ``module-path`` wins, then ``CHATKEYS_PKCS11_MODULE``, then the
    SoftHSM and OpenSC modules found at their Debian paths.
    """
    if uri.module_path:
        return [uri.module_path]
    configured = os.environ.get(MODULE_VARIABLE)
    if configured:
        return [configured]
    return [path for path in DEFAULT_MODULE_PATHS if Path(path).is_file()]


def reinitialize_module(path: str) -> None:
    """Finalise and initialise the module at `path` after closing our sessions.

    Needed when tokens were added after the module was first initialised
    (SoftHSM reads its token directory only in ``C_Initialize``). Identities
    on that module stop working; load them again.
    """
    module = get_module(path)
    with module.lock:
        for key, token_session in list(_sessions.items()):
            if key[0] == module.path:
                token_session.invalidate()
        # python-pkcs11 caches one library per path, also for code outside
        # this provider, so the cached instance is the one to reinitialise.
        library = pkcs11.lib(module.path)
        library.reinitialize()
        module._library = library


class TokenSession:
    """One open session on a token, shared by every identity on that token.

    `generation` grows each time the session is replaced (after a logout or
    reinitialisation by other code); identities look their objects up again
    when it changes. The PIN is requested only when a login is needed. It is
    then kept in memory to log in again after such a replacement, and never
    appears in a repr.
    """

    def __init__(self, module: Module, token: Any, serial: str) -> None:
        self.module = module
        self.token = token
        self.serial = serial
        self.label: str = token.label
        self.session: Any = None
        self.owns_login = False
        self.users = 0
        self.generation = 0
        self._pin: str | None = None
        self._pin_source: PinSource | None = None
        self._valid = True
        self._mechanisms: frozenset[int] | None = None
        self.oaep_sha256_rejected = False

    def __repr__(self) -> str:
        return (
            f"<TokenSession module={self.module.path!r} token={self.label!r} "
            f"serial={self.serial} users={self.users} owns_login={self.owns_login}>"
        )

    @property
    def alive(self) -> bool:
        """Whether the session is open and belongs to the current module state."""
        return self._valid and self.session is not None

    def mechanisms(self) -> frozenset[int]:
        """The mechanism numbers the token offers, read once per session."""
        with self.module.lock:
            if self._mechanisms is None:
                self._mechanisms = frozenset(
                    int(mechanism) for mechanism in self.token.slot.get_mechanisms()
                )
            return self._mechanisms

    def open(self, pin: PinSource, probe: Callable[[Any], bool]) -> None:
        """Open the session, logging in unless `probe` finds what it needs without.

        `pin` is called only when a login is needed. `probe` receives a
        session that is not logged in and returns whether the objects the
        caller needs are already visible (true when another session of this
        process logged the token in). Call with the lock held.
        """
        self._pin_source = pin
        session = self.token.open(rw=True)
        try:
            visible = probe(session)
        except Exception:
            session.close()
            raise
        if visible:
            self.session, self.owns_login = session, False
            self.generation += 1
            logger.debug("token %r is already logged in; using it", self.label)
            return
        session.close()
        self._login()

    def _login(self) -> None:
        if self._pin is None and self._pin_source is not None:
            self._pin = self._pin_source()
        if self._pin is None:
            raise TokenIdentityError(
                f"token {self.label!r} needs a PIN: give pin-source or pin-value in "
                "the URI, or set CHATKEYS_PIN"
            )
        try:
            self.session = self.token.open(rw=True, user_pin=self._pin)
            self.owns_login = True
        except p11errors.UserAlreadyLoggedIn:
            # NOTE: python-pkcs11 0.10.1 does not close the session it opened
            # when C_Login fails, so one session handle leaks here.
            self.session = self.token.open(rw=True)
            self.owns_login = False
        except p11errors.PinIncorrect as error:
            raise TokenIdentityError(
                f"token {self.label!r} rejected the PIN as incorrect; check it (the "
                "token locks after a few wrong PINs)"
            ) from error
        except p11errors.PinLocked as error:
            raise TokenIdentityError(
                f"the user PIN of token {self.label!r} is locked; unlock it with "
                "the SO PIN"
            ) from error
        except (p11errors.PinInvalid, p11errors.PinLenRange) as error:
            raise TokenIdentityError(
                f"token {self.label!r} rejected the PIN's format or length"
            ) from error
        self.generation += 1
        logger.debug("logged in to token %r", self.label)

    def recover(self) -> None:
        """Replace a dead session with a new logged-in one. Call with the lock held."""
        old, self.session = self.session, None
        if old is not None:
            # Closing a session we logged in with logs out first; that fails
            # harmlessly when the login is already gone.
            _close_quietly(old)
        self._login()

    def invalidate(self) -> None:
        """Forget the session because the module is being finalised."""
        self._valid = False
        self.session = None
        _sessions.pop((self.module.path, self.serial), None)

    def release(self) -> None:
        """Drop one user; the last one closes the session.

        Closing logs the token out when this session logged in.
        """
        with self.module.lock:
            self.users -= 1
            if self.users > 0:
                return
            _sessions.pop((self.module.path, self.serial), None)
            session, self.session = self.session, None
            if session is not None and self._valid:
                _close_quietly(session)
            self._pin = None
            self._pin_source = None

    def run(self, operation: Callable[[Any], T]) -> T:
        """Call `operation(session)` under the module lock.

        When the session or an object handle died (another session logged
        out, or the module was reinitialised), the session is replaced once
        and `operation` runs again. So `operation` must look its objects up
        again when `generation` changed.
        """
        with self.module.lock:
            if not self._valid:
                raise TokenError(
                    f"the session on token {self.label!r} ended because its PKCS#11 "
                    "module was reinitialised; load the identity again"
                )
            try:
                return operation(self.session)
            except STALE_HANDLE_ERRORS as error:
                logger.info(
                    "session on token %r lost its login (%s); logging in again",
                    self.label,
                    type(error).__name__,
                )
                self.recover()
                return operation(self.session)


@contextmanager
def shared_session(
    module: Module, token: Any, pin: PinSource, probe: Callable[[Any], bool]
) -> Iterator[TokenSession]:
    """Acquire the shared session of `token`, opening it when no identity uses it.

    The session is released again if the body raises, so a failed identity
    load leaves nothing open.
    """
    serial_raw = token.serial
    serial = (
        serial_raw.decode("ascii", "replace")
        if isinstance(serial_raw, bytes)
        else serial_raw
    ).strip()
    with module.lock:
        token_session = _sessions.get((module.path, serial))
        if token_session is None or not token_session.alive:
            token_session = TokenSession(module, token, serial)
            token_session.open(pin, probe)
            _sessions[(module.path, serial)] = token_session
        elif token_session._pin is None:
            token_session._pin_source = pin
        token_session.users += 1
    try:
        yield token_session
    except BaseException:
        token_session.release()
        raise


def _close_quietly(session: Any) -> None:
    try:
        session.close()
    except p11errors.PKCS11Error as error:
        # NOTE: python-pkcs11 closes a logged-in session only after C_Logout
        # succeeds, so a session whose login is already gone stays open.
        logger.warning("closing a PKCS#11 session failed: %s", type(error).__name__)


def close_all_sessions() -> None:
    """Close every shared session; registered to run at interpreter exit."""
    for token_session in list(_sessions.values()):
        with token_session.module.lock:
            token_session.users = 1
            token_session.release()


atexit.register(close_all_sessions)
