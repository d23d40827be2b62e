"""Normalisation of Russian phone numbers."""

from __future__ import annotations

import pytest

from chatkeys.errors import InvalidPhoneError
from chatkeys_server.phones import normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (800) 555-35-35", "78005553535"),
        ("+7(926)123-45-67", "79261234567"),
        ("89261234567", "79261234567"),
        ("79261234567", "79261234567"),
        ("+7 926 123 45 67", "79261234567"),
    ],
)
def test_accepted_forms(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "9261234567",
        "+8 926 123 45 67",
        "+1 555 123 4567",
        "792612345678",
        "7926123456",
        "7926123456x",
        "7926123456\u0667",  # ARABIC-INDIC DIGIT SEVEN
        "+7 926 123.45.67",
    ],
)
def test_rejected_forms(raw):
    with pytest.raises(InvalidPhoneError, match="11 digits"):
        normalise_phone(raw)
