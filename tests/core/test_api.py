from __future__ import annotations

import pytest

from chatkeys.api import check_server_url
from chatkeys.errors import ConfigurationError


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.org",
        "https://api.example.org:8443/",
        "http://127.0.0.1:8080",
        "http://localhost:8080/",
        "http://[::1]:8080",
        "http://127.1.2.3:8080",
    ],
)
def test_safe_urls_accepted(url: str) -> None:
    assert check_server_url(url) == url.rstrip("/")


def test_plain_http_to_remote_host_rejected() -> None:
    with pytest.raises(ConfigurationError, match="in clear") as caught:
        check_server_url("http://chat.example.org")
    assert "--allow-plain-http" in str(caught.value)
    with pytest.raises(ConfigurationError):
        check_server_url("http://127.0.0.1@chat.example.org")


def test_plain_http_allowed_explicitly() -> None:
    assert (
        check_server_url("http://10.1.2.3:80", allow_plain_http=True)
        == "http://10.1.2.3:80"
    )


@pytest.mark.parametrize(
    "url", ["ftp://example.org", "example.org", "https://", "", "http://[::1"]
)
def test_malformed_urls_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid server URL"):
        check_server_url(url)
