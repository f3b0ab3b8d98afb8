"""The brand staff's console and its JSON API. So far: codes and campaigns."""

from fastapi import APIRouter

from admin import campaigns, codes, field

router = APIRouter()
router.include_router(codes.router)
router.include_router(campaigns.router)
router.include_router(field.router)

__all__ = ["router"]
