"""Field accounts, invite codes, store sign-up, and the signed tokens their apps carry.

Tokens are JWTs (PyJWT, HS256) signed with a key derived from the master key; they carry the
brand, the account and its role, and expire. An account can be revoked, which its next call sees.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.errors import CredentialNotFound, InvalidToken, RoleRequired, UnknownReference
from brands.models import FIELD_ROLES, FieldAccount, InviteCode, Store
from brands.service import add_store, dealer_by_code
from infra.db import utcnow
from infra.errors import Conflict, InvalidInput
from infra.secrets import derived_key

TOKEN_TTL = timedelta(days=30)
_INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class InvalidInvite(InvalidInput):
    """The invite code is unknown, used up or expired."""

    code = "INVALID_INVITE"


class AlreadyRegistered(Conflict):
    """This WeChat account already has a field account in the brand."""

    code = "ALREADY_REGISTERED"


@dataclass(frozen=True)
class FieldPrincipal:
    brand_id: int
    account_id: int
    role: str
    store_id: int | None

    def require(self, role: str) -> None:
        if self.role != role:
            raise RoleRequired(f"this needs a {role} account, not a {self.role}", role=self.role)


def add_account(
    session: Session,
    *,
    brand_id: int,
    role: str,
    openid: str,
    name: str = "",
    store_id: int | None = None,
    dealer_id: int | None = None,
) -> FieldAccount:
    if role not in FIELD_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(FIELD_ROLES)}", role=role)
    exists = session.scalar(
        select(FieldAccount.id).where(
            FieldAccount.brand_id == brand_id,
            FieldAccount.role == role,
            FieldAccount.openid == openid,
        )
    )
    if exists is not None:
        raise AlreadyRegistered(f"this WeChat user is already a {role}", role=role)
    account = FieldAccount(
        brand_id=brand_id,
        role=role,
        openid=openid,
        name=name,
        store_id=store_id,
        dealer_id=dealer_id,
    )
    session.add(account)
    session.flush()
    return account


def issue_token(account: FieldAccount, *, ttl: timedelta = TOKEN_TTL) -> str:
    now = utcnow()
    claims = {
        "sub": str(account.id),
        "brand": account.brand_id,
        "role": account.role,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, derived_key("field-tokens"), algorithm="HS256")


def authenticate(session: Session, token: str) -> FieldPrincipal:
    try:
        claims = jwt.decode(
            token,
            derived_key("field-tokens"),
            algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("field token expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("invalid field token") from None
    account = session.get(FieldAccount, int(claims["sub"]))
    if account is None or account.brand_id != claims.get("brand"):
        raise InvalidToken("invalid field token")
    if account.revoked_at is not None:
        raise InvalidToken("this account was revoked")
    return FieldPrincipal(account.brand_id, account.id, account.role, account.store_id)


def store_id_by_code(session: Session, *, brand_id: int, code: str) -> int:
    store_id = session.scalar(
        select(Store.id).where(Store.brand_id == brand_id, Store.code == code)
    )
    if store_id is None:
        raise UnknownReference(f"brand has no store {code!r}", store=code)
    return store_id


def create_invite(
    session: Session,
    *,
    brand_id: int,
    salesperson_id: int | None = None,
    dealer_code: str | None = None,
) -> InviteCode:
    dealer_id = (
        dealer_by_code(session, brand_id=brand_id, code=dealer_code) if dealer_code else None
    )
    if salesperson_id is not None:
        person = session.get(FieldAccount, salesperson_id)
        if person is None or person.brand_id != brand_id or person.role != "salesperson":
            raise UnknownReference("no such salesperson", salesperson_id=salesperson_id)
        dealer_id = dealer_id or person.dealer_id
    if salesperson_id is None and dealer_id is None:
        raise InvalidInput("an invite comes from a salesperson or a dealer")
    invite = InviteCode(
        code="".join(secrets.choice(_INVITE_ALPHABET) for _ in range(8)),
        brand_id=brand_id,
        salesperson_id=salesperson_id,
        dealer_id=dealer_id,
    )
    session.add(invite)
    session.flush()
    return invite


def register_store(
    session: Session,
    *,
    invite_code: str,
    openid: str,
    store_name: str,
    region_code: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> tuple[Store, FieldAccount]:
    """A store owner signs up with an invite: store -> salesperson -> dealer are bound."""
    invite = session.get(InviteCode, invite_code.strip().upper())
    if invite is None:
        raise InvalidInvite("unknown invite code")
    store = add_store(
        session,
        brand_id=invite.brand_id,
        code="S-" + secrets.token_hex(4).upper(),
        name=store_name,
        region_code=region_code,
        latitude=latitude,
        longitude=longitude,
    )
    # The invite names the channel: store -> salesperson -> dealer.
    store.dealer_id, store.salesperson_id = invite.dealer_id, invite.salesperson_id
    session.flush()
    owner = add_account(
        session,
        brand_id=invite.brand_id,
        role="store_owner",
        openid=openid,
        name=store_name,
        store_id=store.id,
        dealer_id=invite.dealer_id,
    )
    return store, owner


def revoke_account(session: Session, *, brand_id: int, account_id: int) -> None:
    """Refuse the account's token from its next call on (a revoked account stays so)."""
    account = session.get(FieldAccount, account_id)
    if account is None or account.brand_id != brand_id:
        raise CredentialNotFound("no such field account in this brand", account_id=account_id)
    if account.revoked_at is None:
        account.revoked_at = utcnow()
        session.flush()
