"""RSAES-OAEP decoding on the host (RFC 8017, section 7.1.2, steps 3a-3g).

Used after a raw ``CKM_RSA_X_509`` decryption on tokens that reject OAEP with
SHA-256 (SoftHSM 2.6.1 accepts only SHA-1 with MGF1-SHA-1). The checks run
over every byte and combine their results before one decision, so the time
taken does not depend on where the encoded message is wrong, as far as
Python allows (big-integer and bytes operations are not guaranteed
constant-time). Every failure raises the same `OaepDecodingError` message.
"""

from __future__ import annotations

import hashlib
import hmac


class OaepDecodingError(ValueError):
    """The encoded message is not valid OAEP for this key and hash."""


def mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    """Return `length` bytes of MGF1 output for `seed` (RFC 8017, B.2.1)."""
    output = bytearray()
    counter = 0
    while len(output) < length:
        output += hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(output[:length])


def oaep_decode(encoded: bytes, hash_name: str, label: bytes = b"") -> bytes:
    """Return the message inside an OAEP-encoded block `encoded`.

    `encoded` is the raw RSA decryption result, exactly as long as the
    modulus in bytes; `hash_name` names the hash for both the label digest
    and MGF1 (``"sha256"``). Raises `OaepDecodingError` for any defect.
    """
    hash_length = hashlib.new(hash_name).digest_size
    size = len(encoded)
    if size < 2 * hash_length + 2:
        raise OaepDecodingError("decryption error")
    label_hash = hashlib.new(hash_name, label).digest()

    first_byte = encoded[0]
    masked_seed = encoded[1 : 1 + hash_length]
    masked_block = encoded[1 + hash_length :]
    seed = bytes(
        a ^ b
        for a, b in zip(
            masked_seed, mgf1(masked_block, hash_length, hash_name), strict=True
        )
    )
    block = bytes(
        a ^ b
        for a, b in zip(
            masked_block, mgf1(seed, len(masked_block), hash_name), strict=True
        )
    )

    label_matches = hmac.compare_digest(block[:hash_length], label_hash)
    # Scan the whole padding area: remember the first 0x01 after a run of
    # zeros and whether any other byte came before it.
    separator_index = 0
    found = 0
    invalid = 0
    for index in range(hash_length, len(block)):
        byte = block[index]
        is_one = int(byte == 1)
        is_zero = int(byte == 0)
        first_one = is_one & (1 - found)
        separator_index |= index * first_one
        invalid |= (1 - found) & (1 - is_one) & (1 - is_zero)
        found |= is_one
    valid = int(label_matches) & found & (1 - invalid) & int(first_byte == 0)
    if not valid:
        raise OaepDecodingError("decryption error")
    return block[separator_index + 1 :]
