"""Staff passwords: Argon2id through argon2-cffi (the reference implementation's binding; the
hash OWASP recommends first), with its RFC 9106 parameters. Only the encoded hash is stored,
and a hash made with older parameters is upgraded at the next sign-in."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from brands.errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 128  # hashing is deliberately slow: an unbounded input would be a cheap DoS


@lru_cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_policy(password: str, *, username: str = "") -> None:
    """Long enough, not absurdly long, and not the user name (NIST SP 800-63B: length over
    composition rules)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if username and username.casefold() in password.casefold():
        raise WeakPassword("a password must not contain the user name")
    if len(set(password)) < 4:
        raise WeakPassword("a password needs more than a few distinct characters")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(encoded: str | None, password: str) -> bool:
    """Whether `password` matches; a missing or unreadable hash never matches. Without a hash
    a dummy one is checked, so an unknown user costs as much time as a wrong password."""
    try:
        return _hasher().verify(encoded or _dummy(), password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    return _hasher().check_needs_rehash(encoded)


@lru_cache
def _dummy() -> str:
    return _hasher().hash("not a password anyone has")
