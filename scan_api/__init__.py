"""The HTTP service that consumers' mini-programs, WeChat scans and dealers' PDAs call."""

from fastapi import APIRouter

from scan_api import consumer, routes

router = APIRouter()
router.include_router(routes.router)
router.include_router(consumer.router)

__all__ = ["router"]
