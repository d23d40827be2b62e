"""Fixtures of the GOST provider tests: vectors and OpenSSL with the GOST engine.

Tests that need OpenSSL's GOST engine take the `openssl_gost` fixture; it
skips them where the engine is missing and fails them in CI
(CHATKEYS_REQUIRE_TOOLS=1).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from chatkeys.certificates import Certificate
from chatkeys.testing import skip_unless_tool
from chatkeys_gost.keys import pem_decode

VECTORS = Path(__file__).parent / "vectors"

OpenSsl = Callable[..., bytes]


@functools.cache
def gost_engine_available() -> bool:
    """Return whether `openssl` exists and loads the GOST engine."""
    if shutil.which("openssl") is None:
        return False
    result = subprocess.run(
        ["openssl", "engine", "gost", "-t"], capture_output=True, check=False
    )
    return result.returncode == 0 and b"[ available ]" in result.stdout


def require_gost_engine() -> None:
    """Skip the calling test without OpenSSL's GOST engine (fail instead in CI)."""
    skip_unless_tool(
        gost_engine_available(),
        "OpenSSL's GOST engine is missing: apt-get install libengine-gost-openssl",
    )


def run_openssl(*args: str | Path, input: bytes | None = None) -> bytes:
    """Run `openssl` with `args`; return stdout, failing the test on an error."""
    result = subprocess.run(
        ["openssl", *map(str, args)], input=input, capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"openssl {' '.join(map(str, args))} failed: "
            f"{result.stderr.decode(errors='replace')}"
        )
    return result.stdout


@pytest.fixture
def openssl_gost() -> OpenSsl:
    """The `run_openssl` function, after checking that the GOST engine works."""
    require_gost_engine()
    return run_openssl


def engine_key(openssl: OpenSsl, directory: Path, name: str) -> Path:
    """Generate a key with the engine; `name` is like ``gost2012_256:TCA``."""
    algorithm, paramset = name.split(":")
    path = directory / f"{algorithm}-{paramset}.key"
    openssl(
        "genpkey", "-engine", "gost", "-algorithm", algorithm,
        "-pkeyopt", f"paramset:{paramset}", "-out", path,
    )  # fmt: skip
    return path


def engine_certificate(openssl: OpenSsl, key: Path, digest: str) -> Path:
    """Issue a self-signed certificate for `key` with the engine."""
    path = key.with_suffix(".crt")
    openssl(
        "req", "-engine", "gost", "-x509", "-new", "-key", key, f"-{digest}",
        "-subj", "/CN=engine", "-days", "30", "-out", path,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def standard_certificates() -> dict[str, Certificate]:
    """The CA and recipient certificates of R 1323565.1.025-2019."""
    data = (VECTORS / "r1323565-1-025-2019-certificates.pem").read_bytes()
    blocks = [der for label, der in pem_decode(data) if label == "CERTIFICATE"]
    return {"ca": Certificate.load(blocks[0]), "recipient": Certificate.load(blocks[1])}


STANDARD_PRIVATE_KEYS = {
    "ca": 0x092F8D059E97E22B90B1AE99F0087FC4D26620B91550CBB437C191005A290810,
    "recipient": 0x0DC8DC1FF2BC114BABC3F1CA8C51E4F58610427E197B1C2FBDBA4AE58CBFB7CE,
}
"""Private keys of the R 1323565.1.025-2019 examples, on TC26 256-A."""
