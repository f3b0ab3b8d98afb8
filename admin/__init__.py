"""The brand staff's console and its JSON API. So far: codes and campaigns."""

from fastapi import APIRouter

from admin import campaigns, codes

router = APIRouter()
router.include_router(codes.router)
router.include_router(campaigns.router)

__all__ = ["router"]
