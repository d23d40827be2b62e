"""RFC 7512 ``pkcs11:`` URIs: parsing, the PIN they carry, and a PIN-free form.

Path attributes (``;``-separated) select the token and the object: ``token``
(label), ``serial``, ``manufacturer``, ``model``, ``slot-id``, ``object``
(label), ``id`` (percent-encoded bytes) and ``type``. Query attributes
(``&``-separated) select the module and the PIN: ``module-path``, ``module-name``,
``pin-source`` (a file holding the PIN), ``pin-value`` and the chatkeys
extension ``x-certificate-file``, a PEM or DER certificate used when the
token holds none with the key's ``CKA_ID``.

`TokenUri.reference` is the URI without ``pin-value``, safe for logs and
reprs; the PIN itself is kept out of every repr.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from chatkeys_pkcs11.errors import TokenUriError

SCHEME = "pkcs11:"

_PATH_ATTRIBUTES = frozenset(
    {
        "token",
        "serial",
        "manufacturer",
        "model",
        "slot-id",
        "slot-description",
        "slot-manufacturer",
        "object",
        "id",
        "type",
        "library-manufacturer",
        "library-description",
        "library-version",
    }
)
_QUERY_ATTRIBUTES = frozenset(
    {"module-path", "module-name", "pin-source", "pin-value", "x-certificate-file"}
)
_OBJECT_TYPES = frozenset({"private", "public", "cert", "secret-key", "data"})


@dataclass(frozen=True, slots=True)
class TokenUri:
    """A parsed ``pkcs11:`` URI.

    Absent attributes are None. `object_id` is the decoded ``id`` bytes.
    `pin_value` and `pin_source` are the PIN sources the URI carries.
    """

    token: str | None = None
    serial: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    slot_id: int | None = None
    object_label: str | None = None
    object_id: bytes | None = None
    object_type: str | None = None
    module_path: str | None = None
    module_name: str | None = None
    pin_source: str | None = None
    pin_value: str | None = field(default=None, repr=False)
    certificate_file: str | None = None
    reference: str = ""

    @classmethod
    def parse(cls, text: str) -> TokenUri:
        """Parse `text`, raising `TokenUriError` naming the faulty attribute.

        Attributes outside RFC 7512 are rejected unless they start with
        ``x-``, which are vendor extensions and ignored apart from
        ``x-certificate-file``.
        """
        if not text.lower().startswith(SCHEME):
            raise TokenUriError(f"not a pkcs11: URI: {_redact(text)!r}")
        body = text[len(SCHEME) :]
        path, _, query = body.partition("?")
        values: dict[str, str | bytes] = {}
        for name, raw in _split(path, ";", "path"):
            if name not in _PATH_ATTRIBUTES and not name.startswith("x-"):
                raise TokenUriError(
                    f"unknown path attribute {name!r} in pkcs11: URI; supported: "
                    f"{', '.join(sorted(_PATH_ATTRIBUTES))}"
                )
            _store(values, name, raw, as_bytes=name == "id")
        for name, raw in _split(query, "&", "query"):
            if name not in _QUERY_ATTRIBUTES and not name.startswith("x-"):
                raise TokenUriError(
                    f"unknown query attribute {name!r} in pkcs11: URI; supported: "
                    f"{', '.join(sorted(_QUERY_ATTRIBUTES))}"
                )
            _store(values, name, raw, as_bytes=False)

        object_type = _text(values, "type")
        if object_type is not None and object_type not in _OBJECT_TYPES:
            raise TokenUriError(
                f"invalid object type {object_type!r} in pkcs11: URI; expected one "
                f"of {', '.join(sorted(_OBJECT_TYPES))}"
            )
        slot_text = _text(values, "slot-id")
        try:
            slot_id = None if slot_text is None else int(slot_text, 10)
        except ValueError as error:
            raise TokenUriError(
                f"invalid slot-id {slot_text!r} in pkcs11: URI: expected a decimal "
                "number"
            ) from error
        if "pin-value" in values and "pin-source" in values:
            raise TokenUriError(
                "a pkcs11: URI may carry pin-value or pin-source, not both; keep one"
            )
        object_id = values.get("id")
        return cls(
            token=_text(values, "token"),
            serial=_text(values, "serial"),
            manufacturer=_text(values, "manufacturer"),
            model=_text(values, "model"),
            slot_id=slot_id,
            object_label=_text(values, "object"),
            object_id=object_id if isinstance(object_id, bytes) else None,
            object_type=object_type,
            module_path=_text(values, "module-path"),
            module_name=_text(values, "module-name"),
            pin_source=_text(values, "pin-source"),
            pin_value=_text(values, "pin-value"),
            certificate_file=_text(values, "x-certificate-file"),
            reference=_redact(text),
        )

    def read_pin(self) -> str | None:
        """Return the PIN from ``pin-value`` or the ``pin-source`` file, if any.

        A trailing line break in the file is not part of the PIN. Raises
        `TokenUriError` naming the file when it cannot be read.
        """
        if self.pin_value is not None:
            return self.pin_value
        if self.pin_source is None:
            return None
        source = self.pin_source
        if source.startswith("file:"):
            source = urllib.parse.urlparse(source).path
        try:
            content = Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise TokenUriError(
                f"cannot read the PIN file {source!r} named by pin-source: "
                f"{error.strerror}; fix the path or its permissions"
            ) from error
        return content.rstrip("\r\n")

    def describe_token(self) -> str:
        """Return the token selector for messages, such as ``token 'a' serial 1f``."""
        parts = []
        if self.token is not None:
            parts.append(f"token {self.token!r}")
        if self.serial is not None:
            parts.append(f"serial {self.serial}")
        if self.slot_id is not None:
            parts.append(f"slot {self.slot_id}")
        return " ".join(parts) or "any token"

    def describe_object(self) -> str:
        """Return the object selector for messages, such as ``object 'k' id 01``."""
        parts = []
        if self.object_label is not None:
            parts.append(f"object {self.object_label!r}")
        if self.object_id is not None:
            parts.append(f"id {self.object_id.hex()}")
        return " ".join(parts) or "the only private key"


def _split(part: str, separator: str, where: str) -> list[tuple[str, str]]:
    pairs = []
    for item in part.split(separator):
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise TokenUriError(
                f"{where} attribute {name!r} of pkcs11: URI has no '=' and no value"
            )
        pairs.append((name.lower(), value))
    return pairs


def _store(
    values: dict[str, str | bytes], name: str, raw: str, *, as_bytes: bool
) -> None:
    if name in values:
        raise TokenUriError(f"attribute {name!r} appears twice in pkcs11: URI")
    try:
        values[name] = (
            urllib.parse.unquote_to_bytes(raw)
            if as_bytes
            else urllib.parse.unquote(raw, errors="strict")
        )
    except UnicodeDecodeError as error:
        raise TokenUriError(
            f"attribute {name!r} of pkcs11: URI is not UTF-8 after percent-decoding"
        ) from error


def _text(values: dict[str, str | bytes], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) else None


def _redact(text: str) -> str:
    """Drop every ``pin-value`` attribute from a URI text."""
    path, question, query = text.partition("?")
    kept = [
        item
        for item in query.split("&")
        if item
        and not item.lower().startswith("pin-value=")
        and item.lower() != "pin-value"
    ]
    return path + ("?" + "&".join(kept) if question and kept else "")
