"""A user whose key lives on a SoftHSM token syncs through the command line.

The token, the reference server and the contact are all real: the key is
generated on a throwaway SoftHSM token, `chatkeys sync --identity pkcs11:...`
runs as a separate process with the PIN in `CHATKEYS_PIN`, and the contact
(a PEM identity) reads a message encrypted with the key the token user made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatkeys.client import Client
from chatkeys.demo import run_demo
from chatkeys.identity import EnvironmentSecrets
from chatkeys.model import ChatStatus
from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys.testing.softhsm import SoftHsmToken
from chatkeys_server.testing import RunningServer

from .conftest import Enroll

CHATKEYS = str(Path(sys.executable).with_name("chatkeys"))


def _token_environment(token: SoftHsmToken, tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        SOFTHSM2_CONF=str(token.config_path),
        CHATKEYS_PIN=token.pin,
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )


def test_token_identity_syncs_by_cli(
    server: RunningServer,
    enroll: Enroll,
    softhsm_token: SoftHsmToken,
    tmp_path: Path,
) -> None:
    from chatkeys_pkcs11.provisioning import create_key_and_certificate

    providers = Providers.discover()
    key = create_key_and_certificate(
        softhsm_token.uri, "ec-p256", "Анна", pin=softhsm_token.pin
    )
    pin = EnvironmentSecrets(environ={"CHATKEYS_PIN": softhsm_token.pin})
    anna = providers.load_identity(key.uri, pin)
    with Registrar(server.base_url, providers) as registrar:
        request_id = registrar.register_phone("79990000401", profileName="Анна")
        code = server.state.codes.for_request(request_id)
        assert code is not None
        token, _ = registrar.confirm_phone(request_id, code)
        registrar.register_certificate(token, anna)
    anna.close()
    boris = enroll("Борис")

    result = subprocess.run(
        [
            CHATKEYS,
            "sync",
            "--json",
            "--server",
            server.base_url,
            "--identity",
            key.uri,
        ],
        capture_output=True,
        text=True,
        env=_token_environment(softhsm_token, tmp_path),
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert softhsm_token.pin not in result.stdout + result.stderr

    chat = next(c for c in boris.client.fetch_chats().chats if c.profile.name == "Анна")
    assert chat.status is ChatStatus.SYNC
    anna_again = providers.load_identity(key.uri, pin)
    with Client(server.base_url, anna_again, providers) as client:
        mine = next(c for c in client.fetch_chats().chats if c.profile.name == "Борис")
        ciphertext = client.chat_cipher(mine).encrypt("с токена".encode())
    anna_again.close()
    assert boris.client.chat_cipher(chat).decrypt(ciphertext).decode() == "с токена"


def test_demo_with_key_on_token(
    softhsm_token: SoftHsmToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATKEYS_PKCS11_TOKEN_URI", softhsm_token.uri)
    monkeypatch.setenv("CHATKEYS_PIN", softhsm_token.pin)
    result = run_demo("pkcs11-ec-p256", providers=Providers.discover())
    assert result.ok, result.to_json()
    assert result.message_received == result.message_sent
