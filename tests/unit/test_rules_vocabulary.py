"""Rules as Zendesk sends them: what imports unchanged, what is refused and where, and which
automations are refused for firing forever."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.core.errors import InvalidInput
from opsdesk.rules.model import Action, Condition, Conditions, RuleKind
from opsdesk.rules.vocabulary import nullifies, parse_actions, parse_conditions

T, A, M = RuleKind.TRIGGER, RuleKind.AUTOMATION, RuleKind.MACRO


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def refusals(raw: Any, kind: RuleKind, *, actions: bool = False) -> dict[str, list[str]]:
    parse = parse_actions if actions else parse_conditions
    with pytest.raises(InvalidInput) as raised:
        parse(raw, kind=kind)
    assert raised.value.description == "Record validation errors"
    return raised.value.details


def test_a_zendesk_trigger_imports_with_values_normalised() -> None:
    raw = {
        "all": [
            cond("update_type", "is", "Create"),
            cond("status", "less_than", "Solved"),
            cond("group_id", "is", "360001"),
            cond("assignee_id", "is", "current_user"),
            cond("organization_id", "is", ""),
            cond("current_tags", "includes", "VIP  Billing"),
            cond("custom_fields_360002", "is", value=True),
            cond("current_via_id", "is", "4"),
            cond("assignee_id", "changed", "ignored"),
        ],
        "any": [cond("priority", "is_not", ""), cond("comment_is_public", "is", value=True)],
    }
    parsed = parse_conditions(raw, kind=T)
    assert parsed.all == (
        Condition("update_type", "is", "Create"),
        Condition("status", "less_than", "solved"),
        Condition("group_id", "is", 360001),
        Condition("assignee_id", "is", "current_user"),
        Condition("organization_id", "is", ""),
        Condition("current_tags", "includes", "vip billing"),
        Condition("custom_fields_360002", "is", "true"),
        Condition("current_via_id", "is", "email"),
        Condition("assignee_id", "changed", None),
    )
    assert parsed.any == (Condition("priority", "is_not", ""), Condition("comment_is_public", "is", "true"))


def test_an_automation_imports_with_hours_as_numbers() -> None:
    raw = {"all": [cond("status", "is", "pending"), cond("PENDING", "greater_than_business_hours", "120")]}
    parsed = parse_conditions(raw, kind=A)
    assert parsed.all[1] == Condition("PENDING", "greater_than_business_hours", 120)


@pytest.mark.parametrize("raw", [None, {}, {"all": [], "any": []}, {"all": None}])
def test_no_conditions_is_allowed(raw: Any) -> None:
    assert parse_conditions(raw, kind=T) == Conditions()


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (T, {"all": [cond("foo", "is", 1)]}, {"conditions.all[0].field": ["unknown condition field 'foo'"]}),
        (
            T,
            {"any": [cond("status", "is", "open"), cond("status", "bigger", "open")]},
            {"conditions.any[1].operator": ["operator 'bigger' is not valid for field 'status'"]},
        ),
        (
            T,
            {"all": [cond("status", "is", "archived")]},
            {
                "conditions.all[0].value": [
                    "'archived' is not a ticket status (new, open, pending, hold, solved, closed)"
                ]
            },
        ),
        (
            T,
            {"all": [cond("priority", "is", "critical")]},
            {"conditions.all[0].value": ["'critical' is not a priority (low, normal, high, urgent, or \"\" for none)"]},
        ),
        (
            T,
            {"all": [cond("group_id", "is", "sales")]},
            {"conditions.all[0].value": ["'sales' is not an id (a positive whole number, or \"\" for none)"]},
        ),
        (
            A,
            {"all": [cond("update_type", "is", "Create")]},
            {"conditions.all[0].field": ["condition field 'update_type' cannot be used in automations"]},
        ),
        (
            A,
            {"all": [cond("status", "changed")]},
            {"conditions.all[0].operator": ["operator 'changed' is not valid for field 'status' in automations"]},
        ),
        (
            T,
            {"all": [cond("PENDING", "greater_than", 24)]},
            {"conditions.all[0].field": ["condition field 'PENDING' cannot be used in triggers"]},
        ),
        (
            A,
            {"all": [cond("NEW", "greater_than", "a day")]},
            {"conditions.all[0].value": ["'a day' is not a number of whole hours"]},
        ),
        (M, {"all": [cond("status", "is", "open")]}, {"conditions.all": ["macros have no conditions"]}),
        (T, {"all": "status is open"}, {"conditions.all": ["must be a list"]}),
        (T, {"All": []}, {"conditions.All": ["unknown key; conditions have 'all' and 'any'"]}),
        (T, ["status", "is", "open"], {"conditions": ["must be an object with 'all' and 'any' lists"]}),
        (T, {"all": ["status is open"]}, {"conditions.all[0]": ["must be an object with field, operator and value"]}),
        (T, {"all": [{"operator": "is", "value": "open"}]}, {"conditions.all[0].field": ["is required"]}),
        (
            T,
            {"all": [cond("role", "is", "manager")]},
            {"conditions.all[0].value": ["'manager' is not a role (end_user, agent, admin)"]},
        ),
        (
            T,
            {"all": [cond("update_type", "is", "Delete")]},
            {"conditions.all[0].value": ["'Delete' is not an update type (Create or Change)"]},
        ),
    ],
)
def test_conditions_are_refused_where_they_are_wrong(kind: RuleKind, raw: Any, expected: dict[str, list[str]]) -> None:
    assert refusals(raw, kind) == expected


def test_every_problem_is_reported_at_once() -> None:
    raw = {
        "all": [cond("foo", "is", 1), cond("status", "is", "open"), cond("priority", "is", "critical")],
        "any": [cond("status", "bigger", "open")],
    }
    assert set(refusals(raw, T)) == {
        "conditions.all[0].field",
        "conditions.all[2].value",
        "conditions.any[0].operator",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "web"), ("4", "email"), (5, "api"), ("8", "rule"), ("mail", "email"), ("web_service", "api"), (29, 29)],
)
def test_via_ids_and_channel_names_are_both_accepted(value: Any, expected: str | int) -> None:
    parsed = parse_conditions({"all": [cond("via_id", "is", value)]}, kind=T)
    assert parsed.all[0].value == expected


def test_actions_import_with_values_normalised() -> None:
    raw = [
        {"field": "status", "value": "Solved"},
        {"field": "group_id", "value": "12"},
        {"field": "assignee_id", "value": "current_user"},
        {"field": "priority", "value": ""},
        {"field": "set_tags", "value": "Escalated  tier_2"},
        {"field": "notification_user", "value": ["requester_id", "Re: {{ticket.title}}", "Hello"]},
        {"field": "notification_group", "value": ["7", "New ticket", "Body"]},
        {"field": "notification_webhook", "value": ["01GZ9Q", '{"id": "{{ticket.id}}"}']},
        {"field": "custom_fields_360002", "value": "gold"},
    ]
    assert parse_actions(raw, kind=T) == (
        Action("status", "solved"),
        Action("group_id", 12),
        Action("assignee_id", "current_user"),
        Action("priority", ""),
        Action("set_tags", "escalated tier_2"),
        Action("notification_user", ["requester_id", "Re: {{ticket.title}}", "Hello"]),
        Action("notification_group", [7, "New ticket", "Body"]),
        Action("notification_webhook", ["01GZ9Q", '{"id": "{{ticket.id}}"}']),
        Action("custom_fields_360002", "gold"),
    )


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (T, [{"field": "colour", "value": "red"}], {"actions[0].field": ["unknown action field 'colour'"]}),
        (T, [{"field": "status", "value": "closed"}], {"actions[0].value": ["only automations may close a ticket"]}),
        (M, [{"field": "status", "value": "closed"}], {"actions[0].value": ["only automations may close a ticket"]}),
        (A, [{"field": "status", "value": "new"}], {"actions[0].value": ["a rule cannot set a ticket back to new"]}),
        (
            T,
            [
                {"field": "status", "value": "open"},
                {"field": "status", "value": "open"},
                {"field": "notification_user", "value": ["requester_id", "Hi"]},
            ],
            {"actions[2].value": ["must be [recipient, subject, body]"]},
        ),
        (
            T,
            [{"field": "notification_user", "value": ["the boss", "Hi", "Body"]}],
            {
                "actions[0].value": [
                    "the recipient 'the boss' is not a user id, requester_id, assignee_id or current_user"
                ]
            },
        ),
        (
            T,
            [{"field": "comment_value", "value": "Thanks!"}],
            {"actions[0].field": ["action field 'comment_value' cannot be used in triggers"]},
        ),
        (
            M,
            [{"field": "notification_user", "value": ["requester_id", "s", "b"]}],
            {"actions[0].field": ["action field 'notification_user' cannot be used in macros"]},
        ),
        (
            T,
            [{"field": "ticket_form_id", "value": ""}],
            {"actions[0].value": ["'' is not an id (a positive whole number)"]},
        ),
        (
            T,
            [{"field": "assignee_id", "value": "someone"}],
            {"actions[0].value": ['\'someone\' is not a user id, "current_user", or "" for nobody']},
        ),
        (T, [], {"actions": ["must be a list of at least one action"]}),
        (T, {"field": "status", "value": "open"}, {"actions": ["must be a list of at least one action"]}),
        (T, ["status"], {"actions[0]": ["must be an object with field and value"]}),
    ],
)
def test_actions_are_refused_where_they_are_wrong(kind: RuleKind, raw: Any, expected: dict[str, list[str]]) -> None:
    assert refusals(raw, kind, actions=True) == expected


def test_macros_take_comments() -> None:
    raw = [
        {"field": "comment_value", "value": ["channel:all", "Thanks for waiting"]},
        {"field": "comment_mode_is_public", "value": False},
    ]
    assert parse_actions(raw, kind=M) == (
        Action("comment_value", ["channel:all", "Thanks for waiting"]),
        Action("comment_mode_is_public", "false"),
    )


def conditions(*all_: Condition, any_: tuple[Condition, ...] = ()) -> Conditions:
    return Conditions(all=all_, any=any_)


PENDING_5_DAYS = Condition("PENDING", "greater_than", 120)
UPDATED_A_DAY = Condition("updated_at", "greater_than", 24)


@pytest.mark.parametrize(
    ("conditions_", "actions", "expected"),
    [
        # true only once
        (conditions(Condition("NEW", "is", 48)), [Action("notification_group", ["group_id", "s", "b"])], True),
        (conditions(Condition("until_due_date", "is_business_hours", 4)), [Action("current_tags", "x")], True),
        (conditions(UPDATED_A_DAY, any_=(Condition("NEW", "is", 24), Condition("NEW", "is", 48))), [], True),
        (conditions(UPDATED_A_DAY, any_=(Condition("NEW", "is", 24), Condition("status", "is", "open"))), [], False),
        # nothing undoes the conditions: it would fire again and again
        (conditions(UPDATED_A_DAY), [Action("notification_user", ["assignee_id", "s", "b"])], False),
        (conditions(UPDATED_A_DAY, Condition("status", "is", "open")), [Action("priority", "high")], False),
        # status, priority, group: set to something else
        (
            conditions(Condition("status", "is", "solved"), Condition("SOLVED", "greater_than", 96)),
            [Action("status", "closed")],
            True,
        ),
        (conditions(Condition("status", "is", "solved"), UPDATED_A_DAY), [Action("status", "solved")], False),
        (conditions(Condition("status", "is_not", "hold"), UPDATED_A_DAY), [Action("status", "hold")], True),
        (conditions(Condition("priority", "less_than", "high"), UPDATED_A_DAY), [Action("priority", "urgent")], True),
        (conditions(Condition("priority", "less_than", "high"), UPDATED_A_DAY), [Action("priority", "low")], False),
        (conditions(Condition("group_id", "is", ""), UPDATED_A_DAY), [Action("group_id", 4)], True),
        (conditions(Condition("assignee_id", "is", 9), UPDATED_A_DAY), [Action("assignee_id", "")], True),
        (conditions(Condition("type", "is", "incident"), UPDATED_A_DAY), [Action("type", "problem")], True),
        (conditions(Condition("ticket_form_id", "is_not", 3), UPDATED_A_DAY), [Action("ticket_form_id", 3)], True),
        (
            conditions(Condition("custom_fields_5", "is", "new"), UPDATED_A_DAY),
            [Action("custom_fields_5", "seen")],
            True,
        ),
        (
            conditions(Condition("custom_fields_5", "is", "new"), UPDATED_A_DAY),
            [Action("custom_fields_6", "seen")],
            False,
        ),
        # tags
        (
            conditions(Condition("current_tags", "not_includes", "reminded"), UPDATED_A_DAY),
            [Action("current_tags", "reminded")],
            True,
        ),
        (
            conditions(Condition("current_tags", "not_includes", "reminded"), UPDATED_A_DAY),
            [Action("set_tags", "reminded vip")],
            True,
        ),
        (
            conditions(Condition("current_tags", "not_includes", "reminded"), UPDATED_A_DAY),
            [Action("current_tags", "other")],
            False,
        ),
        (
            conditions(Condition("current_tags", "includes", "waiting"), UPDATED_A_DAY),
            [Action("remove_tags", "waiting")],
            True,
        ),
        (
            conditions(Condition("current_tags", "includes", "waiting"), UPDATED_A_DAY),
            [Action("set_tags", "vip")],
            True,
        ),
        (
            conditions(Condition("current_tags", "includes", "waiting"), UPDATED_A_DAY),
            [Action("set_tags", "waiting vip")],
            False,
        ),
        # removing one of two named tags leaves the other able to match
        (
            conditions(Condition("current_tags", "includes", "waiting stuck"), UPDATED_A_DAY),
            [Action("remove_tags", "waiting")],
            False,
        ),
        # leaving the status an hours-since condition counts in
        (conditions(PENDING_5_DAYS), [Action("status", "solved")], True),
        (conditions(PENDING_5_DAYS), [Action("status", "pending")], False),
        (conditions(Condition("NEW", "greater_than", 24)), [Action("status", "open")], False),
        (conditions(Condition("HOLD", "greater_than_business_hours", 8)), [Action("status", "open")], True),
        # who the current user is is not known in advance
        (conditions(Condition("assignee_id", "is", 5), UPDATED_A_DAY), [Action("assignee_id", "current_user")], False),
    ],
)
def test_nullifies(conditions_: Conditions, actions: list[Action], expected: bool) -> None:
    assert nullifies(conditions_, actions) is expected
