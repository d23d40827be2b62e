from __future__ import annotations

from pathlib import Path

import pytest

from chatkeys.identity import (
    ChainedSecrets,
    EnvironmentSecrets,
    NoSecrets,
    sibling_certificate_files,
)


@pytest.mark.parametrize("key_name", ["alice.key", "alice.key.pem", "alice.pem"])
def test_sibling_certificates_same_for_every_key_name(key_name: str) -> None:
    names = [path.name for path in sibling_certificate_files(Path("/k") / key_name)]
    expected = ["alice.crt", "alice.cer", "alice.cert.pem", "alice.pem"]
    assert names == [name for name in expected if name != key_name]


def test_environment_secrets_by_name() -> None:
    secrets = EnvironmentSecrets(environ={"CHATKEYS_PIN": "1234"})
    assert secrets.get("pin", "token") == "1234"
    assert secrets.get("passphrase", "key") is None
    assert secrets.get("other", "x") is None


def test_chained_secrets_first_answer_wins() -> None:
    chained = ChainedSecrets(
        NoSecrets(),
        EnvironmentSecrets(environ={"CHATKEYS_PASSPHRASE": "first"}),
        EnvironmentSecrets(environ={"CHATKEYS_PASSPHRASE": "second"}),
    )
    assert chained.get("passphrase", "key") == "first"
