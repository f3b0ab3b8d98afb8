"""The audit log: who changed what through the admin API, and when.

Written by the admin layer's authentication for every request that may change something
(anything but GET and HEAD), in the request's own transaction: an action that fails rolls its
entry back with it, and one that succeeds cannot commit without its entry. A sign-in writes
its own (brands/login.py). Reads are not logged. Campaigns keep their own before/after
history besides (rewards/campaigns.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.models import AuditEntry
from brands.service import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def record(session: Session, who: Principal, *, action: str, target: dict[str, Any]) -> None:
    session.add(
        AuditEntry(
            brand_id=who.brand_id,
            staff_id=who.staff_id,
            actor=who.username,
            role=who.role,
            action=action[:200],
            target=target,
        )
    )


def entries(
    session: Session,
    *,
    brand_id: int,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The brand's entries, newest first."""
    q = select(AuditEntry).where(AuditEntry.brand_id == brand_id)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if since:
        q = q.where(AuditEntry.at >= since)
    return list(
        session.scalars(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    )
