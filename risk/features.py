"""Real-time features of a consumer scan, from windows kept in Redis.

One script call (features.lua) records the scan in every window it belongs to and reads them all
back: scans per account, device and IP over 10 minutes, an hour and a day (sorted sets of scans,
trimmed to their span and a few hundred members); distinct accounts per device, IP and /24
network and devices per account over the last week (sorted sets of member -> last seen, capped
at the most recent 64, so the count saturates there); distinct accounts on the scanned code's
case (a HyperLogLog); the account's first and last scan and where; the codes it scanned lately;
the most accounts any of its phones had seen (a farm's or ring organiser's phone marks every
account it logs in, on the account's own phone too); how many of its caps came from cases that
had not left the warehouse; when and where the case was shipped or opened; where located scans
from the scan's /24 and of the case's other caps were; rings found by the graph job. The rest is
arithmetic here. The script takes the scan's own time, so a replay of last month computes the
features the live scan would have.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import redis
from sqlalchemy.orm import Session

from infra.db import after_commit
from infra.redis import brand_key, get_redis, run_script
from risk.regions import km

_SCRIPT = (Path(__file__).parent / "features.lua").read_text()
WINDOW_CAP = 300  # scans a window keeps: a farm phone saturates it, nobody else
DISTINCT_CAP = 64  # members a distinct count keeps: a farm's device or address passes it
ACCOUNT_RECENT = 64  # scans of the last week an account's record keeps
PLACE_SCANS = 100  # located scans a network's or a case's place averages over, at most
NET_PLACE_MIN = 3  # located scans before a network's place counts
# A network whose located scans spread wider than a city does not place a scan: a carrier's
# mobile addresses serve a province (domain.md: IP geolocation is ~180 km off on mobile).
NET_PLACE_RADIUS_KM = 100.0
_SEPARATORS = re.compile("[\x1e\x1f]")
TTL_MS = 2 * 86_400_000
WEEK_MS = 7 * 86_400_000
CHINA_OFFSET_S = 8 * 3600  # one time zone, UTC+8 all year, for the whole country

FEATURES: tuple[str, ...] = (
    "acct_scans_10m",
    "acct_scans_1h",
    "acct_scans_24h",
    "dev_scans_10m",
    "dev_scans_24h",
    "ip_scans_1h",
    "dev_accounts",  # distinct accounts on this device in the last week (at most 64)
    "acct_devices",
    "ip_accounts",
    "net_accounts",  # distinct accounts on this /24 (IPv4) or /48 (IPv6)
    "case_accounts",  # distinct accounts that scanned caps of this case
    "acct_wins",  # prizes the account has won in this campaign
    "acct_age_h",
    "acct_scans_ever",
    "adjacent_codes",  # of the account's last 20 codes, those within a case's length of this one
    "acct_cases",  # distinct cases the account's caps came from in the last week, this one's too
    "has_location",
    "km_since_last",
    "kmh_since_last",
    "mins_since_last",
    "km_from_shipped",
    "km_nearest_store",
    "hour_local",
    "hours_since_shipped",
    "hours_since_opened",
    "ua_emulator",
    "ua_not_wechat",
    "ring_size",
    "ring_confirmed",
    "acct_device_peak",  # the most accounts a phone this account used had seen, at the time
    "acct_unshipped",  # the account's scans of caps whose known case had not left the warehouse
    # km from where the code's case was shipped to where located scans from this scan's /24
    # usually are: places a scan without a position (-1: not shipped, or the network has too
    # few located scans, or too spread out, to have a place)
    "net_km_from_shipped",
    # km from where this scan is (its position, or else its network's usual place) to where the
    # located scans of its case's other caps were (-1: either unknown)
    "km_from_case_scans",
)
# Features are only ever appended: a scan recorded before a feature existed has a shorter row,
# and `padded` reads the later ones as unknown; a model trained before them still scores
# (risk/model.py), on the features it knows.
INDEX = {name: i for i, name in enumerate(FEATURES)}
UNKNOWN = -1.0
ADJACENT = 24

# Markers of Android emulators, hooking frameworks and scripted clients in a User-Agent. A
# tampered client may hide them, which is why this is one feature among many, not a verdict.
_EMULATOR = re.compile(
    r"sdk_gphone|google_sdk|Android SDK built for|Emulator|generic_x86|vbox86|Genymotion|"
    r"BlueStacks|MuMu|Nox|LDPlayer|MEmu|Xposed|Frida|Magisk|HeadlessChrome|PhantomJS|Selenium|"
    r"python-requests|python-urllib|okhttp|curl/|Go-http-client|aiohttp|Java/",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScanFacts:
    """What the scan pipeline knows of a scan, beyond the request."""

    brand_id: int
    campaign_id: int
    scan_id: str
    openid: str
    device_id: str
    ip: str
    latitude: float | None
    longitude: float | None
    user_agent: str
    batch_id: int
    serial: int
    at_ms: int
    case_key: str  # "<batch id>:<serial>" of the case the code is packed in, "" if unknown
    pallet_key: str
    wins_key: str  # the claim script's counter of the account's wins in the campaign


def network(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; "" if it is not an address."""
    parts = ip.split(".")
    # The common case without the ipaddress module, which costs ten times more on the scan path.
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        return f"{int(parts[0])}.{int(parts[1])}.{int(parts[2])}.0"
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False).network_address)


def keys_for(f: ScanFacts, net: str) -> list[str]:
    # One brand_key for the prefix, f-strings for the rest: 18 brand_key calls were a tenth of
    # the feature step's CPU.
    p = brand_key(f.brand_id, "risk")
    return [
        f"{p}:d:{f.device_id}:t",
        f"{p}:i:{f.ip}:t",
        f"{p}:a:{f.openid}",
        f"{p}:case:{f.case_key}:a",
        f"{p}:case:{f.case_key}",
        f"{p}:case:{f.pallet_key}",
        f"{p}:d:{f.device_id}:a",
        f"{p}:i:{f.ip}:a",
        f"{p}:n:{net}:a",
        f.wins_key,
        f"{p}:rings",
        f"{p}:rate:{f.at_ms // 1000}",
        f"{p}:n:{net}:p",
        f"{p}:case:{f.case_key}:p",
    ]


def case_key(brand_id: int, case: str) -> str:
    return brand_key(brand_id, "risk", "case", case)


def rings_key(brand_id: int) -> str:
    """Hash of `a:<openid>` / `d:<device>` -> `<ring size>|<1 if staff confirmed it>`."""
    return brand_key(brand_id, "risk", "rings")


@dataclass(frozen=True)
class CaseNote:
    brand_id: int
    case: str  # "<batch id>:<serial>" of a case or pallet
    at_ms: int
    latitude: float | None
    longitude: float | None
    opened: bool = False


def note_case(session: Session, note: CaseNote) -> None:
    """A case (or pallet) was shipped to a place, or opened at a store: later scans of its
    codes measure their distance and time from it. Written once the session commits."""
    after_commit(session, "risk_case_notes", note, _write_notes)


def _write_notes(notes: list[CaseNote]) -> None:
    pipe = get_redis().pipeline(transaction=False)
    for n in notes:
        key = case_key(n.brand_id, n.case)
        pipe.hset(key, "opened" if n.opened else "shipped", n.at_ms)
        if n.latitude is not None and n.longitude is not None:
            pipe.hset(key, "lat", n.latitude)
            pipe.hset(key, "lon", n.longitude)
        pipe.pexpire(key, 400 * 86_400_000)  # a case sells within a year
    pipe.execute()


def observe(
    client: redis.Redis, f: ScanFacts, *, nearest_store_km: float | None
) -> tuple[list[float], int]:
    """Record the scan; return its features, in FEATURES order, and how many consumer scans
    the brand has had in this second, this one included (for its rate limit)."""
    net = network(f.ip)
    located = f.latitude is not None and f.longitude is not None
    lat, lon = (repr(f.latitude), repr(f.longitude)) if located else ("", "")
    args: list[str | int | float] = [
        f.at_ms,
        f.scan_id,
        f.openid,
        _SEPARATORS.sub("", f.device_id),  # the account's record separates fields with them
        f.ip,
        net,
        f"{f.batch_id}:{f.serial}",
        WINDOW_CAP,
        TTL_MS,
        lat,
        lon,
        f.case_key,
        WEEK_MS,
        DISTINCT_CAP,
        f.pallet_key,
        ACCOUNT_RECENT,
        PLACE_SCANS,
    ]
    raw = run_script(client, _SCRIPT, keys_for(f, net), args)
    x = compute(f, [r.decode() if type(r) is bytes else r for r in raw], nearest_store_km)
    return x, int(raw[28])


def _num(text: str | int) -> float | None:
    return float(text) if text != "" else None


def compute(f: ScanFacts, raw: list[str | int], nearest_store_km: float | None) -> list[float]:
    (a10, a60, a24, d10, d24, i60, dev_accts, acct_devs, ip_accts, net_accts, case_accts) = (
        float(x) for x in raw[:11]
    )
    wins = float(raw[11])
    first, last, last_lat, last_lon = (_num(x) for x in raw[12:16])
    ever = float(raw[16])
    recent = str(raw[17])
    shipped, ship_lat, ship_lon, opened = (_num(x) for x in raw[18:22])
    p_shipped, p_lat, p_lon = (_num(x) for x in raw[22:25])
    ring = str(raw[25]) or (str(raw[26]) if f.device_id else "")
    now = f.at_ms
    own = (f.latitude, f.longitude) if f.latitude is not None and f.longitude is not None else None
    located = own is not None
    moved = mins = speed = UNKNOWN
    if last is not None:
        mins = (now - last) / 60_000
    if own is not None and last_lat is not None and last_lon is not None and last is not None:
        moved = km(last_lat, last_lon, *own)
        speed = moved / max((now - last) / 3_600_000, 1 / 60)  # at least a minute apart
    if shipped is None and p_shipped is not None:
        shipped, ship_lat, ship_lon = p_shipped, p_lat, p_lon
    net_place = _net_place(raw[31:36])
    here = own or net_place
    from_ship = net_from_ship = UNKNOWN
    if ship_lat is not None and ship_lon is not None:
        if own is not None:
            from_ship = km(ship_lat, ship_lon, *own)
        if net_place is not None:
            net_from_ship = km(ship_lat, ship_lon, *net_place)
    case_place = _place(raw[36:39], 1)
    from_case = UNKNOWN
    if here is not None and case_place is not None:
        from_case = km(*here, *case_place)
    ring_size, ring_confirmed = 0.0, 0.0
    if ring:
        size, _, confirmed = ring.partition("|")
        ring_size, ring_confirmed = float(size), float(confirmed == "1")
    ua_emulator, ua_not_wechat = _client(f.user_agent)
    local_s = (now // 1000 + CHINA_OFFSET_S) % 86_400
    return [
        a10,
        a60,
        a24,
        d10,
        d24,
        i60,
        dev_accts,
        acct_devs,
        ip_accts,
        net_accts,
        case_accts,
        wins,
        (now - first) / 3_600_000 if first is not None else 0.0,
        ever,
        float(_adjacent(recent, f.batch_id, f.serial)),
        float(raw[27]),
        float(located),
        moved,
        speed,
        mins,
        from_ship,
        nearest_store_km if nearest_store_km is not None else UNKNOWN,
        local_s // 3600 + (local_s % 3600 // 60) / 60,
        (now - shipped) / 3_600_000 if shipped is not None else UNKNOWN,
        (now - opened) / 3_600_000 if opened is not None else UNKNOWN,
        ua_emulator,
        ua_not_wechat,
        ring_size,
        ring_confirmed,
        float(raw[29]),
        float(raw[30]),
        net_from_ship,
        from_case,
    ]


def _place(raw: list[str | int], at_least: int) -> tuple[float, float] | None:
    """A running mean of positions as the script keeps it (count, latitude, longitude), if
    it averages `at_least` of them."""
    n, lat, lon = raw
    if int(n) < at_least or lat == "" or lon == "":
        return None
    return float(lat), float(lon)


def _net_place(raw: list[str | int]) -> tuple[float, float] | None:
    """The network's place if its located scans are as close together as a city's."""
    place = _place(raw[:3], NET_PLACE_MIN)
    if place is None or raw[3] == "" or raw[4] == "":
        return None
    lat, lon = place
    var_lat = max(0.0, float(raw[3]) - lat * lat)
    var_lon = max(0.0, float(raw[4]) - lon * lon)
    spread_km = 111.2 * math.sqrt(var_lat + var_lon * math.cos(math.radians(lat)) ** 2)
    return place if spread_km <= NET_PLACE_RADIUS_KM else None


@lru_cache(maxsize=8192)
def _client(user_agent: str) -> tuple[float, float]:
    """(emulator or script markers, not WeChat) of a User-Agent. Cached: a few thousand
    strings cover a market's phones, and the pattern costs tens of µs a search."""
    return float(bool(_EMULATOR.search(user_agent))), float("MicroMessenger" not in user_agent)


def _adjacent(recent: str, batch_id: int, serial: int) -> int:
    n = 0
    prefix = f"{batch_id}:"
    for item in recent.split(",") if recent else ():
        if item.startswith(prefix):
            s = item[len(prefix) :]
            if s.isdigit() and 0 < abs(int(s) - serial) <= ADJACENT:
                n += 1
    return n


def padded(x: list[float]) -> list[float] | None:
    """A recorded feature row as today's FEATURES: one recorded before the later features
    existed gets them as unknown; None if it is not a row of these features at all."""
    if not x or len(x) > len(FEATURES):
        return None
    return [*x, *[UNKNOWN] * (len(FEATURES) - len(x))]


def finite(values: list[float]) -> list[float]:
    """Features as the model takes them: no inf or NaN (a replayed log may carry anything)."""
    return [v if math.isfinite(v) else UNKNOWN for v in values]
