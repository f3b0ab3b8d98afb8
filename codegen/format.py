"""The printed code: 19 characters of Crockford base 32, e.g. `7KQ-M3XW…` shown as 4-4-4-4-3.

    KKK BBBBBBBBBBBBBBB C
    |   |               +-- Luhn mod 32 check character over the 18 before it
    |   +-- FF1(brand key, redundancy(35 bits)=0 || serial(40 bits)): 15 characters, 75 bits
    +-- key id: which brand key sealed it (32,768 ids, never reused across brands)

Why these choices (docs/codes.md has the full argument):
- Crockford's alphabet has no I, L, O or U, so nothing reads as 1 or 0; on input O is read as 0 and
  I/L as 1, and case, spaces and dashes are ignored. Every character is in the QR alphanumeric set,
  so the scan URL in upper case stays in alphanumeric mode.
- A random 15-character body decrypts to a random 75-bit value; it is a code only if its top 35
  bits are zero: probability 2^-35 ≈ 2.9e-11, under the 1e-10 bound, checked with no database.
- Luhn mod N catches every single-character substitution (and most adjacent swaps) with
  certainty; the fixed length catches insertions and deletions.
- The key id is in clear so the verifier knows which key to use; distinct key ids make codes of
  different brands, and of one brand's rotated keys, distinct for ever.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RADIX = 32
KEY_ID_LENGTH = 3
BODY_LENGTH = 15
CODE_LENGTH = KEY_ID_LENGTH + BODY_LENGTH + 1
SERIAL_BITS = 40
MAX_SERIAL = (1 << SERIAL_BITS) - 1
REDUNDANCY_BITS = 75 - SERIAL_BITS
KEY_ID_SPACE = RADIX**KEY_ID_LENGTH

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# The scan path runs these on every code, so they stay in C: str.translate, re and int(s, 32).
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None, "\t": None})
_WELL_FORMED = re.compile(f"[{re.escape(ALPHABET)}]{{{CODE_LENGTH}}}")
_TO_BASE32 = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")


def _doubled(v: int) -> int:
    """Luhn mod N: a doubled value contributes the sum of its base-N digits."""
    return (2 * v) // RADIX + (2 * v) % RADIX


# Luhn addends as characters, so that summing them is `sum(bytes)`.
_PLAIN = dict(_VALUE)
_AS_PLAIN = str.maketrans({ch: chr(v) for ch, v in _VALUE.items()})
_AS_DOUBLED = str.maketrans({ch: chr(_doubled(v)) for ch, v in _VALUE.items()})


def normalize(text: str) -> str | None:
    """Upper-case, drop separators, read O as 0 and I/L as 1; None if it cannot be a code."""
    if len(text) > 4 * CODE_LENGTH:
        return None
    s = text.upper().translate(_READ_AS)
    return s if _WELL_FORMED.fullmatch(s) else None


def luhn_check_value(values: list[int]) -> int:
    """Luhn mod N check value for `values` (most significant first)."""
    total = 0
    factor = 2
    for v in reversed(values):
        total += _doubled(v) if factor == 2 else v
        factor = 3 - factor
    return (RADIX - total % RADIX) % RADIX


def key_id_to_int(key_id: str) -> int:
    value = 0
    for ch in key_id:
        value = value * RADIX + _VALUE[ch]
    return value


def int_to_key_id(value: int) -> str:
    if not 0 <= value < KEY_ID_SPACE:
        raise ValueError("key id out of range")
    return "".join(ALPHABET[(value >> (5 * (KEY_ID_LENGTH - 1 - j))) & 31] for j in range(3))


def assemble(key_id: str, body: int) -> str:
    """Key id + 75-bit ciphertext -> the 19-character code with its check character."""
    values = [_VALUE[ch] for ch in key_id]
    values += [(body >> (5 * (BODY_LENGTH - 1 - j))) & 31 for j in range(BODY_LENGTH)]
    values.append(luhn_check_value(values))
    return "".join(ALPHABET[v] for v in values)


def split(code: str) -> tuple[str, int] | None:
    """A normalized code -> (key id, 75-bit ciphertext), or None if its check character is wrong."""
    # Luhn from the right of the payload: the last payload character doubled, then every other.
    last = CODE_LENGTH - 2
    total = sum(code[last::-2].translate(_AS_DOUBLED).encode())
    total += sum(code[last - 1 :: -2].translate(_AS_PLAIN).encode())
    if (RADIX - total % RADIX) % RADIX != _PLAIN[code[-1]]:
        return None
    return code[:KEY_ID_LENGTH], int(code[KEY_ID_LENGTH:-1].translate(_TO_BASE32), 32)


def display(code: str) -> str:
    """Grouped for people: `ABCD-EFGH-JKMN-PQRS-TVW`."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- vectorized, for print files -------------------------------------------------------------

_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
# Luhn: the doubled contribution of each value, so the check needs no branches.
_DOUBLED = np.array([_doubled(v) for v in range(RADIX)], dtype=np.uint32)


def assemble_many(
    key_id: str, high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint8]:
    """Ciphertexts split as (top 35 bits, low 40 bits) -> an (n, 19) array of ASCII code bytes."""
    n = len(low)
    values = np.empty((n, CODE_LENGTH), dtype=np.uint8)
    for j, ch in enumerate(key_id):
        values[:, j] = _VALUE[ch]
    for j in range(7):  # top 35 bits: 7 characters
        values[:, KEY_ID_LENGTH + j] = (high >> np.uint64(5 * (6 - j))) & np.uint64(31)
    for j in range(8):  # low 40 bits: 8 characters
        values[:, KEY_ID_LENGTH + 7 + j] = (low >> np.uint64(5 * (7 - j))) & np.uint64(31)
    payload = values[:, :-1]
    # Rightmost payload value is doubled, then every other one going left.
    doubled = _DOUBLED[payload[:, -1::-2]].sum(axis=1, dtype=np.uint32)
    plain = payload[:, -2::-2].sum(axis=1, dtype=np.uint32)
    values[:, -1] = (RADIX - (doubled + plain) % RADIX) % RADIX
    result: npt.NDArray[np.uint8] = _ALPHABET_BYTES[values]
    return result
