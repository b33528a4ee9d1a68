"""Business-time arithmetic: tables of known answers (DST weeks, overnight shifts, holidays, lunch
breaks, out-of-hours starts) and properties that must hold for any schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.calendars.model import (
    DEFAULT_INTERVALS,
    MINUTES_PER_WEEK,
    BusinessCalendar,
    add_business_time,
    business_time_between,
)
from opsdesk.calendars.zones import ZENDESK_TIME_ZONES, UnknownTimeZone, resolve_time_zone

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)
NY = "America/New_York"
LONDON = "Europe/London"
H = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> int:
    """Minutes from Sunday 00:00."""
    return day * 1440 + hour * 60 + minute


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    """A local wall time: (year, month, day[, hour, minute, second, microsecond])."""
    year, month, day, hour, minute, second, microsecond = (*parts, 0, 0, 0, 0)[:7]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ZoneInfo(zone), fold=fold)


@dataclass(frozen=True)
class Case:
    """Business time from `start` to `end` (local wall times in `zone`) is `elapsed`."""

    name: str
    zone: str
    intervals: list[tuple[int, int]]
    holidays: list[tuple[date, date]]
    start: tuple[int, ...]
    elapsed: timedelta
    end: tuple[int, ...]

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.of(self.zone, self.intervals, self.holidays)


NINE_TO_FIVE = list(DEFAULT_INTERVALS)
LUNCH_BREAK = [(at(d, 9), at(d, 12)) for d in range(MON, SAT)] + [(at(d, 13), at(d, 17)) for d in range(MON, SAT)]
ALWAYS = [(0, MINUTES_PER_WEEK)]
MONDAY_NIGHTS = [(at(MON, 22), at(TUE, 6))]
SATURDAY_NIGHTS = [(at(SAT, 22), at(SAT, 22) + 8 * 60)]  # over the end of the week, into Sunday 06:00
LONDON_NIGHTS = [(at(SAT, 23), at(SAT, 23) + 4 * 60)]  # Saturday 23:00 - Sunday 03:00
CHRISTMAS = [(date(2026, 12, 25), date(2026, 12, 25))]
WINTER_BREAK = [(date(2026, 12, 24), date(2027, 1, 1))]

ADDITION_ROWS = [
    ("friday 16:00 + 4h is monday 12:00", NY, NINE_TO_FIVE, [], (2026, 1, 16, 16), 4 * H, (2026, 1, 19, 12)),
    ("over the spring-forward weekend (NY)", NY, NINE_TO_FIVE, [], (2026, 3, 6, 16), 4 * H, (2026, 3, 9, 12)),
    ("over the fall-back weekend (NY)", NY, NINE_TO_FIVE, [], (2026, 10, 30, 16), 4 * H, (2026, 11, 2, 12)),
    ("over the spring-forward weekend (London)", LONDON, NINE_TO_FIVE, [], (2026, 3, 27, 16), 4 * H, (2026, 3, 30, 12)),
    ("over the fall-back weekend (London)", LONDON, NINE_TO_FIVE, [], (2026, 10, 23, 16), 4 * H, (2026, 10, 26, 12)),
    ("spring-forward morning on the week's start", NY, NINE_TO_FIVE, [], (2026, 3, 9, 9), 8 * H, (2026, 3, 9, 17)),
    ("24/7 through the skipped hour (NY)", NY, ALWAYS, [], (2026, 3, 8, 1), 2 * H, (2026, 3, 8, 4)),
    ("24/7 through the skipped hour (London)", LONDON, ALWAYS, [], (2026, 3, 29, 0, 30), H, (2026, 3, 29, 2, 30)),
    ("overnight shift, within one night", "UTC", MONDAY_NIGHTS, [], (2026, 1, 5, 23), 2 * H, (2026, 1, 6, 1)),
    ("overnight shift, into next week's", "UTC", MONDAY_NIGHTS, [], (2026, 1, 6, 5), 2 * H, (2026, 1, 12, 23)),
    ("shift over Saturday midnight", "UTC", SATURDAY_NIGHTS, [], (2026, 1, 10, 23), 5 * H, (2026, 1, 11, 4)),
    ("night shift, spring forward (NY)", NY, SATURDAY_NIGHTS, [], (2026, 3, 7, 22), 7 * H, (2026, 3, 8, 6)),
    ("night shift, fall back (NY)", NY, SATURDAY_NIGHTS, [], (2026, 10, 31, 22), 9 * H, (2026, 11, 1, 6)),
    ("night shift, spring forward (London)", LONDON, LONDON_NIGHTS, [], (2026, 3, 28, 23), 3 * H, (2026, 3, 29, 3)),
    ("night shift, fall back (London)", LONDON, LONDON_NIGHTS, [], (2026, 10, 24, 23), 5 * H, (2026, 10, 25, 3)),
    ("a holiday is skipped", NY, NINE_TO_FIVE, CHRISTMAS, (2026, 12, 24, 16), 2 * H, (2026, 12, 28, 10)),
    ("a holiday range is skipped", NY, NINE_TO_FIVE, WINTER_BREAK, (2026, 12, 23, 16), 2 * H, (2027, 1, 4, 10)),
    ("start before a holiday range", NY, NINE_TO_FIVE, WINTER_BREAK, (2026, 12, 24, 10), H, (2027, 1, 4, 10)),
    ("start on a saturday", NY, NINE_TO_FIVE, [], (2026, 1, 17, 10), H, (2026, 1, 19, 10)),
    ("start before opening", NY, NINE_TO_FIVE, [], (2026, 1, 19, 7), H, (2026, 1, 19, 10)),
    ("start after closing", NY, NINE_TO_FIVE, [], (2026, 1, 19, 20), H, (2026, 1, 20, 10)),
    ("lunch is skipped", NY, LUNCH_BREAK, [], (2026, 1, 19, 11), 2 * H, (2026, 1, 19, 14)),
    ("running out at lunch gives 12:00", NY, LUNCH_BREAK, [], (2026, 1, 19, 11), H, (2026, 1, 19, 12)),
    ("start during lunch", NY, LUNCH_BREAK, [], (2026, 1, 19, 12, 30), H, (2026, 1, 19, 14)),
    ("running out at closing gives closing", NY, NINE_TO_FIVE, [], (2026, 1, 16, 16), H, (2026, 1, 16, 17)),
    ("1000 hours is 25 working weeks", "UTC", NINE_TO_FIVE, [], (2026, 1, 5, 9), 1000 * H, (2026, 6, 26, 17)),
    (
        "to the microsecond",
        NY,
        NINE_TO_FIVE,
        [],
        (2026, 1, 19, 16, 59, 59),
        timedelta(seconds=1, microseconds=5),
        (2026, 1, 20, 9, 0, 0, 5),
    ),
]


ADDITIONS = [Case(*row) for row in ADDITION_ROWS]


@pytest.mark.parametrize("case", ADDITIONS, ids=[case.name for case in ADDITIONS])
def test_add_business_time(case: Case) -> None:
    calendar = case.calendar()
    start = local(case.zone, *case.start)
    deadline = add_business_time(calendar, start, case.elapsed)
    assert deadline == local(case.zone, *case.end)
    assert deadline.tzinfo is UTC
    assert business_time_between(calendar, start, deadline) == case.elapsed


def test_a_clock_that_never_closes_counts_the_repeated_hour() -> None:
    calendar = BusinessCalendar.of(NY, ALWAYS)
    deadline = add_business_time(calendar, local(NY, 2026, 11, 1, 0, 30), 2 * H)
    # Aware datetimes in a repeated hour never compare equal across zones (PEP 495); compare in UTC.
    second = local(NY, 2026, 11, 1, 1, 30, fold=1).astimezone(UTC)
    assert deadline == second, "the second 01:30, after the clocks went back"


BETWEEN_ROWS = [
    ("one working day", NY, NINE_TO_FIVE, [], (2026, 1, 19, 8), (2026, 1, 19, 18), 8 * H),
    ("friday afternoon to monday morning", NY, NINE_TO_FIVE, [], (2026, 1, 16, 16), (2026, 1, 19, 10), 2 * H),
    ("a working week", NY, NINE_TO_FIVE, [], (2026, 1, 18), (2026, 1, 25), 40 * H),
    ("a week with lunch breaks", NY, LUNCH_BREAK, [], (2026, 1, 18), (2026, 1, 25), 35 * H),
    ("a week with a holiday", NY, NINE_TO_FIVE, CHRISTMAS, (2026, 12, 20), (2026, 12, 27), 32 * H),
    ("two weeks of holiday", NY, NINE_TO_FIVE, WINTER_BREAK, (2026, 12, 20), (2027, 1, 10), 64 * H),
    ("spring-forward weekend, 24/7 (NY)", NY, ALWAYS, [], (2026, 3, 7), (2026, 3, 9), 47 * H),
    ("fall-back weekend, 24/7 (NY)", NY, ALWAYS, [], (2026, 10, 31), (2026, 11, 2), 49 * H),
    ("spring-forward weekend, 24/7 (London)", LONDON, ALWAYS, [], (2026, 3, 28), (2026, 3, 30), 47 * H),
    ("fall-back weekend, 24/7 (London)", LONDON, ALWAYS, [], (2026, 10, 24), (2026, 10, 26), 49 * H),
    ("9-17 on spring-forward sunday is 8h", NY, [(at(SUN, 9), at(SUN, 17))], [], (2026, 3, 8), (2026, 3, 9), 8 * H),
    ("01-04 on spring-forward night is 2h", NY, [(at(SUN, 1), at(SUN, 4))], [], (2026, 3, 8), (2026, 3, 9), 2 * H),
    ("01-04 on fall-back night is 4h", NY, [(at(SUN, 1), at(SUN, 4))], [], (2026, 11, 1), (2026, 11, 2), 4 * H),
    ("opening in the skipped hour", NY, [(at(SUN, 2, 30), at(SUN, 5))], [], (2026, 3, 8), (2026, 3, 9), 2 * H),
    (
        "closing in the skipped hour",
        LONDON,
        [(at(SUN, 0, 30), at(SUN, 1, 30))],
        [],
        (2026, 3, 29),
        (2026, 3, 30),
        timedelta(minutes=30),
    ),
    ("closing in the repeated hour", LONDON, [(at(SUN, 0, 30), at(SUN, 1, 30))], [], (2026, 10, 25), (2026, 10, 26), H),
    ("night shift, spring forward (NY)", NY, SATURDAY_NIGHTS, [], (2026, 3, 7, 12), (2026, 3, 8, 12), 7 * H),
    ("night shift, fall back (London)", LONDON, LONDON_NIGHTS, [], (2026, 10, 24, 12), (2026, 10, 25, 12), 5 * H),
    (
        "a holiday cuts an overnight shift at midnight",
        "UTC",
        MONDAY_NIGHTS,
        [(date(2026, 1, 6), date(2026, 1, 6))],
        (2026, 1, 5),
        (2026, 1, 7),
        2 * H,
    ),
    ("end before start is negative", NY, NINE_TO_FIVE, [], (2026, 1, 19, 18), (2026, 1, 19, 8), -8 * H),
    ("an empty span", NY, NINE_TO_FIVE, [], (2026, 1, 19, 10), (2026, 1, 19, 10), timedelta(0)),
]


BETWEEN = [
    Case(name, zone, intervals, holidays, start, elapsed, end)
    for name, zone, intervals, holidays, start, end, elapsed in BETWEEN_ROWS
]


@pytest.mark.parametrize("case", BETWEEN, ids=[case.name for case in BETWEEN])
def test_business_time_between(case: Case) -> None:
    start, end = local(case.zone, *case.start), local(case.zone, *case.end)
    assert business_time_between(case.calendar(), start, end) == case.elapsed


ZERO = [
    ("within hours: the start itself", (2026, 1, 19, 10, 15), (2026, 1, 19, 10, 15)),
    ("at opening: the opening", (2026, 1, 19, 9), (2026, 1, 19, 9)),
    ("at closing: the next opening", (2026, 1, 19, 17), (2026, 1, 20, 9)),
    ("friday evening: monday's opening", (2026, 1, 16, 19), (2026, 1, 19, 9)),
    ("on a holiday: the day after", (2026, 12, 25, 10), (2026, 12, 28, 9)),
]


@pytest.mark.parametrize(("start", "expected"), [c[1:] for c in ZERO], ids=[c[0] for c in ZERO])
def test_zero_duration(start: tuple[int, ...], expected: tuple[int, ...]) -> None:
    calendar = BusinessCalendar.of(NY, NINE_TO_FIVE, CHRISTMAS)
    assert add_business_time(calendar, local(NY, *start), timedelta(0)) == local(NY, *expected)


def test_an_opening_in_the_skipped_hour_opens_at_the_change() -> None:
    calendar = BusinessCalendar.of(NY, [(at(SUN, 2, 30), at(SUN, 5))])
    opening = add_business_time(calendar, local(NY, 2026, 3, 8), timedelta(0))
    assert opening == datetime(2026, 3, 8, 7, tzinfo=UTC), "03:00 EDT, the moment 02:00 EST became 03:00"


def test_a_holiday_run_of_years_is_crossed_in_one_step() -> None:
    calendar = BusinessCalendar.of(NY, NINE_TO_FIVE, [(date(2027, 1, 1), date(2999, 12, 31))])
    deadline = add_business_time(calendar, local(NY, 2026, 12, 31, 16), 2 * H)
    assert deadline == local(NY, 3000, 1, 1, 10), "a Wednesday"


# --- construction and names -----------------------------------------------------------------


def test_a_calendar_needs_intervals() -> None:
    with pytest.raises(ValueError, match="at least one opening interval"):
        BusinessCalendar.of(NY, [])


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        (
            [(at(MON, 9), at(MON, 17)), (at(MON, 12), at(MON, 18))],
            r"interval 0 \(Mon 09:00-17:00\) overlaps interval 1 \(Mon 12:00-18:00\)",
        ),
        (
            [(at(SAT, 22), at(SAT, 22) + 480), (at(SUN, 5), at(SUN, 7))],
            r"interval 0 \(Sat 22:00-Sun 06:00\) overlaps interval 1 \(Sun 05:00-07:00\)",
        ),
        (
            [(at(MON, 9), at(MON, 17)), (at(MON, 18), at(MON, 20)), (at(MON, 8), at(MON, 19))],
            "interval 0 .* overlaps interval 2",
        ),
        ([(MINUTES_PER_WEEK, MINUTES_PER_WEEK + 60)], "outside the week"),
        ([(at(MON, 9), at(MON, 9))], "must be after start_time"),
        ([(at(MON, 9), at(MON, 9) + MINUTES_PER_WEEK + 1)], "at most a week later"),
    ],
)
def test_bad_intervals_are_named(intervals: list[tuple[int, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.of(NY, intervals)


def test_touching_intervals_are_one_stretch() -> None:
    calendar = BusinessCalendar.of("UTC", [(at(MON, 9), at(MON, 12)), (at(MON, 12), at(MON, 17))])
    assert add_business_time(calendar, local("UTC", 2026, 1, 19, 11), 2 * H) == local("UTC", 2026, 1, 19, 13)


def test_a_holiday_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        BusinessCalendar.of(NY, NINE_TO_FIVE, [(date(2026, 12, 26), date(2026, 12, 24))])


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    calendar = BusinessCalendar.of(NY, NINE_TO_FIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(calendar, datetime(2026, 1, 19, 10), H)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="negative"):
        add_business_time(calendar, local(NY, 2026, 1, 19, 10), -H)


REQUIRED_ZENDESK_NAMES = (
    "Pacific Time (US & Canada)", "Mountain Time (US & Canada)", "Central Time (US & Canada)",
    "Eastern Time (US & Canada)", "London", "Dublin", "Berlin", "Paris", "Amsterdam", "Madrid", "Rome", "Stockholm",
    "Helsinki", "Athens", "Moscow", "Dubai", "Mumbai", "Kolkata", "Singapore", "Hong Kong", "Beijing", "Tokyo",
    "Seoul", "Sydney", "Melbourne", "Brisbane", "Auckland", "UTC", "Hawaii", "Alaska", "Arizona", "Brasilia",
    "Buenos Aires", "Mexico City", "Bogota", "Lima", "Santiago", "Cape Town", "Johannesburg", "Cairo", "Nairobi",
    "Lagos", "Jakarta", "Bangkok", "Manila", "Perth", "Adelaide", "Wellington",
)  # fmt: skip


@pytest.mark.parametrize("name", REQUIRED_ZENDESK_NAMES)
def test_zendesk_names_resolve(name: str) -> None:
    assert resolve_time_zone(name).key == ZENDESK_TIME_ZONES[name]


def test_every_mapped_zone_exists_and_names_are_read_without_case() -> None:
    assert all(resolve_time_zone(key).key == key for key in set(ZENDESK_TIME_ZONES.values()))
    assert resolve_time_zone("eastern time (us & canada)").key == NY
    assert resolve_time_zone("Europe/London").key == LONDON
    assert resolve_time_zone("europe/london").key == LONDON
    assert resolve_time_zone("London").key == LONDON


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "Eastern Time", "", "../../etc/passwd", "America"])
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(UnknownTimeZone, match="unknown time zone"):
        resolve_time_zone(name)


# --- properties -------------------------------------------------------------------------------

# Zones with DST at 02:00 (US), 01:00 UTC (EU), 00:00 local (Santiago, Havana: Sunday 00:00 is
# skipped or repeated), a 30-minute change (Lord Howe), Ramadan changes (Casablanca), none (Kolkata).
ZONES = [NY, LONDON, "UTC", "America/Santiago", "America/Havana", "Australia/Lord_Howe", "Africa/Casablanca",
         "Asia/Kolkata", "Europe/Dublin"]  # fmt: skip
FIXED_OFFSET = {"UTC": timedelta(0), "Asia/Kolkata": timedelta(hours=5, minutes=30)}


@st.composite
def calendars(draw: st.DrawFn, zones: list[str] = ZONES) -> BusinessCalendar:
    points = draw(st.lists(st.integers(0, MINUTES_PER_WEEK - 1), min_size=2, max_size=14, unique=True))
    points = sorted(points)[: len(points) // 2 * 2]
    shift = draw(st.integers(0, MINUTES_PER_WEEK - 1))  # rotating the week makes shifts over Saturday midnight
    intervals = []
    for start, end in zip(points[::2], points[1::2], strict=True):
        wrap = MINUTES_PER_WEEK if start + shift >= MINUTES_PER_WEEK else 0
        intervals.append((start + shift - wrap, end + shift - wrap))
    holiday_starts = draw(st.lists(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=4))
    lengths = draw(st.lists(st.integers(0, 20), min_size=len(holiday_starts), max_size=len(holiday_starts)))
    holidays = [(day, day + timedelta(days=n)) for day, n in zip(holiday_starts, lengths, strict=True)]
    return BusinessCalendar.of(draw(st.sampled_from(zones)), intervals, holidays)


instants = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001


def weekly(calendar: BusinessCalendar) -> timedelta:
    return timedelta(minutes=sum(end - start for start, end in calendar.intervals))


@st.composite
def durations(draw: st.DrawFn, calendar: BusinessCalendar) -> timedelta:
    """Up to about three weeks' worth of this calendar's time, to the microsecond."""
    return weekly(calendar) * draw(st.integers(0, 3000)) / 1000 + timedelta(microseconds=draw(st.integers(0, 10**6)))


@settings(deadline=None)
@given(data=st.data(), calendar=calendars(), start=instants)
def test_time_between_start_and_deadline_is_the_duration(
    data: st.DataObject, calendar: BusinessCalendar, start: datetime
) -> None:
    duration = data.draw(durations(calendar))
    deadline = add_business_time(calendar, start, duration)
    assert business_time_between(calendar, start, deadline) == duration
    assert deadline.tzinfo is UTC
    assert deadline >= start


@settings(deadline=None)
@given(data=st.data(), calendar=calendars(), start=instants)
def test_more_time_never_gives_an_earlier_deadline(
    data: st.DataObject, calendar: BusinessCalendar, start: datetime
) -> None:
    shorter, longer = sorted([data.draw(durations(calendar)), data.draw(durations(calendar))])
    assert add_business_time(calendar, start, shorter) <= add_business_time(calendar, start, longer)


@settings(deadline=None)
@given(data=st.data(), calendar=calendars(), start=instants)
def test_adding_in_two_steps_is_adding_once(data: st.DataObject, calendar: BusinessCalendar, start: datetime) -> None:
    first, second = data.draw(durations(calendar)), data.draw(durations(calendar))
    if second:  # adding nothing at a closing time moves on to the next opening
        assert add_business_time(calendar, add_business_time(calendar, start, first), second) == add_business_time(
            calendar, start, first + second
        )


@settings(deadline=None)
@given(calendar=calendars(), moments=st.lists(instants, min_size=3, max_size=3))
def test_time_between_adds_up(calendar: BusinessCalendar, moments: list[datetime]) -> None:
    a, b, c = moments
    assert business_time_between(calendar, a, b) + business_time_between(calendar, b, c) == business_time_between(
        calendar, a, c
    )
    assert business_time_between(calendar, a, b) == -business_time_between(calendar, b, a)


def _open_at(calendar: BusinessCalendar, minute: datetime, offset: timedelta) -> bool:
    """Brute force, for fixed-offset zones: is this minute inside an interval on a working day?"""
    wall = (minute + offset).replace(tzinfo=None)
    if any(first <= wall.date() <= last for first, last in calendar.holidays):
        return False
    of_week = (wall.isoweekday() % 7) * 1440 + wall.hour * 60 + wall.minute
    return any(start <= of_week < end or start <= of_week + MINUTES_PER_WEEK < end for start, end in calendar.intervals)


@settings(deadline=None, max_examples=60)
@given(
    calendar=calendars(zones=list(FIXED_OFFSET)),
    start=instants.map(lambda t: t.replace(second=0, microsecond=0)),
    minutes=st.integers(0, 3 * 1440),
)
def test_time_between_matches_counting_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> None:
    offset = calendar.tz.utcoffset(datetime(2026, 1, 1)) or timedelta(0)  # noqa: DTZ001 - a fixed offset
    counted = sum(_open_at(calendar, start + timedelta(minutes=m), offset) for m in range(minutes))
    assert business_time_between(calendar, start, start + timedelta(minutes=minutes)) == timedelta(minutes=counted)
