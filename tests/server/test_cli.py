"""The ``chatkeys-server`` command, run as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from chatkeys_server.cli import main

STARTUP_SECONDS = 30


def test_help_names_options():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--host", "--port", "--profile", "--development"):
        assert option in result.output


def test_unknown_profile_rejected(tmp_path):
    result = CliRunner().invoke(
        main, ["serve", "--db", str(tmp_path / "db"), "--profile", "x"]
    )
    assert result.exit_code == 2
    assert "--profile" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_and_stops(tmp_path: Path):
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("chatkeys-server")),
        "serve",
        "--db",
        str(tmp_path / "server.db"),
        "--port",
        str(port),
        "--development",
    ]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": ""},
    )
    try:
        response = None
        deadline = time.monotonic() + STARTUP_SECONDS
        while response is None and time.monotonic() < deadline:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/api/v2/registryPhone",
                    json={"phone": "8 926 000-00-01"},
                )
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response is not None
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, log = process.communicate(timeout=STARTUP_SECONDS)
    assert process.returncode == 0
    assert "chatkeys server started" in log
    assert "confirmation code for phone 79260000001" in log
    assert "chatkeys server stopped" in log


def test_startup_failures_are_one_line(tmp_path):
    not_a_database = tmp_path / "notdb.db"
    not_a_database.write_text("garbage")
    cases = [
        (["--db", str(not_a_database)], "file is not a database"),
        (["--db", str(tmp_path / "x.db"), "--system-algorithm", "bogus"], "'bogus'"),
        (
            [
                "--db",
                str(tmp_path / "y.db"),
                "--system-identity",
                str(tmp_path / "no.pem"),
            ],
            "no.pem",
        ),
    ]
    for arguments, expected in cases:
        result = CliRunner().invoke(main, ["serve", *arguments])
        assert result.exit_code == 3, result.output
        assert "cannot start the server" in result.output
        assert expected in result.output
        assert "Traceback" not in result.output


def test_port_out_of_range_rejected(tmp_path):
    result = CliRunner().invoke(
        main, ["serve", "--db", str(tmp_path / "db"), "--port", "70000"]
    )
    assert result.exit_code == 2
    assert "70000" in result.output
