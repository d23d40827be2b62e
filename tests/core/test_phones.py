from __future__ import annotations

import pytest

from chatkeys.errors import InvalidPhoneError
from chatkeys.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (800) 555-35-35", "78005553535"),
        ("+7(926)123-45-67", "79261234567"),
        ("89261234567", "79261234567"),
        ("79261234567", "79261234567"),
        ("+7 926 123 45 67", "79261234567"),
        ("7\u00a0926\u00a01234567", "79261234567"),
        ("+7 (926) 123\u201345\u201367", "79261234567"),  # en dashes
        ("8 926 123\u221245\u221267", "79261234567"),  # minus signs
    ],
)
def test_normalize_accepted_forms(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "9261234567",
        "+1 202 555 0100",
        "+8 926 123 45 67",
        "69261234567",
        "792612345678",
        "7926123456a",
        "\uff17\uff19\uff12\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
        "+79261234567 ext 5",
        "7926123456\u0667",  # ARABIC-INDIC DIGIT SEVEN
        "+7 926 123.45.67",
    ],
)
def test_normalize_rejects_with_value(raw: str) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        normalize_phone(raw)
    assert repr(raw) in str(caught.value)


def test_normalize_rejects_non_string() -> None:
    with pytest.raises(InvalidPhoneError, match="must be a string"):
        normalize_phone(79261234567)  # type: ignore[arg-type]
