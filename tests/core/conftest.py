"""Fixtures of the core tests: real X.509 certificates and chat JSON builders."""

from __future__ import annotations

import base64
import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chatkeys.certificates import Certificate

_serials = itertools.count(1000)


def make_certificate_der(name: str = "test") -> bytes:
    """Return the DER of a fresh self-signed P-256 certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(next(_serials))
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="session")
def certificate_pool() -> list[Certificate]:
    """Twelve distinct certificates, made once per test session."""
    return [Certificate.from_der(make_certificate_der(f"c{i}")) for i in range(12)]


def participant_json(pid: str, cid: str, certificate: Certificate) -> dict[str, str]:
    return {
        "pid": pid,
        "cid": cid,
        "certificate": certificate.to_api_field(),
        "hash": certificate.fingerprint,
    }


ChatFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def chat_json() -> ChatFactory:
    """Build a chat object as the API sends it; keyword arguments override fields."""

    def build(
        chat_id: str = "chat-1",
        status: str = "new",
        certificates: list[dict[str, str]] | None = None,
        chat_key: dict[str, str] | None = None,
        wait_list: list[dict[str, str]] | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": chat_id,
            "profileName": "Иван Петров",
            "profileCompany": "Индивидуальный предприниматель",
            "profileCompanyId": "org-1",
            "profileTitle": "",
            "profilePhone": "79261234567",
            "profilePhoto": base64.b64encode(b"\x89PNG").decode(),
            "profileType": 2,
            "profileVerified": False,
            "certificates": certificates or [],
            "chatType": 0,
            "chatName": "",
            "chatFavorites": False,
            "chatKey": chat_key,
            "waitList": wait_list or [],
            "lastMessageText": "",
            "lastMessageStatus": 0,
            "lastMessageTime": 1764806400,
            "unreadMessages": 0,
            "status": status,
        }
        chat.update(overrides)
        return chat

    return build
