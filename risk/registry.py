"""Versioned models per brand: save a candidate, promote it, roll back; and the active model to
serve.

Promoting bumps the brand's configuration version (the same signal that reloads campaigns), so
every process picks the new model up with the brand's snapshot on its next scan, with no extra
round trip. A model that
fails to load (corrupt text, wrong checksum, other features) is logged and left out: the rules
still apply, and the scan never fails for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.errors import Conflict, InvalidInput, NotFound
from infra.redis import bump_config_after_commit
from risk.features import FEATURES
from risk.model import ModelInvalid, TreeModel, checksum, from_json
from risk.models import RiskModel

log = structlog.get_logger(__name__)


class ModelNotFound(NotFound):
    """No model of that version for this brand."""

    code = "RISK_MODEL_NOT_FOUND"


class NothingToRollBack(Conflict):
    """Rolling back needs a model that was active before the current one."""

    code = "RISK_NO_PREVIOUS_MODEL"


def save(
    session: Session,
    *,
    brand_id: int,
    model_json: str,
    metrics: dict[str, Any],
    trained_on: dict[str, Any],
) -> RiskModel:
    """Store a candidate (checked first: a model that cannot load is never stored)."""
    try:
        from_json(model_json, expected_features=FEATURES)
    except ModelInvalid as exc:
        raise InvalidInput(str(exc)) from None
    last = session.scalar(select(func.max(RiskModel.version)).where(RiskModel.brand_id == brand_id))
    row = RiskModel(
        brand_id=brand_id,
        version=(last or 0) + 1,
        state="candidate",
        model_json=model_json,
        sha256=checksum(model_json),
        metrics=metrics,
        trained_on=trained_on,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, *, brand_id: int, version: int) -> RiskModel:
    row = session.scalar(
        select(RiskModel).where(RiskModel.brand_id == brand_id, RiskModel.version == version)
    )
    if row is None:
        raise ModelNotFound("no such model version", version=version)
    return row


def listing(session: Session, *, brand_id: int) -> list[RiskModel]:
    return list(
        session.scalars(
            select(RiskModel).where(RiskModel.brand_id == brand_id).order_by(RiskModel.version)
        )
    )


def promote(session: Session, *, brand_id: int, version: int, actor: str) -> RiskModel:
    row = get(session, brand_id=brand_id, version=version)
    for current in session.scalars(
        select(RiskModel)
        .where(RiskModel.brand_id == brand_id, RiskModel.state == "active")
        .with_for_update()
    ):
        current.state = "retired"
    row.state, row.promoted_at, row.promoted_by = "active", datetime.now(UTC), actor
    bump_config_after_commit(session, brand_id)
    log.info("risk_model_promoted", brand_id=brand_id, version=version, actor=actor)
    return row


def rollback(session: Session, *, brand_id: int, actor: str) -> RiskModel:
    """Promote again the model that was active before the current one."""
    previous = session.scalar(
        select(RiskModel)
        .where(
            RiskModel.brand_id == brand_id,
            RiskModel.state == "retired",
            RiskModel.promoted_at.is_not(None),
        )
        .order_by(RiskModel.promoted_at.desc(), RiskModel.version.desc())
        .limit(1)
    )
    if previous is None:
        raise NothingToRollBack("no model was active before this one")
    return promote(session, brand_id=brand_id, version=previous.version, actor=actor)


@dataclass(frozen=True)
class Served:
    version: int | None
    model: TreeModel | None
    problem: str = ""  # why no model is served: "" (none promoted) or "model_unavailable"


def active(session: Session, *, brand_id: int) -> Served:
    """The model to serve: the active version, or none (and why). Never raises for a bad model:
    the scan path loads it with the brand's snapshot (rewards/snapshot.py), so a new version is
    served from the first scan after a promotion, as a campaign change is."""
    row = session.scalar(
        select(RiskModel).where(RiskModel.brand_id == brand_id, RiskModel.state == "active")
    )
    if row is None:
        return Served(None, None)
    try:
        if checksum(row.model_json) != row.sha256:
            raise ModelInvalid("the stored model does not match its checksum")
        return Served(row.version, from_json(row.model_json, expected_features=FEATURES))
    except ModelInvalid as exc:
        log.error("risk_model_unusable", brand_id=brand_id, version=row.version, error=str(exc))
        return Served(row.version, None, "model_unavailable")
