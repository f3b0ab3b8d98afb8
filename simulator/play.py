"""Run a simulated world through the real product: seed it, ship its cases with PDAs, then play
its scans in time order through the consumer-scan pipeline and the store's open-case scan, each
at its own time, with the recorder and the ring-finding graph job running as they would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import codegen
from brands.field import FieldPrincipal, store_id_by_code
from brands.models import Store
from codegen.models import CodeBatch
from infra.db import session_scope
from infra.errors import OnecodeError
from logistics import service as logistics
from onecode import seed as seeding
from rewards import consumer_scan, recorder, stores
from rewards.consumer_scan import ConsumerScan
from risk import graph, labels, registry
from simulator import traffic as traffic_
from simulator.world import DAY_MS, World


@dataclass
class Played:
    brand_id: int
    world: World
    traffic: traffic_.Traffic
    outcomes: dict[str, int] = field(default_factory=dict)


def _ms(at: int) -> datetime:
    return datetime.fromtimestamp(at / 1000, UTC)


def install(world: World) -> tuple[int, list[str], list[str]]:
    """Seed the world and ship its cases; the cap and case codes, by index."""
    with session_scope() as s:
        report, _ = seeding.apply(s, seeding.SeedFile.model_validate(world.seed_file()))
        brand_id = report.brand_id
    with session_scope() as s:
        batches = {
            b.kind: b for b in s.scalars(select(CodeBatch).where(CodeBatch.brand_id == brand_id))
        }
        caps = [codegen.code_at(s, batches["cap"], i) for i in range(world.bottles)]
        cases = [codegen.code_at(s, batches["case"], i) for i in range(len(world.cases))]
    # A dealer's PDA syncs once a day: one upload a dealer and day, at the day's last shipment.
    # (One upload of all a dealer's cases at their latest date put most honest scans before
    # their case's recorded shipment, which no real log shows.)
    by_day: dict[str, dict[int, list[int]]] = {}
    for plan in world.cases:
        if plan.shipped_ms is not None:
            day = plan.shipped_ms // DAY_MS
            by_day.setdefault(plan.dealer, {}).setdefault(day, []).append(plan.index)
    for dealer, days in by_day.items():
        with session_scope() as s:
            device, _ = logistics.add_device(s, brand_id=brand_id, dealer_code=dealer, name="pda")
            who = logistics.DevicePrincipal(brand_id, device.id, device.dealer_id)
            # Out to one of the dealer's own stores on paper, whatever happens to it after.
            store = _first_store(s, brand_id, device.dealer_id)
            for day, chunk in sorted(days.items()):
                at = _ms(max(world.cases[i].shipped_ms or 0 for i in chunk))
                moves: list[tuple[Literal["in", "out"], str | None]] = [("in", None)]
                if store:
                    moves.append(("out", store))
                for direction, to_store in moves:
                    logistics.upload(
                        s,
                        who=who,
                        upload_id=f"{direction}-{dealer}-{day}",
                        direction=direction,
                        codes=[cases[i] for i in chunk],
                        to_store=to_store,
                        at=at,
                    )
    return brand_id, caps, cases


def _first_store(s: Session, brand_id: int, dealer_id: int) -> str | None:
    return s.scalar(
        select(Store.code)
        .where(Store.brand_id == brand_id, Store.dealer_id == dealer_id)
        .order_by(Store.code)
        .limit(1)
    )


def _next_period(at_ms: int, every_ms: int) -> int:
    """The start of the period after the one `at_ms` falls in (0 when there are no periods)."""
    return (at_ms // every_ms + 1) * every_ms if every_ms > 0 else 0


def play(
    world: World,
    *,
    graph_every_ms: int = DAY_MS,
    model_json: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Played:
    """Install the world, promote `model_json` for its brand if given (else rules alone
    decide), and play its traffic, running the ring job every `graph_every_ms` of the world's
    time (0: never, as with ONECODE_RISK_RINGS_EVERY_HOURS=0)."""
    brand_id, caps, cases = install(world)
    if model_json is not None:
        with session_scope() as s:
            row = registry.save(
                s, brand_id=brand_id, model_json=model_json, metrics={}, trained_on={}
            )
            registry.promote(s, brand_id=brand_id, version=row.version, actor="simulator")
    t = traffic_.generate(world, caps, cases)
    with session_scope() as s:
        labels.record_truth(s, brand_id=brand_id, fraud=t.fraud_accounts, honest=t.honest_accounts)
    played = Played(brand_id, world, t)
    next_graph = _next_period(t.events[0]["at_ms"], graph_every_ms) if t.events else 0
    store_ids: dict[str, int] = {}
    for n, e in enumerate(t.events):
        if graph_every_ms > 0 and e["at_ms"] >= next_graph:
            _flush(brand_id)
            with session_scope() as s:
                graph.run(s, brand_id=brand_id, now=_ms(e["at_ms"]))
            next_graph = _next_period(e["at_ms"], graph_every_ms)
        outcome = _event(brand_id, e, store_ids)
        played.outcomes[outcome] = played.outcomes.get(outcome, 0) + 1
        if progress and n % 500 == 0:
            progress(n, len(t.events))
    _flush(brand_id)
    return played


def _event(brand_id: int, e: dict[str, Any], store_ids: dict[str, int]) -> str:
    at = _ms(e["at_ms"])
    try:
        if e["type"] == "open_case":
            with session_scope() as s:
                if e["store"] not in store_ids:
                    store_ids[e["store"]] = store_id_by_code(s, brand_id=brand_id, code=e["store"])
                who = FieldPrincipal(brand_id, 0, "store_owner", store_ids[e["store"]])
                stores.open_case(s, who=who, code=e["case"], now=at)
            return "open_case"
        answer = consumer_scan.scan(
            ConsumerScan(
                code=e["code"],
                openid=e["openid"],
                device_id=e["device_id"],
                ip=e["ip"],
                latitude=e["latitude"],
                longitude=e["longitude"],
                user_agent=e["user_agent"],
            ),
            now=at,
        )
        return answer.outcome
    except OnecodeError as exc:
        return exc.code


def _flush(brand_id: int) -> None:
    while recorder.drain(brand_id):
        pass
