"""Money is never lost or doubled: a prize announced survives the API dying before the write,
and the database refuses a second award for one code even if Redis forgets its claim."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select

from infra.db import session_scope
from infra.redis import brand_key, get_redis
from rewards import recorder
from rewards.models import Award
from tests.conftest import BrandCtx
from tests.helpers import code
from tests.test_consumer_scan import _scan, _setup

# Scans, prints what it answered, then dies at once: no recorder ran, nothing was written.
_DIE_AFTER_ANSWERING = """
import json, os, signal, sys
from rewards import consumer_scan
from rewards.consumer_scan import ConsumerScan
answers = []
for i, code in enumerate(sys.argv[1:]):
    a = consumer_scan.scan(ConsumerScan(code=code, openid=f"k-{i}"))
    answers.append([a.scan_id, a.outcome, a.prize.amount_fen if a.prize else 0])
print(json.dumps(answers), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_prizes_announced_survive_the_api_being_killed(brand: BrandCtx) -> None:
    batch = _setup(
        brand,
        prize_table={
            "tiers": [
                {"key": "cash-188", "kind": "cash", "amount_fen": 188, "probability": 0.5},
            ]
        },
    )
    codes = [code(brand.id, batch, i) for i in range(40)]
    died = subprocess.run(
        [sys.executable, "-c", _DIE_AFTER_ANSWERING, *codes],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert died.returncode == -9, died.stderr[-2000:]
    answers = json.loads(died.stdout)
    announced = {scan_id: fen for scan_id, outcome, fen in answers if outcome == "won"}
    assert announced  # at odds of one half, 40 scans win something
    while recorder.drain(brand.id):  # another process picks up what the dead one left
        pass
    with session_scope() as s:
        paid = dict(
            s.execute(select(Award.id, Award.amount_fen).where(Award.brand_id == brand.id)).all()
        )
    assert paid == announced


def test_the_ledger_refuses_a_second_award_when_redis_forgets_a_claim(brand: BrandCtx) -> None:
    batch = _setup(brand)
    assert _scan(brand, batch, 0, "first").outcome == "won"
    while recorder.drain(brand.id):
        pass
    get_redis().delete(brand_key(brand.id, "claims", batch))  # Redis lost its claims
    assert _scan(brand, batch, 0, "second").outcome == "won"  # so it awards the code again…
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        awards = s.scalars(select(Award.beneficiary).where(Award.brand_id == brand.id)).all()
        count = s.scalar(select(func.count()).select_from(Award).where(Award.brand_id == brand.id))
    assert list(awards) == ["first"]  # …but the ledger pays it once
    assert count == 1

    # Both wins of one code in the same drained chunk: the first in the stream is kept.
    assert _scan(brand, batch, 1, "early").outcome == "won"
    get_redis().delete(brand_key(brand.id, "claims", batch))
    assert _scan(brand, batch, 1, "late").outcome == "won"
    assert recorder.drain(brand.id) == 2
    with session_scope() as s:
        awarded = s.scalars(
            select(Award.beneficiary).where(
                Award.brand_id == brand.id, Award.beneficiary.in_(["early", "late"])
            )
        ).all()
    assert list(awarded) == ["early"]
