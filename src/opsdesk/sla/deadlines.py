"""SLA deadlines (pure): where each of a ticket's metrics stands at `now`, and when it breaches.

Each metric is measured in instances. An instance starts, runs or pauses with the ticket's status,
and ends when it is fulfilled or the ticket is solved (solved or closed ends every instance):

| metric               | an instance starts at              | ends at                   | paused in     |
|----------------------|------------------------------------|---------------------------|---------------|
| first_reply_time     | creation                           | the first agent reply     | -             |
| next_reply_time      | the oldest unanswered end-user     | the next agent reply      | -             |
|                      | comment after the first reply      |                           |               |
| periodic_update_time | each agent reply                   | the next agent reply      | -             |
| pausable_update_time | each agent reply                   | the next agent reply      | pending       |
| requester_wait_time  | creation; resumes on reopening     | solved                    | pending       |
| agent_work_time      | creation; resumes on reopening     | solved                    | pending, hold |

"Agent reply" means a public agent comment; internal notes are not in the history and fulfil
nothing. Statuses not named under "paused in" count, except solved and closed. When
`created_by_agent_publicly`, the comment the agent opened the ticket with (at `created_at`, in the
history or not) starts the update metrics but is no first reply: the next agent reply is. A ticket
solved before any reply counts as replied to (next replies may start after it is reopened). The two
status-driven metrics carry their counted time over a reopening.

Stages: `active` (running; `breach_at` is when its counted time reaches the target, perhaps in the
past), `paused` (started, not running), `achieved` (the last instance ended and no new one started).

Events that share an instant belong to one update: a comment starts an instance only if the ticket
is not solved once that instant's status events are applied, whichever order they come in.

Units: targets are minutes; a business-hours target counts only the calendar's business time, any
other target (or any target without a calendar) counts elapsed time. Instants are timezone-aware;
business-hours deadlines are UTC, calendar-time ones keep the zone of the history's instants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice

from opsdesk.calendars.model import BusinessCalendar, add_business_time, business_time_between
from opsdesk.sla.model import HistoryEvent, HistoryKind, Metric, MetricState, SlaHistory, Stage, Target

_SOLVED = frozenset({"solved", "closed"})
_PENDING = frozenset({"pending"})
_PAUSED_IN = {
    Metric.NEXT_REPLY_TIME: frozenset[str](),
    Metric.PERIODIC_UPDATE_TIME: frozenset[str](),
    Metric.PAUSABLE_UPDATE_TIME: _PENDING,
    Metric.REQUESTER_WAIT_TIME: _PENDING,
    Metric.AGENT_WORK_TIME: frozenset({"pending", "hold"}),
}
_STATUS = HistoryKind.STATUS
_MINUTE = timedelta(minutes=1)  # a multiple of it is built faster than timedelta(minutes=n)


def breach_at_for(target: Target, calendar: BusinessCalendar | None, started_at: datetime) -> datetime:
    """When an instance started at `started_at` breaches if nothing pauses or fulfils it.

    The common case: a first reply still awaited (first replies never pause); `measure` agrees.
    """
    if target.business_hours and calendar is not None:
        return add_business_time(calendar, started_at, _MINUTE * target.target)
    return started_at + _MINUTE * target.target


def measure(
    targets: Sequence[Target], calendar: BusinessCalendar | None, history: SlaHistory, now: datetime
) -> tuple[MetricState, ...]:
    """Each target's metric at `now`, in the order of `targets`; metrics that never started are left out.

    `targets` hold at most one target per metric; `calendar` is the schedule of business-hours
    targets. History events after `now` are ignored. An active metric past its target keeps its
    (past) `breach_at`: the instant its counted time reached the target.
    """
    if history.created_at > now:
        return ()
    states = [
        state for target in targets if (state := _MEASURES[target.metric](target, calendar, history, now)) is not None
    ]
    return tuple(states)


def next_breach_at(states: Iterable[MetricState]) -> datetime | None:
    """The earliest breach among the active metrics, None when none is active."""
    earliest: datetime | None = None
    for state in states:
        breach_at = state.breach_at
        if state.stage is Stage.ACTIVE and breach_at is not None and (earliest is None or breach_at < earliest):
            earliest = breach_at
    return earliest


class _Clock:
    """One instance's clock: the time `left` before its target (business time for a business-hours
    target with a calendar, elapsed time otherwise) and since when it has been running."""

    __slots__ = ("breach_at", "calendar", "left", "running_since")

    def __init__(self, target: Target, calendar: BusinessCalendar | None, at: datetime, running: bool) -> None:
        self.calendar = calendar if target.business_hours else None
        self.left = _MINUTE * target.target
        self.running_since: datetime | None = at if running else None
        self.breach_at: datetime | None = None  # set once a stretch of running used up the target

    def run(self, at: datetime) -> None:
        if self.running_since is None:
            self.running_since = at

    def stop(self, at: datetime) -> None:
        since = self.running_since
        if since is None:
            return
        self.running_since = None
        calendar = self.calendar
        counted = at - since if calendar is None else business_time_between(calendar, since, at)
        if counted and self.breach_at is None and counted >= self.left:
            self.breach_at = self._after(since, self.left)
        self.left -= counted

    def follow(self, at: datetime, paused: bool) -> None:
        if paused:
            self.stop(at)
        else:
            self.run(at)

    def state(self, target: Target) -> MetricState:
        since = self.running_since
        if since is None:
            return MetricState(target.metric, Stage.PAUSED, None, target.target, target.business_hours)
        breach_at = self._after(since, self.left) if self.breach_at is None else self.breach_at
        return MetricState(target.metric, Stage.ACTIVE, breach_at, target.target, target.business_hours)

    def _after(self, since: datetime, counted: timedelta) -> datetime:
        calendar = self.calendar
        return since + counted if calendar is None else add_business_time(calendar, since, counted)


def _achieved(target: Target) -> MetricState:
    return MetricState(target.metric, Stage.ACHIEVED, None, target.target, target.business_hours)


def _first_reply(target: Target, calendar: BusinessCalendar | None, history: SlaHistory, now: datetime) -> MetricState:
    """The hot path: the first reply runs from creation, never pauses, and happens once."""
    created_at = history.created_at
    by_agent_publicly = history.created_by_agent_publicly
    for event in history.events:
        at = event.at
        if at > now:
            break
        if (
            event.status in _SOLVED
            if event.kind is _STATUS
            else event.by_agent and not (by_agent_publicly and at == created_at)
        ):
            return _achieved(target)
    breach_at = breach_at_for(target, calendar, created_at)
    return MetricState(target.metric, Stage.ACTIVE, breach_at, target.target, target.business_hours)


def _wait_or_work(target: Target, calendar: BusinessCalendar | None, history: SlaHistory, now: datetime) -> MetricState:
    """Requester wait and agent work: one instance from creation, following the status only."""
    paused_in = _PAUSED_IN[target.metric]
    clock = _Clock(target, calendar, history.created_at, running=True)
    solved = False
    for event in history.events:
        at = event.at
        if at > now:
            break
        if event.kind is _STATUS:
            status = event.status
            solved = status in _SOLVED
            clock.follow(at, solved or status in paused_in)
    return _achieved(target) if solved else clock.state(target)


def _reply_or_update(
    target: Target, calendar: BusinessCalendar | None, history: SlaHistory, now: datetime
) -> MetricState | None:
    """Next reply and the updates: instances started by comments, fulfilled by the next agent reply."""
    paused_in = _PAUSED_IN[target.metric]
    updates = target.metric is not Metric.NEXT_REPLY_TIME
    created_at = history.created_at
    by_agent_publicly = history.created_by_agent_publicly
    clock = _Clock(target, calendar, created_at, running=True) if updates and by_agent_publicly else None
    started = clock is not None
    replied = False  # the first reply happened, or the ticket was solved before it
    # The comment an agent opened the ticket with is no reply (it restarts an update at creation: no change).
    opening_comment_at = created_at if by_agent_publicly else None
    status = "new"
    events = history.events
    for index, event in enumerate(events):
        at = event.at
        if at > now:
            break
        if event.kind is _STATUS:
            status = event.status or status
            if status in _SOLVED:
                replied, clock = True, None
            elif clock is not None:
                clock.follow(at, status in paused_in)
        elif event.by_agent:
            replied, clock = replied or at != opening_comment_at, None
            if updates and not _solved_once_applied(events, index, status):
                clock, started = _Clock(target, calendar, at, running=status not in paused_in), True
        elif not updates and replied and clock is None and not _solved_once_applied(events, index, status):
            clock, started = _Clock(target, calendar, at, running=True), True
    if not started:
        return None
    return _achieved(target) if clock is None else clock.state(target)


def _solved_once_applied(events: Sequence[HistoryEvent], index: int, status: str) -> bool:
    """Whether the ticket is solved once every status event of `events[index]`'s instant is applied."""
    at = events[index].at
    for event in islice(events, index + 1, None):
        if event.at != at:
            break
        if event.kind is _STATUS:
            status = event.status or status
    return status in _SOLVED


_MEASURES: dict[Metric, Callable[[Target, BusinessCalendar | None, SlaHistory, datetime], MetricState | None]] = {
    Metric.FIRST_REPLY_TIME: _first_reply,
    Metric.NEXT_REPLY_TIME: _reply_or_update,
    Metric.PERIODIC_UPDATE_TIME: _reply_or_update,
    Metric.PAUSABLE_UPDATE_TIME: _reply_or_update,
    Metric.REQUESTER_WAIT_TIME: _wait_or_work,
    Metric.AGENT_WORK_TIME: _wait_or_work,
}
