"""Admin API for the audit log: who changed what, newest first. Brand admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from admin.deps import roles
from admin.tabular import TabularRoute
from brands import audit
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from infra.web import SessionDep, error_responses

router = APIRouter(route_class=TabularRoute, prefix="/v1/admin/audit", tags=["admin: audit"])


class AuditEntryOut(BaseModel):
    at: datetime
    actor: str
    role: str
    action: str
    target: dict[str, Any]


@router.get("", responses=error_responses(InvalidToken, RoleRequired))
def audit_log(
    who: Annotated[Principal, roles()],  # brand admins only
    session: SessionDep,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[AuditEntryOut]:
    """Changes made through the admin API (every request but GET), newest first."""
    rows = audit.entries(session, brand_id=who.brand_id, actor=actor, since=since, limit=limit)
    return [
        AuditEntryOut(at=r.at, actor=r.actor, role=r.role, action=r.action, target=r.target)
        for r in rows
    ]
