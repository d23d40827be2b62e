"""Fixtures of the soft provider tests: generated identities and the openssl tool."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest

from chatkeys.testing import skip_unless_tool
from chatkeys_soft.identity import SoftIdentity, generate_identity

ALGORITHMS = ("rsa-2048", "ec-p256", "ec-p384", "ec-p521")


def _generate(algorithm: str, subject: str) -> SoftIdentity:
    identity = generate_identity(algorithm, subject)
    assert identity is not None
    return identity


@pytest.fixture(scope="session")
def identities() -> dict[str, SoftIdentity]:
    """One generated identity per algorithm in ALGORITHMS."""
    return {
        algorithm: _generate(algorithm, f"alice {algorithm}")
        for algorithm in ALGORITHMS
    }


@pytest.fixture(scope="session")
def peers() -> dict[str, SoftIdentity]:
    """A second generated identity per algorithm, for wrong-recipient cases."""
    return {
        algorithm: _generate(algorithm, f"bob {algorithm}") for algorithm in ALGORITHMS
    }


@pytest.fixture(scope="session")
def openssl() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run openssl with the given arguments; with `check`, fail on a non-zero exit."""
    path = shutil.which("openssl")

    def run(
        *arguments: str, stdin: bytes = b"", check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        skip_unless_tool(
            path is not None, "openssl is not installed: apt-get install openssl"
        )
        assert path is not None
        result = subprocess.run(
            [path, *arguments],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=60,
        )
        if check:
            assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result

    return run


@pytest.fixture(scope="session")
def gost_engine(openssl: Callable[..., subprocess.CompletedProcess[bytes]]) -> None:
    """Skip (fail in CI) unless OpenSSL's GOST engine loads."""
    result = openssl("engine", "gost", "-t", check=False)
    skip_unless_tool(
        result.returncode == 0 and b"available" in result.stdout,
        "OpenSSL's GOST engine is not installed: apt-get install "
        "libengine-gost-openssl",
    )
