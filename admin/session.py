"""Signing in and out of the console: a password exchanged for a short-lived bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from admin.deps import PrincipalDep, TokenDep
from admin.tabular import TabularRoute
from brands import login
from brands.errors import InvalidCredentials, InvalidToken, LoginLocked, WeakPassword
from brands.models import Staff
from infra.web import SessionDep, error_responses

router = APIRouter(route_class=TabularRoute, prefix="/v1/admin/session", tags=["admin: session"])


class SignInIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"brand": "demo-beer", "username": "alice", "password": "a long one"}]
        }
    )
    brand: str = Field(min_length=1, max_length=40, description="The brand's slug.")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown once.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme's name, not a secret)
    expires_at: datetime
    brand: str
    username: str
    display_name: str
    role: str


class WhoOut(BaseModel):
    brand_id: int
    username: str
    role: str


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post(
    "",
    status_code=201,
    responses=error_responses(InvalidCredentials, LoginLocked),
)
def sign_in(body: SignInIn, session: SessionDep) -> SessionOut:
    """Sign in with a password. After `ONECODE_LOGIN_MAX_FAILURES` failures for one user name,
    each within `ONECODE_LOGIN_LOCK_MINUTES` of the one before, it is locked out until that
    many minutes after the last (`Retry-After` says how long)."""
    done = login.sign_in(session, brand=body.brand, username=body.username, password=body.password)
    return SessionOut(
        token=done.token,
        expires_at=done.expires_at,
        brand=done.brand.slug,
        username=done.staff.username,
        display_name=done.staff.display_name,
        role=done.staff.role,
    )


@router.get("", responses=error_responses(InvalidToken))
def who_am_i(who: PrincipalDep) -> WhoOut:
    """The signed-in staff member."""
    return WhoOut(brand_id=who.brand_id, username=who.username, role=who.role)


@router.delete("", status_code=204, responses=error_responses(InvalidToken))
def sign_out(who: PrincipalDep, token: TokenDep, session: SessionDep) -> Response:
    """End this session: its token is revoked at once."""
    login.sign_out(session, token)
    return Response(status_code=204)


@router.post(
    "/password",
    status_code=204,
    responses=error_responses(InvalidToken, InvalidCredentials, WeakPassword),
)
def change_password(body: PasswordIn, who: PrincipalDep, session: SessionDep) -> Response:
    """Change one's own password; the current one must be given again."""
    staff = session.get(Staff, who.staff_id)
    assert staff is not None  # the token was just resolved to them
    login.check_password(staff, body.current_password)
    login.set_password(session, staff, body.new_password)
    return Response(status_code=204)
