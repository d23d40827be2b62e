"""Modes of operation of GOST R 34.13-2015, CTR-ACPKM and GOST 28147-89 modes.

The generic modes take any `BlockCipher` (Kuznyechik, Magma, Gost28147) and
follow GOST R 34.13-2015: ECB, CBC, CTR, OFB and CFB with a full-block
feedback (s = n) and an IV register of one or more blocks, and the OMAC-style
MAC. `ctr_acpkm` is CTR with the ACPKM key update of R 1323565.1.017-2018
(RFC 8645). The 28147-89 functions add the CryptoPro key meshing of RFC 4357
section 2.3 and the IMIT MAC of GOST 28147-89.

ECB and CBC take whole blocks only; padding is the caller's choice.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import GostKeySizeError
from .gost28147 import Gost28147

__all__ = [
    "BlockCipher",
    "cbc_decrypt",
    "cbc_encrypt",
    "cfb_decrypt",
    "cfb_encrypt",
    "ctr",
    "ctr_acpkm",
    "ecb_decrypt",
    "ecb_encrypt",
    "gost28147_cfb_decrypt",
    "gost28147_cfb_encrypt",
    "gost28147_imit",
    "ofb",
    "omac",
]


class BlockCipher(Protocol):
    """A block cipher keyed at construction time."""

    block_size: int

    def encrypt_block(self, block: bytes) -> bytes: ...

    def decrypt_block(self, block: bytes) -> bytes: ...


def _xor(a: bytes, b: bytes) -> bytes:
    """XOR two byte strings, truncated to the shorter one."""
    size = min(len(a), len(b))
    value = int.from_bytes(a[:size], "big") ^ int.from_bytes(b[:size], "big")
    return value.to_bytes(size, "big")


def _check_whole_blocks(data: bytes, block_size: int, mode: str) -> None:
    if len(data) % block_size:
        raise ValueError(
            f"invalid {mode} input length {len(data)}: must be a multiple of "
            f"the block size {block_size}; pad the data first"
        )


def _check_register(iv: bytes, block_size: int, mode: str) -> None:
    if not iv or len(iv) % block_size:
        raise GostKeySizeError(
            f"invalid {mode} IV length {len(iv)}: must be a non-zero multiple "
            f"of the block size {block_size}"
        )


def ecb_encrypt(cipher: BlockCipher, data: bytes) -> bytes:
    """Encrypt whole blocks in ECB mode."""
    n = cipher.block_size
    _check_whole_blocks(data, n, "ECB")
    encrypt = cipher.encrypt_block
    return b"".join(encrypt(data[i : i + n]) for i in range(0, len(data), n))


def ecb_decrypt(cipher: BlockCipher, data: bytes) -> bytes:
    """Decrypt whole blocks in ECB mode."""
    n = cipher.block_size
    _check_whole_blocks(data, n, "ECB")
    decrypt = cipher.decrypt_block
    return b"".join(decrypt(data[i : i + n]) for i in range(0, len(data), n))


def cbc_encrypt(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Encrypt whole blocks in CBC mode with an IV of z >= 1 blocks."""
    n = cipher.block_size
    _check_whole_blocks(data, n, "CBC")
    _check_register(iv, n, "CBC")
    register = iv
    out = []
    for i in range(0, len(data), n):
        block = cipher.encrypt_block(_xor(data[i : i + n], register[:n]))
        out.append(block)
        register = register[n:] + block
    return b"".join(out)


def cbc_decrypt(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Decrypt whole blocks in CBC mode with an IV of z >= 1 blocks."""
    n = cipher.block_size
    _check_whole_blocks(data, n, "CBC")
    _check_register(iv, n, "CBC")
    register = iv
    out = []
    for i in range(0, len(data), n):
        block = data[i : i + n]
        out.append(_xor(cipher.decrypt_block(block), register[:n]))
        register = register[n:] + block
    return b"".join(out)


def _counter_gamma(cipher: BlockCipher, counter: int, blocks: int) -> bytes:
    n = cipher.block_size
    modulus = 1 << (8 * n)
    encrypt = cipher.encrypt_block
    return b"".join(
        encrypt(((counter + i) % modulus).to_bytes(n, "big")) for i in range(blocks)
    )


def ctr(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Encrypt or decrypt in CTR mode; `iv` is half a block.

    The first counter block is iv || 0...0 and counts up modulo 2^n, as in
    GOST R 34.13-2015.
    """
    n = cipher.block_size
    if len(iv) != n // 2:
        raise GostKeySizeError(
            f"invalid CTR IV length {len(iv)}: must be half the block size, "
            f"{n // 2} bytes"
        )
    counter = int.from_bytes(iv + bytes(n // 2), "big")
    gamma = _counter_gamma(cipher, counter, -(-len(data) // n))
    return _xor(data, gamma)


def ofb(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Encrypt or decrypt in OFB mode with an IV of z >= 1 blocks."""
    n = cipher.block_size
    _check_register(iv, n, "OFB")
    register = iv
    gamma = []
    for _ in range(-(-len(data) // n)):
        block = cipher.encrypt_block(register[:n])
        gamma.append(block)
        register = register[n:] + block
    return _xor(data, b"".join(gamma))


def cfb_encrypt(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Encrypt in CFB mode (s = n) with an IV of z >= 1 blocks.

    A last partial block uses the leading bytes of its gamma block.
    """
    n = cipher.block_size
    _check_register(iv, n, "CFB")
    register = iv
    out = []
    for i in range(0, len(data), n):
        block = _xor(data[i : i + n], cipher.encrypt_block(register[:n]))
        out.append(block)
        register = register[n:] + block
    return b"".join(out)


def cfb_decrypt(cipher: BlockCipher, iv: bytes, data: bytes) -> bytes:
    """Decrypt in CFB mode (s = n) with an IV of z >= 1 blocks."""
    n = cipher.block_size
    _check_register(iv, n, "CFB")
    register = iv
    out = []
    for i in range(0, len(data), n):
        block = data[i : i + n]
        out.append(_xor(block, cipher.encrypt_block(register[:n])))
        register = register[n:] + block
    return b"".join(out)


def _shift_subkey(value: int, bits: int) -> int:
    """Double a MAC subkey: shift left by one, reduce by B_n on overflow."""
    reduction = 0x87 if bits == 128 else 0x1B
    value <<= 1
    if value >> bits:
        value = (value ^ reduction) & ((1 << bits) - 1)
    return value


def omac(cipher: BlockCipher, data: bytes, size: int) -> bytes:
    """Return the GOST R 34.13-2015 MAC of `data`, `size` bytes long.

    Subkeys K1, K2 come from E(0) as the standard defines. A complete last block
    is masked with K1, a padded one (1 then zeros) with K2. Empty data is one
    padded block.
    """
    n = cipher.block_size
    if n not in (8, 16):
        raise ValueError(f"unsupported MAC block size {n}: expected 8 or 16")
    if not 1 <= size <= n:
        raise ValueError(f"invalid MAC size {size}: must be 1 to {n} bytes")
    bits = 8 * n
    r = int.from_bytes(cipher.encrypt_block(bytes(n)), "big")
    k1 = _shift_subkey(r, bits)
    k2 = _shift_subkey(k1, bits)

    tail_length = len(data) % n
    if data and tail_length == 0:
        head, last, mask = data[:-n], data[-n:], k1
    else:
        head = data[: len(data) - tail_length]
        last = data[len(data) - tail_length :] + b"\x80" + bytes(n - tail_length - 1)
        mask = k2

    state = 0
    encrypt = cipher.encrypt_block
    for i in range(0, len(head), n):
        block = state ^ int.from_bytes(head[i : i + n], "big")
        state = int.from_bytes(encrypt(block.to_bytes(n, "big")), "big")
    block = state ^ int.from_bytes(last, "big") ^ mask
    return encrypt(block.to_bytes(n, "big"))[:size]


def _acpkm_next_key(cipher: BlockCipher) -> bytes:
    """Return the next section key: E_K of the blocks of 0x80, 0x81, .. 0x9F."""
    constant = bytes(range(0x80, 0xA0))
    return ecb_encrypt(cipher, constant)


def ctr_acpkm(cipher: BlockCipher, iv: bytes, data: bytes, section_size: int) -> bytes:
    """Encrypt or decrypt in CTR-ACPKM mode (RFC 8645).

    The counter runs as in `ctr`; after every `section_size` bytes the key
    is replaced by ACPKM(K). The cipher class must take the 32-byte key as
    its only argument (Kuznyechik, Magma).
    """
    n = cipher.block_size
    if len(iv) != n // 2:
        raise GostKeySizeError(
            f"invalid CTR-ACPKM IV length {len(iv)}: must be half the block "
            f"size, {n // 2} bytes"
        )
    if section_size <= 0 or section_size % n:
        raise ValueError(
            f"invalid ACPKM section size {section_size}: must be a positive "
            f"multiple of the block size {n}"
        )
    cipher_class = type(cipher)
    counter = int.from_bytes(iv + bytes(n // 2), "big")
    blocks_per_section = section_size // n
    out = []
    current = cipher
    for start in range(0, len(data), section_size):
        if start:
            current = cipher_class(_acpkm_next_key(current))  # type: ignore[call-arg]
        chunk = data[start : start + section_size]
        gamma = _counter_gamma(current, counter, -(-len(chunk) // n))
        out.append(_xor(chunk, gamma))
        counter += blocks_per_section
    return b"".join(out)


# Constant C of the CryptoPro key meshing (RFC 4357), which the meshing
# "decrypts" under the current key to get the next key.
_KEY_MESHING_CONSTANT = bytes.fromhex(
    "6900722264c904238d3adb9646e92ac418feac9400ed0712c086dcc2ef4ca92b"
)
_MESHING_INTERVAL = 1024


def _mesh(cipher: Gost28147, register: bytes, sbox: str) -> tuple[Gost28147, bytes]:
    """Apply the CryptoPro key meshing: new key and new feedback register."""
    new_key = ecb_decrypt(cipher, _KEY_MESHING_CONSTANT)
    meshed = Gost28147(new_key, sbox)
    return meshed, meshed.encrypt_block(register)


def _gost28147_cfb(
    key: bytes, iv: bytes, data: bytes, sbox: str, key_meshing: bool, decrypt: bool
) -> bytes:
    if len(iv) != 8:
        raise GostKeySizeError(
            f"invalid GOST 28147-89 CFB IV length {len(iv)}: must be 8 bytes"
        )
    cipher = Gost28147(key, sbox)
    register = int.from_bytes(iv, "little")
    out = []
    for i in range(0, len(data), 8):
        if key_meshing and i and i % _MESHING_INTERVAL == 0:
            cipher, meshed = _mesh(cipher, register.to_bytes(8, "little"), sbox)
            register = int.from_bytes(meshed, "little")
        block = data[i : i + 8]
        value = int.from_bytes(block, "little")
        gamma = cipher.encrypt_int(register)
        result = value ^ gamma
        if len(block) < 8:
            # Only the leading bytes of the gamma apply to a partial block.
            result &= (1 << (8 * len(block))) - 1
        out.append(result.to_bytes(len(block), "little"))
        register = value if decrypt else result
    return b"".join(out)


def gost28147_cfb_encrypt(
    key: bytes,
    iv: bytes,
    data: bytes,
    sbox: str = "id-tc26-gost-28147-param-Z",
    *,
    key_meshing: bool = True,
) -> bytes:
    """Encrypt with GOST 28147-89 in CFB mode, by default with key meshing.

    With `key_meshing` the key and feedback register change after every 1024
    bytes (CryptoPro key meshing, RFC 4357 section 2.3), as OpenSSL's
    `gost89` cipher does; without it this is plain 28147-89 CFB.
    """
    return _gost28147_cfb(key, iv, data, sbox, key_meshing, decrypt=False)


def gost28147_cfb_decrypt(
    key: bytes,
    iv: bytes,
    data: bytes,
    sbox: str = "id-tc26-gost-28147-param-Z",
    *,
    key_meshing: bool = True,
) -> bytes:
    """Decrypt what `gost28147_cfb_encrypt` produced with the same options."""
    return _gost28147_cfb(key, iv, data, sbox, key_meshing, decrypt=True)


def gost28147_imit(
    key: bytes,
    data: bytes,
    iv: bytes = b"\0" * 8,
    sbox: str = "id-tc26-gost-28147-param-Z",
    *,
    key_meshing: bool = False,
) -> bytes:
    """Return the 4-byte GOST 28147-89 IMIT (MAC) of `data`.

    The state starts at `iv`; a last partial block is zero-padded, and data
    of one block or less gets a second, all-zero block, as RFC 4357 and
    OpenSSL's `gost-mac` do. With `key_meshing`, the key (not the state) is
    replaced by the CryptoPro key meshing after every 1024 bytes, as
    `gost-mac` does; the key wraps never reach that length.
    """
    if len(iv) != 8:
        raise GostKeySizeError(
            f"invalid GOST 28147-89 IMIT IV length {len(iv)}: must be 8 bytes"
        )
    cipher = Gost28147(key, sbox)
    padded = data + bytes(-len(data) % 8)
    if len(padded) <= 8:
        padded = padded.ljust(16, b"\0")
    state = iv
    for i in range(0, len(padded), 8):
        if key_meshing and i and i % _MESHING_INTERVAL == 0:
            # Only the key changes: the MAC state is not treated as an IV.
            cipher = Gost28147(ecb_decrypt(cipher, _KEY_MESHING_CONSTANT), sbox)
        state = cipher.mac_block(_xor(state, padded[i : i + 8]))
    return state[:4]
