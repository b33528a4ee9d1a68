"""Conditions, operator by operator, as an admin writing a trigger or an automation expects them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsdesk.calendars.model import DEFAULT_INTERVALS, BusinessCalendar
from opsdesk.rules.conditions import matches
from opsdesk.rules.model import Clocks, Condition, Conditions, TicketState, Update

H = timedelta(hours=1)
MONDAY = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
NINE_TO_FIVE = BusinessCalendar.of("UTC", DEFAULT_INTERVALS, ())

TICKET = TicketState(
    id=42,
    subject="Printer on fire, please help",
    status="open",
    priority="normal",
    type="incident",
    group_id=7,
    assignee_id=11,
    requester_id=5,
    submitter_id=5,
    organization_id=None,
    ticket_form_id=3,
    via_channel="email",
    tags=("vip", "printers"),
    custom_fields={"360001": "gold", "360002": True, "360003": None},
)
BEFORE = replace(TICKET, status="new", priority=None, assignee_id=None, tags=("printers",))
CHANGE = Update(
    is_create=False,
    via_channel="web",
    actor_id=11,
    actor_role="agent",
    previous=BEFORE,
    comment_public=True,
    comment_body="Have you tried turning it OFF and on again?",
)
CREATE = Update(
    is_create=True, via_channel="email", actor_id=5, actor_role="end-user", previous=None, comment_public=True
)


def holds(
    field: str, operator: str, value: Any = None, *, state: TicketState = TICKET, update: Update | None = CHANGE
) -> bool:
    return matches(Conditions(all=(Condition(field, operator, value),)), state, update=update)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "is", "open", True),
        ("status", "is", "pending", False),
        ("status", "is_not", "pending", True),
        ("status", "less_than", "solved", True),
        ("status", "less_than", "open", False),
        ("status", "greater_than", "new", True),
        ("status", "greater_than", "open", False),
        ("priority", "is", "normal", True),
        ("priority", "less_than", "high", True),
        ("priority", "greater_than", "low", True),
        ("priority", "greater_than", "normal", False),
        ("priority", "is", "", False),
        ("priority", "is_not", "", True),
        ("type", "is", "incident", True),
        ("type", "is_not", "question", True),
        ("group_id", "is", 7, True),
        ("group_id", "is", "7", True),  # numeric strings as Zendesk sends them
        ("group_id", "is_not", 7, False),
        ("organization_id", "is", "", True),  # "" is none
        ("organization_id", "is_not", "", False),
        ("ticket_form_id", "is", 3, True),
        ("requester_id", "is", 5, True),
        ("assignee_id", "is", "current_user", True),  # the agent updating is the assignee
        ("assignee_id", "is_not", "current_user", False),
        ("requester_id", "is", "current_user", False),
        ("custom_fields_360001", "is", "gold", True),
        ("custom_fields_360001", "is_not", "silver", True),
        ("custom_fields_360002", "is", "true", True),  # a checkbox compares as text
        ("custom_fields_360003", "is", "", True),  # an empty field is none
        ("custom_fields_999", "is", "", True),  # so is a field the ticket lacks
        ("custom_fields_999", "is_not", "", False),
    ],
)
def test_ticket_fields(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value) is expected


def test_a_ticket_without_priority_is_below_low() -> None:
    unprioritised = replace(TICKET, priority=None)
    assert holds("priority", "less_than", "low", state=unprioritised)
    assert not holds("priority", "greater_than", "low", state=unprioritised)
    assert holds("priority", "is", "", state=unprioritised)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "changed", None, True),  # new -> open
        ("status", "not_changed", None, False),
        ("status", "value", "open", True),  # changed to
        ("status", "value", "pending", False),
        ("status", "value_previous", "new", True),  # changed from
        ("status", "value_previous", "open", False),
        ("status", "not_value", "open", False),  # not changed to
        ("status", "not_value", "solved", True),
        ("status", "not_value_previous", "new", False),  # not changed from
        ("priority", "value_previous", "", True),  # from no priority
        ("assignee_id", "value", "current_user", True),  # assigned to the agent updating
        ("group_id", "changed", None, False),
        ("group_id", "not_changed", None, True),
        ("group_id", "not_value", 7, True),  # unchanged, so not changed to 7
    ],
)
def test_what_the_update_changed(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "changed", None, True),  # every field with a value changed from nothing
        ("status", "value", "open", True),
        ("group_id", "changed", None, True),
        ("organization_id", "changed", None, False),  # still nothing
        ("organization_id", "not_changed", None, True),
        ("custom_fields_360003", "changed", None, False),
        ("custom_fields_360001", "value", "gold", True),
        ("status", "value_previous", "new", False),
    ],
)
def test_a_create_changes_every_field_that_has_a_value(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value, update=CREATE) is expected


def test_without_an_update_nothing_changed() -> None:
    assert not holds("status", "changed", update=None)
    assert holds("status", "not_changed", update=None)
    assert not holds("update_type", "is", "Change", update=None)


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("includes", "vip", True),
        ("includes", "billing vip", True),  # at least one
        ("includes", "billing refunds", False),
        ("includes", "VIP", True),  # tags are lower case
        ("not_includes", "billing refunds", True),  # none of them
        ("not_includes", "billing vip", False),
    ],
)
def test_tags(operator: str, value: str, expected: bool) -> None:
    assert holds("current_tags", operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("subject_includes_word", "includes", "fire", True),
        ("subject_includes_word", "includes", "FIRE", True),  # any case
        ("subject_includes_word", "includes", "fir", False),  # whole words only
        ("subject_includes_word", "includes", "smoke printer", True),  # any of the words
        ("subject_includes_word", "includes", '"on fire"', True),  # a quoted phrase
        ("subject_includes_word", "includes", '"fire on"', False),
        ("subject_includes_word", "not_includes", "smoke flood", True),
        ("subject_includes_word", "not_includes", "smoke printer", False),
        ("subject_includes_word", "is", "on fire, please", True),  # the phrase appears
        ("subject_includes_word", "is_not", "on fire, please", False),
        ("comment_includes_word", "includes", "off", True),
        ("comment_includes_word", "includes", "of", False),
        ("comment_includes_word", "is", "turning it off", True),
        ("comment_includes_word", "not_includes", "refund", True),
    ],
)
def test_words(field: str, operator: str, value: str, expected: bool) -> None:
    assert holds(field, operator, value) is expected


@pytest.mark.parametrize(
    ("field", "value", "update", "expected"),
    [
        ("update_type", "Create", CREATE, True),
        ("update_type", "Create", CHANGE, False),
        ("update_type", "Change", CHANGE, True),
        ("comment_is_public", "true", CHANGE, True),
        ("comment_is_public", "requester_can_see_comment", CHANGE, True),
        ("comment_is_public", "false", CHANGE, False),
        ("comment_is_public", "false", replace(CHANGE, comment_public=False), True),  # an internal note
        ("comment_is_public", "true", replace(CHANGE, comment_public=None), False),  # no comment
        ("comment_is_public", "false", replace(CHANGE, comment_public=None), False),
        ("comment_is_public", "not_relevant", replace(CHANGE, comment_public=None), True),
        ("current_via_id", "web", CHANGE, True),
        ("current_via_id", "email", CHANGE, False),
        ("via_id", "email", CHANGE, True),  # the ticket came in by email
        ("via_id", 29, CHANGE, False),  # a Zendesk channel opsdesk lacks (chat) never matches
        ("role", "agent", CHANGE, True),
        ("role", "end_user", CHANGE, False),
        ("role", "end_user", CREATE, True),
        ("role", "agent", replace(CHANGE, actor_role="admin"), True),  # admins are agents
        ("role", "admin", CHANGE, False),
        ("role", "agent", replace(CHANGE, actor_id=None, actor_role=None), False),  # the system has no role
    ],
)
def test_what_the_update_is(field: str, value: Any, update: Update, expected: bool) -> None:
    assert holds(field, "is", value, update=update) is expected


def test_is_not_on_the_update() -> None:
    assert holds("current_via_id", "is_not", "email")
    assert not holds("role", "is_not", "agent")
    assert not holds("role", "is_not", "agent", update=replace(CHANGE, actor_id=None, actor_role=None))


def test_all_and_any() -> None:
    open_ = Condition("status", "is", "open")
    vip = Condition("current_tags", "includes", "vip")
    billing = Condition("current_tags", "includes", "billing")
    urgent = Condition("priority", "is", "urgent")
    assert matches(Conditions(all=(open_, vip)), TICKET)
    assert not matches(Conditions(all=(open_, billing)), TICKET)
    assert matches(Conditions(all=(open_,), any=(billing, vip)), TICKET)
    assert not matches(Conditions(all=(open_,), any=(billing, urgent)), TICKET)
    assert matches(Conditions(), TICKET)


def test_a_condition_the_vocabulary_does_not_know_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown condition field 'colour'"):
        matches(Conditions(all=(Condition("colour", "is", "red"),)), TICKET)


# --- time ---------------------------------------------------------------------------------

CLOCKS = Clocks(
    created_at=MONDAY,
    updated_at=MONDAY + 2 * H,
    status_entered_at={"new": MONDAY, "open": MONDAY + 2 * H},
    due_at=MONDAY + 30 * H,
    next_sla_breach_at=MONDAY + 10 * H,
)


def holds_at(field: str, operator: str, hours: int, at: datetime, *, calendar: BusinessCalendar | None = None) -> bool:
    conditions = Conditions(all=(Condition(field, operator, hours),))
    return matches(conditions, TICKET, clocks=CLOCKS, now=at, calendar=calendar)


@pytest.mark.parametrize(
    ("operator", "hours", "at", "expected"),
    [
        ("greater_than", 24, MONDAY + 24 * H, True),  # the boundary instant counts
        ("greater_than", 24, MONDAY + 24 * H - timedelta(microseconds=1), False),
        ("less_than", 24, MONDAY + 24 * H - timedelta(microseconds=1), True),
        ("less_than", 24, MONDAY + 24 * H, False),
        ("is", 24, MONDAY + 24 * H, True),
        ("is", 24, MONDAY + 25 * H - timedelta(microseconds=1), True),
        ("is", 24, MONDAY + 25 * H, False),
        ("is", 24, MONDAY + 23 * H, False),
    ],
)
def test_hours_since_created(operator: str, hours: int, at: datetime, expected: bool) -> None:
    assert holds_at("NEW", operator, hours, at) is expected


@pytest.mark.parametrize(
    ("field", "operator", "hours", "at", "expected"),
    [
        ("until_sla_next_breach_at", "less_than", 2, MONDAY + 8 * H, True),  # exactly 2 h before
        ("until_sla_next_breach_at", "less_than", 2, MONDAY + 8 * H - timedelta(microseconds=1), False),
        ("until_sla_next_breach_at", "less_than", 2, MONDAY + 11 * H, True),  # and after the breach
        ("until_sla_next_breach_at", "greater_than", 2, MONDAY + 8 * H - timedelta(microseconds=1), True),
        ("until_sla_next_breach_at", "greater_than", 2, MONDAY + 8 * H, False),
        ("until_sla_next_breach_at", "is", 2, MONDAY + 8 * H, True),
        ("until_sla_next_breach_at", "is", 2, MONDAY + 9 * H - timedelta(microseconds=1), True),
        ("until_sla_next_breach_at", "is", 2, MONDAY + 9 * H, False),
        ("until_due_date", "less_than", 6, MONDAY + 24 * H, True),
        ("until_due_date", "less_than", 6, MONDAY + 23 * H, False),
    ],
)
def test_hours_until(field: str, operator: str, hours: int, at: datetime, expected: bool) -> None:
    assert holds_at(field, operator, hours, at) is expected


def test_hours_since_a_status_count_only_while_in_it() -> None:
    at = MONDAY + 30 * H
    assert holds_at("OPEN", "greater_than", 24, at)  # open since Monday 02:00
    pending = Conditions(all=(Condition("PENDING", "greater_than", 0),))
    assert not matches(pending, TICKET, clocks=CLOCKS, now=at)  # never pending
    entered = replace(CLOCKS, status_entered_at={**CLOCKS.status_entered_at, "pending": MONDAY})
    assert not matches(pending, TICKET, clocks=entered, now=at)  # was pending, is open now
    assert matches(pending, replace(TICKET, status="pending"), clocks=entered, now=at)


def test_time_conditions_need_an_anchor_and_a_clock() -> None:
    assert not holds_at("assigned_at", "greater_than", 0, MONDAY + H)  # never assigned
    conditions = Conditions(all=(Condition("NEW", "greater_than", 0),))
    assert not matches(conditions, TICKET)  # no clocks, no instant


@pytest.mark.parametrize(
    ("operator", "hours", "at", "expected"),
    [
        # Created Monday 00:00: business time starts at 09:00, so 8 business hours is 17:00.
        ("greater_than_business_hours", 8, MONDAY + 17 * H, True),
        ("greater_than_business_hours", 8, MONDAY + 17 * H - timedelta(microseconds=1), False),
        ("greater_than_business_hours", 9, MONDAY + 24 * H, False),  # the night does not count
        ("greater_than_business_hours", 9, MONDAY + 34 * H, True),  # Tuesday 10:00
        ("less_than_business_hours", 1, MONDAY + 9 * H + 59 * timedelta(minutes=1), True),
        ("is_business_hours", 8, MONDAY + 20 * H, True),  # Monday evening: 8 business hours
        ("is_business_hours", 8, MONDAY + 34 * H, False),
        ("greater_than", 9, MONDAY + 10 * H, True),  # calendar hours for comparison
    ],
)
def test_business_hours_since(operator: str, hours: int, at: datetime, expected: bool) -> None:
    assert holds_at("NEW", operator, hours, at, calendar=NINE_TO_FIVE) is expected


def test_business_hours_until_a_breach() -> None:
    # The breach is Monday 10:00; 2 business hours before it is Friday 16:00 the week before.
    breach = MONDAY + 7 * 24 * H + 10 * H
    clocks = replace(CLOCKS, next_sla_breach_at=breach)
    conditions = Conditions(all=(Condition("until_sla_next_breach_at", "less_than_business_hours", 2),))
    friday_four = MONDAY + 4 * 24 * H + 16 * H
    assert matches(conditions, TICKET, clocks=clocks, now=friday_four, calendar=NINE_TO_FIVE)
    assert matches(conditions, TICKET, clocks=clocks, now=friday_four + 60 * H, calendar=NINE_TO_FIVE)  # weekend
    before = friday_four - timedelta(microseconds=1)
    assert not matches(conditions, TICKET, clocks=clocks, now=before, calendar=NINE_TO_FIVE)


def test_business_hours_without_a_calendar_are_calendar_hours() -> None:
    assert holds_at("NEW", "greater_than_business_hours", 3, MONDAY + 3 * H)
