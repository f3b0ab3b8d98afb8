"""Brand code keys: created at random, stored wrapped under the master key (infra.secrets),
cached per process."""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from codegen.errors import KeySpaceExhausted, MasterKeyMismatch
from codegen.ff1 import Radix32FF1
from codegen.format import KEY_ID_SPACE, int_to_key_id
from codegen.models import CodeKey
from infra.db import get_sessionmaker, utcnow
from infra.logging import get_logger
from infra.secrets import master_key

log = get_logger(__name__)


def _aad(key_id: str) -> bytes:
    return b"onecode/code-key/" + key_id.encode()


def wrap(key: bytes, key_id: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(master_key()).encrypt(nonce, key, _aad(key_id))


def unwrap(blob: bytes, key_id: str) -> bytes:
    try:
        return AESGCM(master_key()).decrypt(blob[:12], blob[12:], _aad(key_id))
    except InvalidTag:
        raise MasterKeyMismatch(
            f"code key {key_id} cannot be unwrapped: ONECODE_MASTER_KEY is not the one it was "
            "created under",
            key_id=key_id,
        ) from None


def create_key(session: Session, *, brand_id: int) -> CodeKey:
    """A new key under a random unused key id (ids are not handed out in order). An id this
    process's ring has just seen forged is passed over: the ring would refuse the new key's codes
    until the miss it remembers ran out."""
    used = set(session.scalars(select(CodeKey.key_id)))
    if len(used) >= KEY_ID_SPACE:
        raise KeySpaceExhausted("every key id is taken")
    for tries in itertools.count():
        key_id = int_to_key_id(secrets.randbelow(KEY_ID_SPACE))
        if key_id not in used and (tries > 10_000 or not keyring.missed(key_id)):
            break
    row = CodeKey(key_id=key_id, brand_id=brand_id, wrapped_key=wrap(os.urandom(32), key_id))
    session.add(row)
    session.flush()
    return row


def active_key(session: Session, *, brand_id: int) -> CodeKey:
    """The brand's newest unretired key, created on first use."""
    row = session.scalar(
        select(CodeKey)
        .where(CodeKey.brand_id == brand_id, CodeKey.retired_at.is_(None))
        .order_by(CodeKey.created_at.desc(), CodeKey.key_id)
        .limit(1)
    )
    return row if row is not None else create_key(session, brand_id=brand_id)


def rotate_key(session: Session, *, brand_id: int) -> CodeKey:
    """New batches use a new key; codes sealed by the old one stay valid."""
    session.execute(
        update(CodeKey)
        .where(CodeKey.brand_id == brand_id, CodeKey.retired_at.is_(None))
        .values(retired_at=utcnow())
    )
    return create_key(session, brand_id=brand_id)


@dataclass(frozen=True)
class KeyEntry:
    brand_id: int
    secret: bytes


class KeyRing:
    """key id -> (brand, secret), cached so that verifying a code reads no database.

    A key id the ring does not know is looked up once, by primary key, and a miss is remembered
    for `miss_seconds`; lookups in all are a token bucket (`lookups_per_second`, bursts of
    `burst`), so a flood of forged codes under random key ids cannot become a flood of queries.
    A key created a moment ago is still found on its first use, unless such a flood is on.
    """

    def __init__(
        self, miss_seconds: float = 30.0, lookups_per_second: float = 100.0, burst: int = 20
    ) -> None:
        self._entries: dict[str, KeyEntry] = {}
        self._misses: dict[str, float] = {}
        self._miss_seconds = miss_seconds
        self._rate = lookups_per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._refilled_at = time.monotonic()
        self._lock = threading.Lock()

    def reload(self) -> None:
        """Load every key, e.g. when a process starts. A key that the master key cannot unwrap
        is logged and left out: its codes fail to verify, the other brands' codes do not."""
        entries = {}
        with get_sessionmaker()() as session:
            rows = session.execute(select(CodeKey.key_id, CodeKey.brand_id, CodeKey.wrapped_key))
            for key_id, brand_id, wrapped in rows:
                try:
                    entries[key_id] = KeyEntry(brand_id, unwrap(wrapped, key_id))
                except MasterKeyMismatch:
                    log.error("code_key_unreadable", key_id=key_id, brand_id=brand_id)
        with self._lock:
            self._entries = entries
            self._misses = {}

    def entry(self, key_id: str) -> KeyEntry | None:
        found = self._entries.get(key_id)
        if found is not None:
            return found
        # One lookup at a time: threads that miss the same new key wait, then find its entry.
        with self._lock:
            found = self._entries.get(key_id)
            if found is not None:
                return found
            now = time.monotonic()
            if now - self._misses.get(key_id, float("-inf")) < self._miss_seconds:
                return None
            self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
            self._refilled_at = now
            if self._tokens < 1:
                return None
            self._tokens -= 1
            with get_sessionmaker()() as session:
                row = session.get(CodeKey, key_id)
                if row is None:
                    self._misses[key_id] = now
                    return None
                found = KeyEntry(row.brand_id, unwrap(row.wrapped_key, key_id))
            self._entries[key_id] = found
            return found

    def cipher(self, key_id: str) -> tuple[int, Radix32FF1] | None:
        entry = self.entry(key_id)
        if entry is None:
            return None
        return entry.brand_id, thread_cipher(key_id, entry.secret)

    def missed(self, key_id: str) -> bool:
        """Whether a lookup of `key_id` found nothing a moment ago (and would not look again)."""
        seen = self._misses.get(key_id)
        return seen is not None and time.monotonic() - seen < self._miss_seconds

    def forget_miss(self, key_id: str) -> None:
        """The key exists after all (it was found in a transaction that was still open)."""
        with self._lock:
            self._misses.pop(key_id, None)

    def forget(self) -> None:
        with self._lock:
            self._entries = {}
            self._misses = {}


_local = threading.local()


def thread_cipher(key_id: str, secret: bytes) -> Radix32FF1:
    """This thread's cipher for a key: an AES context must not be shared between threads."""
    ciphers: dict[tuple[str, bytes], Radix32FF1] = _local.__dict__.setdefault("ciphers", {})
    cipher = ciphers.get((key_id, secret))
    if cipher is None:
        cipher = ciphers[(key_id, secret)] = Radix32FF1(secret)
    return cipher


keyring = KeyRing()
