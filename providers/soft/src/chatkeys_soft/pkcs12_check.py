"""Recognising PKCS#12 and PKCS#8 files that belong to another provider.

`cryptography` raises the same ValueError for a wrong passphrase and for a
file it cannot read, such as one holding a GOST key or protected with GOST
algorithms. The GOST provider reads those files, so this provider must leave
them alone instead of reporting a wrong passphrase. Two checks decide:

- `uses_gost_algorithms` looks for an algorithm OID under 1.2.643 (the
  Russian standards arc) anywhere in the unencrypted structure of a PKCS#12
  file or an EncryptedPrivateKeyInfo;
- `mac_matches` checks a PKCS#12 file's integrity MAC (RFC 7292, appendix B)
  with the passphrase. When it matches, the passphrase is right, so the
  failure comes from contents `cryptography` does not support.
"""

from __future__ import annotations

import hashlib
import hmac

from asn1crypto import parser, pkcs12

GOST_ARC = "1.2.643."
MAX_ELEMENTS = 10_000
"""Bound on the elements walked, against deeply nested or huge input."""

_MAC_HASHES = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def uses_gost_algorithms(data: bytes) -> bool:
    """Return whether the BER/DER in `data` names an OID under 1.2.643.

    OCTET STRINGs whose contents parse as BER are searched too, because the
    PFX wraps its authenticated safe in one. Unparseable parts are skipped.
    """
    pending = [data]
    walked = 0
    while pending and walked < MAX_ELEMENTS:
        blob = pending.pop()
        offset = 0
        while offset < len(blob) and walked < MAX_ELEMENTS:
            try:
                class_, method, tag, header, contents, trailer = parser.parse(
                    blob[offset:], strict=False
                )
            except ValueError:
                break
            walked += 1
            offset += len(header) + len(contents) + len(trailer)
            if class_ == 0 and tag == 6 and _oid(contents).startswith(GOST_ARC):
                return True
            if method == 1 or (class_ == 0 and tag == 4):
                pending.append(contents)
    return False


def mac_matches(data: bytes, passphrase: bytes) -> bool:
    """Return whether the PFX's SHA-1/SHA-2 integrity MAC verifies with `passphrase`.

    Returns False when the file has no MAC, uses another MAC hash, or does
    not parse as a PFX.
    """
    try:
        pfx = pkcs12.Pfx.load(data)
        mac_data = pfx["mac_data"]
        if mac_data.native is None:
            return False
        digest_oid = mac_data["mac"]["digest_algorithm"]["algorithm"].dotted
        expected = mac_data["mac"]["digest"].native
        salt = mac_data["mac_salt"].native
        iterations = mac_data["iterations"].native
        content = pfx["auth_safe"]["content"].native
    except Exception:  # asn1crypto raises assorted exception types on bad input
        return False
    hash_name = _MAC_HASHES.get(digest_oid)
    if hash_name is None or not isinstance(content, bytes):
        return False
    size = hashlib.new(hash_name).digest_size
    key = pkcs12_kdf(hash_name, passphrase, salt, iterations, 3, size)
    actual = hmac.new(key, content, hash_name).digest()
    return hmac.compare_digest(actual, expected)


def pkcs12_kdf(
    hash_name: str,
    passphrase: bytes,
    salt: bytes,
    iterations: int,
    purpose: int,
    length: int,
) -> bytes:
    """Derive `length` bytes with the PKCS#12 KDF (RFC 7292, appendix B.2).

    `purpose` is the ID byte: 1 for keys, 2 for IVs, 3 for MAC keys. The
    passphrase is encoded as a NUL-terminated UTF-16BE BMPString.
    """
    digest = hashlib.new(hash_name)
    block_size = digest.block_size
    password = (passphrase.decode("utf-8") + "\0").encode("utf-16-be")
    diversifier = bytes([purpose]) * block_size
    source = _fill(salt, block_size) + _fill(password, block_size)
    output = b""
    while len(output) < length:
        value = hashlib.new(hash_name, diversifier + source).digest()
        for _ in range(iterations - 1):
            value = hashlib.new(hash_name, value).digest()
        output += value
        adder = int.from_bytes(_fill(value, block_size)[:block_size], "big") + 1
        blocks = []
        for start in range(0, len(source), block_size):
            block = int.from_bytes(source[start : start + block_size], "big")
            total = (block + adder) % (1 << (8 * block_size))
            blocks.append(total.to_bytes(block_size, "big"))
        source = b"".join(blocks)
    return output[:length]


def _fill(data: bytes, block_size: int) -> bytes:
    """Repeat `data` to the next multiple of `block_size` (empty stays empty)."""
    if not data:
        return b""
    target = block_size * -(-len(data) // block_size)
    return (data * (target // len(data) + 1))[:target]


def _oid(contents: bytes) -> str:
    arcs: list[int] = []
    current = 0
    for byte in contents:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    if not arcs:
        return ""
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])
