"""Nox sessions: tests, lint, typecheck, docs, interop and benchmarks.

Each session installs the repository's distributions into its own virtual
environment. `make test` runs the same suite in `.venv` without nox.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = [
    "core/src",
    "providers/soft/src",
    "providers/gost/src",
    "providers/pkcs11/src",
    "server/src",
]


def _install(session: nox.Session) -> None:
    session.install("-r", "requirements-dev.txt")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the whole test suite."""
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def interop(session: nox.Session) -> None:
    """Run only the tests against OpenSSL, SoftHSM and the server over HTTP."""
    _install(session)
    session.run(
        "pytest",
        "-k",
        "openssl or interop or pkcs11 or e2e",
        *session.posargs,
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Check formatting and lint rules."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict over every distribution."""
    _install(session)
    session.run("mypy", "--strict", *SOURCES)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation, warnings as errors."""
    _install(session)
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run every benchmark; each writes its results to bench/results/."""
    _install(session)
    for script in sorted(Path("bench").glob("*.py")):
        session.run("python", str(script), *session.posargs)
