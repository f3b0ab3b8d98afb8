"""Sealing serials into codes and opening codes back into serials, with no database read."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy.orm import Session

from codegen import format as fmt, gs1
from codegen.errors import CodeCheckFailed, CodeNotGenuine, MalformedCode, NotAnItemLink
from codegen.keys import KeyRing, keyring, thread_cipher, unwrap
from codegen.models import CodeKey
from infra.errors import InvalidInput

# The scan URL printed in every QR: any scheme and host, then /C/<code> (any case).
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]+/c/([^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)


class SealedCode(NamedTuple):
    """A genuine code, opened. (A NamedTuple: the scan path makes one per scan.)"""

    code: str
    key_id: str
    brand_id: int
    serial: int


def extract(text: str) -> str:
    """The code inside what a scanner sent: onecode's URL (`…/C/<code>`), a GS1 Digital Link,
    EPC URN or element string whose serial (AI 21) is the code, or the code itself.

    Raises MalformedDigitalLink for a broken Digital Link, and NotAnItemLink for one that names
    no single item (a GTIN alone, or an SSCC: `codegen.resolve` reads those, with a database).
    """
    if "/" not in text and ":" not in text:  # a typed or pasted code: the common case
        if not gs1.looks_like_element_string(text):
            return text
        link = gs1.parse_element_string(text)
    else:
        match = _URL.match(text.strip())
        if match:
            return match.group(1)
        if not (gs1.looks_like_link(text) or text.lstrip().lower().startswith("urn:epc:id:")):
            return text
        link = gs1.parse_identifier(text)
    if link.serial is None:
        what = "an SSCC names a case or pallet" if link.sscc else "a GTIN alone names a product"
        raise NotAnItemLink(f"{what}, not one item: scan the item's own code", uri=text[:200])
    return link.serial


def printed(text: str) -> str | None:
    """A code, or any link to it, as printed (no dashes, spaces or lower case), without
    checking it; None if it cannot be one."""
    try:
        return fmt.normalize(extract(text))
    except InvalidInput:
        return None


def open_code(text: str, ring: KeyRing = keyring, session: Session | None = None) -> SealedCode:
    """Check format, check character and seal; raise a specific error for each failure.

    With a `session`, a key that the ring does not know yet (created in that session's open
    transaction) is looked up there.
    """
    raw = extract(text)
    code = fmt.normalize(raw)
    if code is None:
        raise MalformedCode(
            f"a code is {fmt.CODE_LENGTH} characters of {fmt.ALPHABET}", value=raw[:64]
        )
    parts = fmt.split(code)
    if parts is None:
        raise CodeCheckFailed("check character does not match: please re-check the code", code=code)
    key_id, body = parts
    found = ring.cipher(key_id)
    if found is None and session is not None:
        row = session.get(CodeKey, key_id)
        if row is not None:
            found = row.brand_id, thread_cipher(key_id, secret_of(row))
            ring.forget_miss(key_id)  # or the ring would refuse it for a while after the commit
    if found is None:
        raise CodeNotGenuine("this is not a genuine code", code=code)
    brand_id, cipher = found
    plain = cipher.decrypt(body)
    if plain > fmt.MAX_SERIAL:  # the 35 redundancy bits are not all zero
        raise CodeNotGenuine("this is not a genuine code", code=code)
    return SealedCode(code, key_id, brand_id, plain)


def secret_of(key: CodeKey) -> bytes:
    return _unwrap_cached(key.key_id, key.wrapped_key)


@lru_cache(maxsize=1024)
def _unwrap_cached(key_id: str, wrapped: bytes) -> bytes:
    return unwrap(wrapped, key_id)


def seal(key: CodeKey, serial: int) -> str:
    if not 0 <= serial <= fmt.MAX_SERIAL:
        raise ValueError("serial out of range")
    return fmt.assemble(key.key_id, thread_cipher(key.key_id, secret_of(key)).encrypt(serial))
