"""Who scans what, when and from where, in a simulated world: honest consumers, stores opening
cases, and five styles of wool party. Every scan carries its truth (`fraud`, `style`) for
evaluation; the scan pipeline never sees it.

Honest behaviour includes what looks like fraud in one feature: families sharing a phone,
everyone on a city's mobile network behind a few carrier NAT addresses, friends scanning a
case's caps together over dinner on one Wi-Fi, travellers, no or district-level positions.
Fraud includes what looks honest in most features: slow-and-low rings that scan one or two caps
a day from their own phones in their own city, and emulators with a clean-looking User-Agent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from simulator.world import CASE, DAY_MS, World

HOUR_MS = 3_600_000
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android {v}; {m} Build/{b}; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/{c}.0.0.0 Mobile Safari/537.36 XWEB/{x} MMWEBSDK/20240301 "
    "MicroMessenger/8.0.{w}.2620(0x28003036) WeChat/arm64 Weixin NetType/{n} Language/zh_CN "
    "ABI/arm64 MiniProgramEnv/android"
)
IOS_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS {v}_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/8.0.{w}(0x18003030) NetType/{n} Language/zh_CN"
)
EMULATOR_UA = (
    "Mozilla/5.0 (Linux; Android 9; {m} Build/PQ3A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/91.0.4472.114 Mobile Safari/537.36 MicroMessenger/8.0.{w}.2620 "
    "NetType/WIFI Language/zh_CN"
)
MODELS = ["V2049A", "PEHM00", "M2012K11AC", "ANA-AN00", "SM-G9910", "RMX3031", "22081212C"]
EMULATORS = ["sdk_gphone_x86", "MuMu", "SM-G977N Build/LDPlayer", "vbox86p", "Nox"]


@dataclass
class Person:
    openid: str
    device: str
    ip: str
    ua: str
    city: str
    lat: float
    lon: float
    located: bool


@dataclass
class Traffic:
    events: list[dict[str, Any]] = field(default_factory=list)
    fraud_accounts: set[str] = field(default_factory=set)
    honest_accounts: set[str] = field(default_factory=set)
    styles: dict[str, int] = field(default_factory=dict)  # fraud scans by style


def _ua(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return IOS_UA.format(v=rng.randint(14, 18), w=rng.randint(40, 55), n=_net(rng))
    return WECHAT_UA.format(
        v=rng.randint(9, 14),
        m=rng.choice(MODELS),
        b=f"TP1A.{rng.randint(220000, 240000)}",
        c=rng.randint(100, 125),
        x=rng.randint(1300, 1400),
        w=rng.randint(40, 55),
        n=_net(rng),
    )


def _net(rng: random.Random) -> str:
    return rng.choice(["WIFI", "4G", "5G"])


class _Ids:
    def __init__(self, rng: random.Random, prefix: str) -> None:
        self.rng, self.prefix, self.n = rng, prefix, 0

    def __call__(self, kind: str) -> str:
        self.n += 1
        return f"{self.prefix}{kind}{self.n:06d}{self.rng.getrandbits(24):06x}"


class _Blocks:
    """Each city's /24 address blocks as drawn, except that a block is routed from one province,
    as real address plans are: a draw that lands on another province's block moves to the next
    free one, drawing nothing more, so the rest of the world stays as drawn. (Two provinces on
    one /24 gave its located scans' place to the other's buyers: docs/risk.md.)"""

    def __init__(self, world: World) -> None:
        self.province_of = {code: city.province.code for code, city in world.cities.items()}
        self.owner: dict[tuple[int, int, int], str] = {}

    def __call__(self, city: str, a: int, b: int, c: int) -> str:
        province = self.province_of[city]
        for step in range(256):
            third = (c + step) % 256
            if self.owner.setdefault((a, b, third), province) == province:
                return f"{a}.{b}.{third}"
        raise ValueError(f"no free /24 left in {a}.{b}.0.0/16")


def generate(world: World, codes: list[str], case_codes: list[str]) -> Traffic:
    """Events in time order. `codes[i]` is cap i's text; caps 12k..12k+11 are case k's."""
    rng = random.Random(world.seed * 7919 + 1)
    r = world.rates | {
        "scan_rate": rng.uniform(0.3, 0.6),  # caps their buyer scans
        "located": rng.uniform(0.4, 0.85),  # scans with a position
        "shared_phone": rng.uniform(0.02, 0.08),
        "party": rng.uniform(0.05, 0.2),  # cases drunk by a group scanning together
        "traveller": rng.uniform(0.01, 0.05),
        "store_scans": rng.uniform(0.6, 0.95),  # registered stores that scan cases they open
        "fraud_rings": rng.randint(5, 10),
    }
    world.rates = r
    ids = _Ids(rng, f"s{world.seed}")
    t = Traffic()
    city_codes = sorted(world.cities)
    block = _Blocks(world)
    cgnat = {
        c: [f"{block(c, 10, i, rng.randint(0, 255))}.{rng.randint(1, 254)}" for i in range(3)]
        for c in city_codes
    }
    broadband = {c: block(c, 113, rng.randint(0, 255), rng.randint(0, 255)) for c in city_codes}

    def honest(city: str) -> Person:
        c = world.cities[city].division
        mobile = rng.random() < 0.6
        ip = rng.choice(cgnat[city]) if mobile else f"{broadband[city]}.{rng.randint(1, 254)}"
        p = Person(
            ids("h"),
            ids("dev"),
            ip,
            _ua(rng),
            city,
            c.latitude + rng.gauss(0, 0.05),
            c.longitude + rng.gauss(0, 0.05),
            rng.random() < r["located"],
        )
        t.honest_accounts.add(p.openid)
        return p

    people: dict[str, list[Person]] = {c: [] for c in city_codes}
    for c in city_codes:
        for _ in range(max(20, len(world.cases) * CASE // len(city_codes) // 6)):
            p = honest(c)
            people[c].append(p)
            if rng.random() < r["shared_phone"]:  # a family on one phone
                for _ in range(rng.randint(1, 2)):
                    q = honest(c)
                    q.device, q.ua, q.ip = p.device, p.ua, p.ip
                    people[c].append(q)

    unscanned: list[tuple[int, int]] = []  # (cap index, sold at ms): caps left for collectors
    for plan in world.cases:
        store = world.stores[plan.store]
        ship = plan.shipped_ms or world.start_ms + int(rng.uniform(0, 10) * DAY_MS)
        opened = ship + int(rng.uniform(0.2, 3) * DAY_MS)
        if store.registered and rng.random() < r["store_scans"]:
            t.events.append(
                {
                    "type": "open_case",
                    "at_ms": opened,
                    "case": case_codes[plan.index],
                    "store": store.code,
                }
            )
        caps = list(range(plan.index * CASE, plan.index * CASE + CASE))
        if rng.random() < r["party"]:
            friends = rng.sample(
                people[store.city], min(len(people[store.city]), rng.randint(3, 6))
            )
            at = opened + int(rng.uniform(0.5, 4) * DAY_MS)
            wifi = f"{broadband[store.city]}.{rng.randint(1, 254)}"
            for cap in caps:
                if rng.random() < r["scan_rate"] + 0.2:
                    who = rng.choice(friends)
                    at += int(rng.expovariate(1 / 240_000))
                    _scan(t, who, codes[cap], at, store.lat, store.lon, wifi, False, "", rng)
                else:
                    unscanned.append((cap, at))
            continue
        for cap in caps:
            sold = opened + int(rng.expovariate(1 / (2 * DAY_MS)))
            if rng.random() >= r["scan_rate"]:
                unscanned.append((cap, sold))
                continue
            buyer = rng.choice(people[store.city])
            lat, lon = buyer.lat, buyer.lon
            if rng.random() < r["traveller"]:  # carried home or on holiday, far away
                far = world.cities[rng.choice(city_codes)].division
                lat, lon = far.latitude + rng.gauss(0, 0.05), far.longitude + rng.gauss(0, 0.05)
            at = sold + int(rng.expovariate(1 / (6 * HOUR_MS)))
            _scan(t, buyer, codes[cap], at, lat, lon, buyer.ip, False, "", rng)

    _fraud(world, t, rng, ids, codes, unscanned, cgnat, r)
    t.events.sort(key=lambda e: e["at_ms"])
    return t


def _scan(
    t: Traffic,
    p: Person,
    code: str,
    at: int,
    lat: float,
    lon: float,
    ip: str,
    fraud: bool,
    style: str,
    rng: random.Random,
    *,
    located: bool | None = None,
) -> None:
    show = p.located if located is None else located
    t.events.append(
        {
            "type": "consumer",
            "at_ms": at,
            "code": code,
            "openid": p.openid,
            "device_id": p.device,
            "ip": ip,
            "user_agent": p.ua,
            "latitude": round(lat + rng.gauss(0, 0.01), 5) if show else None,
            "longitude": round(lon + rng.gauss(0, 0.01), 5) if show else None,
            "fraud": fraud,
            "style": style,
        }
    )
    if fraud:
        t.fraud_accounts.add(p.openid)
        t.styles[style] = t.styles.get(style, 0) + 1


def _fraud(
    world: World,
    t: Traffic,
    rng: random.Random,
    ids: _Ids,
    codes: list[str],
    unscanned: list[tuple[int, int]],
    cgnat: dict[str, list[str]],
    r: dict[str, float],
) -> None:
    """Rings of five styles share the caps honest buyers left unscanned (bought from recycling
    stations and bars) and the caps of unshipped cases (a leaked print file)."""
    rng.shuffle(unscanned)
    styles = ["farm", "collectors", "emulator", "slow", "leak"]
    rings = [styles[i % 5] for i in range(int(r["fraud_rings"]))]
    rng.shuffle(rings)
    share = rng.uniform(0.25, 0.5)  # of unscanned caps that reach wool parties
    pool = unscanned[: int(len(unscanned) * share)]
    per_ring = max(1, len(pool) // max(1, len(rings)))
    shipped = {p.index for p in world.cases if p.shipped_ms is not None}
    never = [i for i in range(world.bottles) if i // CASE not in shipped]
    city_codes = sorted(world.cities)
    for n, style in enumerate(rings):
        caps = pool[n * per_ring : (n + 1) * per_ring]
        city = rng.choice(city_codes)
        home = world.cities[city].division
        net = f"{rng.randint(36, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        if style == "leak":
            caps = [
                (i, world.start_ms + int(rng.uniform(0, 5) * DAY_MS))
                for i in rng.sample(never, min(len(never), per_ring // 2 + 10))
            ]
        if style == "farm":
            phones = [ids("dev") for _ in range(rng.randint(2, 4))]
            accounts = [(ids("f"), rng.choice(phones)) for _ in range(rng.randint(15, 60))]
        elif style == "emulator":
            accounts = [(ids("e"), "") for _ in range(rng.randint(5, 15))]
        elif style == "slow":
            accounts = [(ids("w"), ids("dev")) for _ in range(rng.randint(15, 40))]
        else:
            accounts = [(ids("c"), ids("dev")) for _ in range(rng.randint(8, 25))]
        master = ids("dev")
        ua_for = {a: _ua(rng) for a, _ in accounts}
        at_for = {a: 0 for a, _ in accounts}
        caps.sort(key=lambda c: c[1])
        for k, (cap, sold) in enumerate(caps):
            openid, device = (
                accounts[k % len(accounts)] if style != "slow" else rng.choice(accounts)
            )
            at = max(sold + int(rng.uniform(1, 6) * DAY_MS), at_for[openid])
            ip = f"{net}.{rng.randint(1, 4)}"
            lat, lon, located = home.latitude, home.longitude, rng.random() < 0.5
            ua = ua_for[openid]
            if style == "farm":  # night sessions, accounts rotated every few seconds
                day = at // DAY_MS * DAY_MS
                at = max(at_for[openid], day + int((15 + rng.uniform(0, 6)) * HOUR_MS)) + int(
                    rng.uniform(5_000, 40_000)
                )
            elif style == "emulator":  # a fresh device id a day, GPS anywhere
                device = f"emu{openid[-6:]}{at // DAY_MS}"
                far = world.cities[rng.choice(city_codes)].division
                lat, lon, located = far.latitude, far.longitude, True
                ua = EMULATOR_UA.format(m=rng.choice(EMULATORS), w=50) if rng.random() < 0.6 else ua
                ip = f"{rng.randint(36, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.9"
            elif style == "slow":  # one or two a day, daytime, own phone, carrier NAT
                day = max(at, at_for[openid] + int(rng.uniform(0.6, 2) * DAY_MS)) // DAY_MS
                at = day * DAY_MS + int(rng.uniform(2, 13) * HOUR_MS)
                ip = rng.choice(cgnat[city])
                located = rng.random() < r["located"]
                lat, lon = lat + rng.gauss(0, 0.05), lon + rng.gauss(0, 0.05)
                if rng.random() < 0.08:
                    device = master  # the ring's organiser logs each account in once
            elif style == "collectors":
                at += int(rng.uniform(0, 10) * 60_000)
            at_for[openid] = at
            person = Person(openid, device, ip, ua, city, lat, lon, located)
            _scan(t, person, codes[cap], at, lat, lon, ip, True, style, rng)
