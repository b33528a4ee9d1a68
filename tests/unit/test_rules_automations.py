"""Automations at exact instants: when each is due, that it fires once per episode, and that the
plan agrees with the conditions at every instant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.calendars.model import DEFAULT_INTERVALS, BusinessCalendar
from opsdesk.rules.automations import due_now, episode_start, matches_at, next_due_at, plan, windows
from opsdesk.rules.model import Clocks, Condition, Conditions, Rule, RuleKind, TicketState
from opsdesk.rules.vocabulary import parse_actions, parse_conditions

H = timedelta(hours=1)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
MONDAY = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday, 00:00 UTC
NINE_TO_FIVE = BusinessCalendar.of("UTC", DEFAULT_INTERVALS, ())

TICKET = TicketState(
    id=42,
    subject="Printer on fire",
    status="pending",
    priority="normal",
    type=None,
    group_id=7,
    assignee_id=11,
    requester_id=5,
    submitter_id=5,
    organization_id=None,
    ticket_form_id=None,
    via_channel="email",
    tags=(),
    custom_fields={},
)
CLOCKS = Clocks(created_at=MONDAY, updated_at=MONDAY, status_entered_at={"new": MONDAY, "pending": MONDAY})


def automation(
    rule_id: int,
    all_: list[tuple[str, str, Any]],
    actions: list[tuple[str, Any]] | None = None,
    *,
    any_: list[tuple[str, str, Any]] | None = None,
    position: int | None = None,
    active: bool = True,
) -> Rule:
    conditions = parse_conditions(
        {
            "all": [{"field": f, "operator": o, "value": v} for f, o, v in all_],
            "any": [{"field": f, "operator": o, "value": v} for f, o, v in any_ or []],
        },
        kind=RuleKind.AUTOMATION,
    )
    raw_actions = actions or [("notification_user", ["assignee_id", "Reminder", "{{ticket.id}} waits"])]
    parsed = parse_actions([{"field": f, "value": v} for f, v in raw_actions], kind=RuleKind.AUTOMATION)
    return Rule(rule_id, f"Automation {rule_id}", rule_id if position is None else position, active, conditions, parsed)


def test_pending_for_five_days_is_due_exactly_five_days_later() -> None:
    solve = automation(1, [("status", "is", "pending"), ("PENDING", "greater_than", 120)], [("status", "solved")])
    assert next_due_at(solve, TICKET, CLOCKS, MONDAY) == MONDAY + 5 * DAY
    assert not matches_at(solve, TICKET, CLOCKS, MONDAY + 5 * DAY - TICK)
    assert matches_at(solve, TICKET, CLOCKS, MONDAY + 5 * DAY)
    # Asked later, it is due at once.
    assert next_due_at(solve, TICKET, CLOCKS, MONDAY + 6 * DAY) == MONDAY + 6 * DAY


def test_two_hours_before_an_sla_breach_is_due_exactly_then() -> None:
    breach = MONDAY + 9 * H + 17 * timedelta(minutes=1)
    clocks = replace(CLOCKS, next_sla_breach_at=breach)
    warn = automation(1, [("until_sla_next_breach_at", "less_than", 2)])
    assert next_due_at(warn, TICKET, clocks, MONDAY) == breach - 2 * H


@pytest.mark.parametrize(
    ("field", "operator", "hours", "now", "due"),
    [
        ("NEW", "is", 24, MONDAY, MONDAY + 24 * H),
        ("NEW", "is", 24, MONDAY + 24 * H + 30 * timedelta(minutes=1), MONDAY + 24 * H + 30 * timedelta(minutes=1)),
        ("NEW", "is", 24, MONDAY + 25 * H, None),  # the hour has passed
        ("NEW", "greater_than", 24, MONDAY + H, MONDAY + 24 * H),
        ("NEW", "less_than", 24, MONDAY + H, MONDAY + H),  # holds now
        ("NEW", "less_than", 24, MONDAY + 24 * H, None),  # never again
        ("NEW", "less_than", 0, MONDAY, None),
        ("updated_at", "greater_than", 1, MONDAY, MONDAY + H),
        ("assigned_at", "greater_than", 1, MONDAY, None),  # never assigned: no anchor
        ("HOLD", "greater_than", 1, MONDAY, None),  # not on hold
        ("due_date", "greater_than", 0, MONDAY, MONDAY + 3 * DAY),
        ("until_due_date", "less_than", 24, MONDAY, MONDAY + 2 * DAY),
        ("until_due_date", "greater_than", 24, MONDAY, MONDAY),
        ("until_due_date", "greater_than", 24, MONDAY + 2 * DAY, None),
        ("until_due_date", "is", 24, MONDAY, MONDAY + 2 * DAY),
        ("until_due_date", "is", 24, MONDAY + 2 * DAY + H, None),
        ("until_due_date", "is", 0, MONDAY, MONDAY + 3 * DAY),  # 0 >= hours left > -1
        # Business hours, Monday to Friday 09:00-17:00 UTC.
        ("NEW", "greater_than_business_hours", 8, MONDAY, MONDAY + 17 * H),
        ("NEW", "greater_than_business_hours", 10, MONDAY, MONDAY + DAY + 11 * H),  # Tuesday 11:00
        ("NEW", "is_business_hours", 8, MONDAY + 20 * H, MONDAY + 20 * H),  # 8 business hours all night
        (
            "NEW",
            "less_than_business_hours",
            1,
            MONDAY + 9 * H + 30 * timedelta(minutes=1),
            MONDAY + 9 * H + 30 * timedelta(minutes=1),
        ),
        ("NEW", "less_than_business_hours", 1, MONDAY + 10 * H, None),
        (
            "until_due_date",
            "less_than_business_hours",
            2,
            MONDAY,
            MONDAY + 2 * DAY + 15 * H,
        ),  # due Thu 00:00: Wed 15:00
        ("until_due_date", "greater_than_business_hours", 2, MONDAY + 2 * DAY + 14 * H, MONDAY + 2 * DAY + 14 * H),
        ("until_due_date", "greater_than_business_hours", 2, MONDAY + 2 * DAY + 15 * H, None),
        (
            "until_due_date",
            "is_business_hours",
            1,
            MONDAY,
            MONDAY + 2 * DAY + 16 * H,
        ),  # Wed 16:00-17:00, then none left
    ],
)
def test_next_due_at(field: str, operator: str, hours: int, now: datetime, due: datetime | None) -> None:
    clocks = replace(CLOCKS, due_at=MONDAY + 3 * DAY)
    rule = automation(1, [(field, operator, hours)])
    assert next_due_at(rule, TICKET, clocks, now, NINE_TO_FIVE) == due


def test_business_hours_skip_the_weekend() -> None:
    friday_four = MONDAY + 4 * DAY + 16 * H
    clocks = replace(CLOCKS, created_at=friday_four, status_entered_at={"pending": friday_four})
    rule = automation(1, [("PENDING", "greater_than_business_hours", 2)])
    assert next_due_at(rule, TICKET, clocks, friday_four, NINE_TO_FIVE) == MONDAY + 7 * DAY + 10 * H


def test_conditions_that_do_not_read_the_clock_are_taken_as_they_are_now() -> None:
    rule = automation(1, [("priority", "is", "urgent"), ("NEW", "greater_than", 1)])
    assert next_due_at(rule, TICKET, CLOCKS, MONDAY) is None
    assert next_due_at(rule, replace(TICKET, priority="urgent"), CLOCKS, MONDAY) == MONDAY + H


def test_any_gives_the_earliest_of_its_windows() -> None:
    rule = automation(1, [("status", "is", "pending")], any_=[("NEW", "is", 48), ("NEW", "is", 24)])
    assert next_due_at(rule, TICKET, CLOCKS, MONDAY) == MONDAY + 24 * H
    assert next_due_at(rule, TICKET, CLOCKS, MONDAY + 25 * H) == MONDAY + 48 * H
    assert [(w.start, w.end) for w in windows(rule, TICKET, CLOCKS, MONDAY)] == [
        (MONDAY + 24 * H, MONDAY + 25 * H),
        (MONDAY + 48 * H, MONDAY + 49 * H),
    ]
    # An untimed `any` condition that holds already makes the time ones unnecessary.
    either = automation(2, [("NEW", "greater_than", 1)], any_=[("NEW", "is", 48), ("group_id", "is", 7)])
    assert next_due_at(either, TICKET, CLOCKS, MONDAY) == MONDAY + H


def test_closed_tickets_run_no_automations() -> None:
    closed = replace(TICKET, status="closed")
    rule = automation(1, [("NEW", "greater_than", 1)])
    assert not matches_at(rule, closed, CLOCKS, MONDAY + DAY)
    assert next_due_at(rule, closed, CLOCKS, MONDAY) is None
    assert plan([rule], closed, CLOCKS, MONDAY, {}) is None


def test_episode_start_is_when_the_conditions_last_became_true() -> None:
    rule = automation(1, [("updated_at", "greater_than", 24)])
    assert episode_start(rule, TICKET, CLOCKS, MONDAY + 23 * H) is None
    assert episode_start(rule, TICKET, CLOCKS, MONDAY + 30 * H) == MONDAY + 24 * H


def test_a_rule_that_does_not_undo_itself_fires_once_per_episode() -> None:
    nudge = automation(1, [("updated_at", "greater_than", 24)])
    assert plan([nudge], TICKET, CLOCKS, MONDAY, {}) == MONDAY + 24 * H
    fired_at = {1: MONDAY + 24 * H}
    at = MONDAY + 24 * H
    assert due_now([nudge], TICKET, CLOCKS, at, {}) == [nudge]
    assert due_now([nudge], TICKET, CLOCKS, at, fired_at) == []
    assert plan([nudge], TICKET, CLOCKS, at, fired_at) is None  # no loop
    # The ticket is updated: a new episode, a new reminder a day later.
    updated = replace(CLOCKS, updated_at=MONDAY + 30 * H)
    assert plan([nudge], TICKET, updated, MONDAY + 30 * H, fired_at) == MONDAY + 54 * H


def test_a_later_episode_of_the_same_rule_is_planned() -> None:
    rule = automation(1, [("status", "is", "pending")], any_=[("NEW", "is", 24), ("NEW", "is", 48)])
    fired_at = {1: MONDAY + 24 * H}
    assert plan([rule], TICKET, CLOCKS, MONDAY + 24 * H, fired_at) == MONDAY + 48 * H


def test_plan_is_the_earliest_over_active_rules_and_due_now_keeps_position_order() -> None:
    late = automation(1, [("NEW", "greater_than", 48)], position=0)
    early = automation(2, [("NEW", "greater_than", 24)], position=2)
    earlier_but_off = automation(3, [("NEW", "greater_than", 1)], active=False)
    rules = [early, late, earlier_but_off]
    assert plan(rules, TICKET, CLOCKS, MONDAY, {}) == MONDAY + 24 * H
    assert due_now(rules, TICKET, CLOCKS, MONDAY + 3 * DAY, {}) == [late, early]
    assert due_now(rules, TICKET, CLOCKS, MONDAY + 3 * DAY, {1: MONDAY + 2 * DAY}) == [early]


# --- properties ---------------------------------------------------------------------------

TIME_FIELDS = [
    "NEW",
    "PENDING",
    "OPEN",
    "updated_at",
    "requester_updated_at",
    "due_date",
    "until_due_date",
    "until_sla_next_breach_at",
]
OPERATORS = [
    "is",
    "less_than",
    "greater_than",
    "is_business_hours",
    "less_than_business_hours",
    "greater_than_business_hours",
]
OFFSETS = st.integers(0, 21 * 24 * 60).map(lambda minutes: minutes * timedelta(minutes=1))


@st.composite
def situations(draw: st.DrawFn) -> tuple[Rule, TicketState, Clocks, datetime, BusinessCalendar | None]:
    """A ticket created on MONDAY with clocks up to three weeks on, one to three time
    conditions, maybe in `any`, and an instant after creation."""
    status = draw(st.sampled_from(["open", "pending"]))
    clocks = Clocks(
        created_at=MONDAY,
        updated_at=MONDAY + draw(OFFSETS),
        status_entered_at={status: MONDAY + draw(OFFSETS)},
        requester_updated_at=draw(st.none() | OFFSETS.map(lambda offset: MONDAY + offset)),
        due_at=draw(st.none() | OFFSETS.map(lambda offset: MONDAY + offset)),
        next_sla_breach_at=MONDAY + draw(OFFSETS),
    )
    conditions = [
        Condition(draw(st.sampled_from(TIME_FIELDS)), draw(st.sampled_from(OPERATORS)), draw(st.integers(0, 60)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    split = draw(st.integers(0, len(conditions)))
    chosen = Conditions(all=tuple(conditions[:split]), any=tuple(conditions[split:]))
    rule = Rule(id=1, title="property", position=0, active=True, conditions=chosen, actions=())
    calendar = draw(st.sampled_from([None, NINE_TO_FIVE]))
    return rule, replace(TICKET, status=status), clocks, MONDAY + draw(OFFSETS), calendar


@settings(max_examples=300, deadline=None)
@given(situations())
def test_the_rule_holds_exactly_inside_its_windows(
    situation: tuple[Rule, TicketState, Clocks, datetime, BusinessCalendar | None],
) -> None:
    rule, state, clocks, now, calendar = situation
    found = windows(rule, state, clocks, now, calendar)
    inside = any(window.contains(now) for window in found)
    assert matches_at(rule, state, clocks, now, calendar) is inside
    for window in found:  # the edges, where an off-by-one would hide
        assert matches_at(rule, state, clocks, window.start, calendar)
        if window.start > clocks.created_at:
            assert not matches_at(rule, state, clocks, window.start - TICK, calendar)
        if window.end is not None:
            assert matches_at(rule, state, clocks, window.end - TICK, calendar)
            assert not matches_at(rule, state, clocks, window.end, calendar)


@settings(max_examples=300, deadline=None)
@given(situations())
def test_next_due_at_is_the_first_instant_the_rule_holds(
    situation: tuple[Rule, TicketState, Clocks, datetime, BusinessCalendar | None],
) -> None:
    rule, state, clocks, now, calendar = situation
    due = next_due_at(rule, state, clocks, now, calendar)
    if due is None:  # never again: not now, and no window still to come
        assert not matches_at(rule, state, clocks, now, calendar)
        assert all(w.end is not None and w.end <= now for w in windows(rule, state, clocks, now, calendar))
        return
    assert due >= now
    assert matches_at(rule, state, clocks, due, calendar)
    if due > now:
        assert not matches_at(rule, state, clocks, due - TICK, calendar)
        start = episode_start(rule, state, clocks, due, calendar)
        assert start == due


@settings(max_examples=200, deadline=None)
@given(situations(), st.integers(0, 14 * 24))
def test_greater_than_is_due_exactly_at_its_boundary(
    situation: tuple[Rule, TicketState, Clocks, datetime, BusinessCalendar | None], hours: int
) -> None:
    _, state, clocks, now, calendar = situation
    rule = automation(1, [("updated_at", "greater_than_business_hours", hours)])
    due = next_due_at(rule, state, clocks, now, calendar)
    assert due is not None
    assert matches_at(rule, state, clocks, due, calendar)
    if due > now:
        assert not matches_at(rule, state, clocks, due - TICK, calendar)
