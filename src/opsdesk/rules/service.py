"""Rule use cases: save triggers, automations and macros with validation; run triggers inside a
ticket change; turn the notifications rules ask for into outbox messages.

Compiled rules are cached per process and rebuilt when the `rules` configuration version moves
(`core/versions.py`), so a saved trigger takes effect at the next ticket change in every process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from opsdesk.core import versions
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.delivery import service as delivery
from opsdesk.delivery.model import Channel as DeliveryChannel
from opsdesk.groups.tables import group_memberships
from opsdesk.rules import engine, repo, vocabulary
from opsdesk.rules.builtins import Builtins, builtins_from_stored, builtins_json, parse_builtins
from opsdesk.rules.model import Conditions, Notification, Outcome, Rule, RuleKind, TicketState, Update
from opsdesk.rules.placeholders import render
from opsdesk.rules.records import RuleRecord, read_common
from opsdesk.tickets.access import Role, Viewer
from opsdesk.users import repo as users_repo

RULES = "rules"
BUILTINS = "builtins"
NOT_NULLIFYING = (
    "an automation needs a condition that is true only once or an action that nullifies one of its"
    " conditions (for example: status is pending + set status solved), or it would fire again and again"
)


def _active(conn: Connection, kind: RuleKind) -> tuple[Rule, ...]:
    return tuple(r.rule for r in repo.list_records(conn, kind, active_only=True))


# Triggers run inside every ticket change: compiled once per configuration version.
_triggers = versions.VersionedCache(RULES, lambda conn: engine.compile_rules(_active(conn, RuleKind.TRIGGER)))
_automations = versions.VersionedCache(RULES, lambda conn: _active(conn, RuleKind.AUTOMATION))
_builtins = versions.VersionedCache(BUILTINS, lambda conn: builtins_from_stored(repo.get_setting(conn, BUILTINS)))


def active_triggers(conn: Connection, config: dict[str, int] | None = None) -> engine.CompiledRules:
    return _triggers.get(conn, config)


def active_automations(conn: Connection, config: dict[str, int] | None = None) -> tuple[Rule, ...]:
    return _automations.get(conn, config)


def get_builtins(conn: Connection, config: dict[str, int] | None = None) -> Builtins:
    return _builtins.get(conn, config)


def update_builtins(conn: Connection, *, actor: Viewer, values: Mapping[str, Any], now: datetime) -> Builtins:
    if not actor.is_admin:
        raise PermissionDenied("Only admins change the built-in workflows")
    changed = parse_builtins(values, get_builtins(conn))
    repo.put_setting(conn, BUILTINS, builtins_json(changed), now)
    versions.bump(conn, BUILTINS)
    return changed


# --- saving rules ---------------------------------------------------------------------------


def _visible_macro(actor: Viewer, record: RuleRecord) -> bool:
    restriction = record.restriction
    if actor.is_admin or restriction is None:
        return True
    if restriction.get("type") == "User":
        return bool(restriction.get("id") == actor.user_id)
    return bool(set(restriction.get("ids") or []) & actor.group_ids)


def _require_reader(actor: Viewer) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can see business rules")


def list_rules(conn: Connection, *, actor: Viewer, kind: RuleKind, active: bool | None = None) -> list[RuleRecord]:
    _require_reader(actor)
    records = repo.list_records(conn, kind)
    if active is not None:
        records = [r for r in records if r.active is active]
    if kind is RuleKind.MACRO:
        records = [r for r in records if _visible_macro(actor, r)]
    return records


def get_rule_or_raise(conn: Connection, *, actor: Viewer, kind: RuleKind, rule_id: int) -> RuleRecord:
    _require_reader(actor)
    record = repo.get_record(conn, kind, rule_id)
    if record is None or (kind is RuleKind.MACRO and not _visible_macro(actor, record)):
        raise NotFound(kind.value.capitalize(), rule_id)
    return record


def _conditions_json(conditions: Conditions) -> dict[str, Any]:
    return {
        key: [{"field": c.field, "operator": c.operator, "value": c.value} for c in items]
        for key, items in (("all", conditions.all), ("any", conditions.any))
    }


def _restriction(raw: object, actor: Viewer, errors: dict[str, list[str]]) -> dict[str, Any] | None:
    """Macros: shared (null), personal ({"type": "User", "id"}) or for groups ({"type": "Group", "ids"})."""
    if raw is None:
        restriction = None
    elif isinstance(raw, dict) and raw.get("type") == "User" and isinstance(raw.get("id"), int):
        restriction = {"type": "User", "id": raw["id"]}
    elif isinstance(raw, dict) and raw.get("type") == "Group":
        ids = raw.get("ids") if raw.get("ids") is not None else [raw.get("id")]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors["restriction.ids"] = ["must be a non-empty list of group ids"]
            return None
        restriction = {"type": "Group", "id": ids[0], "ids": ids}
    else:
        errors["restriction"] = ['must be null, {"type": "User", "id": N} or {"type": "Group", "ids": [N, ...]}']
        return None
    if not actor.is_admin and restriction != {"type": "User", "id": actor.user_id}:
        raise PermissionDenied("Agents can save personal macros only")
    return restriction


def _row(kind: RuleKind, values: Mapping[str, Any], actor: Viewer, current: RuleRecord | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    row = read_common(values, creating=current is None, errors=errors)
    if "active" in values:
        if not isinstance(values["active"], bool):
            errors["active"] = ["must be true or false"]
        row["active"] = values["active"]
    conditions = current.rule.conditions if current else Conditions()
    actions = current.rule.actions if current else ()
    try:
        if kind is not RuleKind.MACRO and (current is None or "conditions" in values):
            conditions = vocabulary.parse_conditions(values.get("conditions"), kind=kind)
            row["conditions"] = _conditions_json(conditions)
        if current is None or "actions" in values:
            actions = vocabulary.parse_actions(values.get("actions"), kind=kind)
            row["actions"] = [{"field": a.field, "value": a.value} for a in actions]
    except InvalidInput as exc:
        errors.update(exc.details)
    if kind is RuleKind.MACRO and (current is None or "restriction" in values):
        row["restriction"] = _restriction(values.get("restriction"), actor, errors)
    if kind is RuleKind.AUTOMATION and not errors and not vocabulary.nullifies(conditions, actions):
        errors["actions"] = [NOT_NULLIFYING]
    if not actions and not errors:
        errors["actions"] = ["a rule needs at least one action"]
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return row


def _require_writer(actor: Viewer, kind: RuleKind) -> None:
    if kind is RuleKind.MACRO:
        if not actor.is_agent:
            raise PermissionDenied("Only agents can save macros")
    elif not actor.is_admin:
        raise PermissionDenied(f"Only admins can change {kind.value}s")


def create_rule(
    conn: Connection, *, actor: Viewer, kind: RuleKind, values: Mapping[str, Any], now: datetime
) -> RuleRecord:
    _require_writer(actor, kind)
    row = _row(kind, values, actor, None)
    row.setdefault("description", "")
    row.setdefault("active", True)
    row.setdefault("conditions", {"all": [], "any": []})
    row.setdefault("restriction", None)
    if row.get("position") is None:
        row["position"] = repo.next_position(conn, kind)
    rule_id = repo.add_record(conn, {**row, "kind": kind.value, "created_at": now, "updated_at": now})
    versions.bump(conn, RULES)
    return get_rule_or_raise(conn, actor=actor, kind=kind, rule_id=rule_id)


def update_rule(
    conn: Connection, *, actor: Viewer, kind: RuleKind, rule_id: int, values: Mapping[str, Any], now: datetime
) -> RuleRecord:
    _require_writer(actor, kind)
    current = get_rule_or_raise(conn, actor=actor, kind=kind, rule_id=rule_id)
    if kind is RuleKind.MACRO and not actor.is_admin and current.restriction != {"type": "User", "id": actor.user_id}:
        raise PermissionDenied("Agents can change their personal macros only")
    row = _row(kind, values, actor, current)
    repo.change_record(conn, rule_id, {**row, "updated_at": now})
    versions.bump(conn, RULES)
    return get_rule_or_raise(conn, actor=actor, kind=kind, rule_id=rule_id)


def delete_rule(conn: Connection, *, actor: Viewer, kind: RuleKind, rule_id: int) -> None:
    _require_writer(actor, kind)
    current = get_rule_or_raise(conn, actor=actor, kind=kind, rule_id=rule_id)
    if kind is RuleKind.MACRO and not actor.is_admin and current.restriction != {"type": "User", "id": actor.user_id}:
        raise PermissionDenied("Agents can delete their personal macros only")
    repo.remove_record(conn, rule_id)
    versions.bump(conn, RULES)


# --- running rules --------------------------------------------------------------------------


def run_triggers(
    conn: Connection, *, state: TicketState, update: Update, config: dict[str, int] | None = None
) -> Outcome:
    return engine.run_triggers(active_triggers(conn, config), state, update)


def apply_macro(conn: Connection, *, actor: Viewer, macro_id: int, state: TicketState) -> Outcome:
    """What the macro would do to `state`; nothing is saved. Placeholders in the comment are rendered."""
    record = get_rule_or_raise(conn, actor=actor, kind=RuleKind.MACRO, rule_id=macro_id)
    outcome = engine.apply_macro(record.rule.actions, state, actor_id=actor.user_id)
    if outcome.comment is None:
        return outcome
    values = placeholder_values(conn, outcome.state, actor_id=actor.user_id)
    comment = replace(outcome.comment, body=render(outcome.comment.body, values))
    return replace(outcome, comment=comment)


def _person(prefix: str, user_id: int | None, people: Mapping[int, Any]) -> dict[str, str]:
    user = people.get(user_id) if user_id is not None else None
    if user is None:
        return {}
    first, _, last = user.name.partition(" ")
    return {
        f"{prefix}.name": user.name,
        f"{prefix}.first_name": first,
        f"{prefix}.last_name": last,
        f"{prefix}.email": user.email or "",
        f"{prefix}.id": str(user.id),
    }


def placeholder_values(conn: Connection, state: TicketState, *, actor_id: int | None) -> dict[str, str]:
    """`{{ticket.id}}`, `{{ticket.requester.first_name}}`, `{{current_user.name}}`, … for one ticket."""
    wanted = [i for i in (state.requester_id, state.assignee_id, actor_id) if i is not None]
    people = users_repo.get_users(conn, wanted)
    values = {
        "ticket.id": str(state.id) if state.id else "",  # no ticket yet (a macro previewed alone)
        "ticket.title": state.subject,
        "ticket.subject": state.subject,
        "ticket.status": state.status,
        "ticket.priority": state.priority or "",
        "ticket.ticket_type": state.type or "",
        "ticket.tags": " ".join(state.tags),
        "ticket.via": state.via_channel,
        "ticket.group_id": str(state.group_id or ""),
        "ticket.organization_id": str(state.organization_id or ""),
    }
    values.update(_person("ticket.requester", state.requester_id, people))
    values.update(_person("ticket.assignee", state.assignee_id, people))
    values.update(_person("current_user", actor_id, people))
    return values


def _recipients(conn: Connection, notification: Notification, state: TicketState, actor_id: int | None) -> list[int]:
    target = notification.target
    if notification.kind == "group":
        group_id = state.group_id if target == "group_id" else int(target) if target.isdigit() else None
        if group_id is None:
            return []
        return list(
            conn.execute(select(group_memberships.c.user_id).where(group_memberships.c.group_id == group_id)).scalars()
        )
    named = {"requester_id": state.requester_id, "assignee_id": state.assignee_id, "current_user": actor_id}
    user_id = named[target] if target in named else int(target) if target.isdigit() else None
    return [user_id] if user_id is not None else []


def queue_notifications(
    conn: Connection,
    notifications: Sequence[Notification],
    *,
    state: TicketState,
    actor_id: int | None,
    occasion: str,
    now: datetime,
) -> None:
    """Write each notification to the outbox, rendered for this ticket. `occasion` makes the
    idempotency keys unique per change (an audit id, or a timer's firing)."""
    if not notifications:
        return
    values = placeholder_values(conn, state, actor_id=actor_id)
    for index, notification in enumerate(notifications):
        key = f"rule-{notification.rule_id}:{occasion}:{index}"
        subject, body = render(notification.subject, values), render(notification.body, values)
        if notification.kind == "webhook":
            delivery.enqueue(
                conn,
                channel=DeliveryChannel.WEBHOOK,
                destination=notification.target,
                payload=_webhook_body(body),
                idempotency_key=key,
                now=now,
            )
            continue
        people = users_repo.get_users(conn, _recipients(conn, notification, state, actor_id))
        for user in people.values():
            if not user.email or (notification.kind == "group" and user.role is Role.END_USER):
                continue
            delivery.enqueue(
                conn,
                channel=DeliveryChannel.EMAIL,
                destination=user.email,
                payload={
                    "to": user.email,
                    "ticket_id": state.id,
                    "subject": subject,
                    "body": body,
                    "message_key": f"rule-{notification.rule_id}-{occasion}-{index}-user-{user.id}".replace(":", "-"),
                },
                idempotency_key=f"{key}:user-{user.id}",
                now=now,
            )


def _webhook_body(rendered: str) -> dict[str, Any]:
    """Zendesk sends a trigger's JSON body as written; text that is not a JSON object is wrapped."""
    try:
        value = orjson.loads(rendered)
    except orjson.JSONDecodeError:
        return {"body": rendered}
    return value if isinstance(value, dict) else {"body": value}
