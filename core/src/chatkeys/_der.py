"""A minimal DER reader: just enough to find a certificate's public key.

The core package stays free of ASN.1 libraries, so providers that need a full
parser bring their own. This reader accepts definite lengths only and checks
that every length fits inside its parent.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE = 0x30
OBJECT_IDENTIFIER = 0x06
BIT_STRING = 0x03
INTEGER = 0x02
CONTEXT_0 = 0xA0


class DerError(ValueError):
    """The bytes are not valid DER for the structure being read."""


@dataclass(frozen=True, slots=True)
class Element:
    """One tag-length-value element: `tag` byte, `value` bytes and `encoded` TLV."""

    tag: int
    value: bytes
    encoded: bytes


def read_element(data: bytes, offset: int = 0) -> tuple[Element, int]:
    """Read the element at `offset`; return it and the offset just past it."""
    if offset + 2 > len(data):
        raise DerError("truncated element header")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not supported")
    first = data[offset + 1]
    position = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length is not DER")
    else:
        count = first & 0x7F
        if count > 4 or position + count > len(data):
            raise DerError("invalid length field")
        length = int.from_bytes(data[position : position + count], "big")
        if length < 0x80 or data[position] == 0:
            raise DerError("non-minimal length encoding")
        position += count
    end = position + length
    if end > len(data):
        raise DerError("element longer than its container")
    return Element(tag, data[position:end], data[offset:end]), end


def read_single(data: bytes) -> Element:
    """Read exactly one element spanning all of `data`."""
    element, end = read_element(data)
    if end != len(data):
        raise DerError("trailing bytes after the element")
    return element


def children(element: Element) -> list[Element]:
    """Split a constructed element's value into its child elements."""
    if not element.tag & 0x20:
        raise DerError(f"tag 0x{element.tag:02x} is not constructed")
    items: list[Element] = []
    offset = 0
    while offset < len(element.value):
        child, offset = read_element(element.value, offset)
        items.append(child)
    return items


def expect(element: Element, tag: int) -> Element:
    """Return `element` if its tag is `tag`, else raise DerError."""
    if element.tag != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{element.tag:02x}")
    return element


def decode_oid(value: bytes) -> str:
    """Decode the value of an OBJECT IDENTIFIER into dotted form."""
    if not value or value[-1] & 0x80:
        raise DerError("invalid object identifier")
    arcs: list[int] = []
    current = 0
    for byte in value:
        if current == 0 and byte == 0x80:
            raise DerError("non-minimal object identifier arc")
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def encode_length(length: int) -> bytes:
    """Encode a DER length field."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """Encode one tag-length-value element."""
    return bytes([tag]) + encode_length(len(value)) + value
