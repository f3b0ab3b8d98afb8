"""Aggregation (瓶箱关联): which bottle is in which box, case and pallet.

In-order packing from the line is one `PackRange` row however many codes it covers. Out-of-order
packing, repacking and taking a child out are `PackLink` rows; a child's newest link wins over
any range.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from codegen.batches import get_batch, resolve, serial_range
from codegen.errors import (
    CodeNotFound,
    CodeNotGenuine,
    InvalidPacking,
    PackingConflict,
    UnknownParent,
)
from codegen.models import KIND_RANK, CodeBatch, PackLink, PackRange
from infra.redis import bump_config_after_commit

Member = tuple[int, int]  # (batch id, serial)


def _check_kinds(child: CodeBatch, parent: CodeBatch) -> None:
    if KIND_RANK[parent.kind] <= KIND_RANK[child.kind]:
        raise InvalidPacking(
            f"a {child.kind} cannot be packed into a {parent.kind}",
            child_kind=child.kind,
            parent_kind=parent.kind,
        )


def pack_in_order(
    session: Session,
    *,
    brand_id: int,
    child_batch_id: int,
    parent_batch_id: int,
    per_parent: int,
    child_start_index: int = 0,
    child_count: int | None = None,
    parent_start_index: int = 0,
) -> PackRange:
    """Children in print order fill parents in print order, `per_parent` each."""
    child = get_batch(session, brand_id=brand_id, batch_id=child_batch_id)
    parent = get_batch(session, brand_id=brand_id, batch_id=parent_batch_id)
    _check_kinds(child, parent)
    if per_parent < 1:
        raise InvalidPacking("per_parent must be at least 1", per_parent=per_parent)
    count = child.count - child_start_index if child_count is None else child_count
    c_start, c_end = serial_range(child, child_start_index, count)
    parents = -(-count // per_parent)
    p_start, p_end = serial_range(parent, parent_start_index, parents)
    clash = session.scalar(
        select(PackRange.id).where(
            (
                (PackRange.child_batch_id == child.id)
                & (PackRange.child_start < c_end)
                & (PackRange.child_start + PackRange.child_count > c_start)
            )
            | (
                (PackRange.parent_batch_id == parent.id)
                & (PackRange.parent_start < p_end)
                & (PackRange.parent_start + PackRange.parent_count > p_start)
            )
        )
    )
    if clash is not None:
        raise PackingConflict(
            "some of these codes are already packed in order; repack them with explicit links",
            pack_range_id=clash,
        )
    row = PackRange(
        brand_id=brand_id,
        child_batch_id=child.id,
        child_start=c_start,
        child_count=count,
        parent_batch_id=parent.id,
        parent_start=p_start,
        parent_count=parents,
        per_parent=per_parent,
    )
    session.add(row)
    session.flush()
    bump_config_after_commit(session, brand_id)  # the scan path's snapshot holds the ranges
    return row


def _resolve_parent(session: Session, brand_id: int, code: str) -> tuple[CodeBatch, int]:
    try:
        sealed, batch = resolve(session, brand_id=brand_id, text=code)
    except (CodeNotFound, CodeNotGenuine) as exc:
        raise UnknownParent(f"unknown parent code: {exc.message}", code=code[:64]) from None
    return batch, sealed.serial


def pack_links(
    session: Session, *, brand_id: int, parent_code: str, child_codes: list[str], actor: str = ""
) -> int:
    """Put each child into `parent_code`, wherever it was before (out of order or repacking)."""
    if not child_codes:
        raise InvalidPacking("no child codes given")
    parent_batch, parent_serial = _resolve_parent(session, brand_id, parent_code)
    rows = []
    for text in child_codes:
        sealed, child_batch = resolve(session, brand_id=brand_id, text=text)
        _check_kinds(child_batch, parent_batch)
        rows.append(
            PackLink(
                brand_id=brand_id,
                child_batch_id=child_batch.id,
                child_serial=sealed.serial,
                parent_batch_id=parent_batch.id,
                parent_serial=parent_serial,
                created_by=actor,
            )
        )
    session.add_all(rows)
    session.flush()
    return len(rows)


def unpack(session: Session, *, brand_id: int, child_codes: list[str], actor: str = "") -> int:
    """Take children out of whatever holds them."""
    rows = []
    for text in child_codes:
        sealed, batch = resolve(session, brand_id=brand_id, text=text)
        if parent_of(session, batch=batch, serial=sealed.serial) is None:
            raise InvalidPacking("this code is not packed in anything", code=sealed.code)
        rows.append(
            PackLink(
                brand_id=brand_id,
                child_batch_id=batch.id,
                child_serial=sealed.serial,
                created_by=actor,
            )
        )
    session.add_all(rows)
    session.flush()
    return len(rows)


def _latest_links(session: Session, children: list[Member]) -> dict[Member, PackLink]:
    if not children:
        return {}
    by_batch: dict[int, list[int]] = defaultdict(list)
    for b, s in children:
        by_batch[b].append(s)
    latest: dict[Member, PackLink] = {}
    for batch_id, serials in by_batch.items():
        newest = (
            select(func.max(PackLink.id))
            .where(PackLink.child_batch_id == batch_id, PackLink.child_serial.in_(serials))
            .group_by(PackLink.child_serial)
        )
        for link in session.scalars(select(PackLink).where(PackLink.id.in_(newest))):
            latest[(link.child_batch_id, link.child_serial)] = link
    return latest


def parent_of(
    session: Session, *, batch: CodeBatch, serial: int, before_link: int | None = None
) -> Member | None:
    """What holds the code now, or just before link `before_link` was made."""
    links = select(PackLink).where(
        PackLink.child_batch_id == batch.id, PackLink.child_serial == serial
    )
    if before_link is not None:
        links = links.where(PackLink.id < before_link)
    link = session.scalar(links.order_by(PackLink.id.desc()).limit(1))
    if link is not None:
        if link.parent_batch_id is None or link.parent_serial is None:
            return None
        return link.parent_batch_id, link.parent_serial
    rng = session.scalar(
        select(PackRange)
        .where(PackRange.child_batch_id == batch.id, PackRange.child_start <= serial)
        .order_by(PackRange.child_start.desc())
        .limit(1)
    )
    if rng is None or serial >= rng.child_start + rng.child_count:
        return None
    return rng.parent_batch_id, rng.parent_start + (serial - rng.child_start) // rng.per_parent


class PackIndex:
    """`parent_of` in memory, for whole-brand work: in-order ranges, and optionally the
    explicit links, which win over ranges as they do in the database."""

    def __init__(
        self,
        kinds: dict[int, str],
        ranges: list[PackRange],
        links: list[PackLink] | None = None,
    ) -> None:
        self.kinds = kinds
        self._runs: dict[int, list[tuple[int, int, int, int, int]]] = defaultdict(list)
        for r in ranges:
            self._runs[r.child_batch_id].append(
                (
                    r.child_start,
                    r.child_start + r.child_count,
                    r.parent_batch_id,
                    r.parent_start,
                    r.per_parent,
                )
            )
        for runs in self._runs.values():
            runs.sort()
        self._links: dict[Member, Member | None] = {}
        for link in sorted(links or [], key=lambda k: k.id):  # the newest link wins
            parent = None
            if link.parent_batch_id is not None and link.parent_serial is not None:
                parent = (link.parent_batch_id, link.parent_serial)
            self._links[(link.child_batch_id, link.child_serial)] = parent

    def parent(self, batch_id: int, serial: int) -> Member | None:
        if (batch_id, serial) in self._links:
            return self._links[(batch_id, serial)]
        runs = self._runs.get(batch_id, [])
        i = bisect.bisect_right(runs, (serial, float("inf"), 0, 0, 0)) - 1
        if i < 0 or not runs[i][0] <= serial < runs[i][1]:
            return None
        start, _, parent_batch, parent_start, per = runs[i]
        return parent_batch, parent_start + (serial - start) // per

    def container(self, batch_id: int, serial: int, kind: str) -> Member | None:
        """The code itself if it is of `kind`, else the `kind` (case, pallet) it is packed in."""
        current: Member | None = (batch_id, serial)
        for _ in range(len(KIND_RANK)):
            if current is None or self.kinds.get(current[0]) == kind:
                return current
            current = self.parent(*current)
        return None


def pack_index(session: Session, *, brand_id: int, with_links: bool) -> PackIndex:
    """The brand's packing in memory. Without links it is a few rows however many codes are
    packed (what every API process can hold); with them, what offline jobs need."""
    rows = session.execute(
        select(CodeBatch.id, CodeBatch.kind).where(CodeBatch.brand_id == brand_id)
    )
    kinds = {batch_id: kind for batch_id, kind in rows}
    ranges = list(session.scalars(select(PackRange).where(PackRange.brand_id == brand_id)))
    links = (
        list(session.scalars(select(PackLink).where(PackLink.brand_id == brand_id)))
        if with_links
        else None
    )
    return PackIndex(kinds, ranges, links)


def children_of(session: Session, *, batch: CodeBatch, serial: int) -> list[Member]:
    """Direct children, in print order within each child batch."""
    candidates: list[Member] = []
    ranges = session.scalars(
        select(PackRange).where(
            PackRange.parent_batch_id == batch.id,
            PackRange.parent_start <= serial,
            PackRange.parent_start + PackRange.parent_count > serial,
        )
    )
    for rng in ranges:
        first = rng.child_start + (serial - rng.parent_start) * rng.per_parent
        last = min(first + rng.per_parent, rng.child_start + rng.child_count)
        candidates.extend((rng.child_batch_id, s) for s in range(first, last))
    linked = session.execute(
        select(PackLink.child_batch_id, PackLink.child_serial)
        .where(PackLink.parent_batch_id == batch.id, PackLink.parent_serial == serial)
        .distinct()
    )
    seen = set(candidates)
    candidates.extend((b, s) for b, s in linked if (b, s) not in seen)
    latest = _latest_links(session, candidates)
    here = (batch.id, serial)
    result = []
    for member in candidates:
        link = latest.get(member)
        if link is None or (link.parent_batch_id, link.parent_serial) == here:
            result.append(member)
    return sorted(set(result))


Run = tuple[int, int]  # serials [start, end)


def _links_touching(session: Session, batch_id: int, start: int, end: int) -> dict[int, PackLink]:
    """Newest link of each child in [start, end) of a batch that has any link."""
    latest: dict[int, PackLink] = {}
    rows = session.scalars(
        select(PackLink)
        .where(
            PackLink.child_batch_id == batch_id,
            PackLink.child_serial >= start,
            PackLink.child_serial < end,
        )
        .order_by(PackLink.id)
    )
    for link in rows:
        latest[link.child_serial] = link
    return latest


def _minus_points(run: Run, points: list[int]) -> list[Run]:
    out, cursor = [], run[0]
    for p in sorted(points):
        if cursor < p:
            out.append((cursor, p))
        cursor = p + 1
    if cursor < run[1]:
        out.append((cursor, run[1]))
    return out


def _children_runs(session: Session, batch_id: int, run: Run) -> dict[int, list[Run]]:
    """Children of every parent serial in `run` of a batch, as runs per child batch."""
    start, end = run
    found: dict[int, list[Run]] = defaultdict(list)
    ranges = session.scalars(
        select(PackRange).where(
            PackRange.parent_batch_id == batch_id,
            PackRange.parent_start < end,
            PackRange.parent_start + PackRange.parent_count > start,
        )
    )
    for rng in ranges:
        lo = rng.child_start + (max(start, rng.parent_start) - rng.parent_start) * rng.per_parent
        hi = (
            rng.child_start
            + (min(end, rng.parent_start + rng.parent_count) - rng.parent_start) * rng.per_parent
        )
        hi = min(hi, rng.child_start + rng.child_count)
        moved = [
            serial
            for serial, link in _links_touching(session, rng.child_batch_id, lo, hi).items()
            if link.parent_batch_id != batch_id
            or link.parent_serial is None
            or not start <= link.parent_serial < end
        ]
        found[rng.child_batch_id].extend(_minus_points((lo, hi), moved))
    linked = session.execute(
        select(PackLink.child_batch_id, PackLink.child_serial)
        .where(
            PackLink.parent_batch_id == batch_id,
            PackLink.parent_serial >= start,
            PackLink.parent_serial < end,
        )
        .distinct()
    ).all()
    latest = _latest_links(session, [(b, s) for b, s in linked])
    for (child_batch, serial), link in latest.items():
        parent = link.parent_serial
        if link.parent_batch_id == batch_id and parent is not None and start <= parent < end:
            found[child_batch].append((serial, serial + 1))
    return found


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for s, e in sorted(set(runs)):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def descendants(
    session: Session, *, brand_id: int, batch: CodeBatch, serial: int
) -> list[tuple[CodeBatch, int, int]]:
    """Everything below a code, level by level, as (batch, start serial, end serial) runs."""
    batches: dict[int, CodeBatch] = {batch.id: batch}
    result: list[tuple[CodeBatch, int, int]] = []
    frontier: dict[int, list[Run]] = {batch.id: [(serial, serial + 1)]}
    while frontier:
        below: dict[int, list[Run]] = defaultdict(list)
        for batch_id, runs in frontier.items():
            for run in runs:
                for child_batch, child_runs in _children_runs(session, batch_id, run).items():
                    below[child_batch].extend(child_runs)
        frontier = {}
        for child_batch, runs in below.items():
            if child_batch not in batches:
                batches[child_batch] = get_batch(session, brand_id=brand_id, batch_id=child_batch)
            frontier[child_batch] = _merge(runs)
            result.extend((batches[child_batch], s, e) for s, e in frontier[child_batch])
    return result
