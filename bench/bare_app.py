"""The real app plus one bare endpoint that only validates the consumer-scan body: the baseline
the scan is measured against, served by the same process with the same settings."""

from __future__ import annotations

from fastapi import FastAPI

from onecode.app import create_app
from scan_api.consumer import ConsumerScanIn

app: FastAPI = create_app()


@app.post("/bench/bare")
async def bare(body: ConsumerScanIn) -> dict[str, str]:
    return {"outcome": "thanks", "code": body.code}
