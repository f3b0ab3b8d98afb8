"""Brand code keys: created at random, stored wrapped under the master key, cached per process.

The master key comes from `ONECODE_MASTER_KEY` (base64 of 32 bytes). The embedded setup creates
`data_dir/master.key` on first use instead, readable by its owner only; never commit it.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

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
from infra.settings import get_settings

log = get_logger(__name__)


@lru_cache
def master_key() -> bytes:
    settings = get_settings()
    if settings.master_key is not None:
        raw = base64.b64decode(settings.master_key.get_secret_value())
    else:
        path = settings.data_dir / "master.key"
        if not path.exists():
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.b64encode(os.urandom(32)).decode())
            log.warning(
                "master_key_created", path=str(path), hint="set ONECODE_MASTER_KEY in production"
            )
        raw = base64.b64decode(path.read_text().strip())
    if len(raw) != 32:
        raise ValueError("the master key must be 32 bytes (base64 encoded)")
    return raw


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
    """A new key under a random unused key id (ids are not handed out in order)."""
    used = set(session.scalars(select(CodeKey.key_id)))
    if len(used) >= KEY_ID_SPACE:
        raise KeySpaceExhausted("every key id is taken")
    while True:
        key_id = int_to_key_id(secrets.randbelow(KEY_ID_SPACE))
        if key_id not in used:
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
    """key id -> (brand, cipher), loaded once so verifying a code reads no database.

    An unknown key id reloads from the database at most every `refresh_seconds`, so a flood of
    forged codes cannot turn into a flood of queries. It sees committed keys only.
    """

    def __init__(self, refresh_seconds: float = 5.0) -> None:
        self._entries: dict[str, KeyEntry] = {}
        self._loaded_at = float("-inf")
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()

    def reload(self) -> None:
        with get_sessionmaker()() as session:
            rows = session.execute(select(CodeKey.key_id, CodeKey.brand_id, CodeKey.wrapped_key))
            entries = {k: KeyEntry(b, unwrap(w, k)) for k, b, w in rows}
        with self._lock:
            self._entries = entries
            self._loaded_at = time.monotonic()

    def entry(self, key_id: str) -> KeyEntry | None:
        found = self._entries.get(key_id)
        if found is None and time.monotonic() - self._loaded_at >= self._refresh_seconds:
            self.reload()
            found = self._entries.get(key_id)
        return found

    def cipher(self, key_id: str) -> tuple[int, Radix32FF1] | None:
        entry = self.entry(key_id)
        if entry is None:
            return None
        return entry.brand_id, thread_cipher(key_id, entry.secret)

    def forget(self) -> None:
        with self._lock:
            self._entries = {}
            self._loaded_at = float("-inf")


_local = threading.local()


def thread_cipher(key_id: str, secret: bytes) -> Radix32FF1:
    """This thread's cipher for a key: an AES context must not be shared between threads."""
    ciphers: dict[tuple[str, bytes], Radix32FF1] = _local.__dict__.setdefault("ciphers", {})
    cipher = ciphers.get((key_id, secret))
    if cipher is None:
        cipher = ciphers[(key_id, secret)] = Radix32FF1(secret)
    return cipher


keyring = KeyRing()
