"""Checks of the server settings."""

from __future__ import annotations

import pytest

from chatkeys_server.config import ServerConfig
from chatkeys_server.errors import ServerConfigError


def test_defaults(tmp_path):
    config = ServerConfig(db_path=tmp_path / "db")
    assert config.profile == "komandor"
    assert config.development is False
    assert config.max_body_size == 4 * 1024 * 1024
    assert config.max_copies_per_request == 1000
    assert config.system_algorithm == "ec-p256"
    assert len(config.jwt_secret) == 32
    assert config.jwt_secret != ServerConfig(db_path=tmp_path / "db").jwt_secret


def test_secret_not_in_repr(tmp_path):
    config = ServerConfig(db_path=tmp_path / "db")
    assert repr(config.jwt_secret) not in repr(config)


def test_empty_profile_rejected(tmp_path):
    with pytest.raises(ServerConfigError, match=r"komandor, cms"):
        ServerConfig(db_path=tmp_path / "db", profile="")


def test_third_party_profile_accepted(tmp_path):
    # A provider outside this repository may define a profile of its own.
    assert ServerConfig(db_path=tmp_path / "db", profile="edx").profile == "edx"


@pytest.mark.parametrize(
    "name", ["token_lifetime", "max_body_size", "max_copies_per_request"]
)
def test_non_positive_limit_rejected(tmp_path, name):
    with pytest.raises(ServerConfigError, match=name):
        ServerConfig(db_path=tmp_path / "db", **{name: 0})
