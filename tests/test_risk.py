"""Risk: features as computed in Redis, rules and policy, the model and its fallbacks, rings,
regions, diversion and training, on the real pipeline and a small simulated market."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker
from sklearn.ensemble import GradientBoostingClassifier
from sqlalchemy import func, select, update

import risk
from brands import service as brands
from codegen.models import CodeBatch
from infra.db import session_scope
from infra.redis import get_queue_redis, get_redis
from infra.settings import get_settings
from rewards import consumer_scan
from rewards.consumer_scan import ConsumerScan
from rewards.models import ScanRecord
from risk import diversion, graph, jobs, regions, registry, training
from risk.features import (
    FEATURES,
    INDEX,
    UNKNOWN,
    ScanFacts,
    case_key,
    observe,
    padded,
)
from risk.model import ModelInvalid, from_json, from_sklearn
from risk.models import DiversionAlert, RiskModel, RiskRing
from risk.policy import Policy
from simulator import play, traffic, world
from tests.conftest import BrandCtx, auth
from tests.helpers import code
from tests.test_consumer_scan import _setup

T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in China
WECHAT = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50 MiniProgramEnv/android"


def _facts(brand_id: int, at: datetime, **kw: object) -> ScanFacts:
    base: dict[str, object] = {
        "brand_id": brand_id,
        "campaign_id": 1,
        "scan_id": f"s{at.timestamp()}{kw.get('openid', 'a')}{kw.get('serial', 0)}",
        "openid": "a",
        "device_id": "d1",
        "ip": "10.0.0.1",
        "latitude": None,
        "longitude": None,
        "user_agent": WECHAT,
        "batch_id": 7,
        "serial": 100,
        "at_ms": int(at.timestamp() * 1000),
        "case_key": "9:1",
        "pallet_key": "",
        "wins_key": f"oc:{{b{brand_id}}}:wins:test",
    }
    return ScanFacts(**(base | kw))  # type: ignore[arg-type]


def _x(brand_id: int, at: datetime, **kw: object) -> dict[str, float]:
    values, _ = observe(get_redis(), _facts(brand_id, at, **kw), nearest_store_km=None)
    return dict(zip(FEATURES, values, strict=True))


def test_windows_distinct_counts_and_neighbouring_codes(brand: BrandCtx) -> None:
    b = brand.id
    for i in range(5):  # one account, five caps a minute apart, from one case
        x = _x(b, T0 + timedelta(minutes=i), serial=100 + i)
    assert (x["acct_scans_10m"], x["acct_scans_1h"], x["acct_scans_24h"]) == (4, 4, 4)
    assert x["adjacent_codes"] == 4  # the four caps before are within a case's length
    assert x["acct_scans_ever"] == 4
    assert x["mins_since_last"] == pytest.approx(1.0)
    assert x["acct_cases"] == 1
    later = _x(b, T0 + timedelta(hours=2), serial=5000, case_key="9:2")
    assert (later["acct_scans_10m"], later["acct_scans_1h"], later["acct_scans_24h"]) == (0, 0, 5)
    assert later["adjacent_codes"] == 0
    assert later["acct_cases"] == 2  # caps of two cases
    week_on = _x(b, T0 + timedelta(days=8), serial=9000, case_key="9:3")
    assert (week_on["acct_scans_24h"], week_on["acct_cases"]) == (0, 1)  # the week forgotten
    assert week_on["acct_scans_ever"] == 6
    for n in range(6):  # an account farm on one phone
        y = _x(b, T0 + timedelta(minutes=10 + n), openid=f"farm-{n}", device_id="phone")
    assert y["dev_accounts"] == 6
    assert y["case_accounts"] >= 6
    assert _x(b, T0, openid="farm-0", device_id="other")["acct_devices"] == 2
    ips = [_x(b, T0, openid=f"n{n}", ip=f"36.1.2.{n}", device_id=f"dn{n}") for n in range(3)]
    assert [v["net_accounts"] for v in ips] == [1, 2, 3]
    assert ips[-1]["ip_accounts"] == 1
    assert (
        _x(b, T0, openid="emu", user_agent="Dalvik sdk_gphone_x86 MicroMessenger")["ua_emulator"]
        == 1
    )


def test_an_account_carries_the_busiest_phone_it_was_on_to_its_own(brand: BrandCtx) -> None:
    b = brand.id
    own = _x(b, T0, openid="w1", device_id="w1-phone")
    assert own["acct_device_peak"] == 1  # its own phone, itself on it
    for n in range(2, 9):  # an organiser's phone logs in seven other accounts, then w1
        _x(b, T0 + timedelta(minutes=n), openid=f"w{n}", device_id="boss")
    on_boss = _x(b, T0 + timedelta(minutes=20), openid="w1", device_id="boss", serial=101)
    assert (on_boss["dev_accounts"], on_boss["acct_device_peak"]) == (8, 8)
    back = _x(b, T0 + timedelta(days=2), openid="w1", device_id="w1-phone", serial=102)
    assert (back["dev_accounts"], back["acct_device_peak"]) == (1, 8)
    fifth = _x(b, T0 + timedelta(days=2), openid="w5", device_id="w5-phone", serial=103)
    assert fifth["acct_device_peak"] == 4  # as the phone counted when w5 was on it


def test_an_account_counts_the_caps_it_scanned_that_never_left_the_warehouse(
    brand: BrandCtx,
) -> None:
    b = brand.id
    get_redis().hset(case_key(b, "9:2"), "shipped", int(T0.timestamp() * 1000))
    get_redis().hset(case_key(b, "8:1"), "shipped", int(T0.timestamp() * 1000))
    seen = [
        _x(b, T0 + timedelta(minutes=i), openid="leak", serial=200 + i, **where)["acct_unshipped"]
        for i, where in enumerate(
            [
                {"case_key": "9:1"},  # a known case nobody shipped
                {"case_key": "9:2"},  # shipped
                {"case_key": "9:3", "pallet_key": "8:1"},  # its pallet shipped
                {"case_key": ""},  # a code packed in no known case: nothing to say
                {"case_key": "9:4"},
            ]
        )
    ]
    assert seen == [1, 1, 1, 1, 2]


def test_a_scan_is_placed_where_its_network_usually_is_and_measured_from_its_case(
    brand: BrandCtx,
) -> None:
    b = brand.id
    shipped = int(T0.timestamp() * 1000)
    get_redis().hset(case_key(b, "9:5"), mapping={"shipped": shipped, "lat": 23.13, "lon": 113.26})
    where = {"case_key": "9:5", "device_id": ""}
    assert _x(b, T0, openid="u0", ip="36.9.9.50", **where)["net_km_from_shipped"] == -1
    for n in range(3):  # three people in Beijing on one /24 send their position
        _x(b, T0, openid=f"bj{n}", ip=f"36.9.9.{n + 1}", latitude=39.9, longitude=116.4, **where)
    unplaced = _x(b, T0, openid="u1", ip="36.9.9.77", serial=101, **where)
    assert unplaced["has_location"] == 0
    assert unplaced["km_from_shipped"] == -1
    assert unplaced["net_km_from_shipped"] == pytest.approx(1890, rel=0.02)  # to Guangzhou
    # ... and where the case's caps were scanned: in Beijing, so the case was sold there
    assert unplaced["km_from_case_scans"] == pytest.approx(0, abs=1)
    far = _x(b, T0, openid="gz", ip="", latitude=23.13, longitude=113.26, serial=102, **where)
    assert far["km_from_case_scans"] == pytest.approx(1890, rel=0.02)
    assert far["net_km_from_shipped"] == -1  # no network
    other_case = {"case_key": "9:7", "device_id": ""}
    assert _x(b, T0, openid="u4", ip="36.9.9.79", **other_case)["km_from_case_scans"] == -1
    for n in range(2):  # two located scans are not yet a network's place
        _x(b, T0, openid=f"sh{n}", ip=f"58.2.2.{n + 1}", latitude=31.2, longitude=121.5, **where)
    assert _x(b, T0, openid="u2", ip="58.2.2.9", **where)["net_km_from_shipped"] == -1
    spread = [(39.9, 116.4), (23.13, 113.26), (31.2, 121.5)]  # a carrier's addresses, anywhere
    for n, (lat, lon) in enumerate(spread):
        _x(b, T0, openid=f"m{n}", ip=f"61.3.3.{n + 1}", latitude=lat, longitude=lon, **where)
    assert _x(b, T0, openid="u5", ip="61.3.3.9", **where)["net_km_from_shipped"] == -1
    unshipped = {"case_key": "9:6", "device_id": ""}
    assert _x(b, T0, openid="u3", ip="36.9.9.78", **unshipped)["net_km_from_shipped"] == -1


def test_distance_speed_hour_and_what_is_unknown(brand: BrandCtx) -> None:
    b = brand.id
    first = _x(b, T0, openid="t", latitude=23.13, longitude=113.26)  # Guangzhou
    assert first["km_since_last"] == -1
    assert first["hour_local"] == 12
    assert first["hours_since_shipped"] == -1
    assert first["ua_not_wechat"] == 0
    hop = _x(b, T0 + timedelta(minutes=30), openid="t", latitude=39.9, longitude=116.4)
    assert hop["km_since_last"] == pytest.approx(1890, rel=0.02)  # to Beijing in half an hour
    assert hop["kmh_since_last"] > 3000
    quiet = _x(b, T0, openid="nobody", user_agent="")
    assert (quiet["has_location"], quiet["ua_not_wechat"]) == (0, 1)


def _x_with(**values: float) -> list[float]:
    x = [0.0] * len(FEATURES)
    for name, v in values.items():
        x[INDEX[name]] = v
    return x


def test_rules_and_policy_choose_the_strongest_action() -> None:
    none = registry.Served(None, None)
    assert risk.decide(_x_with(), Policy(), none).action == "pass"
    farm = risk.decide(_x_with(dev_accounts=12, ua_emulator=1), Policy(), none)
    assert (farm.action, farm.reasons) == ("block", ("device_farm", "emulator"))
    assert risk.decide(_x_with(ring_size=5), Policy(), none).action == "hold"
    assert risk.decide(_x_with(ring_size=5, ring_confirmed=1), Policy(), none).action == "block"
    assert risk.decide(_x_with(dev_accounts=12), Policy(rules=False), none).action == "pass"
    p = Policy(lower=0.2, challenge=0.4, hold=0.6, block=0.9)
    assert [p.action(s) for s in (0.1, 0.3, 0.5, 0.7, 0.95)] == [
        "pass",
        "lower",
        "challenge",
        "hold",
        "block",
    ]
    with pytest.raises(ValueError, match="rise"):
        Policy(hold=0.9, block=0.5)


def _fitted(seed: int = 0) -> GradientBoostingClassifier:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, len(FEATURES))) * 5
    y = (x[:, INDEX["dev_accounts"]] + x[:, INDEX["acct_scans_10m"]] > 2).astype(int)
    return GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=seed).fit(x, y)


def test_exported_trees_score_exactly_as_scikit_learn() -> None:
    gb = _fitted()
    model = from_json(from_sklearn(gb, FEATURES).to_json(), expected_features=FEATURES)
    rows = np.random.default_rng(9).normal(size=(300, len(FEATURES))) * 5
    ours = np.array([model.score(list(r)) for r in rows])
    assert np.abs(ours - gb.predict_proba(rows)[:, 1]).max() < 1e-12


def test_a_model_from_before_the_newest_features_scores_on_those_it_knows() -> None:
    older = FEATURES[:-1]
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, len(older))) * 5
    gb = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(
        x, (x[:, INDEX["dev_accounts"]] > 1).astype(int)
    )
    model = from_json(from_sklearn(gb, older).to_json(), expected_features=FEATURES)
    rows = rng.normal(size=(50, len(older))) * 5
    ours = [model.score([*r, 123.0]) for r in rows]  # today's rows carry one feature more
    assert np.abs(np.array(ours) - gb.predict_proba(rows)[:, 1]).max() < 1e-12
    shuffled = (FEATURES[1], FEATURES[0], *FEATURES[2:-1])
    with pytest.raises(ModelInvalid, match="other features"):
        from_json(from_sklearn(gb, shuffled).to_json(), expected_features=FEATURES)
    assert padded([1.0] * len(older)) == [1.0] * len(older) + [UNKNOWN]
    assert padded([1.0] * (len(FEATURES) + 1)) is None
    assert padded([]) is None


@pytest.mark.parametrize(
    "text",
    ["", "{", '{"format": "other"}', '{"format": "onecode-gbt/1", "features": ["a"]}', "null"],
)
def test_a_corrupt_model_is_refused_with_its_own_error(text: str) -> None:
    with pytest.raises(ModelInvalid):
        from_json(text, expected_features=FEATURES)


def test_no_model_then_a_model_then_a_corrupt_one_then_rollback(brand: BrandCtx) -> None:
    batch = _setup(brand, caps=20)
    farm = ConsumerScan(code="", openid="", device_id="phone", user_agent=WECHAT)

    def scan(i: int, openid: str) -> consumer_scan.ScanAnswer:
        req = ConsumerScan(
            code=code(brand.id, batch, i),
            openid=openid,
            device_id=farm.device_id,
            user_agent=WECHAT,
        )
        return consumer_scan.scan(req, now=T0 + timedelta(minutes=i))

    assert scan(0, "u0").outcome == "won"  # no model: rules alone, and this breaks none
    with session_scope() as s:
        v1 = registry.save(
            s,
            brand_id=brand.id,
            model_json=from_sklearn(_fitted(), FEATURES).to_json(),
            metrics={},
            trained_on={},
        ).version
        registry.promote(s, brand_id=brand.id, version=v1, actor="t")
        v2 = registry.save(
            s,
            brand_id=brand.id,
            model_json=from_sklearn(_fitted(1), FEATURES).to_json(),
            metrics={},
            trained_on={},
        ).version
        registry.promote(s, brand_id=brand.id, version=v2, actor="t")
    scored = [scan(i, f"u{i}") for i in range(1, 4)]
    assert all(a.outcome in ("won", "thanks", "blocked", "challenge") for a in scored)
    with session_scope() as s:
        s.execute(
            update(RiskModel)
            .where(RiskModel.brand_id == brand.id, RiskModel.version == v2)
            .values(model_json='{"format": "onecode-gbt/1", "trees": [[[0')
        )
    from infra.redis import bump_config_after_commit

    with session_scope() as s:
        bump_config_after_commit(s, brand.id)
    # A broken model serves nothing, the scan still answers, and the rules still hold the door:
    # ten accounts on one phone are blocked all the same.
    answers = [scan(i, f"u{i}") for i in range(4, 15)]
    assert answers[-1].outcome == "blocked"
    assert "device_farm" in answers[-1].reasons
    assert "model_unavailable" in answers[-1].reasons
    with session_scope() as s:
        assert registry.rollback(s, brand_id=brand.id, actor="t").version == v1
    with session_scope() as s:
        states = {m.version: m.state for m in registry.listing(s, brand_id=brand.id)}
    assert states == {v1: "active", v2: "retired"}
    with session_scope() as s:
        assert registry.active(s, brand_id=brand.id).version == v1


def test_rings_link_shared_phones_and_networks_acting_together_not_crowds() -> None:
    day = datetime(2026, 12, 1, 12, tzinfo=UTC)
    rows = [(f"farm{i}", "phone-1" if i < 3 else "phone-2", "1.2.3.4", day) for i in range(6)]
    rows += [("farm0", "phone-2", "1.2.3.4", day)]  # the organiser's phone ties both halves
    # Five collectors on their own phones, scanning together from one home network, 3 days.
    rows += [
        (f"col{i}", f"c-dev{i}", f"5.6.7.{i}", day + timedelta(days=d, minutes=i))
        for i in range(5)
        for d in range(3)
    ]
    # A carrier NAT: forty strangers an hour, every day; and friends at one dinner.
    rows += [
        (f"h{i}", f"h-dev{i}", "10.9.9.9", day + timedelta(days=d))
        for i in range(40)
        for d in range(3)
    ]
    rows += [(f"f{i}", f"f-dev{i}", "8.8.4.4", day) for i in range(5)]
    found = sorted(graph.find(rows), key=lambda f: f.accounts)
    assert [f.accounts for f in found] == [
        [f"col{i}" for i in range(5)],
        [f"farm{i}" for i in range(6)],
    ]
    assert found[1].devices == ["phone-1", "phone-2"]


def test_the_workers_queue_every_brands_ring_and_diversion_jobs_once_a_period(
    brand: BrandCtx,
) -> None:
    sent: list[tuple[str, int]] = []

    def send(job: str, brand_id: int) -> None:
        sent.append((job, brand_id))

    now = datetime(2031, 5, 1, 3, 0, tzinfo=UTC)  # rings every 6 hours, diversion daily
    first = jobs.enqueue_due(now, send=send)
    assert {("rings", brand.id), ("diversion", brand.id)} <= set(first)
    assert first == sent
    # another worker's scheduler in the same period queues nothing again
    assert jobs.enqueue_due(now + timedelta(minutes=30), send=send) == []

    def broken(job: str, brand_id: int) -> None:
        if brand_id == brand.id:
            raise ConnectionError("the queue's Redis is down")

    with pytest.raises(ConnectionError):
        jobs.enqueue_due(now + timedelta(hours=6), send=broken)
    later = jobs.enqueue_due(now + timedelta(hours=6), send=send)
    assert ("rings", brand.id) in later
    assert ("diversion", brand.id) not in later
    queue = Queue(jobs.QUEUE, connection=get_queue_redis())
    queue.empty()
    job_ids = [jobs.enqueue(job, brand.id) for job in ("rings", "diversion")]  # what send does
    SimpleWorker([queue], connection=get_queue_redis()).work(burst=True)
    done = [queue.fetch_job(i) for i in job_ids]
    assert [j.return_value() if j else None for j in done] == [
        {"rings": 0, "accounts": 0},
        {"alerts": 0},
    ]
    get_settings.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ONECODE_RISK_RINGS_EVERY_HOURS", "0")
            mp.setenv("ONECODE_RISK_DIVERSION_EVERY_HOURS", "0")
            assert jobs.enqueue_due(now + timedelta(days=3), send=send) == []
    finally:
        get_settings.cache_clear()


def test_region_lookup_is_offline_and_refuses_points_outside_china() -> None:
    tianhe = regions.locate(23.125, 113.36)
    assert tianhe is not None
    assert tianhe.lineage() == ["440106", "440100", "440000"]
    pudong = regions.locate(31.22, 121.54)
    assert pudong is not None
    assert pudong.province == "310000"
    assert pudong.city == "310000"
    macau = regions.locate(22.19, 113.545)
    assert macau is not None
    assert macau.lineage() == ["820000"]  # not divided further: the region itself places points
    assert regions.locate(48.85, 2.35) is None  # Paris
    assert regions.locate(95.0, 0.0) is None
    assert regions.km(23.13, 113.26, 39.9, 116.4) == pytest.approx(1890, rel=0.02)


@pytest.fixture(scope="module")
def market() -> play.Played:
    return play.play(world.build(5, cases=90))


def test_the_simulated_market_runs_through_the_real_pipeline(market: play.Played) -> None:
    assert market.traffic.fraud_accounts
    assert market.traffic.honest_accounts
    with session_scope() as s:
        records = s.scalars(
            select(ScanRecord).where(
                ScanRecord.brand_id == market.brand_id, ScanRecord.role == "consumer"
            )
        ).all()
    decided = [r for r in records if r.risk]
    assert len(decided) > 0.9 * len(records) > 100
    assert all(len(r.risk["x"]) == len(FEATURES) for r in decided)  # type: ignore[index]
    # PDAs sync daily: an honest bottle is scanned after its case's recorded shipment, or within
    # the day of it (the upload carries the day's last shipment time), never weeks before.
    since = [
        r.risk["x"][INDEX["hours_since_shipped"]]  # type: ignore[index]
        for r in decided
        if r.openid in market.traffic.honest_accounts
    ]
    known = [h for h in since if h != UNKNOWN]
    assert len(known) > 0.3 * len(since)
    assert min(known) > -24


def test_a_simulated_address_block_is_routed_from_one_province() -> None:
    """Two cities of one province may share a carrier's /24; two provinces never do (world
    103 drew one /24 for Suihua and Taiwan, 2,451 km apart, before session 17)."""
    w = world.build(103, cases=10)
    by_province: dict[str, list[str]] = {}
    for code_, city in sorted(w.cities.items()):
        by_province.setdefault(city.province.code, []).append(code_)
    one = next(cities for cities in by_province.values() if len(cities) > 1)
    other = next(cities[0] for cities in by_province.values() if cities[0] not in one)
    block = traffic._Blocks(w)
    assert block(one[0], 10, 2, 24) == "10.2.24"
    assert block(one[1], 10, 2, 24) == "10.2.24"  # the same province
    assert block(other, 10, 2, 24) == "10.2.25"  # another province: the next free block
    assert block(other, 10, 2, 255) == "10.2.255"
    assert block(one[0], 10, 2, 255) == "10.2.0"  # past the end, around


def test_the_market_runs_the_ring_job_on_its_schedule_or_never(market: play.Played) -> None:
    quiet = play.play(world.build(6, cases=90), graph_every_ms=0)
    rings = select(func.count()).select_from(RiskRing)
    with session_scope() as s:
        assert s.scalar(rings.where(RiskRing.brand_id == market.brand_id)) > 0  # daily, the default
        assert s.scalar(rings.where(RiskRing.brand_id == quiet.brand_id)) == 0


def test_training_is_reproducible_and_scored_on_a_later_span(market: play.Played) -> None:
    with session_scope() as s:
        a = training.train(s, brand_id=market.brand_id, seed=3)
        b = training.train(s, brand_id=market.brand_id, seed=3)
        assert (a.version, b.version) == (b.version - 1, b.version)
        assert a.sha256 == b.sha256
        assert a.metrics == b.metrics
        assert 0 < a.metrics["train_rows"] < a.trained_on["rows"]
        assert 0 <= a.metrics["pr_auc"] <= 1
        assert a.metrics["fraud_rows"] > 0
        from_json(a.model_json, expected_features=FEATURES)


def test_the_suggested_hold_is_the_lowest_that_spares_honest_scans() -> None:
    y = np.array([True] * 10 + [False] * 1000)
    honest = np.concatenate([np.full(997, 0.1), [0.62, 0.81, 0.93]])
    scores = np.concatenate([np.linspace(0.5, 1, 10), honest])
    # 0.2% of 1,000 honest scans is two: three score above 0.6, two above 0.65.
    assert training.suggest_hold(scores, y) == 0.65
    assert training.suggest_hold(scores[:10], y[:10]) == 0.3  # nobody honest to spare


def test_training_refuses_a_brand_with_nothing_labelled(brand: BrandCtx) -> None:
    with session_scope() as s, pytest.raises(training.NotEnoughData):
        training.train(s, brand_id=brand.id)


def test_diverted_cases_are_alerted_with_evidence_and_a_dealer_report(
    market: play.Played, client: TestClient
) -> None:
    b = market.brand_id
    with session_scope() as s:
        alerts = diversion.run(s, brand_id=b, now=datetime.now(UTC))
        first = s.scalars(
            select(CodeBatch.first_serial).where(CodeBatch.brand_id == b, CodeBatch.kind == "case")
        ).one()
        seen = {v.serial - first for v in diversion.cases(s, brand_id=b) if v.evidence}
        report = diversion.dealer_report(s, brand_id=b)
    diverted = {p.index for p in market.world.cases if p.diverted} & seen
    alerted = {a.case_serial - first for a in alerts}
    assert diverted, "this seed diverts cases"
    assert len(alerted & diverted) >= 0.8 * len(diverted)
    for a in alerts:
        assert a.observed
        assert a.scans_outside >= 1
        assert a.expected_regions
        assert all(o["region"] not in a.expected_regions for o in a.observed)
    assert sum(r["cases_alerted"] for r in report) == len(alerts)  # type: ignore[misc]
    assert any(r["diverting"] for r in report)
    with session_scope() as s:
        staff = brands.add_staff(s, brand_id=b, username="ana", role="risk_analyst")
        headers = auth(brands.issue_token(s, staff=staff))
    listed = client.get("/v1/admin/risk/diversion/alerts", headers=headers).json()
    assert sorted(a["case_code"] for a in listed) == sorted(a.case_code for a in alerts)
    dealers = client.get("/v1/admin/risk/diversion/dealers", headers=headers).json()
    assert dealers == json.loads(json.dumps(report, default=str))
    # An alert whose case no longer qualifies is cleared on the next run; the others stay open.
    quiet = next(iter(seen - alerted))
    with session_scope() as s:
        s.execute(
            update(DiversionAlert)
            .where(DiversionAlert.id == alerts[0].id)
            .values(case_serial=first + quiet)
        )
    with session_scope() as s:
        again = diversion.run(s, brand_id=b, now=datetime.now(UTC))
        statuses = dict(
            s.execute(
                select(DiversionAlert.case_serial, DiversionAlert.status).where(
                    DiversionAlert.brand_id == b
                )
            ).all()
        )
    assert statuses.pop(first + quiet) == "cleared"
    assert set(statuses.values()) == {"open"}
    assert len(again) == len(alerts)  # the moved alert's real case is alerted anew


def test_one_traveller_is_not_diversion() -> None:
    view = diversion.CaseView(1, 1, 1, frozenset({"440100"}))
    at = datetime(2026, 12, 1, tzinfo=UTC)
    for i in range(4):
        view.evidence.append(diversion.Evidence("440106", "天河", 1.0, "consumer", f"c{i}", at))
    view.evidence.append(diversion.Evidence("110102", "西城", 1.0, "consumer", "tourist", at))
    assert view.verdict()[0] is False
    view.evidence.append(diversion.Evidence("110000", "北京", 3.0, "store", "S-BJ", at))
    for i in range(3):
        view.evidence.append(diversion.Evidence("110105", "朝阳", 1.0, "consumer", f"b{i}", at))
    assert view.verdict()[0] is True


def test_consumers_just_across_the_border_are_not_diversion(brand: BrandCtx) -> None:
    """Guangzhou's dealer: Foshan's Nanhai district, 15 km from Guangzhou's centre, is placed in
    Foshan, but that is GPS and border noise; Beijing, 1,900 km away, is not."""
    view = diversion.CaseView(1, 1, 1, frozenset({"440100"}))
    table = regions.divisions()
    area = table.area(view.loose())
    at = datetime(2026, 12, 1, tzinfo=UTC)
    for i, (lat, lon) in enumerate([(23.03, 113.14), (23.04, 113.15), (23.02, 113.13)]):
        place = regions.locate(lat, lon)
        assert place is not None
        assert place.city == "440600"  # Foshan
        near = area.query(lat, lon)
        assert near is not None
        assert near[0] < diversion.BORDER_KM
        view.evidence.append(
            diversion.Evidence(place.code, place.name, 1.0, "consumer", f"f{i}", at, near[0])
        )
    assert view.outside() == []
    assert view.verdict()[0] is False
    for i in range(5):
        near = area.query(39.9, 116.4)
        assert near is not None
        view.evidence.append(
            diversion.Evidence("110105", "朝阳", 1.0, "consumer", f"b{i}", at, near[0])
        )
    assert len(view.outside()) == 5  # and five of eight are most
    assert view.verdict()[0] is True


def test_a_dealer_whose_goods_keep_turning_up_elsewhere_is_diverting() -> None:
    """Most cases leave one or two located scans: one far scan is a tourist for an honest
    dealer's case, and diversion for a dealer whose cases turn up far away again and again."""
    at = datetime(2026, 12, 1, tzinfo=UTC)

    def case(dealer: int, serial: int, *regions_seen: str) -> diversion.CaseView:
        view = diversion.CaseView(1, serial, dealer, frozenset({"440100"}))
        for i, region in enumerate(regions_seen):
            who = f"{dealer}-{serial}-{i}"
            view.evidence.append(diversion.Evidence(region, "", 1.0, "consumer", who, at))
        return view

    honest = [case(d, n, "440106", "440104") for d in (1, 2, 3) for n in range(6)]
    honest.append(case(1, 99, "110105"))  # a tourist in Beijing
    diverter = [case(4, n, "110105") for n in range(10)] + [case(4, 99, "440106", "440104")]
    views = honest + diverter
    assert diversion.diverting_dealers(views) == {4}
    shares = diversion.dealer_shares(views)
    assert shares[1][1] < 0.1 < shares[4][1]
    diverting = diversion.diverting_dealers(views)
    alerted = {(v.dealer_id, v.serial) for v in views if v.verdict(v.dealer_id in diverting)[0]}
    assert alerted == {(4, n) for n in range(10)}  # not the tourist, not the case sold at home
