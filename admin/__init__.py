"""The brand staff's console and its JSON API: codes, campaigns, the field, and money."""

from fastapi import APIRouter

from admin import campaigns, codes, field, payouts

router = APIRouter()
router.include_router(codes.router)
router.include_router(campaigns.router)
router.include_router(field.router)
router.include_router(payouts.router)

__all__ = ["router"]
