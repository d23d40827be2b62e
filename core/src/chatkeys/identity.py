"""Identities (a certificate with its private key) and where secrets come from."""

from __future__ import annotations

import abc
import getpass
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from chatkeys.certificates import Certificate


class Identity(abc.ABC):
    """The user's certificate together with a handle on its private key.

    A provider creates identities in `chatkeys_load_identity` or
    `chatkeys_generate_identity` and recognises its own (by type) in the hooks
    that use the private key; other providers return None for it. The private
    key may live in memory, in a file or on a token: the core never touches
    it. `reference` says where the identity came from (a path or a `pkcs11:`
    URI without PIN), for messages and for reloading it in worker processes.

    A subclass sets `provider`, `certificate` and `reference` in its own
    constructor; there is no base constructor to call. Its repr must not show
    key material (the base repr shows only the three attributes).
    """

    provider: str
    certificate: Certificate
    reference: str

    fork_safe: bool = False
    """Whether a forked child process may use this identity. True for keys held
    in memory; False (the default) for keys behind sessions or handles, such as
    PKCS#11 tokens. Parallel export (`chatkeys.workers`) needs True."""

    def close(self) -> None:  # noqa: B027 - optional for identities without resources
        """Release sessions or handles. Identities without resources ignore this."""

    def __enter__(self) -> Identity:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} provider={self.provider!r} "
            f"certificate={self.certificate.short_id} reference={self.reference!r}>"
        )


class SecretSource(Protocol):
    """Where passphrases and PINs come from.

    `get` returns the secret for `name` (for example ``"passphrase"`` or
    ``"pin"``) or None when this source has none. `description` names,
    for the user, what the secret unlocks. Implementations must not log the value.
    """

    def get(self, name: str, description: str) -> str | None: ...


class NoSecrets:
    """A secret source that has no secrets."""

    def get(self, name: str, description: str) -> str | None:
        return None


class EnvironmentSecrets:
    """Secrets read from environment variables.

    `variables` maps a secret name to the variable that contains it, by default
    ``CHATKEYS_PASSPHRASE`` for ``"passphrase"`` and ``CHATKEYS_PIN`` for
    ``"pin"``.
    """

    def __init__(
        self,
        variables: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._variables = dict(
            variables or {"passphrase": "CHATKEYS_PASSPHRASE", "pin": "CHATKEYS_PIN"}
        )
        self._environ = os.environ if environ is None else environ

    def get(self, name: str, description: str) -> str | None:
        variable = self._variables.get(name)
        return None if variable is None else self._environ.get(variable)


class PromptSecrets:
    """Secrets typed by the user at a terminal prompt, without echo."""

    def get(self, name: str, description: str) -> str | None:
        return getpass.getpass(f"{name.capitalize()} for {description}: ")


class ChainedSecrets:
    """The first secret any of `sources` returns, in order."""

    def __init__(self, *sources: SecretSource) -> None:
        self._sources = sources

    def get(self, name: str, description: str) -> str | None:
        for source in self._sources:
            value = source.get(name, description)
            if value is not None:
                return value
        return None


CERTIFICATE_SUFFIXES = (".crt", ".cer", ".cert.pem", ".pem")
"""Suffixes of a certificate file kept beside its key file, in search order."""


def sibling_certificate_files(key_path: Path) -> list[Path]:
    """Return where a key file's certificate may be, in search order.

    The key's name loses a trailing ``.pem`` and then ``.key``, and each of
    `CERTIFICATE_SUFFIXES` is appended: ``alice.key`` and ``alice.key.pem``
    both lead to ``alice.crt``, ``alice.cer``, ``alice.cert.pem`` and
    ``alice.pem``. The key file itself is never among them. Providers that
    load PEM keys use this, so every provider finds the same files.
    """
    stem = key_path.name.removesuffix(".pem").removesuffix(".key")
    candidates = [key_path.with_name(stem + suffix) for suffix in CERTIFICATE_SUFFIXES]
    return [candidate for candidate in candidates if candidate != key_path]
