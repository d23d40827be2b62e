"""The tree passes ruff (lint and format) and mypy --strict, as CI requires."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOURCES = [
    "core/src",
    "providers/soft/src",
    "providers/gost/src",
    "providers/pkcs11/src",
    "server/src",
]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "--strict", *SOURCES],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tree_is_clean(command: list[str], tmp_path: Path) -> None:
    tool = BIN / command[0]
    assert tool.exists(), f"{command[0]} is part of requirements-dev.txt"
    extra = ["--cache-dir", str(tmp_path)] if command[0] == "mypy" else []
    result = subprocess.run(
        [str(tool), *command[1:], *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
