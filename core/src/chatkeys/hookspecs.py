"""The provider contract: every hook a crypto provider can implement.

Providers are plain modules found through the entry-point group
``chatkeys.providers``; each implements any subset of these hooks with
functions marked `chatkeys.plugin.hookimpl`. Apart from
`chatkeys_provider_info`, every hook is *firstresult*: the call stops at the
first non-None result, so a provider returns None for inputs that are not its
own (a certificate of another algorithm, an identity another provider loaded,
a wire profile it does not implement). Returning None is never an error; the
core turns "nobody answered" into `NoProviderError` naming what to install.

A provider raises a subclass of `chatkeys.errors.ProviderError` when the
input is its own but the operation fails, and raises it ``from`` the
underlying exception. Messages must not contain key material, PINs or
passphrases.

Byte strings passed to and returned from hooks are exactly what travels in
the API's JSON fields before base64: `key` for key copies and `sign` for
signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

from chatkeys.plugin import PROJECT_NAME

if TYPE_CHECKING:
    from chatkeys.certificates import Certificate
    from chatkeys.chatkey import ChatKey
    from chatkeys.identity import Identity, SecretSource
    from chatkeys.plugin import ProviderInfo

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def chatkeys_provider_info() -> ProviderInfo:
    """Describe the provider: name, version, algorithms and availability.

    Called for every provider; must not raise and must be cheap. A provider
    whose native library or token module is missing returns
    ``available=False`` with the reason instead of failing at import.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_load_identity(reference: str, secrets: SecretSource) -> Identity | None:
    """Load the user's certificate and private key from `reference`.

    `reference` is a file path (PEM/PKCS#8 key with its certificate, or
    PKCS#12) or an RFC 7512 ``pkcs11:`` URI. Passphrases and PINs come from
    `secrets` under the names ``"passphrase"`` and ``"pin"``. Returns None when
    the reference is not of a kind this provider loads. Raises
    `IdentityError` when it is, but cannot be loaded (wrong passphrase,
    missing certificate, key and certificate that do not match).
    Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_generate_identity(algorithm: str, subject: str) -> Identity | None:
    """Generate a key pair and a self-signed certificate for tests and demos.

    `algorithm` is an `AlgorithmInfo.name` (``"ec-p256"``,
    ``"gost2012-256a"``); `subject` becomes the certificate's common name.
    Returns None for algorithms the provider does not generate.
    Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_generate_chat_key(identity: Identity, profile: str) -> ChatKey | None:
    """Generate a fresh chat key for a chat created by `identity`.

    The key's cipher follows the identity's algorithm family and `profile`
    (Komandor: GOST 28147-89 with an IV; CMS: a 256-bit key of the family's
    block cipher). Returns None when the identity's key algorithm is not one
    this provider handles, or `profile` is not a profile it implements.
    Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_export_chat_key(
    chat_key: ChatKey, recipient: Certificate, exporter: Identity, profile: str
) -> bytes | None:
    """Wrap `chat_key` so that only the holder of `recipient`'s key can open it.

    `exporter` is the current identity; formats with static-static key
    agreement (the Komandor SIMPLEBLOB) use its private key, the others
    ignore it. Returns the copy's bytes, or None when `recipient`'s key
    algorithm or `profile` is not this provider's, or when the format needs
    the exporter's private key and `exporter` is not this provider's
    identity. Raises `UnsupportedProfileError` when the certificate is this
    provider's but `chat_key`'s cipher cannot travel in `profile`.
    Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_import_chat_key(
    key_copy: bytes, identity: Identity, candidates: Sequence[Certificate]
) -> ChatKey | None:
    """Unwrap a key copy exported to `identity`'s certificate.

    The format of the copy is detected from its bytes. `candidates` are the
    certificates that may have exported it (the chat's participants and the
    identity's own); formats with static-static agreement try them in turn.
    Returns None when `identity` is not this provider's. Raises
    `KeyImportError` when the copy is malformed, tampered with, made for
    another certificate, or made by none of `candidates`.
    Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_sign(data: bytes, identity: Identity, profile: str) -> bytes | None:
    """Sign `data` with `identity`'s private key in `profile`'s encoding.

    Returns the signature, or None when `identity` is not this provider's.
    Raises `SignatureError` when the key cannot sign (locked token, wrong
    key usage). Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_verify(
    data: bytes, signature: bytes, certificate: Certificate, profile: str
) -> bool | None:
    """Check `signature` over `data` against `certificate`'s public key.

    Returns True when it verifies in `profile`'s encoding, False when it does
    not (including malformed signatures and out-of-range values), and None
    when the certificate's key algorithm or `profile` is not this provider's.
    Never raises for a bad signature. Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_encrypt_message(chat_key: ChatKey, plaintext: bytes) -> bytes | None:
    """Encrypt a chat message with `chat_key`.

    Returns the ciphertext, or None when `chat_key.cipher` is not one of this
    provider's ciphers. Stops at the first non-None result.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def chatkeys_decrypt_message(chat_key: ChatKey, ciphertext: bytes) -> bytes | None:
    """Decrypt a chat message with `chat_key`.

    Returns the plaintext, or None when `chat_key.cipher` is not one of this
    provider's ciphers. Raises `chatkeys.errors.MessageError` when the
    ciphertext is malformed or fails authentication.
    Stops at the first non-None result.
    """
    raise NotImplementedError


HOOK_NAMES: Sequence[str] = tuple(
    name for name in list(globals()) if name.startswith("chatkeys_")
)
"""Names of every hook, for documentation checks and provider tests."""
