"""Guessing codes at scale is refused: an address past the limit of codes that are not genuine
gets 429 with Retry-After, on the scan and verify endpoints, while other addresses go on. So
are scans faster than a person (per account) and a brand past its scans a second."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from codegen import format as fmt
from infra.db import session_scope
from infra.settings import get_settings
from onecode.app import create_app
from rewards import recorder
from rewards.models import ScanRecord
from risk import guessing
from tests.conftest import BrandCtx
from tests.helpers import code, issue

LIMIT = 5


@pytest.fixture
def from_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ONECODE_GUESS_LIMIT", str(LIMIT))
    get_settings.cache_clear()
    address = f"198.51.100.{random.randrange(1, 255)}"
    with TestClient(create_app(), client=(address, 40000)) as c:
        yield c
    guessing.forget()
    monkeypatch.undo()
    get_settings.cache_clear()


def _forged(key_id: str, n: int) -> str:
    return fmt.assemble(key_id, 10**12 + n)  # well-formed, right check character, never sealed


def test_an_address_guessing_codes_is_refused_for_a_while(
    from_address: TestClient, client: TestClient, brand: BrandCtx
) -> None:
    real = code(brand.id, issue(brand.id, "cap", 1), 0)
    for n in range(LIMIT):
        r = from_address.post(
            "/v1/scan/consumer", json={"code": _forged(real[:3], n), "openid": "o"}
        )
        assert (r.status_code, r.json()["outcome"]) == (200, "not_genuine")
    r = from_address.get(f"/v1/codes/{_forged(real[:3], 99)}/verify")
    assert (r.status_code, r.json()["error"]["code"]) == (429, "TOO_MANY_GUESSES")
    assert 0 < int(r.headers["Retry-After"]) <= 600
    # blocked for everything now, a genuine code too, and on every endpoint that checks codes
    for refused in (
        from_address.post("/v1/scan/consumer", json={"code": real, "openid": "o"}),
        from_address.get(f"/c/{real}"),
    ):
        assert refused.status_code == 429
    # another address is not touched
    assert client.get(f"/v1/codes/{real}/verify").json()["genuine"] is True


def test_typos_count_and_every_process_learns_of_the_block(
    from_address: TestClient, brand: BrandCtx
) -> None:
    real = code(brand.id, issue(brand.id, "cap", 1), 0)
    typo = real[:-1] + ("0" if real[-1] != "0" else "1")
    for _ in range(LIMIT):
        assert from_address.get(f"/v1/codes/{typo}/verify").json()["error"]["code"] == (
            "CODE_CHECK_FAILED"
        )
    assert from_address.get(f"/v1/codes/{typo}/verify").status_code == 429
    guessing.forget()  # as another API process, which has not seen this address yet
    assert from_address.get(f"/v1/codes/{real}/verify").status_code == 200
    # its first refusal finds the shared count over the limit
    assert from_address.get(f"/v1/codes/{typo}/verify").status_code == 429
    assert from_address.get(f"/v1/codes/{real}/verify").status_code == 429


def test_an_account_scanning_faster_than_a_person_is_rate_limited(
    client: TestClient, brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_scan_api import _running

    batch = _running(client, brand)
    monkeypatch.setenv("ONECODE_SCAN_LIMIT_ACCOUNT_10M", "3")
    get_settings.cache_clear()
    try:
        answers = [
            client.post(
                "/v1/scan/consumer", json={"code": code(brand.id, batch, i), "openid": "bot"}
            )
            for i in range(5)
        ]
        other = client.post(
            "/v1/scan/consumer", json={"code": code(brand.id, batch, 5), "openid": "o"}
        )
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["error"]["code"] == "RATE_LIMITED"
    assert answers[3].json()["error"]["details"]["limit"] == "account"
    assert int(answers[3].headers["Retry-After"]) > 0
    assert other.json()["outcome"] == "won"  # another account is not touched
    # the refused scans claimed nothing: their codes are still there for someone else
    late = client.post("/v1/scan/consumer", json={"code": code(brand.id, batch, 4), "openid": "o2"})
    assert late.json()["outcome"] == "won"
    # and they are on the record, as risk sees them
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        refused = s.scalars(
            select(ScanRecord).where(ScanRecord.brand_id == brand.id, ScanRecord.openid == "bot")
        ).all()
    limited = [r for r in refused if r.outcome == "rate_limited"]
    assert len(limited) == 2
    assert all(r.risk and r.risk["action"] == "rate_limited" for r in limited)
    assert all("rate_limit_account" in r.risk["reasons"] for r in limited if r.risk)


def test_a_brand_past_its_scans_a_second_is_shed_and_others_are_not(
    make_brand: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from risk.limits import RateLimited
    from tests.test_consumer_scan import SHANGHAI_NOON, _scan, _setup

    flooded, other = make_brand(), make_brand()
    flooded_caps, other_caps = _setup(flooded), _setup(other)
    monkeypatch.setenv("ONECODE_SCAN_LIMIT_BRAND_PER_SECOND", "3")
    get_settings.cache_clear()
    try:
        # Five consumers of one brand in the same second (the scans' clock is fixed).
        outcomes = []
        for i in range(5):
            try:
                outcomes.append(_scan(flooded, flooded_caps, i, f"fan-{i}").outcome)
            except RateLimited as exc:
                outcomes.append(f"429 {exc.details['limit']} retry {exc.details['retry_after']}")
        elsewhere = _scan(other, other_caps, 0, "calm").outcome
        later = _scan(flooded, flooded_caps, 4, "fan-4", now=SHANGHAI_NOON + timedelta(seconds=1))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert outcomes == ["won", "won", "won", "429 brand retry 1", "429 brand retry 1"]
    assert elsewhere == "won"  # another brand is not touched
    assert later.outcome == "won"  # the next second, and the shed code was not claimed
