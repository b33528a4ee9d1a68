"""Triggers and macros as an admin sees them work: the order triggers fire in, what they change,
the messages they ask for, and what a macro does to a ticket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.rules.actions import apply_actions
from opsdesk.rules.conditions import matches
from opsdesk.rules.engine import apply_macro, apply_rule, compile_rules, run_triggers
from opsdesk.rules.model import Action, MacroComment, Notification, Rule, RuleKind, TicketState, Update
from opsdesk.rules.vocabulary import parse_actions, parse_conditions

TICKET = TicketState(
    id=42,
    subject="Printer on fire",
    status="new",
    priority=None,
    type=None,
    group_id=None,
    assignee_id=None,
    requester_id=5,
    submitter_id=5,
    organization_id=None,
    ticket_form_id=None,
    via_channel="email",
    tags=("printers",),
    custom_fields={},
)
CREATE = Update(
    is_create=True, via_channel="email", actor_id=5, actor_role="end-user", previous=None, comment_public=True
)


def trigger(
    rule_id: int,
    all_: list[tuple[str, str, Any]],
    actions: list[tuple[str, Any]],
    *,
    position: int | None = None,
    active: bool = True,
    any_: list[tuple[str, str, Any]] | None = None,
) -> Rule:
    """A trigger parsed from Zendesk's JSON, as the API receives it."""
    conditions = parse_conditions(
        {
            "all": [{"field": f, "operator": o, "value": v} for f, o, v in all_],
            "any": [{"field": f, "operator": o, "value": v} for f, o, v in any_ or []],
        },
        kind=RuleKind.TRIGGER,
    )
    parsed = parse_actions([{"field": f, "value": v} for f, v in actions], kind=RuleKind.TRIGGER)
    return Rule(rule_id, f"Trigger {rule_id}", rule_id if position is None else position, active, conditions, parsed)


def test_a_trigger_fires_and_changes_the_ticket() -> None:
    route = trigger(
        1,
        [("update_type", "is", "Create"), ("subject_includes_word", "includes", "printer")],
        [("group_id", 7), ("priority", "high")],
    )
    outcome = run_triggers([route], TICKET, CREATE)
    assert outcome.fired == (1,)
    assert (outcome.state.group_id, outcome.state.priority) == (7, "high")


def test_a_trigger_whose_conditions_fail_does_nothing() -> None:
    route = trigger(1, [("update_type", "is", "Change")], [("group_id", 7)])
    outcome = run_triggers([route], TICKET, CREATE)
    assert outcome.fired == ()
    assert outcome.state is TICKET


def test_a_later_trigger_can_make_an_earlier_one_match() -> None:
    # A is above B, but only B's tag makes A match: A fires after B, on the next pass.
    a = trigger(1, [("current_tags", "includes", "routed")], [("priority", "urgent")])
    b = trigger(2, [("update_type", "is", "Create")], [("current_tags", "routed")])
    outcome = run_triggers([a, b], TICKET, CREATE)
    assert outcome.fired == (2, 1)
    assert outcome.state.priority == "urgent"
    assert outcome.state.tags == ("printers", "routed")


def test_each_pass_starts_again_from_the_top() -> None:
    # After B fires, A (above) matches and C (below) matches too: A goes first.
    a = trigger(1, [("group_id", "is", 7)], [("current_tags", "a")])
    b = trigger(2, [("update_type", "is", "Create")], [("group_id", 7)])
    c = trigger(3, [("update_type", "is", "Create")], [("current_tags", "c")])
    assert run_triggers([c, b, a], TICKET, CREATE).fired == (2, 1, 3)


def test_each_trigger_fires_once_and_a_flip_flop_stops() -> None:
    add = trigger(1, [("current_tags", "not_includes", "flag")], [("current_tags", "flag")])
    remove = trigger(2, [("current_tags", "includes", "flag")], [("remove_tags", "flag")])
    outcome = run_triggers([add, remove], TICKET, CREATE)
    assert outcome.fired == (1, 2)
    assert "flag" not in outcome.state.tags


def test_a_trigger_that_stops_matching_before_its_turn_does_not_fire() -> None:
    first = trigger(1, [("update_type", "is", "Create")], [("priority", "low")])
    second = trigger(2, [("priority", "is", "")], [("current_tags", "unprioritised")])
    assert run_triggers([first, second], TICKET, CREATE).fired == (1,)


def test_order_is_position_then_id_and_inactive_triggers_are_skipped() -> None:
    rules = [
        trigger(5, [("update_type", "is", "Create")], [("current_tags", "five")], position=1),
        trigger(3, [("update_type", "is", "Create")], [("current_tags", "three")], position=1),
        trigger(1, [("update_type", "is", "Create")], [("current_tags", "one")], position=2),
        trigger(2, [("update_type", "is", "Create")], [("current_tags", "off")], position=0, active=False),
    ]
    outcome = run_triggers(rules, TICKET, CREATE)
    assert outcome.fired == (3, 5, 1)
    assert outcome.state.tags == ("printers", "three", "five", "one")


def test_changed_conditions_look_at_the_ticket_before_the_update() -> None:
    # The first trigger changes the status; "status changed" still compares with before the update.
    previous = replace(TICKET, status="open")
    update = replace(CREATE, is_create=False, previous=previous, actor_id=11, actor_role="agent")
    solve = trigger(1, [("update_type", "is", "Change")], [("status", "solved")])
    notice = trigger(
        2, [("status", "value_previous", "open"), ("status", "value", "solved")], [("current_tags", "solved_now")]
    )
    outcome = run_triggers([solve, notice], replace(TICKET, status="open"), update)
    assert outcome.fired == (1, 2)


def test_closed_tickets_run_no_triggers() -> None:
    closed = replace(TICKET, status="closed")
    any_update = trigger(1, [("status", "is", "closed")], [("notification_user", ["requester_id", "s", "b"])])
    update = replace(CREATE, is_create=False, previous=closed)
    assert run_triggers([any_update], closed, update).fired == ()


def test_the_update_that_closes_a_ticket_runs_triggers_but_changes_nothing() -> None:
    closed = replace(TICKET, status="closed")
    update = replace(CREATE, is_create=False, previous=replace(TICKET, status="solved"), actor_id=None, actor_role=None)
    on_close = trigger(
        1,
        [("status", "value", "closed")],
        [
            ("notification_group", [7, "Closed", "Ticket {{ticket.id}} closed"]),
            ("status", "open"),
            ("current_tags", "x"),
        ],
    )
    outcome = run_triggers([on_close], closed, update)
    assert outcome.fired == (1,)
    assert outcome.state is closed  # nothing leaves closed
    assert [n.target for n in outcome.notifications] == ["7"]


def test_notifications_are_collected_in_order_with_placeholders_left_in() -> None:
    thanks = trigger(
        1,
        [("update_type", "is", "Create")],
        [("notification_user", ["requester_id", "Re: {{ticket.title}}", "We got it"])],
    )
    alert = trigger(
        2,
        [("update_type", "is", "Create")],
        [
            ("notification_group", ["group_id", "New: {{ticket.id}}", "See {{ticket.url}}"]),
            ("notification_webhook", ["01GZ", '{"id": "{{ticket.id}}"}']),
        ],
    )
    outcome = run_triggers([thanks, alert], TICKET, CREATE)
    assert outcome.notifications == (
        Notification("user", "requester_id", "Re: {{ticket.title}}", "We got it", 1, "Trigger 1"),
        Notification("group", "group_id", "New: {{ticket.id}}", "See {{ticket.url}}", 2, "Trigger 2"),
        Notification("webhook", "01GZ", "", '{"id": "{{ticket.id}}"}', 2, "Trigger 2"),
    )


def test_compiled_triggers_can_be_kept_and_reused() -> None:
    rules = [trigger(1, [("update_type", "is", "Create")], [("current_tags", "seen")])]
    compiled = compile_rules(rules)
    first = run_triggers(compiled, TICKET, CREATE)
    second = run_triggers(compiled, TICKET, CREATE)
    assert first == second
    assert first.state.tags == ("printers", "seen")


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([Action("set_tags", "Alpha beta alpha")], {"tags": ("alpha", "beta")}),
        ([Action("current_tags", "vip Printers")], {"tags": ("printers", "vip")}),
        ([Action("remove_tags", "printers")], {"tags": ()}),
        ([Action("assignee_id", "current_user")], {"assignee_id": 11}),
        ([Action("assignee_id", 12), Action("assignee_id", "")], {"assignee_id": None}),
        ([Action("group_id", "9")], {"group_id": 9}),
        ([Action("priority", "urgent"), Action("type", "task")], {"priority": "urgent", "type": "task"}),
        ([Action("status", "pending")], {"status": "pending"}),
        ([Action("subject", "Printer on fire (escalated)")], {"subject": "Printer on fire (escalated)"}),
        ([Action("ticket_form_id", 4)], {"ticket_form_id": 4}),
        ([Action("custom_fields_360001", "gold")], {"custom_fields": {"360001": "gold"}}),
    ],
)
def test_actions(actions: list[Action], expected: dict[str, Any]) -> None:
    after, notifications, comment = apply_actions(actions, TICKET, actor_id=11)
    assert after == replace(TICKET, **expected)
    assert (notifications, comment) == ([], None)


def test_assigning_to_the_current_user_without_one_leaves_the_assignee() -> None:
    assigned = replace(TICKET, assignee_id=3)
    after, _, _ = apply_actions([Action("assignee_id", "current_user")], assigned, actor_id=None)
    assert after.assignee_id == 3


def test_apply_rule_fires_one_rule_whatever_its_conditions() -> None:
    reminder = trigger(
        9,
        [("update_type", "is", "Change")],
        [("current_tags", "reminded"), ("notification_user", ["assignee_id", "s", "b"])],
    )
    outcome = apply_rule(reminder, TICKET, actor_id=None)
    assert outcome.fired == (9,)
    assert outcome.state.tags == ("printers", "reminded")
    assert outcome.notifications[0].rule_id == 9


def macro(actions: list[dict[str, Any]]) -> tuple[Action, ...]:
    return parse_actions(actions, kind=RuleKind.MACRO)


def test_a_macro_changes_fields_and_writes_a_comment() -> None:
    actions = macro(
        [
            {"field": "status", "value": "pending"},
            {"field": "assignee_id", "value": "current_user"},
            {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, could you send a photo?"},
            {"field": "current_tags", "value": "asked_for_photo"},
        ]
    )
    outcome = apply_macro(actions, TICKET, actor_id=11)
    assert (outcome.state.status, outcome.state.assignee_id) == ("pending", 11)
    assert outcome.state.tags == ("printers", "asked_for_photo")
    assert outcome.comment == MacroComment(
        "Hi {{ticket.requester.first_name}}, could you send a photo?", html=False, public=True
    )
    assert outcome.fired == ()


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (
            [{"field": "comment_value", "value": ["channel:all", "Thanks"]}],
            MacroComment("Thanks", html=False, public=True),
        ),
        (
            [{"field": "comment_value_html", "value": "<p>Thanks</p>"}],
            MacroComment("<p>Thanks</p>", html=True, public=True),
        ),
        (
            [
                {"field": "comment_value", "value": "Checked logs"},
                {"field": "comment_mode_is_public", "value": "false"},
            ],
            MacroComment("Checked logs", html=False, public=False),
        ),
        ([{"field": "comment_mode_is_public", "value": "false"}], None),  # no text, no comment
    ],
)
def test_macro_comments(actions: list[dict[str, Any]], expected: MacroComment | None) -> None:
    assert apply_macro(macro(actions), TICKET, actor_id=11).comment == expected


TAGS = st.sampled_from(["a", "b", "c", "d"])
CONDITIONS = st.one_of(
    st.tuples(st.just("current_tags"), st.sampled_from(["includes", "not_includes"]), TAGS),
    st.tuples(
        st.just("priority"),
        st.sampled_from(["is", "is_not", "less_than", "greater_than"]),
        st.sampled_from(["low", "high"]),
    ),
    st.tuples(
        st.just("group_id"), st.sampled_from(["is", "is_not", "changed", "not_changed"]), st.sampled_from([1, 2, ""])
    ),
    st.tuples(st.just("status"), st.sampled_from(["is", "value", "not_value"]), st.sampled_from(["open", "pending"])),
    st.tuples(st.just("update_type"), st.just("is"), st.sampled_from(["Create", "Change"])),
)
ACTIONS = st.one_of(
    st.tuples(st.sampled_from(["current_tags", "remove_tags", "set_tags"]), TAGS),
    st.tuples(st.just("priority"), st.sampled_from(["low", "high", ""])),
    st.tuples(st.just("group_id"), st.sampled_from([1, 2, ""])),
    st.tuples(st.just("status"), st.sampled_from(["open", "pending"])),
)


@st.composite
def trigger_sets(draw: st.DrawFn) -> list[Rule]:
    """Triggers whose actions feed each other's conditions: loops are easy to write."""
    return [
        trigger(
            rule_id,
            draw(st.lists(CONDITIONS, min_size=1, max_size=3)),
            draw(st.lists(ACTIONS, min_size=1, max_size=2)),
            position=draw(st.integers(0, 3)),
            any_=draw(st.lists(CONDITIONS, max_size=2)),
        )
        for rule_id in range(1, draw(st.integers(1, 10)) + 1)
    ]


@settings(max_examples=300, deadline=None)
@given(trigger_sets(), st.lists(TAGS, unique=True), st.booleans())
def test_triggers_fire_in_the_order_a_plain_rescan_gives(rules: list[Rule], tags: list[str], creating: bool) -> None:
    state = replace(TICKET, tags=tuple(tags))
    update = CREATE if creating else replace(CREATE, is_create=False, previous=replace(state, group_id=2))
    outcome = run_triggers(rules, state, update)
    assert len(set(outcome.fired)) == len(outcome.fired)  # each at most once
    # When it stops, no trigger left unfired matches the final ticket.
    unfired = [rule for rule in rules if rule.id not in outcome.fired]
    assert not any(matches(rule.conditions, outcome.state, update=update) for rule in unfired)
    assert outcome.fired == _run_naively(rules, state, update)


def _run_naively(rules: list[Rule], state: TicketState, update: Update) -> tuple[int, ...]:
    """The order of firing by the book: rescan from the top after every firing."""
    ordered = sorted((r for r in rules if r.active), key=lambda r: (r.position, r.id))
    fired: list[int] = []
    while True:
        for rule in ordered:
            if rule.id not in fired and matches(rule.conditions, state, update=update):
                fired.append(rule.id)
                state, _, _ = apply_actions(rule.actions, state, actor_id=update.actor_id)
                break
        else:
            return tuple(fired)
