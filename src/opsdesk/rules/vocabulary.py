"""Zendesk's rule vocabulary: which condition and action fields exist and what they accept (pure).

`parse_conditions` and `parse_actions` turn the JSON of a trigger, an automation or a macro into
typed rules, refusing every problem at once with one `InvalidInput` whose keys say where
(`conditions.all[0].field`, `actions[2].value`). Values come out normalised (see `_values.py`):
ids and hours are ints, `""` (none) and `"current_user"` are kept as sent, so a rule exported
again reads as it came in. `nullifies` is Zendesk's guard against automations that fire forever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsdesk.core.errors import InvalidInput
from opsdesk.rules import _values as v
from opsdesk.rules.model import Action, Condition, Conditions, RuleKind

# Zendesk via ids and via type names to opsdesk channels, for `via_id` and `current_via_id`.
VIA_IDS = v.VIA_IDS
VIA_NAMES = v.VIA_NAMES
_RULES = frozenset({RuleKind.TRIGGER, RuleKind.AUTOMATION})
_EVERY_KIND = frozenset(RuleKind)
_PLURAL = {RuleKind.TRIGGER: "triggers", RuleKind.AUTOMATION: "automations", RuleKind.MACRO: "macros"}


@dataclass(frozen=True, slots=True)
class ConditionField:
    """A condition field: its operators in triggers and in automations (empty: not there), and the
    normaliser of its value (raises ValueError with the reason)."""

    trigger: frozenset[str]
    automation: frozenset[str]
    value: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class ActionField:
    """An action field: the kinds of rule that may use it and the normaliser of its value."""

    kinds: frozenset[RuleKind]
    value: Callable[[Any], Any]


def _ticket_field(operators: frozenset[str], value: Callable[[Any], Any]) -> ConditionField:
    """A ticket attribute: the same operators everywhere, and the changed family in triggers."""
    return ConditionField(operators | v.CHANGE_OPERATORS, operators, value)


CONDITION_FIELDS: Mapping[str, ConditionField] = {
    "status": _ticket_field(v.ORDERED, v.status),
    "priority": _ticket_field(v.ORDERED, v.priority),
    "type": _ticket_field(v.EQUALITY, v.ticket_type),
    "group_id": _ticket_field(v.EQUALITY, v.reference),
    "assignee_id": _ticket_field(v.EQUALITY, v.person),
    "requester_id": _ticket_field(v.EQUALITY, v.person),
    "organization_id": _ticket_field(v.EQUALITY, v.reference),
    "ticket_form_id": _ticket_field(v.EQUALITY, v.reference),
    "custom_fields": _ticket_field(v.EQUALITY, v.custom_value),  # as custom_fields_<id>
    "current_tags": ConditionField(v.TAG_OPERATORS, v.TAG_OPERATORS, v.tags),
    "subject_includes_word": ConditionField(v.TEXT_OPERATORS, v.TEXT_OPERATORS, v.words),
    "via_id": ConditionField(v.EQUALITY, v.EQUALITY, v.via),
    # What the update is: triggers only.
    "comment_includes_word": ConditionField(v.TEXT_OPERATORS, frozenset(), v.words),
    "update_type": ConditionField(frozenset({"is"}), frozenset(), v.update_type),
    "comment_is_public": ConditionField(frozenset({"is"}), frozenset(), v.comment_visibility),
    "current_via_id": ConditionField(v.EQUALITY, frozenset(), v.via),
    "role": ConditionField(v.EQUALITY, frozenset(), v.role),
    # Time passing: automations only.
    **{name: ConditionField(frozenset(), v.TIME_OPERATORS, v.hours) for name in v.TIME_FIELDS},
}

ACTION_FIELDS: Mapping[str, ActionField] = {
    "status": ActionField(_EVERY_KIND, v.settable_status),
    "priority": ActionField(_EVERY_KIND, v.priority),
    "type": ActionField(_EVERY_KIND, v.ticket_type),
    "group_id": ActionField(_EVERY_KIND, v.reference),
    "assignee_id": ActionField(_EVERY_KIND, v.person),
    "ticket_form_id": ActionField(_EVERY_KIND, v.required_reference),
    "subject": ActionField(_EVERY_KIND, v.text),
    "custom_fields": ActionField(_EVERY_KIND, v.custom_setting),  # as custom_fields_<id>
    "set_tags": ActionField(_EVERY_KIND, v.tags),
    "current_tags": ActionField(_EVERY_KIND, v.tags),
    "remove_tags": ActionField(_EVERY_KIND, v.tags),
    "notification_user": ActionField(_RULES, v.user_notification),
    "notification_group": ActionField(_RULES, v.group_notification),
    "notification_webhook": ActionField(_RULES, v.webhook_notification),
    "comment_value": ActionField(frozenset({RuleKind.MACRO}), v.comment),
    "comment_value_html": ActionField(frozenset({RuleKind.MACRO}), v.text),
    "comment_mode_is_public": ActionField(frozenset({RuleKind.MACRO}), v.flag),
}


def condition_field(name: str) -> ConditionField | None:
    """The catalogue entry for a condition field, `custom_fields_<id>` included; None if unknown."""
    if name == "custom_fields":
        return None
    return CONDITION_FIELDS.get("custom_fields" if v.custom_field_id(name) else name)


def action_field(name: str) -> ActionField | None:
    """The catalogue entry for an action field, `custom_fields_<id>` included; None if unknown."""
    if name == "custom_fields":
        return None
    return ACTION_FIELDS.get("custom_fields" if v.custom_field_id(name) else name)


def normalise_condition(condition: Condition) -> Condition:
    """The condition with its value in canonical form; raises ValueError naming the problem.

    Checks the field, that the operator exists for it in some kind of rule, and the value.
    `changed` and `not_changed` take no value (it becomes None).
    """
    spec = condition_field(condition.field)
    if spec is None:
        raise ValueError(f"unknown condition field '{condition.field}'")
    if condition.operator not in spec.trigger | spec.automation:
        raise ValueError(f"operator '{condition.operator}' is not valid for field '{condition.field}'")
    if condition.operator in {"changed", "not_changed"}:
        return Condition(condition.field, condition.operator, None)
    return Condition(condition.field, condition.operator, spec.value(condition.value))


class _Problems(dict[str, list[str]]):
    """Reasons collected per location, raised together as one `InvalidInput`."""

    def add(self, where: str, reason: str) -> None:
        self.setdefault(where, []).append(reason)

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput("Record validation errors", self)


def _parse_condition(raw: object, where: str, kind: RuleKind, problems: _Problems) -> Condition | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "must be an object with field, operator and value")
        return None
    field, operator = raw.get("field"), raw.get("operator")
    spec = condition_field(field) if isinstance(field, str) else None
    if spec is None:
        problems.add(f"{where}.field", f"unknown condition field {field!r}" if field else "is required")
        return None
    allowed = spec.trigger if kind is RuleKind.TRIGGER else spec.automation
    if not allowed:
        problems.add(f"{where}.field", f"condition field '{field}' cannot be used in {_PLURAL[kind]}")
        return None
    if operator not in allowed:
        elsewhere = f" in {_PLURAL[kind]}" if operator in spec.trigger | spec.automation else ""
        problems.add(f"{where}.operator", f"operator {operator!r} is not valid for field '{field}'{elsewhere}")
        return None
    try:
        return normalise_condition(Condition(str(field), str(operator), raw.get("value")))
    except ValueError as refused:
        problems.add(f"{where}.value", str(refused))
        return None


def parse_conditions(raw: object, *, kind: RuleKind, path: str = "conditions") -> Conditions:
    """Typed conditions from `{"all": [...], "any": [...]}`; raises InvalidInput listing every problem.

    None, `{}` and empty lists mean no conditions. Macros take none at all.
    """
    problems = _Problems()
    if raw is None:
        return Conditions()
    if not isinstance(raw, Mapping):
        problems.add(path, "must be an object with 'all' and 'any' lists")
        problems.raise_if_any()
    assert isinstance(raw, Mapping)
    for key in raw:
        if key not in {"all", "any"}:
            problems.add(f"{path}.{key}", "unknown key; conditions have 'all' and 'any'")
    parsed: dict[str, list[Condition]] = {"all": [], "any": []}
    for group, found in parsed.items():
        items = raw.get(group) or []
        if not isinstance(items, list):
            problems.add(f"{path}.{group}", "must be a list")
        elif items and kind is RuleKind.MACRO:
            problems.add(f"{path}.{group}", "macros have no conditions")
        else:
            for index, item in enumerate(items):
                condition = _parse_condition(item, f"{path}.{group}[{index}]", kind, problems)
                if condition is not None:
                    found.append(condition)
    problems.raise_if_any()
    return Conditions(all=tuple(parsed["all"]), any=tuple(parsed["any"]))


def _parse_action(raw: object, where: str, kind: RuleKind, problems: _Problems) -> Action | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "must be an object with field and value")
        return None
    field = raw.get("field")
    spec = action_field(field) if isinstance(field, str) else None
    if spec is None:
        problems.add(f"{where}.field", f"unknown action field {field!r}" if field else "is required")
        return None
    if kind not in spec.kinds:
        problems.add(f"{where}.field", f"action field '{field}' cannot be used in {_PLURAL[kind]}")
        return None
    try:
        value = spec.value(raw.get("value"))
    except ValueError as refused:
        problems.add(f"{where}.value", str(refused))
        return None
    if field == "status" and value == "closed" and kind is not RuleKind.AUTOMATION:
        problems.add(f"{where}.value", "only automations may close a ticket")
        return None
    return Action(str(field), value)


def parse_actions(raw: object, *, kind: RuleKind, path: str = "actions") -> tuple[Action, ...]:
    """Typed actions from `[{"field": ..., "value": ...}, ...]`; raises InvalidInput listing every
    problem. At least one action is required, as in Zendesk."""
    problems = _Problems()
    if not isinstance(raw, list) or not raw:
        problems.add(path, "must be a list of at least one action")
        problems.raise_if_any()
    assert isinstance(raw, list)
    actions = [_parse_action(item, f"{path}[{index}]", kind, problems) for index, item in enumerate(raw)]
    problems.raise_if_any()
    return tuple(action for action in actions if action is not None)


# Fields an action sets to one value that a condition on the same field can be checked against.
_SETTABLE = frozenset({"status", "priority", "type", "group_id", "assignee_id", "ticket_form_id"})


def _true_once(condition: Condition) -> bool:
    """An `is` time condition holds for one hour-long window per anchor, so it fires once."""
    return condition.field in v.TIME_FIELDS and condition.operator in {"is", f"is{v.BUSINESS}"}


def _falsifies_tags(action: Action, condition: Condition) -> bool:
    named = v.tag_set(condition.value)
    changed = v.tag_set(action.value)
    if condition.operator == "not_includes":  # adding one of the named tags ends it
        return action.field in {"current_tags", "set_tags"} and not named.isdisjoint(changed)
    if action.field == "remove_tags":  # `includes` ends when no named tag is left
        return named <= changed
    return action.field == "set_tags" and named.isdisjoint(changed)


def _falsifies(action: Action, condition: Condition) -> bool:
    """Whether the action leaves the ticket with the condition false."""
    if condition.field == "current_tags":
        return action.field in {"current_tags", "set_tags", "remove_tags"} and _falsifies_tags(action, condition)
    needed_status = v.SINCE_FIELDS.get(condition.field)
    if needed_status is not None:  # hours since pending count only while pending
        return action.field == "status" and action.value != needed_status
    if action.field != condition.field or condition.operator not in v.ORDERED:
        return False
    if v.CURRENT_USER in (action.value, condition.value):
        return False  # who the current user is is known only when the automation runs
    if v.custom_field_id(action.field):
        return not v.holds(action.field, condition.operator, condition.value, v.as_text(action.value))
    return action.field in _SETTABLE and not v.holds(action.field, condition.operator, condition.value, action.value)


def nullifies(conditions: Conditions, actions: Sequence[Action]) -> bool:
    """Whether an automation stops itself from firing again on the same ticket: one of its time
    conditions is true only once, or one of its actions makes one of its `all` conditions false.
    Zendesk refuses automations that do neither; so does opsdesk (the caller answers 422)."""
    if any(_true_once(c) for c in conditions.all):
        return True
    if conditions.any and all(_true_once(c) for c in conditions.any):
        return True
    return any(_falsifies(action, condition) for action in actions for condition in conditions.all)
