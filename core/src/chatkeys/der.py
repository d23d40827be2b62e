"""A strict DER reader and a small DER writer, for the core and for providers.

The core uses it to read certificates without an ASN.1 library, and
providers use it for the small structures of key copies. The reader accepts
definite, minimal lengths and one-byte tags only, and checks that every
element fits inside its parent, so untrusted input fails with `DerError`
instead of with an arbitrary exception. The writer builds small structures
from bytes directly, which is several times faster than constructing ASN.1
objects.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
SET = 0x31
CONTEXT_0 = 0xA0
CONTEXT_1 = 0xA1
CONTEXT_2 = 0xA2
CONTEXT_PRIMITIVE_0 = 0x80


class DerError(ValueError):
    """The bytes are not valid DER for the structure being read."""


@dataclass(frozen=True, slots=True)
class Element:
    """One tag-length-value element: the `tag` byte, its `value` and the whole TLV."""

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
        if data[position] == 0:
            raise DerError("non-minimal length encoding")
        length = int.from_bytes(data[position : position + count], "big")
        if length < 0x80:
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


def fields(element: Element, tag: int, count: int) -> list[Element]:
    """Return the children of `element`, which must have `tag` and `count` of them."""
    items = children(expect(element, tag))
    if len(items) != count:
        raise DerError(
            f"element with tag 0x{tag:02x} has {len(items)} fields instead of {count}"
        )
    return items


def expect(element: Element, tag: int) -> Element:
    """Return `element` if its tag is `tag`, else raise DerError."""
    if element.tag != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{element.tag:02x}")
    return element


def explicit(element: Element, tag: int) -> Element:
    """Return the single element inside the explicitly tagged `element`."""
    inner = children(expect(element, tag))
    if len(inner) != 1:
        raise DerError(f"explicit tag 0x{tag:02x} must hold exactly one element")
    return inner[0]


def decode_oid(element: Element) -> str:
    """Decode an OBJECT IDENTIFIER element into dotted form."""
    return _decode_oid_value(expect(element, OBJECT_IDENTIFIER).value)


@functools.lru_cache(maxsize=1024)
def _decode_oid_value(value: bytes) -> str:
    # Cached because the same few OIDs recur in every certificate and key copy.
    if not value or value[-1] & 0x80:
        raise DerError("invalid object identifier")
    arcs: list[int] = []
    current = 0
    starting = True
    for byte in value:
        if starting and byte == 0x80:
            raise DerError("non-minimal object identifier arc")
        current = (current << 7) | (byte & 0x7F)
        starting = not byte & 0x80
        if starting:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def decode_integer(element: Element) -> int:
    """Decode a minimally encoded INTEGER element (two's complement)."""
    value = expect(element, INTEGER).value
    if not value:
        raise DerError("empty INTEGER")
    if len(value) > 1 and (
        (value[0] == 0x00 and not value[1] & 0x80)
        or (value[0] == 0xFF and value[1] & 0x80)
    ):
        raise DerError("non-minimal INTEGER encoding")
    return int.from_bytes(value, "big", signed=True)


def decode_octet_string(element: Element) -> bytes:
    """Return the contents of a primitive OCTET STRING element."""
    return expect(element, OCTET_STRING).value


def decode_bit_string(element: Element) -> bytes:
    """Return the contents of a BIT STRING element that has no unused bits."""
    value = expect(element, BIT_STRING).value
    if not value or value[0] != 0:
        raise DerError("BIT STRING with unused bits")
    return value[1:]


def encode_length(length: int) -> bytes:
    """Encode a DER length field."""
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode(tag: int, *parts: bytes) -> bytes:
    """Encode one element whose value is the concatenation of `parts`."""
    value = b"".join(parts)
    return bytes((tag,)) + encode_length(len(value)) + value


@functools.lru_cache(maxsize=1024)
def encode_oid(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER element from dotted form."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"invalid object identifier {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return encode(OBJECT_IDENTIFIER, bytes(body))


def encode_integer(number: int) -> bytes:
    """Encode an INTEGER element (two's complement, minimal)."""
    size = (number + (number < 0)).bit_length() // 8 + 1
    return encode(INTEGER, number.to_bytes(size, "big", signed=True))
