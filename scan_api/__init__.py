"""The HTTP service that consumers' mini-programs, WeChat scans and dealers' PDAs call."""

from fastapi import APIRouter

from scan_api import consumer, dealer, field, payout_notify, routes, wallet

router = APIRouter()
router.include_router(routes.router)
router.include_router(consumer.router)
router.include_router(field.router)
router.include_router(dealer.router)
router.include_router(wallet.router)
router.include_router(payout_notify.router)

__all__ = ["router"]
