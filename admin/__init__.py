"""The brand staff's console and its JSON API: codes, campaigns, the field, money and risk."""

from pathlib import Path

from fastapi import APIRouter

from admin import (
    audit,
    campaigns,
    channel,
    codes,
    dashboard,
    epcis,
    field,
    payouts,
    risk,
    session,
)

router = APIRouter()
router.include_router(session.router)
router.include_router(codes.router)
router.include_router(campaigns.router)
router.include_router(field.router)
router.include_router(payouts.router)
router.include_router(risk.router)
router.include_router(audit.router)
router.include_router(dashboard.router)
router.include_router(channel.router)
router.include_router(epcis.router)

# The console's pages (static files over this JSON API), served by onecode/app.py at /console.
CONSOLE_DIR = Path(__file__).parent / "console"

__all__ = ["CONSOLE_DIR", "router"]
