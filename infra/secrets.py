"""The master key and the keys derived from it.

The master key comes from `ONECODE_MASTER_KEY` (base64 of 32 bytes). The embedded setup creates
`data_dir/master.key` on first use instead, readable by its owner only; never commit it.
Purpose-specific keys (token signing, …) are derived with HKDF, so one secret is configured.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


@lru_cache
def derived_key(purpose: str) -> bytes:
    """A 32-byte key for one purpose, e.g. "field-tokens"; rotating the master key rotates it."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"onecode/" + purpose.encode()).derive(
        master_key()
    )
