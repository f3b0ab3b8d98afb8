"""The brand staff's console and its JSON API: codes, campaigns, the field, money and risk."""

from fastapi import APIRouter

from admin import audit, campaigns, codes, field, payouts, risk, session

router = APIRouter()
router.include_router(session.router)
router.include_router(codes.router)
router.include_router(campaigns.router)
router.include_router(field.router)
router.include_router(payouts.router)
router.include_router(risk.router)
router.include_router(audit.router)

__all__ = ["router"]
