"""The demo brand's people, generated: who they are, how each source saw them, what they did.

One person may reach the brand through up to three sources, each producing its own record:

- WeCom (``wecom``): a guide's contact way was scanned. Keys: the external_userid, the WeChat
  unionid when the corp is bound to the Open Platform, a phone when the guide noted one.
- the mall's member system (``import``): member number and phone, real name, birthday.
- the mini-program (``api``): openid, the unionid, a phone once the person authorised it.

Records carry keys only as each source would know them: whether two of them become one
customer is left to the OneID rule. A WeCom contact without phone and a mall member stay two
customers until a mini-program login carrying both the unionid and the phone merges them.

Deterministic: one random stream, consumed person by person in order of first contact, so the
same seed, size and end date give the same people whatever the batch size. First contacts are
drawn as sorted uniforms (no list of a million times to sort) mapped through the calendar.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from bisect import bisect
from itertools import accumulate
from base64 import urlsafe_b64encode
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from siyu.domain.customers import CustomerRecord, Gender, Profile, RelationState, TagSource
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.services.demo import catalogue as cat
from siyu.services.demo.organisation import DemoGuide, DemoOrganisation, DemoStore
from siyu.services.oneid_bulk import Incoming

CST = timezone(timedelta(hours=8), "CST")
WINDOW_DAYS = 730
DAY = 86_400.0
SYSTEM = "system"



class _Weighted:
    """A weighted choice with the cumulative weights worked out once (``random.choices`` redoes
    them on every call, which shows at a million people)."""

    def __init__(self, population: Sequence[Any], weights: Sequence[float]) -> None:
        self.population = tuple(population)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    @classmethod
    def of(cls, pairs: Sequence[tuple[Any, float]]) -> _Weighted:
        return cls([p for p, _ in pairs], [w for _, w in pairs])

    def pick(self, rng: random.Random) -> Any:
        return self.population[bisect(self.cumulative, rng.random() * self.total)]


# Which sources a person reaches the brand through, and how often.
_COMBOS = _Weighted.of((
    (("wecom",), 43), (("wecom", "miniapp"), 20), (("wecom", "mall"), 8), (("wecom", "miniapp", "mall"), 14),
    (("miniapp",), 6), (("mall",), 4), (("miniapp", "mall"), 5),
))
_GENDERS = _Weighted.of(((Gender.FEMALE, 58), (Gender.MALE, 38), (Gender.UNKNOWN, 4)))
_AGES = _Weighted.of([(age, (age - 16) * 0.92 ** (age - 16)) for age in range(18, 63)])  # most are 22-35
_TASTES = _Weighted.of(cat.TASTES)
_ALLERGENS = _Weighted.of(cat.ALLERGENS)
_INTERESTS = _Weighted.of(cat.INTERESTS)
_INTEREST_COUNT = _Weighted.of(((0, 35), (1, 35), (2, 20), (3, 10)))
_SOURCE = {"wecom": IdentitySource.WECOM.value, "mall": IdentitySource.IMPORT.value, "miniapp": IdentitySource.API.value}
_PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199",
)
# Lifecycle: (stage, chance of reaching it from the one before, mean days it takes).
_PATH = (("意向", 0.6, 10.0), ("首购", 0.6, 20.0), ("复购", 0.55, 40.0), ("忠诚", 0.4, 90.0))
_DORMANT_AFTER_DAYS = 120


@dataclass(slots=True)
class PlannedRelation:
    guide: DemoGuide
    at: datetime
    channel: cat.DemoChannel
    remark: str | None
    ended: tuple[RelationState, datetime] | None


@dataclass(slots=True)
class PlannedTag:
    record: int  # the record whose customer gets the tag
    group: str
    name: str
    source: str
    applied_by: str
    at: datetime


@dataclass(slots=True)
class Person:
    index: int
    records: tuple[Incoming, ...]  # in time order
    anchor: int  # the record whose customer follows guides and moves through the stages
    relations: tuple[PlannedRelation, ...]
    stages: tuple[tuple[datetime, str, str], ...]  # (when, stage, actor)
    tags: tuple[PlannedTag, ...]
    last_activity: datetime


class PeopleGenerator:
    def __init__(self, organisation: DemoOrganisation, *, seed: int, people: int, today: date) -> None:
        self.rng = rng = random.Random(f"siyu-demo:{seed}:people")
        self.seed, self.people = seed, people
        self.end = datetime(today.year, today.month, today.day, tzinfo=CST)
        self.start = self.end - timedelta(days=WINDOW_DAYS)
        self._build_calendar()
        self.stores = [s for s in organisation.stores if s.guides]
        if not self.stores:
            raise ValueError("the demo organisation has no guides")
        self._store_weights = _Weighted(self.stores, [rng.uniform(0.6, 1.6) for _ in self.stores])
        self._online_pool = [g for s in self.stores for g in s.guides]
        self._turn: dict[int, int] = {}  # contact-way rotation: store id (0 = online) -> next guide
        self._phone_a, self._phone_b = _coprime_to_ten(rng, 10**8), rng.randrange(10**8)
        self._member_a, self._member_b = _coprime_to_ten(rng, 10**10), rng.randrange(10**10)

    # time
    def _build_calendar(self) -> None:
        """Weights per (day, hour) slot: growth, weekday, seasons and the hour of the day."""
        self._slot_cum: list[float] = []
        self._hot: list[frozenset[str]] = []  # per day: online channels that run hot
        total = 0.0
        first = self.start.date()
        for d in range(WINDOW_DAYS):
            day = first + timedelta(days=d)
            factor = cat.GROWTH_OVER_WINDOW ** (d / WINDOW_DAYS) * cat.WEEKDAY_WEIGHTS[day.weekday()]
            hot: set[str] = set()
            for month, lo, hi, season, channels in cat.SEASONS:
                if day.month == month and lo <= day.day <= hi:
                    factor *= season
                    hot.update(channels)
            self._hot.append(frozenset(hot))
            for hour_weight in cat.HOUR_WEIGHTS:
                total += factor * hour_weight
                self._slot_cum.append(total)

    def first_contacts(self) -> Iterator[datetime]:
        """``people`` times in ascending order, distributed as the calendar says."""
        rng, n, total = self.rng, self.people, self._slot_cum[-1]
        remaining, slot = 1.0, 0
        for k in range(n):
            remaining *= (1.0 - rng.random()) ** (1.0 / (n - k))  # the next of n sorted uniforms
            target = (1.0 - remaining) * total
            while slot < len(self._slot_cum) - 1 and self._slot_cum[slot] < target:
                slot += 1
            low = self._slot_cum[slot - 1] if slot else 0.0
            within = (target - low) / (self._slot_cum[slot] - low)
            seconds = slot * 3600 + min(3599, int(within * 3600))
            yield (self.start + timedelta(seconds=seconds)).astimezone(UTC)

    def _later(self, at: datetime, mean_days: float, *, least_seconds: int = 600) -> datetime | None:
        """A moment after ``at`` (an exponential wait, in UTC), or None when it falls after the window."""
        then = at + timedelta(seconds=least_seconds + int(self.rng.expovariate(1.0 / (mean_days * DAY))))
        return then if then < self.end else None

    # people
    def __iter__(self) -> Iterator[Person]:
        for index, first in enumerate(self.first_contacts()):
            yield self._person(index, first)

    def _person(self, index: int, first: datetime) -> Person:
        rng = self.rng
        gender = _GENDERS.pick(rng)
        surname = rng.choice(cat.SURNAMES)
        pool = cat.GIVEN_MALE if gender is Gender.MALE else cat.GIVEN_FEMALE
        real_name = surname + "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.25 else 2))
        birthday = self._birthday()
        online_only = rng.random() < 0.08
        store = self._store_weights.pick(rng)
        city = rng.choice(cat.ONLINE_ONLY_CITIES) if online_only else store.city
        has_unionid = rng.random() < 0.85
        combo = list(_COMBOS.pick(rng))
        if "wecom" in combo and rng.random() < 0.7:
            combo.remove("wecom")
            rng.shuffle(combo)
            combo.insert(0, "wecom")
        else:
            rng.shuffle(combo)

        keys = _Keys(self, index)
        plans: list[tuple[datetime, str]] = []
        at: datetime | None = first
        for source in combo:
            if at is None:
                break
            plans.append((at, source))
            at = self._later(at, 45.0, least_seconds=3600)
        records: list[tuple[datetime, str, CustomerRecord]] = []
        relations: list[PlannedRelation] = []
        for at, source in plans:
            if source == "wecom":
                channel = self._channel(at, online_only, after=plans[0][1] if plans[0][1] != "wecom" else None)
                guide = self._guide(store, channel)
                remark = None
                if rng.random() < 0.25:
                    remark = surname + ("姐" if gender is Gender.FEMALE else "哥") + rng.choice(("", "-老客", "-拿铁", "-燕麦", "-公司团购"))
                found = [keys.key(IdentityKind.WECOM_EXTERNAL)]
                if has_unionid:
                    found.append(keys.key(IdentityKind.UNIONID))
                if rng.random() < 0.45:  # the guide noted a phone (remark_mobiles)
                    found.append(keys.key(IdentityKind.PHONE))
                name = rng.choice(cat.NICKNAMES) if rng.random() < 0.35 else real_name
                profile = Profile(name=name, gender=gender if rng.random() < 0.9 and gender else None, region=city)
                records.append((at, source, CustomerRecord(tuple(found), profile)))
                relations.append(self._relation(guide, channel, at, remark))
            elif source == "mall":
                mall_birthday = birthday if rng.random() < 0.85 else None
                profile = Profile(name=real_name, gender=gender or None, birthday=mall_birthday, region=city)
                fields = {"birth_month": mall_birthday.month} if mall_birthday else {}
                records.append((at, source, CustomerRecord((keys.key(IdentityKind.MEMBER_NO), keys.key(IdentityKind.PHONE)), profile, fields)))
            else:
                found = [keys.key(IdentityKind.OPENID)] + ([keys.key(IdentityKind.UNIONID)] if has_unionid else [])
                with_phone = rng.random() < 0.6
                if with_phone:
                    found.append(keys.key(IdentityKind.PHONE))
                fields = {}
                if rng.random() < 0.55:
                    fields["taste"] = _TASTES.pick(rng)
                if rng.random() < 0.1:
                    fields["allergens"] = sorted({_ALLERGENS.pick(rng), _ALLERGENS.pick(rng)})
                profile = Profile(region=city if rng.random() < 0.5 else None)
                records.append((at, source, CustomerRecord(tuple(found), profile, fields)))
                if not with_phone and rng.random() < 0.5:  # a later order: the phone is authorised at checkout
                    again = self._later(at, 30.0)
                    if again is not None:
                        records.append((again, source, CustomerRecord((keys.key(IdentityKind.OPENID), keys.key(IdentityKind.PHONE)))))
        records.sort(key=lambda r: r[0])
        sources = [s for _, s, _ in records]
        anchor = sources.index("wecom") if "wecom" in sources else 0
        anchor_at = records[anchor][0]
        guide_label = f"wecom:{relations[0].guide.wecom_userid}" if relations else SYSTEM
        if len(relations) == 1 and rng.random() < 0.07:  # a second guide, met in a store later
            second = self._second_relation(store, relations[0])
            if second is not None:
                relations.append(second)
        stages = self._stages(anchor_at, guide_label)
        tags = self._tags(records, anchor, relations, stages, guide_label)
        moments = [r[0] for r in records] + [r.at for r in relations] + [r.ended[1] for r in relations if r.ended]
        moments += [s[0] for s in stages] + [t.at for t in tags]
        return Person(
            index=index,
            records=tuple(Incoming(record, _SOURCE[source], at) for at, source, record in records),
            anchor=anchor,
            relations=tuple(relations),
            stages=tuple(stages),
            tags=tuple(tags),
            last_activity=max(moments),
        )

    def _birthday(self) -> date:
        rng = self.rng
        year = self.end.year - _AGES.pick(rng)
        month = rng.randint(1, 12)
        return date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))

    def _channel(self, at: datetime, online_only: bool, *, after: str | None) -> cat.DemoChannel:
        rng = self.rng
        if after == "miniapp" and rng.random() < 0.6:
            return cat.CHANNEL_BY_STATE["ch-miniapp-order"]
        local = at.astimezone(CST)
        day = (local.date() - self.start.date()).days
        hot = self._hot[day] if 0 <= day < WINDOW_DAYS else frozenset()
        evening = local.hour >= 19 or local.hour < 1
        weights = []
        for channel in cat.CHANNELS:
            if channel.online:
                weight = channel.weight * (1.6 if evening else 1.0) * (3.0 if channel.state in hot else 1.0)
                if channel.state == "ch-douyin-live" and evening and local.weekday() in cat.LIVE_STREAM_WEEKDAYS:
                    weight *= 2.0
            else:
                weight = 0.0 if online_only or after == "miniapp" else channel.weight * (1.3 if 7 <= local.hour <= 20 else 0.15)
            weights.append(weight)
        return cat.CHANNELS[bisect(list(accumulate(weights)), rng.random() * sum(weights))]

    def _guide(self, store: DemoStore, channel: cat.DemoChannel) -> DemoGuide:
        """Contact ways rotate: a store's code through its guides, online codes through all."""
        pool, turn_key = (self._online_pool, 0) if channel.online else (store.guides, store.id)
        turn = self._turn.get(turn_key, 0)
        self._turn[turn_key] = turn + 1
        return pool[turn % len(pool)]

    def _relation(self, guide: DemoGuide, channel: cat.DemoChannel, at: datetime, remark: str | None) -> PlannedRelation:
        rng = self.rng
        ended = None
        roll = rng.random()
        if roll < 0.085:
            state = RelationState.DELETED_BY_CUSTOMER if roll < 0.07 else RelationState.DELETED_BY_STAFF
            when = self._later(at, 60.0, least_seconds=3600)
            if when is not None:
                ended = (state, when)
        return PlannedRelation(guide, at, channel, remark, ended)

    def _second_relation(self, store: DemoStore, first: PlannedRelation) -> PlannedRelation | None:
        at = self._later(first.at, 120.0, least_seconds=86_400)
        if at is None:
            return None
        others = [g for g in store.guides if g.staff_id != first.guide.staff_id] or [
            g for g in self._online_pool if g.staff_id != first.guide.staff_id
        ]
        channel = cat.CHANNEL_BY_STATE[self.rng.choice(("ch-store-poster", "ch-store-cashier"))]
        return self._relation(self.rng.choice(others), channel, at, None)

    def _stages(self, start: datetime, guide_label: str) -> list[tuple[datetime, str, str]]:
        rng = self.rng
        moves = [(start, "新客", SYSTEM)]
        at = start
        for name, chance, mean_days in _PATH:
            if rng.random() >= chance:
                break
            later = self._later(at, mean_days)
            if later is None:
                break
            at = later
            moves.append((at, name, guide_label if name == "意向" else SYSTEM))
        quiet_since = at + timedelta(days=_DORMANT_AFTER_DAYS)
        if moves[-1][1] != "新客" and quiet_since < self.end and rng.random() < 0.5:
            dormant = self._later(quiet_since, 30.0)
            if dormant is not None:
                moves.append((dormant, "沉睡", SYSTEM))
        return moves

    def _tags(
        self, records: list[tuple[datetime, str, CustomerRecord]], anchor: int, relations: list[PlannedRelation],
        stages: list[tuple[datetime, str, str]], guide_label: str,
    ) -> list[PlannedTag]:
        rng = self.rng
        anchor_at, anchor_source, _ = records[anchor]
        if anchor_source == "wecom":
            tags = [PlannedTag(anchor, cat.SOURCE_GROUP, relations[0].channel.name, TagSource.CHANNEL.value, SYSTEM, anchor_at)]
        else:
            source = TagSource.IMPORT.value if anchor_source == "mall" else TagSource.RULE.value
            tags = [PlannedTag(anchor, cat.SOURCE_GROUP, cat.SOURCE_TAGS[anchor_source], source, SYSTEM, anchor_at)]
        wanted = _INTEREST_COUNT.pick(rng)
        chosen: list[str] = []
        while len(chosen) < wanted:
            name = _INTERESTS.pick(rng)
            if name not in chosen:
                chosen.append(name)
        for name in chosen:
            at = self._later(anchor_at, 30.0)
            if at is not None:
                source = TagSource.WECOM_SYNC.value if relations else TagSource.RULE.value
                tags.append(PlannedTag(anchor, cat.INTEREST_GROUP, name, source, guide_label, at))
        mall = next((i for i, r in enumerate(records) if r[1] == "mall"), None)
        if mall is not None:
            final = stages[-1][1] if stages[-1][1] != "沉睡" else stages[-2][1]
            level = {"复购": 1, "忠诚": 2 + (rng.random() < 0.3)}.get(final, 0)
            tags.append(PlannedTag(mall, cat.LEVEL_GROUP, cat.LEVELS[level], TagSource.IMPORT.value, SYSTEM, records[mall][0]))
        return tags


class _Keys:
    """A person's identity keys: opaque ids hashed from (seed, person), phone numbers and member
    numbers from a permutation of the person's index, so no two people ever share one."""

    def __init__(self, generator: PeopleGenerator, index: int) -> None:
        self.g, self.index = generator, index

    def key(self, kind: IdentityKind) -> IdentityKey:
        g, i = self.g, self.index
        if kind is IdentityKind.PHONE:
            suffix = (g._phone_a * i + g._phone_b) % 10**8
            return IdentityKey(kind, _PHONE_PREFIXES[(suffix * 31 + i) % len(_PHONE_PREFIXES)] + f"{suffix:08d}")
        if kind is IdentityKind.MEMBER_NO:
            return IdentityKey(kind, f"SC{(g._member_a * i + g._member_b) % 10**10:010d}")
        prefix = {IdentityKind.WECOM_EXTERNAL: "wm", IdentityKind.UNIONID: "oU", IdentityKind.OPENID: "oM"}[kind]
        digest = hashlib.blake2b(f"{g.seed}|{kind.value}|{i}".encode(), digest_size=21).digest()
        return IdentityKey(kind, prefix + urlsafe_b64encode(digest).decode()[: 28 if prefix == "wm" else 26])


def _coprime_to_ten(rng: random.Random, modulus: int) -> int:
    """A multiplier with no factor 2 or 5, so ``a * i + b`` (mod a power of ten) never repeats."""
    a = rng.randrange(modulus // 10, modulus) | 1
    while a % 5 == 0:
        a += 2
    return a
