"""Where a brand's stores are, for "how far is this scan from any store that sells us"."""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from sqlalchemy import select

from brands.models import Store
from infra.db import get_sessionmaker
from risk.regions import Nearest

RELOAD_S = 300.0  # a new store counts within five minutes


class StoreIndex:
    def __init__(self, points: list[tuple[float, float]]) -> None:
        self._nearest = Nearest(points)
        # Positions repeat (a mini-program's are often district-level, and people scan at home):
        # on a ~1 km grid, a KD-tree query (~50 µs) is made once per cell, not once per scan.
        self._cell_km = lru_cache(maxsize=65_536)(self._query)

    def _query(self, lat_cell: int, lon_cell: int) -> float | None:
        found = self._nearest.query(lat_cell / 100, lon_cell / 100)
        return found[0] if found else None

    def nearest_km(self, latitude: float, longitude: float) -> float | None:
        return self._cell_km(round(latitude * 100), round(longitude * 100))


class StoreIndexes:
    def __init__(self) -> None:
        self._by_brand: dict[int, tuple[float, StoreIndex]] = {}
        self._lock = threading.Lock()

    def get(self, brand_id: int) -> StoreIndex:
        cached = self._by_brand.get(brand_id)
        if cached is not None and time.monotonic() - cached[0] < RELOAD_S:
            return cached[1]
        with self._lock:
            with get_sessionmaker()() as s:
                rows = s.execute(
                    select(Store.latitude, Store.longitude).where(
                        Store.brand_id == brand_id,
                        Store.latitude.is_not(None),
                        Store.longitude.is_not(None),
                    )
                ).all()
            index = StoreIndex([(float(a or 0), float(b or 0)) for a, b in rows])
            self._by_brand[brand_id] = (time.monotonic(), index)
            return index

    def forget(self) -> None:
        self._by_brand = {}


stores = StoreIndexes()
