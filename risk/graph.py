"""Rings: accounts linked by the devices and networks they scan from, found offline.

No single scan of a slow ring looks wrong; together its accounts share a phone the organiser
logs each of them in with, or the home network they scan from day after day. The job builds
the graph of recent consumer scans (account - device, account - network) and takes its
connected components (scipy's csgraph, no new dependency). A network links two accounts only
when they act together: scanning from it in the same hour (with at most fifteen others) on
three or more days. More at once is a carrier's NAT or a campus; one evening is friends sharing
a restaurant's Wi-Fi. A component of four or more accounts is a ring: it is stored for
review, and its members are published to Redis, where the scan features and rules read them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import structlog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.db import after_commit
from infra.errors import NotFound
from infra.redis import get_redis
from rewards.models import ScanRecord
from risk import labels
from risk.features import network, rings_key
from risk.models import RiskRing

log = structlog.get_logger(__name__)

LOOKBACK = timedelta(days=14)
MIN_RING = 4
NETWORK_HUB = 15  # more accounts than this in one hour: a carrier's NAT or a campus, not a ring
DEVICE_HUB = 50  # nor does a "device id" shared that widely (a broken client's constant id)
NETWORK_DAYS = 3


class RingNotFound(NotFound):
    """No ring with that id in this brand."""

    code = "RISK_RING_NOT_FOUND"


@dataclass(frozen=True)
class Found:
    accounts: list[str]
    devices: list[str]
    networks: list[str]
    scans: int
    density: float

    @property
    def key(self) -> str:
        return hashlib.sha256(min(self.accounts).encode()).hexdigest()[:32]


def find(rows: list[tuple[str, str, str, datetime]]) -> list[Found]:
    """Rings in (openid, device id, ip, at) rows of consumer scans."""
    dev_accounts: dict[str, set[str]] = defaultdict(set)
    hour_accounts: dict[tuple[str, str], set[str]] = defaultdict(set)
    scans: dict[str, int] = defaultdict(int)
    for openid, device, ip, at in rows:
        scans[openid] += 1
        if device:
            dev_accounts[device].add(openid)
        net = network(ip)
        if net:
            hour_accounts[(net, at.strftime("%Y%m%d%H"))].add(openid)
    # Two accounts act together when they scan from the same network in the same hour, on three
    # or more days. A carrier's NAT has too many at once to say anything; friends on a
    # restaurant's Wi-Fi share one evening.
    together: dict[tuple[str, str], set[str]] = defaultdict(set)
    shared_net: dict[tuple[str, str], str] = {}
    for (net, hour), accts in hour_accounts.items():
        if 2 <= len(accts) <= NETWORK_HUB:
            ordered = sorted(accts)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    together[(a, b)].add(hour[:8])
                    shared_net[(a, b)] = net
    links: list[tuple[str, str]] = [
        (a, "d:" + d)
        for d, accts in dev_accounts.items()
        if len(accts) <= DEVICE_HUB
        for a in accts
    ]
    for pair, d in together.items():
        if len(d) >= NETWORK_DAYS:
            links += [(pair[0], "n:" + shared_net[pair]), (pair[1], "n:" + shared_net[pair])]
    nodes: dict[str, int] = {}
    for a, e in links:
        nodes.setdefault("a:" + a, len(nodes))
        nodes.setdefault(e, len(nodes))
    if not nodes:
        return []
    src = np.array([nodes["a:" + a] for a, _ in links])
    dst = np.array([nodes[e] for _, e in links])
    graph = coo_matrix((np.ones(len(links)), (src, dst)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(graph, directed=False)
    members: dict[int, list[str]] = defaultdict(list)
    for name, i in nodes.items():
        members[int(label[i])].append(name)
    edges_in: dict[int, int] = defaultdict(int)
    for a, _ in links:
        edges_in[int(label[nodes["a:" + a]])] += 1
    found = []
    for comp, names in members.items():
        accounts = sorted(n[2:] for n in names if n.startswith("a:"))
        if len(accounts) < MIN_RING:
            continue
        devices = sorted(n[2:] for n in names if n.startswith("d:"))
        networks = sorted(n[2:] for n in names if n.startswith("n:"))
        density = edges_in[comp] / (len(accounts) * max(1, len(devices) + len(networks)))
        found.append(
            Found(accounts, devices, networks, sum(scans[a] for a in accounts), round(density, 4))
        )
    return found


def run(session: Session, *, brand_id: int, now: datetime) -> list[RiskRing]:
    """Find the brand's rings in the last two weeks of scans; store them; publish members."""
    rows = [
        (r.openid, r.device_id, r.ip, r.at)
        for r in session.execute(
            select(ScanRecord.openid, ScanRecord.device_id, ScanRecord.ip, ScanRecord.at).where(
                ScanRecord.brand_id == brand_id,
                ScanRecord.role == "consumer",
                ScanRecord.at > now - LOOKBACK,
                ScanRecord.at <= now,
            )
        )
    ]
    stored = {
        r.key: r for r in session.scalars(select(RiskRing).where(RiskRing.brand_id == brand_id))
    }
    current = []
    for f in find(rows):
        ring = stored.get(f.key)
        if ring is None:
            ring = RiskRing(brand_id=brand_id, key=f.key, found_at=now)
            session.add(ring)
        ring.size, ring.density = len(f.accounts), f.density
        ring.accounts, ring.devices, ring.networks = f.accounts, f.devices, f.networks
        ring.evidence = {"scans": f.scans, "lookback_days": LOOKBACK.days}
        current.append(ring)
    session.flush()
    publish(brand_id, current + [r for r in stored.values() if r.status == "confirmed"])
    log.info("risk_rings", brand_id=brand_id, rings=len(current), scans=len(rows))
    return current


def publish(brand_id: int, rings: list[RiskRing]) -> None:
    """Replace the members hash the scan path reads (dismissed rings are left out)."""
    fields: dict[str, str] = {}
    for ring in rings:
        if ring.status == "dismissed":
            continue
        value = f"{ring.size}|{int(ring.status == 'confirmed')}"
        for a in ring.accounts:
            fields["a:" + a] = value
        for d in ring.devices:
            fields["d:" + d] = value
    pipe = get_redis().pipeline(transaction=True)
    pipe.delete(rings_key(brand_id))
    if fields:
        pipe.hset(rings_key(brand_id), mapping=fields)  # type: ignore[arg-type]
    pipe.execute()


def review(
    session: Session, *, brand_id: int, ring_id: int, confirmed: bool, actor: str, now: datetime
) -> RiskRing:
    """A reviewer's verdict on a ring. Confirmed: its members are labelled fraud (training) and
    blocked from their next scan (rule `ring_confirmed`). Dismissed: labelled honest, and the
    scan path forgets them. Either takes effect in Redis once the session commits."""
    ring = session.get(RiskRing, ring_id)
    if ring is None or ring.brand_id != brand_id:
        raise RingNotFound(f"no ring {ring_id}", ring_id=ring_id)
    ring.status = "confirmed" if confirmed else "dismissed"
    ring.reviewed_by, ring.reviewed_at = actor, now
    labels.label(
        session,
        brand_id=brand_id,
        openids=ring.accounts,
        fraud=confirmed,
        source="ring",
        actor=actor,
    )
    members = [("a:" + a) for a in ring.accounts] + [("d:" + d) for d in ring.devices]
    after_commit(session, "risk_ring_reviews", (brand_id, members, ring.size, confirmed), _apply)
    return ring


def _apply(reviews: list[tuple[int, list[str], int, bool]]) -> None:
    pipe = get_redis().pipeline(transaction=False)
    for brand_id, members, size, confirmed in reviews:
        if not members:
            continue
        if confirmed:
            pipe.hset(rings_key(brand_id), mapping=dict.fromkeys(members, f"{size}|1"))
        else:
            pipe.hdel(rings_key(brand_id), *members)
    pipe.execute()
