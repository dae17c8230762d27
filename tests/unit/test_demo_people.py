"""The demo brand's people: deterministic, valid keys, and a calendar shaped like a real brand's."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from siyu.domain.identities import IdentityKey
from siyu.services.demo import catalogue
from siyu.services.demo.customers import generate_people
from siyu.services.demo.organisation import DemoGuide, DemoOrganisation, DemoStore
from siyu.services.demo.people import CST, PeopleGenerator

TODAY = date(2026, 11, 23)
END = datetime(2026, 11, 23, tzinfo=CST)


def organisation() -> DemoOrganisation:
    cities = ("上海", "上海", "杭州", "南京", "广州", "深圳", "北京", "天津")
    stores = tuple(
        DemoStore(n, f"S{n:03d}", city, tuple(DemoGuide(n * 10 + g, f"s{n:03d}-{g:02d}", n) for g in range(1, 4)))
        for n, city in enumerate(cities, start=1)
    )
    return DemoOrganisation(tenant_id=1, regions=3, stores=stores, staff=40)


def people(n: int, seed: int = 7) -> list:
    return list(PeopleGenerator(organisation(), seed=seed, people=n, today=TODAY))


def shape(person) -> tuple:
    return (
        [(r.source, r.at, r.record) for r in person.records], person.anchor,
        [(r.guide, r.at, r.channel.state, r.remark, r.ended) for r in person.relations], person.stages,
        [(t.record, t.group, t.name, t.source, t.applied_by, t.at) for t in person.tags], person.last_activity,
    )


def test_the_same_seed_gives_the_same_people_and_another_seed_others():
    assert [shape(p) for p in people(300)] == [shape(p) for p in people(300)]
    keys = {k for p in people(300) for r in p.records for k in r.record.keys}
    other = {k for p in people(300, seed=8) for r in p.records for k in r.record.keys}
    assert not keys & other


def test_generating_in_a_second_process_gives_the_same_people():
    args = {"seed": 7, "people": 700, "today": TODAY, "batch": 250}
    here = [shape(p) for group in generate_people(organisation(), parallel=False, **args) for p in group]
    there = [shape(p) for group in generate_people(organisation(), parallel=True, **args) for p in group]
    assert here == there
    assert len(here) == 700


def test_keys_are_valid_stored_forms_and_never_shared_between_people():
    owner: dict[IdentityKey, int] = {}
    for person in people(2000):
        for incoming in person.records:
            for key in incoming.record.keys:
                assert IdentityKey.parse(key.kind.value, key.value) == key
                assert owner.setdefault(key, person.index) == person.index


def test_records_come_in_time_order_inside_the_two_year_window():
    found = people(1500)
    firsts = [p.records[0].at for p in found]
    assert firsts == sorted(firsts)
    for person in found:
        times = [r.at for r in person.records]
        assert times == sorted(times)
        assert all(t.tzinfo is UTC for t in times)
        assert (END - times[0]).days < 730 and person.last_activity < END
        assert all(r.at >= person.records[person.anchor].at for r in person.relations)


def test_the_calendar_grows_peaks_at_weekends_and_on_double_eleven():
    generator = PeopleGenerator(organisation(), seed=7, people=40_000, today=TODAY)
    local = [t.astimezone(CST) for t in generator.first_contacts()]
    first_quarter = sum(1 for t in local if (END - t).days >= 730 - 91)
    last_quarter = sum(1 for t in local if (END - t).days < 91)
    assert last_quarter > 2 * first_quarter
    weekday = Counter(t.weekday() for t in local)
    assert min(weekday[5], weekday[6]) > max(weekday[0], weekday[1], weekday[2])
    per_day = Counter(t.date() for t in local)
    singles_day = date(2025, 11, 11)
    ordinary = [per_day[date(2025, 11, d)] for d in range(17, 24)]
    assert per_day[singles_day] > 1.8 * sum(ordinary) / len(ordinary)  # x3 by the calendar


def test_every_channel_brings_people_and_store_codes_bring_the_most():
    found = people(5000)
    used = Counter(r.channel.state for p in found for r in p.relations)
    assert set(used) == {c.state for c in catalogue.CHANNELS}
    assert used["ch-store-poster"] > used["ch-moments-ad"]
