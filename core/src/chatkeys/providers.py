"""Finding providers and calling their hooks.

`Providers` loads every module registered under the entry-point group
``chatkeys.providers`` (the built-in providers get no shortcut), records the
ones that cannot work here with the reason, and wraps each hook so that
"no provider answered" becomes a `NoProviderError` that names the algorithm
and the distribution to install.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

import pluggy

from chatkeys import hookspecs
from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.errors import ChatkeysError, NoProviderError, ProviderError
from chatkeys.identity import Identity, NoSecrets, SecretSource
from chatkeys.keyfile_hints import explain_unloadable
from chatkeys.plugin import ENTRY_POINT_GROUP, PROJECT_NAME, ProviderInfo

logger = logging.getLogger(__name__)


class Providers:
    """The installed providers, and typed entry points to their hooks."""

    def __init__(self) -> None:
        self._manager = pluggy.PluginManager(PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        self._infos: list[ProviderInfo] = []
        self._registered: dict[int, ProviderInfo] = {}

    @classmethod
    def discover(cls, extra: Iterable[object] = ()) -> Providers:
        """Load the providers installed under the entry-point group.

        `extra` adds provider modules or objects that are not installed, for
        tests of a provider under development.
        """
        providers = cls()
        for entry_point in sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda item: item.name
        ):
            distribution = (
                entry_point.dist.name if entry_point.dist else entry_point.value
            )
            try:
                providers.register(entry_point.load(), entry_point.name)
            except Exception as error:  # a broken provider must not stop the others
                logger.warning(
                    "provider %s cannot be loaded: %s", entry_point.name, error
                )
                providers._infos.append(
                    ProviderInfo(
                        name=entry_point.name,
                        distribution=distribution,
                        version="",
                        algorithms=(),
                        available=False,
                        reason=f"loading failed: {type(error).__name__}: {error}",
                    )
                )
        for index, plugin in enumerate(extra):
            providers.register(plugin, f"extra-{index}")
        return providers

    def register(self, plugin: object, name: str) -> ProviderInfo:
        """Register one provider; unavailable providers are listed but not called.

        Raises `ProviderError` for a module without `chatkeys_provider_info`
        and `pluggy.PluginValidationError` for a hook whose signature does not
        match its specification.
        """
        if id(plugin) in self._registered:
            # The same module both installed and passed in `extra` (common while
            # developing a provider) is registered once.
            logger.debug("provider %s is already registered", name)
            return self._registered[id(plugin)]
        info_hook = getattr(plugin, "chatkeys_provider_info", None)
        if info_hook is None:
            raise ProviderError(f"provider {name} has no chatkeys_provider_info hook")
        info: ProviderInfo = info_hook()
        if info.available:
            self._manager.register(plugin, name=name)  # checks every hook's signature
        else:
            logger.info("provider %s is unavailable: %s", info.name, info.reason)
        self._infos.append(info)
        self._registered[id(plugin)] = info
        return info

    @property
    def infos(self) -> Sequence[ProviderInfo]:
        """Every provider found, available or not, in load order."""
        return tuple(self._infos)

    def describe_algorithm_support(
        self, certificate: Certificate, profile: str | None = None
    ) -> str:
        """Explain why no provider handles `certificate`, with the fix.

        With `profile`, an installed provider that handles the algorithm in
        other profiles only is named as such.
        """
        algorithm = certificate.key_algorithm
        subject = f"certificate {certificate.short_id} uses {algorithm.name}"
        if algorithm.oid not in algorithm.name:
            subject += f" ({algorithm.oid})"
        handling = [
            (info, entry)
            for info in self._infos
            if info.available
            for entry in info.algorithms
            if entry.oid == algorithm.oid
        ]
        if handling and profile is not None:
            info, entry = handling[0]
            if all(profile not in other.profiles for _, other in handling):
                return (
                    f"{subject}, which provider {info.name} handles only in profile "
                    f"{', '.join(entry.profiles)}, not in {profile!r}: every member of "
                    "a chat must use key algorithms that share one wire profile"
                )
            return (
                f"{subject}; provider {info.name} handles that algorithm but not "
                "this key or its parameters"
            )
        for info in self._infos:
            if not info.available and any(
                a.oid == algorithm.oid for a in info.algorithms
            ):
                return (
                    f"{subject}; provider {info.name} handles it but is "
                    f"unavailable: {info.reason}"
                )
        if algorithm.distribution is None:
            return f"{subject}, which no chatkeys provider supports"
        return (
            f"{subject}; no installed provider handles it: "
            f"pip install {algorithm.distribution}"
        )

    def default_profile(self, certificate: Certificate, provider: str = "") -> str:
        """Return the default wire profile for `certificate`'s key algorithm.

        With `provider` (an identity's `provider` name), that provider's
        algorithms are consulted first, because two providers may handle the
        same key algorithm in different profiles.
        """
        ordered = sorted(self._infos, key=lambda info: info.name != provider)
        for info in ordered:
            if not info.available:
                continue
            for algorithm in info.algorithms:
                if (
                    algorithm.oid == certificate.key_algorithm_oid
                    and algorithm.profiles
                ):
                    return algorithm.profiles[0]
        raise NoProviderError(self.describe_algorithm_support(certificate))

    def load_identity(
        self, reference: str, secrets: SecretSource | None = None
    ) -> Identity:
        """Load an identity with the first provider that recognises `reference`."""
        identity = self._call(
            "chatkeys_load_identity",
            reference=reference,
            secrets=secrets or NoSecrets(),
        )
        if identity is None:
            handled = {
                algorithm.oid: info.name
                for info in reversed(self._infos)
                if info.available
                for algorithm in info.algorithms
            }
            raise NoProviderError(explain_unloadable(reference, handled))
        return identity  # type: ignore[no-any-return]

    def generate_identity(self, algorithm: str, subject: str) -> Identity:
        """Generate a throwaway identity with a self-signed certificate."""
        identity = self._call(
            "chatkeys_generate_identity", algorithm=algorithm, subject=subject
        )
        if identity is None:
            names = sorted(
                a.name
                for info in self._infos
                if info.available
                for a in info.algorithms
                if a.can_generate
            )
            raise NoProviderError(
                f"no installed provider generates {algorithm!r} identities; "
                f"available: {', '.join(names) or 'none'}"
            )
        return identity  # type: ignore[no-any-return]

    def generate_chat_key(self, identity: Identity, profile: str) -> ChatKey:
        """Generate a fresh chat key suited to `identity` and `profile`."""
        chat_key = self._call(
            "chatkeys_generate_chat_key", identity=identity, profile=profile
        )
        if chat_key is None:
            raise NoProviderError(
                f"no installed provider makes chat keys for {identity!r} in profile "
                f"{profile!r}; "
                f"{self.describe_algorithm_support(identity.certificate, profile)}"
            )
        return chat_key  # type: ignore[no-any-return]

    def export_chat_key(
        self,
        chat_key: ChatKey,
        recipient: Certificate,
        exporter: Identity,
        profile: str,
    ) -> bytes:
        """Wrap `chat_key` for `recipient`."""
        key_copy = self._call(
            "chatkeys_export_chat_key",
            chat_key=chat_key,
            recipient=recipient,
            exporter=exporter,
            profile=profile,
        )
        if key_copy is None:
            raise NoProviderError(
                f"no installed provider exports chat keys in profile {profile!r}: "
                f"{self.describe_algorithm_support(recipient, profile)}"
            )
        return key_copy  # type: ignore[no-any-return]

    def import_chat_key(
        self, key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
    ) -> ChatKey:
        """Unwrap `key_copy` with `identity`."""
        chat_key = self._call(
            "chatkeys_import_chat_key",
            key_copy=key_copy,
            identity=identity,
            candidates=tuple(candidates),
        )
        if chat_key is None:
            raise NoProviderError(
                f"no installed provider imports key copies for {identity!r}"
            )
        return chat_key  # type: ignore[no-any-return]

    def sign(self, data: bytes, identity: Identity, profile: str) -> bytes:
        """Sign `data` with `identity`."""
        signature = self._call(
            "chatkeys_sign", data=data, identity=identity, profile=profile
        )
        if signature is None:
            raise NoProviderError(
                f"no installed provider signs with {identity!r} in profile {profile!r}"
            )
        return signature  # type: ignore[no-any-return]

    def verify(
        self, data: bytes, signature: bytes, certificate: Certificate, profile: str
    ) -> bool:
        """Return whether `signature` over `data` verifies with `certificate`."""
        valid = self._call(
            "chatkeys_verify",
            data=data,
            signature=signature,
            certificate=certificate,
            profile=profile,
        )
        if valid is None:
            raise NoProviderError(
                f"no installed provider verifies in profile {profile!r}: "
                f"{self.describe_algorithm_support(certificate, profile)}"
            )
        return bool(valid)

    def encrypt_message(self, chat_key: ChatKey, plaintext: bytes) -> bytes:
        """Encrypt a message with `chat_key`."""
        ciphertext = self._call(
            "chatkeys_encrypt_message", chat_key=chat_key, plaintext=plaintext
        )
        if ciphertext is None:
            raise NoProviderError(
                f"no installed provider implements cipher {chat_key.cipher!r}"
            )
        return ciphertext  # type: ignore[no-any-return]

    def decrypt_message(self, chat_key: ChatKey, ciphertext: bytes) -> bytes:
        """Decrypt a message with `chat_key`."""
        plaintext = self._call(
            "chatkeys_decrypt_message", chat_key=chat_key, ciphertext=ciphertext
        )
        if plaintext is None:
            raise NoProviderError(
                f"no installed provider implements cipher {chat_key.cipher!r}"
            )
        return plaintext  # type: ignore[no-any-return]

    def _call(self, hook_name: str, **kwargs: Any) -> Any:
        hook = getattr(self._manager.hook, hook_name)
        try:
            return hook(**kwargs)
        except ChatkeysError:
            raise
        except Exception as error:
            raise ProviderError(
                f"a provider failed in {hook_name}: {type(error).__name__}: {error}"
            ) from error
