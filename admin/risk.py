"""Admin API for risk: model versions (promote, roll back), rings to review, diversion alerts
and the per-dealer report. Risk analysts act; finance and campaign managers read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from admin.deps import roles
from admin.tabular import TabularRoute
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from infra.web import SessionDep, error_responses
from risk import diversion, graph, registry
from risk.graph import RingNotFound
from risk.models import DiversionAlert, RiskModel, RiskRing
from risk.registry import ModelNotFound, NothingToRollBack

router = APIRouter(route_class=TabularRoute, prefix="/v1/admin/risk", tags=["admin: risk"])
ANALYSTS = ("risk_analyst",)
READERS = ("risk_analyst", "finance", "campaign_manager")
_AUTH = (InvalidToken, RoleRequired)


class ModelOut(BaseModel):
    version: int
    state: str = Field(description="candidate, active or retired.")
    created_at: datetime
    promoted_at: datetime | None
    promoted_by: str
    sha256: str
    metrics: dict[str, Any] = Field(
        description="On the time-ordered hold-out: precision, recall, pr_auc, fraud_fen_stopped, "
        "honest_fen_withheld at the hold threshold, and suggested_hold (docs/risk.md)."
    )
    trained_on: dict[str, Any]


class RingOut(BaseModel):
    id: int
    found_at: datetime
    size: int = Field(description="Accounts in the ring.")
    density: float
    accounts: list[str]
    devices: list[str]
    networks: list[str]
    evidence: dict[str, Any]
    status: str = Field(description="open, confirmed or dismissed.")
    reviewed_by: str
    reviewed_at: datetime | None


class RingReviewIn(BaseModel):
    verdict: Literal["confirm", "dismiss"] = Field(
        description="confirm: members are labelled fraud and blocked from their next scan; "
        "dismiss: labelled honest and no longer flagged."
    )


class AlertOut(BaseModel):
    id: int
    case_code: str
    dealer_id: int
    expected_regions: list[str] = Field(description="The dealer's authorized region codes.")
    observed: list[dict[str, Any]] = Field(
        description="Where its bottles were scanned outside: region, name, scans, kinds."
    )
    scans_outside: int
    scans_located: int
    score: float
    first_at: datetime
    last_at: datetime
    found_at: datetime
    status: str


def _model(m: RiskModel) -> ModelOut:
    return ModelOut.model_validate(m, from_attributes=True)


@router.get("/models", responses=error_responses(*_AUTH))
def list_models(session: SessionDep, who: Annotated[Principal, roles(*READERS)]) -> list[ModelOut]:
    """The brand's model versions, oldest first, with their hold-out metrics."""
    return [_model(m) for m in registry.listing(session, brand_id=who.brand_id)]


@router.post("/models/{version}/promote", responses=error_responses(*_AUTH, ModelNotFound))
def promote_model(
    version: int, session: SessionDep, who: Annotated[Principal, roles(*ANALYSTS)]
) -> ModelOut:
    """Serve this version from every API process's next scan."""
    row = registry.promote(session, brand_id=who.brand_id, version=version, actor=who.username)
    return _model(row)


@router.post("/models/rollback", responses=error_responses(*_AUTH, NothingToRollBack))
def rollback_model(session: SessionDep, who: Annotated[Principal, roles(*ANALYSTS)]) -> ModelOut:
    """Serve again the version that was active before the current one."""
    return _model(registry.rollback(session, brand_id=who.brand_id, actor=who.username))


@router.get("/rings", responses=error_responses(*_AUTH))
def list_rings(
    session: SessionDep,
    who: Annotated[Principal, roles(*READERS)],
    status: Literal["open", "confirmed", "dismissed"] | None = Query(
        None, description="Only rings in this state."
    ),
) -> list[RingOut]:
    """Rings the graph job found, largest first."""
    query = select(RiskRing).where(RiskRing.brand_id == who.brand_id)
    if status is not None:
        query = query.where(RiskRing.status == status)
    rows = session.scalars(query.order_by(RiskRing.size.desc(), RiskRing.id))
    return [RingOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/rings/{ring_id}/review", responses=error_responses(*_AUTH, RingNotFound))
def review_ring(
    ring_id: int,
    body: RingReviewIn,
    session: SessionDep,
    who: Annotated[Principal, roles(*ANALYSTS)],
) -> RingOut:
    """Confirm or dismiss a ring; the verdict labels its accounts for training."""
    ring = graph.review(
        session,
        brand_id=who.brand_id,
        ring_id=ring_id,
        confirmed=body.verdict == "confirm",
        actor=who.username,
        now=datetime.now(UTC),
    )
    return RingOut.model_validate(ring, from_attributes=True)


@router.get("/diversion/alerts", responses=error_responses(*_AUTH))
def diversion_alerts(
    session: SessionDep,
    who: Annotated[Principal, roles(*READERS)],
    dealer_id: int | None = Query(None, description="Only this dealer's cases."),
) -> list[AlertOut]:
    """Cases whose bottles were scanned outside their dealer's regions, newest evidence first
    (the workers' `risk` queue refreshes them; `onecode risk diversion` does it now)."""
    query = select(DiversionAlert).where(DiversionAlert.brand_id == who.brand_id)
    if dealer_id is not None:
        query = query.where(DiversionAlert.dealer_id == dealer_id)
    rows = session.scalars(query.order_by(DiversionAlert.last_at.desc(), DiversionAlert.id))
    return [AlertOut.model_validate(a, from_attributes=True) for a in rows]


@router.get("/diversion/dealers", responses=error_responses(*_AUTH))
def diversion_dealers(
    session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> list[dict[str, Any]]:
    """Per dealer: cases shipped, with scans and alerted; the share of its evidence outside its
    regions (its diversion score); whether that marks it as diverting; where its goods went."""
    return diversion.dealer_report(session, brand_id=who.brand_id)
