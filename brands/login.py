"""Staff sign-in with a password: a session is an ordinary API token with a short life, so the
console and scripts authenticate the same way (a bearer header; no cookie, so no cross-site
request can ride on a session). Failures are counted per brand and user name in Redis, and a
user name with too many is locked out until `login_lock_minutes` after its last failure,
whether or not it exists, so the lock-out does not tell which names do."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from brands import audit, passwords
from brands.errors import InvalidCredentials, LoginLocked
from brands.models import ApiToken, Brand, Staff
from brands.service import Principal, hash_token, issue_token
from infra.db import utcnow
from infra.redis import brand_key, get_redis
from infra.settings import get_settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SignedIn:
    token: str  # shown once; only its hash is stored
    expires_at: datetime
    staff: Staff
    brand: Brand


def set_password(session: Session, staff: Staff, password: str) -> None:
    passwords.check_policy(password, username=staff.username)
    staff.password_hash = passwords.hash_password(password)
    session.flush()


def check_password(staff: Staff, password: str) -> None:
    """For a signed-in staff member confirming who they are (before a password change)."""
    if not passwords.verify(staff.password_hash, password):
        raise InvalidCredentials("the current password is wrong")


def sign_in(session: Session, *, brand: str, username: str, password: str) -> SignedIn:
    settings = get_settings()
    b = session.scalar(select(Brand).where(Brand.slug == brand))
    staff = (
        session.scalar(select(Staff).where(Staff.brand_id == b.id, Staff.username == username))
        if b
        else None
    )
    key = _failures_key(b.id, username) if b else None
    client = get_redis()
    if key is not None and int(client.get(key) or 0) >= settings.login_max_failures:
        wait = max(1, int(client.ttl(key)))
        raise LoginLocked("too many failed sign-ins; try again later", retry_after=wait)
    hashed = staff.password_hash if staff else None
    # verify() first, whoever is missing: an unknown name costs a hash as a wrong password does
    # (the other tests only narrow types; verify() is already False without a hash).
    if not passwords.verify(hashed, password) or staff is None or hashed is None or b is None:
        if key is not None:  # counted in one transaction: a count never outlives its expiry
            pipe = client.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, settings.login_lock_minutes * 60)
            pipe.execute()
        log.info("sign_in_failed", brand=brand, username=username)
        raise InvalidCredentials("the brand, user name or password is wrong")
    if key is not None:
        client.delete(key)
    if passwords.needs_rehash(hashed):
        staff.password_hash = passwords.hash_password(password)
    token = issue_token(
        session, staff=staff, name="sign-in", ttl=timedelta(hours=settings.session_hours)
    )
    expires_at = session.scalar(
        select(ApiToken.expires_at).where(ApiToken.token_hash == hash_token(token))
    )
    assert expires_at is not None  # issue_token was given a ttl
    who = Principal(b.id, staff.id, staff.username, staff.role)
    audit.record(session, who, action="sign in", target={})
    log.info("signed_in", brand_id=b.id, staff_id=staff.id)
    return SignedIn(token, expires_at, staff, b)


def sign_out(session: Session, token: str) -> None:
    """Revoke the session's token (a token already revoked stays so)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def _failures_key(brand_id: int, username: str) -> str:
    # Hashed: a user name may hold any character, a key should not.
    name = hashlib.sha256(username.casefold().encode()).hexdigest()[:24]
    return brand_key(brand_id, "login", "failures", name)
