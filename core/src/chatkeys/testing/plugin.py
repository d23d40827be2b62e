"""pytest plugin of chatkeys, registered under the ``pytest11`` entry point.

Fixtures for integrators are defined here; each imports what it needs only
when used, so installing chatkeys adds no cost to unrelated test runs.

- `chatkeys_providers`: the installed providers (`Providers.discover`).
  Override it to test a provider that is not installed, for example
  ``Providers.discover(extra=[my_provider_module])``; `identity_factory`, the
  server and the conformance suite use it.
- `identity_factory`: ``identity_factory("ec-p256", "Alice")`` generates an
  identity through the providers and closes it after the test.
- `softhsm_directory` (session) and `softhsm_token`: a throwaway SoftHSM
  token per test in a temporary directory, as a
  `chatkeys.testing.softhsm.SoftHsmToken` (module path, label, serial, PIN,
  SO PIN, ``pkcs11:`` URI).
- `chatkeys_server`: the reference server of the API on a loopback port, as
  ``chatkeys_server.testing.RunningServer`` (``base_url``, ``state``).

A fixture whose tool is missing skips the test with the reason, and fails it
instead when ``CHATKEYS_REQUIRE_TOOLS=1`` (as in CI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chatkeys.testing import skip_unless_tool

if TYPE_CHECKING:
    from chatkeys.identity import Identity
    from chatkeys.providers import Providers
    from chatkeys.testing.softhsm import SoftHsmDirectory, SoftHsmToken


@pytest.fixture(scope="session")
def chatkeys_providers() -> Providers:
    """The providers the other fixtures use: every installed one.

    Override this fixture in a ``conftest.py`` to add a provider module under
    development.
    """
    from chatkeys.providers import Providers

    return Providers.discover()


@pytest.fixture
def identity_factory(
    chatkeys_providers: Providers,
) -> Iterator[Callable[..., Identity]]:
    """A function ``(algorithm, subject="Test") -> Identity``.

    It generates through `Providers.generate_identity`, so ``"ec-p256"``,
    ``"rsa-2048"`` or ``"gost2012-256a"`` work when their provider is
    installed. Every identity generated is closed after the test.
    """
    generated: list[Identity] = []

    def factory(algorithm: str, subject: str = "Test") -> Identity:
        identity = chatkeys_providers.generate_identity(algorithm, subject)
        generated.append(identity)
        return identity

    yield factory
    for identity in reversed(generated):
        identity.close()


@pytest.fixture(scope="session")
def softhsm_directory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SoftHsmDirectory]:
    """A SoftHSM token directory for the test session, with SOFTHSM2_CONF set."""
    from chatkeys.testing.softhsm import SoftHsmDirectory, softhsm_missing_reason

    reason = softhsm_missing_reason()
    skip_unless_tool(reason is None, reason or "")
    directory = SoftHsmDirectory(root=tmp_path_factory.mktemp("softhsm"))
    directory.activate()
    yield directory
    directory.close()


@pytest.fixture
def softhsm_token(softhsm_directory: SoftHsmDirectory) -> SoftHsmToken:
    """A freshly initialised SoftHSM token with random PINs.

    Creating it reinitialises the SoftHSM module, so token identities loaded
    earlier in the process must be loaded again; keep them inside one test.
    """
    return softhsm_directory.create_token()


@pytest.fixture
def chatkeys_server(tmp_path: Path, chatkeys_providers: Providers) -> Iterator[Any]:
    """The reference server on 127.0.0.1 in development mode, one per test.

    Skips when chatkeys-server is not installed (fails in CI).
    """
    try:
        from chatkeys_server.config import ServerConfig
        from chatkeys_server.testing import run_server
    except ImportError as error:
        skip_unless_tool(
            False,
            f"chatkeys-server is not installed ({error}): pip install chatkeys-server",
        )
        raise AssertionError("unreachable") from error
    config = ServerConfig(db_path=tmp_path / "server.sqlite3", development=True)
    with run_server(config, chatkeys_providers) as server:
        yield server
