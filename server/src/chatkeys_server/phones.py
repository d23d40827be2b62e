"""Normalisation of Russian phone numbers to the 11-digit form 7XXXXXXXXXX."""

from __future__ import annotations

import re

from chatkeys.errors import InvalidPhoneError

_SEPARATORS = re.compile(r"[\s()\-]")
_DIGITS = re.compile(r"[0-9]{11}")


def normalise_phone(value: str) -> str:
    """Return `value` as ``7XXXXXXXXXX``.

    A leading ``8`` or ``+7``, spaces, brackets and dashes are accepted.
    Raises `InvalidPhoneError` for anything that is not an 11-digit Russian
    number.
    """
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("+7"):
        compact = compact[1:]
    elif compact.startswith("8"):
        compact = "7" + compact[1:]
    if compact.startswith("7") and _DIGITS.fullmatch(compact):
        return compact
    raise InvalidPhoneError(
        f"phone number {value!r} is not a Russian number of 11 digits: "
        "expected a form such as 79261234567, +7 926 123-45-67 or 8 (926) 1234567"
    )
