"""Time conditions (pure): whether one holds at an instant, and the window of instants it holds.

Both views live here so they agree. Hours are whole hours (`value`); instants are UTC.
- Hours since an anchor, e = t - anchor: `is N` when N <= e < N+1, `greater_than N` when e >= N
  (the boundary counts: "pending greater than 120" holds from exactly 5 days on), `less_than N`
  when e < N. Before the anchor none holds. Hours since a status (OPEN, PENDING, HOLD, SOLVED,
  CLOSED) count only while the ticket is in that status; NEW counts from creation.
- Hours until an anchor, r = anchor - t: `less_than N` when r <= N ("breach less than 2" holds
  from exactly 2 hours before), `greater_than N` when r > N, `is N` when N-1 < r <= N.
- `*_business_hours` operators measure e and r with `business_time_between` on the calendar
  (calendar hours when there is none). A missing anchor makes the condition false.
A window never starts before the ticket was created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from opsdesk.calendars.model import BusinessCalendar, add_business_time, business_time_between
from opsdesk.rules import _values as v
from opsdesk.rules.model import Clocks, Condition, TicketState

HOUR = timedelta(hours=1)
_MICROSECOND = timedelta(microseconds=1)


def time_anchor(field: str, state: TicketState, clocks: Clocks) -> datetime | None:
    """The instant a time field counts from (since) or towards (until); None when it has none."""
    if field in v.UNTIL_FIELDS:
        return clocks.due_at if field == "until_due_date" else clocks.next_sla_breach_at
    needed_status = v.SINCE_FIELDS[field]
    if needed_status is not None:
        return clocks.status_entered_at.get(needed_status) if state.status == needed_status else None
    if field == "NEW":
        return clocks.created_at
    anchor: datetime | None = clocks.due_at if field == "due_date" else getattr(clocks, field)
    return anchor


def _measure(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> timedelta:
    return end - start if calendar is None else business_time_between(calendar, start, end)


def holds_at(
    condition: Condition, state: TicketState, clocks: Clocks, now: datetime, calendar: BusinessCalendar | None
) -> bool:
    """Whether a (normalised) time condition holds at `now`."""
    anchor = time_anchor(condition.field, state, clocks)
    since = condition.field in v.SINCE_FIELDS
    if anchor is None or (since and now < anchor):
        return False
    if not condition.operator.endswith(v.BUSINESS):
        calendar = None
    comparison = condition.operator.removesuffix(v.BUSINESS)
    limit = int(condition.value) * HOUR
    if since:
        elapsed = _measure(calendar, anchor, now)
        if comparison == "is":
            return limit <= elapsed < limit + HOUR
        return elapsed >= limit if comparison == "greater_than" else elapsed < limit
    remaining = _measure(calendar, now, anchor)
    if comparison == "is":
        return limit - HOUR < remaining <= limit
    return remaining > limit if comparison == "greater_than" else remaining <= limit


@dataclass(frozen=True, slots=True)
class Window:
    """The instants `start <= t < end` (UTC); `end` None means it never ends."""

    start: datetime
    end: datetime | None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)

    def cut(self, other: Window) -> Window | None:
        """The instants in both; None when there are none."""
        start = max(self.start, other.start)
        ends = [end for end in (self.end, other.end) if end is not None]
        end = min(ends) if ends else None
        return Window(start, end) if end is None or start < end else None


def _earliest_elapsed(calendar: BusinessCalendar | None, anchor: datetime, hours: int, floor: datetime) -> datetime:
    """The first instant t >= floor at which `hours` have passed since the anchor, counted in
    business time on `calendar` (calendar time when None). Negative `hours`: t before the anchor."""
    if calendar is None:
        return max(floor, anchor + hours * HOUR)
    if hours > 0:
        return max(floor, add_business_time(calendar, anchor, hours * HOUR))
    return _earliest_within(calendar, anchor, -hours * HOUR, floor)


def _earliest_within(calendar: BusinessCalendar, anchor: datetime, lead: timedelta, floor: datetime) -> datetime:
    """The first instant t >= floor with at most `lead` of business time from t to the anchor.

    Business time left falls as t grows, one for one while open and not at all while closed.
    Halving [low, high] finds the open stretch the answer lies in; from an instant `low` in that
    stretch, the answer is exactly `low + (left at low - lead)`, which is tried at every step.
    """

    def left(t: datetime) -> timedelta:
        return business_time_between(calendar, t, anchor)

    if left(floor) <= lead:
        return floor
    low, high = floor, anchor  # left(low) > lead >= left(high)
    while high - low > _MICROSECOND:
        guess = low + (left(low) - lead)
        if guess < high:
            if left(guess) == lead:  # open all the way from low: nothing earlier qualifies
                return guess
            low = guess  # closed time on the way: still too early
        middle = low + (high - low) // 2
        if left(middle) > lead:
            low = middle
        else:
            high = middle
    return high


def condition_window(
    condition: Condition, state: TicketState, clocks: Clocks, calendar: BusinessCalendar | None = None
) -> Window | None:
    """The instants at which a (normalised) time condition holds, from the ticket's creation on,
    if the ticket does not change; None if never."""
    anchor = time_anchor(condition.field, state, clocks)
    if anchor is None:
        return None
    if not condition.operator.endswith(v.BUSINESS):
        calendar = None
    comparison = condition.operator.removesuffix(v.BUSINESS)
    hours, floor = int(condition.value), clocks.created_at
    if condition.field in v.SINCE_FIELDS:
        floor = max(floor, anchor)

    def reaching(elapsed_hours: int) -> datetime:
        return _earliest_elapsed(calendar, anchor, elapsed_hours, floor)

    end: datetime | None
    if condition.field in v.SINCE_FIELDS:
        if comparison == "less_than":
            start, end = floor, reaching(hours)
        else:
            start = reaching(hours)
            end = reaching(hours + 1) if comparison == "is" else None
    elif comparison == "greater_than":  # hours until: r <= N exactly when hours since >= -N
        start, end = floor, reaching(-hours)
    else:
        start = reaching(-hours)
        end = reaching(1 - hours) if comparison == "is" else None
    return Window(start, end) if end is None or start < end else None
