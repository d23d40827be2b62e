"""The `chatkeys` command against the real server, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys_server.testing import RunningServer
from chatkeys_soft.keyfiles import save_identity

CHATKEYS = str(Path(sys.executable).with_name("chatkeys"))
PASSPHRASE = "correct horse battery staple"


def _run(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, **(env or {}))
    return subprocess.run(
        [CHATKEYS, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _enroll_file(
    server: RunningServer, providers: Providers, tmp_path: Path, name: str, phone: str
) -> Path:
    identity = providers.generate_identity("ec-p256", name)
    key_path = tmp_path / f"{phone}.pem"
    save_identity(identity, key_path, passphrase=PASSPHRASE)
    with Registrar(server.base_url, providers) as registrar:
        request_id = registrar.register_phone(phone, profileName=name)
        code = server.state.codes.for_request(request_id)
        assert code is not None
        token, _ = registrar.confirm_phone(request_id, code)
        registrar.register_certificate(token, identity)
    return key_path


def test_providers_lists_soft() -> None:
    result = _run("providers", "--json")
    assert result.returncode == 0, result.stderr
    providers = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert providers["soft"]["available"] is True
    names = {algorithm["name"] for algorithm in providers["soft"]["algorithms"]}
    assert {"rsa-2048", "ec-p256", "ec-p384", "ec-p521"} <= names


def test_sync_then_chats_exit_codes(
    server: RunningServer, providers: Providers, tmp_path: Path
) -> None:
    anna = _enroll_file(server, providers, tmp_path, "Анна", "79990000301")
    boris = _enroll_file(server, providers, tmp_path, "Борис", "79990000302")
    env = {
        "CHATKEYS_SERVER": server.base_url,
        "CHATKEYS_PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }

    before = _run("chats", "--json", "--identity", str(anna), env=env)
    assert before.returncode == 0, before.stderr
    statuses = {chat["status"] for chat in json.loads(before.stdout)["chats"]}
    assert "new" in statuses

    synced = _run(
        "sync",
        "--json",
        "--identity",
        str(anna),
        "--store",
        str(tmp_path / "anna.db"),
        env=env,
    )
    assert synced.returncode == 0, synced.stderr
    report = json.loads(synced.stdout)
    assert report["ok"] is True
    assert report["copies"]["registered"] > 0

    boris_env = dict(env)
    second = _run("sync", "--identity", str(boris), env=boris_env)
    assert second.returncode == 0, second.stderr
    assert "every chat is sync" in second.stdout
    token_file = tmp_path / "cache" / "chatkeys" / "tokens.json"
    assert token_file.stat().st_mode & 0o077 == 0


def test_sync_reports_waiting_chats(
    server: RunningServer, providers: Providers, tmp_path: Path
) -> None:
    anna = _enroll_file(server, providers, tmp_path, "Анна", "79990000311")
    _enroll_file(server, providers, tmp_path, "Борис", "79990000312")
    env = {
        "CHATKEYS_SERVER": server.base_url,
        "CHATKEYS_PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(tmp_path / "c"),
    }
    assert _run("sync", "--identity", str(anna), env=env).returncode == 0
    (tmp_path / "second").mkdir()
    anna_second = _enroll_file(
        server, providers, tmp_path / "second", "Анна", "79990000311"
    )
    result = _run("sync", "--json", "--identity", str(anna_second), env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["reasons"] == {"no_key_for_certificate": 2}


def test_wrong_passphrase_is_clear_error(
    server: RunningServer, providers: Providers, tmp_path: Path
) -> None:
    anna = _enroll_file(server, providers, tmp_path, "Анна", "79990000321")
    result = _run(
        "sync",
        "--identity",
        str(anna),
        "--server",
        server.base_url,
        env={"CHATKEYS_PASSPHRASE": "Zq7-not-it"},
    )
    assert result.returncode == 3
    assert "passphrase" in result.stderr.lower()
    assert "Zq7-not-it" not in result.stderr


def test_bad_phone_is_clear_error(
    server: RunningServer, providers: Providers, tmp_path: Path
) -> None:
    anna = _enroll_file(server, providers, tmp_path, "Анна", "79990000331")
    env = {
        "CHATKEYS_SERVER": server.base_url,
        "CHATKEYS_PASSPHRASE": PASSPHRASE,
        "XDG_CACHE_HOME": str(tmp_path / "c"),
    }
    result = _run("add-phones", "--identity", str(anna), "12345", env=env)
    assert result.returncode == 3
    assert "'12345'" in result.stderr


def test_unreachable_server_is_clear_error(
    providers: Providers, tmp_path: Path
) -> None:
    identity = providers.generate_identity("ec-p256", "x")
    key_path = tmp_path / "x.pem"
    save_identity(identity, key_path)
    result = _run(
        "sync",
        "--identity",
        str(key_path),
        "--server",
        "http://127.0.0.1:9",
        env={"XDG_CACHE_HOME": str(tmp_path)},
    )
    assert result.returncode == 3
    assert "127.0.0.1:9" in result.stderr


def test_demo_json() -> None:
    result = _run("demo", "--json")
    assert result.returncode == 0, result.stderr
    demo = json.loads(result.stdout)
    assert demo["ok"] is True
    assert demo["message"]["received"] == demo["message"]["sent"]


def test_plain_http_to_remote_rejected(providers: Providers, tmp_path: Path) -> None:
    identity = providers.generate_identity("ec-p256", "x")
    key_path = tmp_path / "x.pem"
    save_identity(identity, key_path)
    result = _run(
        "chats", "--identity", str(key_path), "--server", "http://chat.example.org"
    )
    assert result.returncode == 3
    assert "in clear" in result.stderr


def test_register_in_two_steps(
    server: RunningServer, providers: Providers, tmp_path: Path
) -> None:
    identity = providers.generate_identity("ec-p256", "Вера")
    key_path = tmp_path / "vera.pem"
    save_identity(identity, key_path)
    common = ["register", "--server", server.base_url, "--identity", str(key_path)]
    first = _run(
        *common, "--phone", "+7 999 000-03-41", env={"XDG_CACHE_HOME": str(tmp_path)}
    )
    assert first.returncode == 0, first.stderr
    request_id = first.stdout.split("request id ")[1].split()[0]
    code = server.state.codes.for_request(request_id)
    assert code is not None
    second = _run(
        *common,
        "--request-id",
        request_id,
        "--code",
        code,
        env={"XDG_CACHE_HOME": str(tmp_path)},
    )
    assert second.returncode == 0, second.stderr
    assert "registered certificate" in second.stdout
    both = _run(*common, "--phone", "79990000341", "--request-id", request_id)
    assert both.returncode == 2
    no_code = _run(*common, "--request-id", request_id)
    assert no_code.returncode == 2
    assert "--code is required" in no_code.stderr


def test_interrupt_exits_130(tmp_path: Path) -> None:
    import signal

    process = subprocess.Popen(
        [CHATKEYS, "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path), COLUMNS="120"),
    )
    assert process.stdout is not None
    process.stdout.readline()  # the demo has started its first step
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
