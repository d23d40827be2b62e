"""The documentation builds and documents every hook."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatkeys import hookspecs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", hookspecs.HOOK_NAMES)
def test_hook_has_contract_docstring(name: str) -> None:
    function = getattr(hookspecs, name)
    doc = inspect.getdoc(function) or ""
    assert len(doc.split()) >= 15, f"{name} needs a docstring stating its contract"
    if name != "chatkeys_provider_info":
        assert "first non-None result" in doc, f"{name} must say it is firstresult"
        assert "None" in doc.split("first non-None")[0], (
            f"{name} must say when it returns None"
        )


def test_every_hook_in_built_reference(tmp_path: Path) -> None:
    sphinx = shutil.which("sphinx-build", path=str(Path(sys.executable).parent))
    assert sphinx is not None, "sphinx-build is part of requirements-dev.txt"
    result = subprocess.run(
        [sphinx, "-q", "-W", "-b", "text", str(ROOT / "docs"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reference = (tmp_path / "hooks.txt").read_text(encoding="utf-8")
    for name in hookspecs.HOOK_NAMES:
        assert f"{name}(" in reference, f"{name} is missing from the hook reference"


def test_hook_names_complete() -> None:
    declared = {
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("chatkeys_") and callable(value)
    }
    assert declared == set(hookspecs.HOOK_NAMES)
    assert len(declared) == 10
