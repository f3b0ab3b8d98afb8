"""Rendering print-file lines for a run of serials, vectorized (no Python loop per code).

A line is the code's scan URL in upper case, e.g. `HTTPS://QR.BRAND.CN/C/7KQKW4FSZKTWDMM7NZ9`
(or its GS1 Digital Link, `…/01/<GTIN>/21/<code>`: only the prefix differs), optionally
followed by `,SSCC` for a case or pallet with SSCCs, then `,CHILD1,CHILD2,…`: the codes packed
in it, for pre-aggregated labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from codegen.ff1 import Radix32FF1
from codegen.format import CODE_LENGTH, assemble_many

CHUNK = 32_768  # codes per vectorized step: keeps the working set in the CPU cache
_MASK40 = np.uint64((1 << 40) - 1)


@dataclass(frozen=True)
class Sealer:
    key_id: str
    cipher: Radix32FF1

    def codes(self, serials: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
        """(n,) serials -> (n, 19) ASCII codes."""
        high, low = self.cipher.encrypt_many(np.zeros_like(serials), serials & _MASK40)
        return assemble_many(self.key_id, high, low)


@dataclass(frozen=True)
class ChildRange:
    """Parents [parent_start, +parent_count) hold children in order, `per_parent` each."""

    sealer: Sealer
    parent_start: int
    parent_count: int
    child_start: int
    child_count: int
    per_parent: int


def url_lines(
    prefix: bytes, codes: npt.NDArray[np.uint8], tail: npt.NDArray[np.uint8] | None
) -> bytes:
    n = len(codes)
    width = len(prefix) + CODE_LENGTH + (tail.shape[1] if tail is not None else 0) + 1
    out = np.empty((n, width), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    out[:, len(prefix) : len(prefix) + CODE_LENGTH] = codes
    if tail is not None:
        out[:, len(prefix) + CODE_LENGTH : -1] = tail
    out[:, -1] = ord("\n")
    return out.tobytes()


def _children_tail(
    rng: ChildRange, parents: npt.NDArray[np.uint64], k: int
) -> npt.NDArray[np.uint8]:
    """`,CODE` for the first k children of each parent: an (n, k*20) array."""
    n = len(parents)
    offsets = (parents - np.uint64(rng.parent_start)) * np.uint64(rng.per_parent)
    serials = (
        np.uint64(rng.child_start) + offsets[:, None] + np.arange(k, dtype=np.uint64)[None, :]
    ).reshape(-1)
    codes = rng.sealer.codes(serials).reshape(n, k, CODE_LENGTH)
    tail = np.empty((n, k, CODE_LENGTH + 1), dtype=np.uint8)
    tail[:, :, 0] = ord(",")
    tail[:, :, 1:] = codes
    return tail.reshape(n, k * (CODE_LENGTH + 1))


_SSCC_WEIGHTS = np.array([3 if j % 2 == 0 else 1 for j in range(17)], dtype=np.int64)
_POWERS = np.array([10 ** (16 - j) for j in range(17)], dtype=np.int64)


def _sscc_tail(serials: npt.NDArray[np.uint64], offset: int) -> npt.NDArray[np.uint8]:
    """`,<SSCC>` for each serial: its 17 digits (serial + offset) and the GS1 check digit."""
    payload = serials.astype(np.int64) + np.int64(offset)
    digits = (payload[:, None] // _POWERS[None, :]) % 10
    check = (10 - (digits * _SSCC_WEIGHTS[None, :]).sum(axis=1) % 10) % 10
    tail = np.empty((len(serials), 19), dtype=np.uint8)
    tail[:, 0] = ord(",")
    tail[:, 1:18] = digits + ord("0")
    tail[:, 18] = check + ord("0")
    return tail


def render(
    sealer: Sealer,
    prefix: bytes,
    first: int,
    end: int,
    children: list[ChildRange],
    sscc_offset: int | None = None,
) -> bytes:
    """Lines for serials [first, end), which callers keep to about CHUNK codes."""
    # Split into runs that share one line shape: no children, or k children from one range.
    cuts = {first, end}
    for rng in children:
        full_end = rng.parent_start + rng.child_count // rng.per_parent
        for point in (rng.parent_start, full_end, rng.parent_start + rng.parent_count):
            if first < point < end:
                cuts.add(point)
    bounds = sorted(cuts)
    pieces = []
    for lo, hi in pairwise(bounds):
        serials = np.arange(lo, hi, dtype=np.uint64)
        tail = None
        for rng in children:
            if rng.parent_start <= lo < rng.parent_start + rng.parent_count:
                k = min(rng.per_parent, rng.child_count - (lo - rng.parent_start) * rng.per_parent)
                tail = _children_tail(rng, serials, k)
                break
        if sscc_offset is not None:
            ssccs = _sscc_tail(serials, sscc_offset)
            tail = ssccs if tail is None else np.hstack((ssccs, tail))
        pieces.append(url_lines(prefix, sealer.codes(serials), tail))
    return b"".join(pieces)
