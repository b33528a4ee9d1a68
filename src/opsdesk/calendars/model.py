"""Business time: weekly opening intervals in one time zone, less holidays (pure).

Units and zones
- An interval is `(start, end)` in minutes of the local week from Sunday 00:00, half-open
  `[start, end)`: Monday 09:00-17:00 is `(1980, 2460)`. It may cross midnight (Monday 22:00 -
  Tuesday 06:00 is `(2760, 3240)`) and the end of the week (Saturday 22:00 - Sunday 06:00 is
  `(9960, 10440)`). Intervals may touch but not overlap.
- A holiday is an inclusive range of local dates. It removes every business minute whose local
  date falls in it, so a Tuesday holiday keeps only Monday 22:00-24:00 of the overnight shift.
- Instants in and out are timezone-aware; results are UTC. Arithmetic is exact to the microsecond.

Daylight saving time: intervals are wall-clock times. An interval opens at the first instant the
local clock shows its start and closes at the first instant it shows its end. A 09:00-17:00 day
is 8 hours on a change day when the change falls outside it; when the change falls inside, the
time that really passes counts (01:00-04:00 is 2 hours on the spring-forward night, 4 hours on
fall-back night). A boundary inside the skipped hour takes effect at the moment of the change.

Zero durations: business time is `[open, close)`, so adding nothing to an instant within hours
gives that instant, and to any other instant (closing time included) gives the next opening.
That is the moment an SLA clock starts for a ticket created out of hours.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from opsdesk.calendars.zones import resolve_time_zone

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# Monday to Friday, 09:00-17:00: what a new schedule starts with, as in Zendesk.
DEFAULT_INTERVALS = tuple((day * MINUTES_PER_DAY + 540, day * MINUTES_PER_DAY + 1020) for day in range(1, 6))

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - local wall-clock arithmetic
_MICROSECOND = timedelta(microseconds=1)
_MINUTE = 60_000_000
_WEEK = MINUTES_PER_WEEK * _MINUTE
_FIRST_SUNDAY = date(1970, 1, 4).toordinal()  # week 0 starts on this local Sunday
_FIRST_SUNDAY_LOCAL = 3 * MINUTES_PER_DAY * _MINUTE  # the same Sunday, in local microseconds
_MAX_CACHED_WEEKS = 4096


def minute_label(minute: int, *, closing: bool = False) -> str:
    """`Mon 09:00` for a minute of the week; a closing midnight reads `Mon 24:00`."""
    minute %= MINUTES_PER_WEEK
    if closing and minute % MINUTES_PER_DAY == 0:
        return f"{DAY_NAMES[(minute // MINUTES_PER_DAY - 1) % 7]} 24:00"
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def interval_label(start: int, end: int) -> str:
    """`Mon 09:00-17:00`, or `Sat 22:00-Sun 06:00` across midnight."""
    opening, closing = minute_label(start), minute_label(end, closing=True)
    same_day = end - start < MINUTES_PER_DAY and opening[:3] == closing[:3]
    return f"{opening}-{closing[4:] if same_day else closing}"


def _pieces(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, index) within one week, an interval over Saturday midnight cut in two."""
    pieces: list[tuple[int, int, int]] = []
    for index, (start, end) in enumerate(intervals):
        if end <= MINUTES_PER_WEEK:
            pieces.append((start, end, index))
        else:
            pieces.extend([(start, MINUTES_PER_WEEK, index), (0, end - MINUTES_PER_WEEK, index)])
    return sorted(pieces)


def interval_problems(intervals: Sequence[tuple[int, int]]) -> list[str]:
    """Every reason these intervals cannot make a week, each naming the interval by position."""
    problems: list[str] = []
    for index, (start, end) in enumerate(intervals):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            problems.append(f"interval {index}: start_time and end_time are whole minutes")
        elif not 0 <= start < MINUTES_PER_WEEK:
            problems.append(f"interval {index}: start_time {start} is outside the week (0 to {MINUTES_PER_WEEK - 1})")
        elif not start < end <= start + MINUTES_PER_WEEK:
            problems.append(
                f"interval {index}: end_time {end} must be after start_time {start} and at most a week later"
            )
    if problems:
        return problems
    reported: set[tuple[int, int]] = set()
    latest: tuple[int, int, int] | None = None  # the piece reaching furthest so far
    for piece in _pieces(intervals):
        if latest is not None and piece[0] < latest[1]:
            first, second = sorted((latest[2], piece[2]))
            if first != second and (first, second) not in reported:
                reported.add((first, second))
                problems.append(
                    f"interval {first} ({interval_label(*intervals[first])}) overlaps "
                    f"interval {second} ({interval_label(*intervals[second])})"
                )
        if latest is None or piece[1] > latest[1]:
            latest = piece
    return problems


@dataclass(frozen=True, slots=True)
class _Week:
    """One local week's business time as UTC microseconds since 1970: `[starts[i], ends[i])`."""

    begin: int  # the instant the local week starts (Sunday 00:00)
    end: int  # the instant the next one starts
    starts: list[int]
    ends: list[int]
    before: list[int]  # business time in this week before interval i opens
    through: list[int]  # ... and when it closes
    total: int


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours in `tz`: weekly `intervals` (see the module docstring) minus `holidays`.

    Raises ValueError when there are no intervals, when intervals overlap or leave the week, or
    when a holiday ends before it starts. Weeks are computed on first use and remembered.
    """

    tz: ZoneInfo
    intervals: tuple[tuple[int, int], ...]
    holidays: tuple[tuple[date, date], ...] = ()
    _days: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)
    _holiday_starts: list[int] = field(init=False, repr=False, compare=False)
    _holiday_ends: list[int] = field(init=False, repr=False, compare=False)
    _weeks: dict[int, _Week] = field(init=False, repr=False, compare=False)
    _guess_offset: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError("a business calendar needs at least one opening interval")
        problems = interval_problems(self.intervals)
        if problems:
            raise ValueError("; ".join(problems))
        for first, last in self.holidays:
            if last < first:
                raise ValueError(f"the holiday {first}..{last} ends before it starts")
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for start, end, _index in _pieces(self.intervals):
            for day in range(start // MINUTES_PER_DAY, (end - 1) // MINUTES_PER_DAY + 1):
                base = day * MINUTES_PER_DAY
                days[day].append((max(start, base) - base, min(end, base + MINUTES_PER_DAY) - base))
        merged: list[list[int]] = []
        for opening, closing in sorted((a.toordinal(), b.toordinal()) for a, b in self.holidays):
            if merged and opening <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], closing)
            else:
                merged.append([opening, closing])
        object.__setattr__(self, "_days", tuple(tuple(sorted(day)) for day in days))
        object.__setattr__(self, "_holiday_starts", [m[0] for m in merged])
        object.__setattr__(self, "_holiday_ends", [m[1] for m in merged])
        object.__setattr__(self, "_weeks", {})
        # Any offset will do to find an instant's week; `locate` corrects the guess.
        offset = datetime(2000, 1, 1, tzinfo=self.tz).utcoffset() or timedelta(0)
        object.__setattr__(self, "_guess_offset", offset // _MICROSECOND)

    @classmethod
    def of(
        cls,
        time_zone: str,
        intervals: Iterable[tuple[int, int]],
        holidays: Iterable[tuple[date, date]] = (),
    ) -> BusinessCalendar:
        """A calendar from an IANA or Zendesk time zone name; raises ValueError (UnknownTimeZone)."""
        return cls(resolve_time_zone(time_zone), tuple(intervals), tuple(holidays))

    def _holiday_end(self, ordinal: int) -> int | None:
        """The last day of the holiday covering this local date, if one does."""
        index = bisect_right(self._holiday_starts, ordinal) - 1
        if index >= 0 and ordinal <= self._holiday_ends[index]:
            return self._holiday_ends[index]
        return None

    def _instant(self, sunday: datetime, minute: int) -> int:
        """The first instant the local clock shows `sunday + minute` (see DST in the docstring)."""
        wall = sunday + timedelta(minutes=minute)
        local = (wall - _NAIVE_EPOCH) // _MICROSECOND
        earlier = wall.replace(tzinfo=self.tz)
        offset = earlier.utcoffset()
        assert offset is not None
        instant = local - offset // _MICROSECOND
        if (_EPOCH + instant * _MICROSECOND).astimezone(self.tz).replace(tzinfo=None) == wall:
            return instant
        # The wall time was skipped: find the change, the first instant showing a later time.
        later = earlier.replace(fold=1).utcoffset()
        assert later is not None
        low, high = local - later // _MICROSECOND, instant
        while high - low > 1:
            middle = (low + high) // 2
            if (_EPOCH + middle * _MICROSECOND).astimezone(self.tz).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle
        return high

    def _build(self, number: int) -> _Week:
        sunday_ordinal = _FIRST_SUNDAY + 7 * number
        try:
            sunday = datetime.combine(date.fromordinal(sunday_ordinal), datetime.min.time())
            begin = self._instant(sunday, 0)
            end = self._instant(sunday, MINUTES_PER_WEEK)
        except (ValueError, OverflowError):
            raise ValueError("business time is only computed within the years 1 to 9999") from None
        spans: list[list[int]] = []
        for weekday, day in enumerate(self._days):
            if self._holiday_end(sunday_ordinal + weekday) is not None:
                continue
            base = weekday * MINUTES_PER_DAY
            for start, stop in day:
                if spans and spans[-1][1] == base + start:
                    spans[-1][1] = base + stop
                else:
                    spans.append([base + start, base + stop])
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        through: list[int] = []
        total = 0
        for start, stop in spans:
            opening, closing = self._instant(sunday, start), self._instant(sunday, stop)
            if closing > opening:  # an interval wholly inside a skipped hour has no time
                starts.append(opening)
                ends.append(closing)
                before.append(total)
                total += closing - opening
                through.append(total)
        return _Week(begin, end, starts, ends, before, through, total)

    def week(self, number: int) -> _Week:
        """Week `number` counted from the local Sunday 1970-01-04, built once and remembered."""
        found = self._weeks.get(number)
        if found is None:
            if len(self._weeks) >= _MAX_CACHED_WEEKS:
                self._weeks.clear()
            found = self._weeks[number] = self._build(number)
        return found

    def locate(self, instant: int) -> tuple[int, _Week]:
        """The local week holding this instant (UTC microseconds since 1970)."""
        number = (instant + self._guess_offset - _FIRST_SUNDAY_LOCAL) // _WEEK
        found = self.week(number)
        while instant < found.begin:
            number -= 1
            found = self.week(number)
        while instant >= found.end:
            number += 1
            found = self.week(number)
        return number, found

    def weeks_after(self, number: int) -> Iterator[tuple[int, _Week]]:
        """The following weeks that have business time, skipping runs of holidays in one step."""
        while True:
            number += 1
            ordinal = _FIRST_SUNDAY + 7 * number
            last_holiday = self._holiday_end(ordinal)
            if last_holiday is not None and last_holiday >= ordinal + 6:
                # Holidays are merged, so the day after this run is a working day.
                number = (last_holiday + 1 - _FIRST_SUNDAY) // 7 - 1
                continue
            found = self.week(number)
            if found.total:
                yield number, found


def _microseconds(moment: datetime) -> int:
    if moment.utcoffset() is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return (moment - _EPOCH) // _MICROSECOND


def _utc(instant: int) -> datetime:
    return _EPOCH + instant * _MICROSECOND


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The UTC instant by which `duration` of business time has passed since `start`.

    A zero duration gives `start` within hours and the next opening otherwise. A duration that
    runs out exactly at a closing time gives that closing time. Raises ValueError for a naive
    `start` or a negative duration.
    """
    remaining = duration // _MICROSECOND
    if remaining < 0:
        raise ValueError("business time cannot be added backwards; the duration is negative")
    instant = _microseconds(start)
    number, week = calendar.locate(instant)
    index = bisect_right(week.ends, instant)
    if index < len(week.ends):
        opened = max(week.starts[index], instant)
        if remaining == 0:
            return _utc(opened)
        target = week.before[index] + (opened - week.starts[index]) + remaining
        if target <= week.total:
            index = bisect_left(week.through, target)
            return _utc(week.starts[index] + target - week.before[index])
        remaining = target - week.total
    for _number, week in calendar.weeks_after(number):
        if remaining <= week.total:
            index = bisect_left(week.through, remaining)
            return _utc(week.starts[index] + remaining - week.before[index])
        remaining -= week.total
    raise AssertionError("unreachable: weeks_after never ends")  # pragma: no cover


def _elapsed(week: _Week, instant: int) -> int:
    """Business time in `week` before `instant`."""
    index = bisect_right(week.starts, instant) - 1
    if index < 0:
        return 0
    return week.before[index] + min(instant, week.ends[index]) - week.starts[index]


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time in `[start, end)`; negative when `end` comes first. Raises ValueError for naive datetimes."""
    first, last = _microseconds(start), _microseconds(end)
    if last < first:
        return -business_time_between(calendar, end, start)
    first_number, first_week = calendar.locate(first)
    last_number, last_week = calendar.locate(last)
    total = _elapsed(last_week, last) - _elapsed(first_week, first)
    if last_number > first_number:
        total += first_week.total
        for number, week in calendar.weeks_after(first_number):
            if number >= last_number:
                break
            total += week.total
    return timedelta(microseconds=total)


@dataclass(frozen=True, slots=True)
class Holiday:
    """Closed from `start_date` through `end_date`, local dates of the schedule's time zone."""

    id: int
    name: str
    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class Schedule:
    """A named set of business hours. `time_zone` is kept as given (IANA or Zendesk name)."""

    id: int
    name: str
    time_zone: str
    intervals: tuple[tuple[int, int], ...]
    holidays: tuple[Holiday, ...]
    created_at: datetime
    updated_at: datetime

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.of(self.time_zone, self.intervals, ((h.start_date, h.end_date) for h in self.holidays))


def end_of_business_day(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """The last closing time of the local business day `moment` falls in; outside hours, of the
    next business day. "Acknowledged before the end of the day" (seed 004) waits until then."""
    opened = add_business_time(calendar, moment, timedelta(0))
    local = opened.astimezone(calendar.tz)
    next_midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=calendar.tz)
    return add_business_time(calendar, opened, business_time_between(calendar, opened, next_midnight))
