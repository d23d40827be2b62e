"""Throwaway SoftHSM 2 tokens for tests.

`SoftHsmDirectory` owns a temporary token directory and the SoftHSM
configuration file that points at it; `SoftHsmDirectory.create_token` runs
``softhsm2-util --init-token`` and returns a `SoftHsmToken` describing the new
token (module path, label, serial, PINs and a ``pkcs11:`` URI).

SoftHSM reads ``SOFTHSM2_CONF`` only in ``C_Initialize`` and python-pkcs11
keeps one initialised library per module path, so a token created after the
first use of the module stays invisible until the module is initialised
again. `reinitialize_module` does that, and closes the sessions that
chatkeys-pkcs11 keeps open when that provider is installed, because
finalising the module invalidates every session and object handle in the
process.

Nothing here touches system directories; python-pkcs11 is imported only when
a module is reinitialised.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

SOFTHSM_MODULE_VARIABLE = "CHATKEYS_SOFTHSM_MODULE"
"""Environment variable that overrides the SoftHSM module path."""

SOFTHSM_MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)
"""SoftHSM module paths of Debian, Fedora, source builds and Homebrew."""

INSTALL_HINT = "install SoftHSM 2 (Debian: apt-get install softhsm2)"

_SERIAL_LINE = re.compile(r"^\s*Serial number:\s*(?P<serial>\S+)\s*$", re.MULTILINE)


def find_softhsm_module() -> str | None:
    """Return the path of the SoftHSM PKCS#11 module, or None when absent.

    ``CHATKEYS_SOFTHSM_MODULE`` wins when set and the file exists.
    """
    override = os.environ.get(SOFTHSM_MODULE_VARIABLE)
    if override:
        return override if Path(override).is_file() else None
    for candidate in SOFTHSM_MODULE_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


def find_softhsm_util() -> str | None:
    """Return the path of ``softhsm2-util``, or None when it is not installed."""
    return shutil.which("softhsm2-util")


def softhsm_missing_reason() -> str | None:
    """Return why SoftHSM cannot be used here, or None when it can."""
    if find_softhsm_module() is None:
        return f"the SoftHSM 2 PKCS#11 module is not installed: {INSTALL_HINT}"
    if find_softhsm_util() is None:
        return f"softhsm2-util is not on PATH: {INSTALL_HINT}"
    return None


def reinitialize_module(module_path: str) -> None:
    """Finalise and initialise the PKCS#11 module so that it rereads its tokens.

    Every session and object handle opened in this process on that module
    becomes invalid. When chatkeys-pkcs11 is installed, its cached sessions
    are dropped first so that no identity uses a dead handle.
    """
    try:
        from chatkeys_pkcs11 import library
    except ImportError:
        import pkcs11

        pkcs11.lib(module_path).reinitialize()
        return
    library.reinitialize_module(module_path)


@dataclass(frozen=True)
class SoftHsmToken:
    """One initialised SoftHSM token.

    `uri` is an RFC 7512 URI of the token with its module path and without the
    PIN; `uri_for` adds an object label. The PINs are left out of the repr.
    """

    module_path: str
    label: str
    serial: str
    pin: str = field(repr=False)
    so_pin: str = field(repr=False)
    config_path: Path

    @property
    def uri(self) -> str:
        """A ``pkcs11:`` URI naming this token, with its module path."""
        return self.uri_for()

    def uri_for(
        self, object_label: str | None = None, *, with_pin: bool = False
    ) -> str:
        """Return a ``pkcs11:`` URI for the token or one object on it.

        `with_pin` adds ``pin-value``; such a URI is a secret itself.
        """
        path = [f"token={_quote(self.label)}", f"serial={_quote(self.serial)}"]
        if object_label is not None:
            path.append(f"object={_quote(object_label)}")
        query = [f"module-path={_quote(self.module_path)}"]
        if with_pin:
            query.append(f"pin-value={_quote(self.pin)}")
        return "pkcs11:" + ";".join(path) + "?" + "&".join(query)


class SoftHsmDirectory:
    """A temporary SoftHSM token directory and the configuration that uses it.

    `activate` points ``SOFTHSM2_CONF`` at the configuration (the previous
    value comes back on `close`). Tokens are created with `create_token`.
    """

    def __init__(
        self, root: Path | None = None, module_path: str | None = None
    ) -> None:
        reason = softhsm_missing_reason() if module_path is None else None
        if reason is not None:
            raise FileNotFoundError(reason)
        self.module_path = module_path or find_softhsm_module() or ""
        self._owned_root = root is None
        self.root = (
            Path(tempfile.mkdtemp(prefix="chatkeys-softhsm-")) if root is None else root
        )
        self.token_directory = self.root / "tokens"
        self.token_directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.root / "softhsm2.conf"
        self.config_path.write_text(
            f"directories.tokendir = {self.token_directory}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            encoding="utf-8",
        )
        self._previous_config: str | None = None
        self._active = False

    def activate(self) -> None:
        """Point ``SOFTHSM2_CONF`` at this directory's configuration."""
        if not self._active:
            self._previous_config = os.environ.get("SOFTHSM2_CONF")
            os.environ["SOFTHSM2_CONF"] = str(self.config_path)
            self._active = True

    def create_token(
        self,
        label: str | None = None,
        pin: str | None = None,
        so_pin: str | None = None,
    ) -> SoftHsmToken:
        """Initialise a new token and make the module see it.

        Random PINs are used when none are given. SoftHSM rejects PINs shorter
        than 4 characters. The module is reinitialised afterwards, so sessions
        opened earlier in this process on this module are invalid.
        """
        self.activate()
        label = label or f"chatkeys-{secrets.token_hex(4)}"
        pin = pin or secrets.token_hex(6)
        so_pin = so_pin or secrets.token_hex(6)
        util = find_softhsm_util()
        if util is None:
            raise FileNotFoundError(f"softhsm2-util is not on PATH: {INSTALL_HINT}")
        environment = {**os.environ, "SOFTHSM2_CONF": str(self.config_path)}
        command = [util, "--init-token", "--free", "--label", label]
        completed = subprocess.run(  # noqa: S603 - fixed program, no shell
            [*command, "--so-pin", so_pin, "--pin", pin],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            # The command line contains the PINs, so only the label is reported.
            raise RuntimeError(
                f"softhsm2-util failed to initialise token {label!r}: "
                f"{completed.stderr.strip() or completed.stdout.strip()}"
            )
        serial = self._read_serial(util, label, environment)
        reinitialize_module(self.module_path)
        return SoftHsmToken(
            module_path=self.module_path,
            label=label,
            serial=serial,
            pin=pin,
            so_pin=so_pin,
            config_path=self.config_path,
        )

    def close(self) -> None:
        """Restore ``SOFTHSM2_CONF`` and delete the directory if this object made it."""
        if self._active:
            if self._previous_config is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = self._previous_config
            self._active = False
        if self._owned_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> SoftHsmDirectory:
        self.activate()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _read_serial(util: str, label: str, environment: dict[str, str]) -> str:
        completed = subprocess.run(  # noqa: S603 - fixed program, no shell
            [util, "--show-slots"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        # --show-slots prints one block per slot; the block of our token has
        # its label line after the serial number line.
        for block in completed.stdout.split("\nSlot "):
            if re.search(rf"^\s*Label:\s*{re.escape(label)}\s*$", block, re.MULTILINE):
                match = _SERIAL_LINE.search(block)
                if match:
                    return match["serial"]
        raise RuntimeError(f"softhsm2-util --show-slots does not list token {label!r}")


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
