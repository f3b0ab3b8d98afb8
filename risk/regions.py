"""Where a latitude/longitude is, in China's administrative divisions, with no network.

The divisions and their centre points come from the `cpca` package's `adcodes.csv` (3,500
provinces, cities and districts, as maintained by the cpca project from the national adcode
list). We read that file as data and never import cpca itself, which would pull pandas into every
API process. A point is placed in the district whose centre is nearest (a KD-tree on unit-sphere
vectors, so distance is true great-circle order); near a border the answer can be the neighbour,
which is why diversion never rests on one scan (risk/diversion.py).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution

import numpy as np
from scipy.spatial import cKDTree

EARTH_KM = 6371.0088
# Beyond this from every district centre the point is not in China (or the GPS is nonsense).
MAX_KM_FROM_CENTRE = 250.0


@dataclass(frozen=True)
class Division:
    code: str  # 6-digit administrative code, e.g. 440106 (Tianhe District)
    name: str
    latitude: float
    longitude: float

    @property
    def province(self) -> str:
        return province_of(self.code)

    @property
    def city(self) -> str:
        return city_of(self.code)

    def lineage(self) -> list[str]:
        """District, city, province: nearest first, no repeats."""
        out: list[str] = []
        for code in (self.code, self.city, self.province):
            if code not in out:
                out.append(code)
        return out


def province_of(code: str) -> str:
    """The province of an administrative code (440106 is in 440000); other codes as they are."""
    return code[:2] + "0000" if len(code) == 6 and code.isdigit() else code


def city_of(code: str) -> str:
    """The city of an administrative code: district 440106 is in 440100; a municipality's
    districts (Beijing 11, Tianjin 12, Shanghai 31, Chongqing 50) are in the municipality. Codes
    that are not six digits stay as they are (a brand's own region codes)."""
    if len(code) != 6 or not code.isdigit() or code.endswith("0000"):
        return code
    return code[:2] + "0000" if code[:2] in ("11", "12", "31", "50") else code[:4] + "00"


class RegionDataMissing(RuntimeError):
    """The cpca package (the divisions' data) is not installed."""


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: straight-line order there is great-circle order."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


class Nearest:
    """The nearest of fixed points to a position (a KD-tree on unit-sphere vectors)."""

    def __init__(self, points: list[tuple[float, float]]) -> None:
        lat, lon = np.array([p[0] for p in points]), np.array([p[1] for p in points])
        self._tree = cKDTree(_unit_vectors(lat, lon)) if points else None

    def query(self, latitude: float, longitude: float) -> tuple[float, int] | None:
        """(great-circle km, index of the point); None when there are no points."""
        if self._tree is None:
            return None
        # One point on the scan path: plain math, not numpy's per-array set-up (4x cheaper).
        la, lo = math.radians(latitude), math.radians(longitude)
        point = (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))
        chord, i = self._tree.query(point)
        return 2 * EARTH_KM * math.asin(min(1.0, float(chord) / 2)), int(i)


class Divisions:
    def __init__(self, rows: list[Division]) -> None:
        self.by_code = {d.code: d for d in rows}
        # Only the smallest divisions place points (districts; cities without districts; Hong
        # Kong, Macau and Taiwan, which the table does not divide): a province's or a city's
        # centre would otherwise win near itself.
        with_districts = {d.code[:4] for d in rows if not d.code.endswith("00")}
        with_cities = {d.code[:2] for d in rows if not d.code.endswith("0000")}
        self._places = [
            d
            for d in rows
            if (d.code.endswith("0000") and d.code[:2] not in with_cities)
            or (
                not d.code.endswith("0000")
                and not (d.code.endswith("00") and d.code[:4] in with_districts)
            )
        ]
        self._nearest = Nearest([(d.latitude, d.longitude) for d in self._places])
        self._areas: dict[frozenset[str], Nearest] = {}

    def locate(self, latitude: float, longitude: float) -> Division | None:
        """The district a point falls in (nearest centre); None if nowhere near China."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None
        found = self._nearest.query(latitude, longitude)
        if found is None or found[0] > MAX_KM_FROM_CENTRE:
            return None
        return self._places[found[1]]

    def area(self, codes: frozenset[str]) -> Nearest:
        """The district centres inside these regions (provinces, cities or districts): how far
        a point is from a dealer's territory, not only whether its nearest centre is in it."""
        found = self._areas.get(codes)
        if found is None:
            # By code prefix: a province's 2 digits, a city's 4, a district's 6 (Chongqing's
            # "市辖区" 500100 holds its districts 5001xx, though their city is the province).
            prefixes = tuple(
                c[:2] if c.endswith("0000") else c[:4] if c.endswith("00") else c for c in codes
            )
            inside = [d for d in self._places if prefixes and d.code.startswith(prefixes)]
            found = self._areas[codes] = Nearest([(d.latitude, d.longitude) for d in inside])
        return found

    def centre(self, code: str) -> Division | None:
        return self.by_code.get(code)


@cache
def divisions() -> Divisions:
    try:
        path = distribution("cpca").locate_file("cpca/resources/adcodes.csv")
    except PackageNotFoundError as exc:  # pragma: no cover - a broken install
        raise RegionDataMissing("install the cpca package: it ships the divisions") from exc
    rows = []
    with open(str(path), encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if not (r["latitude"] and r["longitude"]):
                continue  # a few renamed or merged divisions have no centre in the file
            rows.append(
                Division(r["adcode"][:6], r["name"], float(r["latitude"]), float(r["longitude"]))
            )
    return Divisions(rows)


def locate(latitude: float, longitude: float) -> Division | None:
    return divisions().locate(latitude, longitude)
