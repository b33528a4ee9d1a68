"""Automations (pure): when time-based rules hold for a ticket, and when each is next due.

opsdesk fires an automation at the exact instant its conditions become true, not on an hourly
sweep (`_time_conditions.py` says what each time condition means at an instant). Planning assumes
the ticket does not change until then: conditions that do not read the clock are evaluated now,
and each time condition holds over one window `[start, end)` of UTC instants. A rule holds over
the intersection of its `all` windows, cut by the union of its `any` windows when no untimed
`any` condition already holds. Every window starts no earlier than the ticket's creation.

An episode is one stretch of time over which a rule keeps holding. A rule fires at most once per
episode: `fired_at[rule.id]` at or after the episode's start means it already has. So a rule that
does not undo its own conditions ("notify when hours since update greater than 24") fires once,
and again only after the ticket changes and a new episode begins. Closed tickets run none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from opsdesk.calendars.model import BusinessCalendar
from opsdesk.rules import _values as v
from opsdesk.rules._time_conditions import Window, condition_window
from opsdesk.rules.conditions import Context, compiled, compiled_condition
from opsdesk.rules.model import Clocks, Rule, TicketState
from opsdesk.tickets.model import Status


def windows(
    rule: Rule, state: TicketState, clocks: Clocks, now: datetime, calendar: BusinessCalendar | None = None
) -> list[Window]:
    """The rule's episodes, in order, if the ticket stays as it is: separate, sorted windows."""
    if state.status == Status.CLOSED:
        return []
    context = Context(clocks=clocks, now=now, calendar=calendar)
    overall: Window | None = Window(clocks.created_at, None)
    for condition in rule.conditions.all:
        if condition.field in v.TIME_FIELDS:
            found = condition_window(condition, state, clocks, calendar)
            overall = overall.cut(found) if overall is not None and found is not None else None
        elif not compiled_condition(condition).test(state, context):
            return []
    if overall is None:
        return []
    timed = [c for c in rule.conditions.any if c.field in v.TIME_FIELDS]
    untimed = [c for c in rule.conditions.any if c.field not in v.TIME_FIELDS]
    if not rule.conditions.any or any(compiled_condition(c).test(state, context) for c in untimed):
        return [overall]
    pieces = (condition_window(c, state, clocks, calendar) for c in timed)
    cuts = sorted((cut for piece in pieces if piece and (cut := overall.cut(piece))), key=lambda w: w.start)
    merged: list[Window] = []
    for window in cuts:
        last = merged[-1] if merged else None
        if last is None or (last.end is not None and window.start > last.end):
            merged.append(window)
        else:  # overlapping or touching: one episode
            end = None if last.end is None or window.end is None else max(last.end, window.end)
            merged[-1] = Window(last.start, end)
    return merged


def matches_at(
    rule: Rule, state: TicketState, clocks: Clocks, now: datetime, calendar: BusinessCalendar | None = None
) -> bool:
    """Whether the automation's conditions hold for the ticket at `now`."""
    if state.status == Status.CLOSED:
        return False
    return compiled(rule.conditions).holds(state, Context(clocks=clocks, now=now, calendar=calendar))


def next_due_at(
    rule: Rule, state: TicketState, clocks: Clocks, now: datetime, calendar: BusinessCalendar | None = None
) -> datetime | None:
    """The earliest instant at or after `now` at which the rule holds; None if never."""
    for window in windows(rule, state, clocks, now, calendar):
        if window.end is None or window.end > now:
            return max(window.start, now)
    return None


def episode_start(
    rule: Rule, state: TicketState, clocks: Clocks, now: datetime, calendar: BusinessCalendar | None = None
) -> datetime | None:
    """When the rule's current episode began (it has held ever since); None if it does not hold now."""
    for window in windows(rule, state, clocks, now, calendar):
        if window.contains(now):
            return window.start
    return None


def _due(
    rule: Rule,
    state: TicketState,
    clocks: Clocks,
    now: datetime,
    *,
    fired_at: Mapping[int, datetime],
    calendar: BusinessCalendar | None,
) -> datetime | None:
    """The earliest instant >= now in an episode the rule has not fired in yet."""
    last_fired = fired_at.get(rule.id)
    for window in windows(rule, state, clocks, now, calendar):
        if window.end is not None and window.end <= now:
            continue
        if last_fired is not None and last_fired >= window.start:
            continue
        return max(window.start, now)
    return None


def plan(  # noqa: PLR0917 - the order callers pass it in (tickets/workflow.py)
    rules: Sequence[Rule],
    state: TicketState,
    clocks: Clocks,
    now: datetime,
    fired_at: Mapping[int, datetime],
    calendar: BusinessCalendar | None = None,
) -> datetime | None:
    """When the ticket next needs its automations run: the earliest due instant over the active
    rules, each skipping episodes it has fired in; None when none is ever due as things stand."""
    due = [_due(rule, state, clocks, now, fired_at=fired_at, calendar=calendar) for rule in rules if rule.active]
    return min((at for at in due if at is not None), default=None)


def due_now(  # noqa: PLR0917 - the order callers pass it in (rules/tasks.py)
    rules: Sequence[Rule],
    state: TicketState,
    clocks: Clocks,
    now: datetime,
    fired_at: Mapping[int, datetime],
    calendar: BusinessCalendar | None = None,
) -> list[Rule]:
    """The active rules to fire at `now`, in position order (then id): they hold and have not fired
    in this episode."""
    active = sorted((rule for rule in rules if rule.active), key=lambda rule: (rule.position, rule.id))
    return [rule for rule in active if _due(rule, state, clocks, now, fired_at=fired_at, calendar=calendar) == now]
