"""Russian phone numbers in the API's form ``7XXXXXXXXXX``."""

from __future__ import annotations

import re

from chatkeys.errors import InvalidPhoneError

# Spaces, brackets, the hyphen-minus and the Unicode dashes and minus sign.
_SEPARATORS = re.compile(r"[\s()\-\u00a0\u2010-\u2015\u2212]")
_DIGITS = re.compile(r"[0-9]{11}")


def normalize_phone(value: str) -> str:
    """Return `value` as 11 digits starting with 7.

    Accepts a leading ``8`` or ``+7``, spaces, brackets and dashes, so
    ``8 (800) 555-35-35`` becomes ``78005553535``. Raises
    `InvalidPhoneError` for anything that is not an 11-digit Russian number.
    """
    if not isinstance(value, str):
        raise InvalidPhoneError(
            f"phone number must be a string, got {type(value).__name__}"
        )
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("+"):
        if not compact.startswith("+7"):
            raise InvalidPhoneError(
                f"phone number {value!r} is not Russian: expected +7, 8 or 7 "
                "followed by 10 digits"
            )
        compact = compact[1:]
    if not _DIGITS.fullmatch(compact) or compact[0] not in "78":
        raise InvalidPhoneError(
            f"invalid phone number {value!r}: expected 11 digits starting with 7 or 8, "
            "or +7 and 10 digits (spaces, brackets and dashes are allowed)"
        )
    return "7" + compact[1:]
