"""SLA use cases: save policies, and measure a ticket under the first policy that matches it.

Re-applying policies to open tickets after a change lives in sla/tasks.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.calendars.model import BusinessCalendar
from opsdesk.calendars.service import default_calendar
from opsdesk.core import versions
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.rules import conditions, vocabulary
from opsdesk.rules.model import Conditions, RuleKind, TicketState
from opsdesk.rules.records import read_common
from opsdesk.sla import deadlines, repo
from opsdesk.sla.clocks import TicketClocks
from opsdesk.sla.model import Metric, Policy
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Priority

SLA = "sla"
REAPPLY = "sla.reapply"
REAPPLY_BATCH = 2_000
# Conditions about the update itself mean nothing to a policy, which judges the ticket as it is.
_UPDATE_FIELDS = frozenset({"update_type", "comment_is_public", "comment_includes_word", "current_via_id", "role"})
_CHANGE_OPERATORS = frozenset({"changed", "not_changed", "value", "value_previous", "not_value", "not_value_previous"})

_policies = versions.VersionedCache(SLA, lambda conn: tuple(repo.list_policies(conn)))


def active_policies(conn: Connection, config: dict[str, int] | None = None) -> tuple[Policy, ...]:
    return _policies.get(conn, config)


def _require_agent(actor: Viewer) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can see SLA policies")


def list_policies(conn: Connection, *, actor: Viewer) -> list[Policy]:
    _require_agent(actor)
    return repo.list_policies(conn)


def get_policy_or_raise(conn: Connection, *, actor: Viewer, policy_id: int) -> Policy:
    _require_agent(actor)
    policy = repo.get_policy(conn, policy_id)
    if policy is None:
        raise NotFound("SLA policy", policy_id)
    return policy


def _filter(raw: object, errors: dict[str, list[str]]) -> dict[str, Any]:
    try:
        parsed = vocabulary.parse_conditions(raw, kind=RuleKind.TRIGGER, path="filter")
    except InvalidInput as exc:
        errors.update(exc.details)
        return {"all": [], "any": []}
    for key, items in (("all", parsed.all), ("any", parsed.any)):
        for index, condition in enumerate(items):
            if condition.field in _UPDATE_FIELDS or condition.operator in _CHANGE_OPERATORS:
                errors[f"filter.{key}[{index}]"] = [
                    f"{condition.field} {condition.operator}: a policy judges the ticket, not the update"
                ]
    return {
        key: [{"field": c.field, "operator": c.operator, "value": c.value} for c in items]
        for key, items in (("all", parsed.all), ("any", parsed.any))
    }


def _policy_metrics(raw: object, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors["policy_metrics"] = ['must be a non-empty list of {"priority", "metric", "target", "business_hours"}']
        return []
    metrics: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    priorities = {p.value for p in Priority}
    names = {m.value for m in Metric}
    for index, item in enumerate(raw):
        where = f"policy_metrics[{index}]"
        if not isinstance(item, dict):
            errors[where] = ["must be an object"]
            continue
        problems = []
        if item.get("priority") not in priorities:
            problems.append(f"priority must be one of {', '.join(sorted(priorities))}")
        if item.get("metric") not in names:
            problems.append(f"metric must be one of {', '.join(sorted(names))}")
        target = item.get("target")
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            problems.append("target must be a whole number of minutes, at least 1")
        business = item.get("business_hours", False)
        if not isinstance(business, bool):
            problems.append("business_hours must be true or false")
        key = (str(item.get("priority")), str(item.get("metric")))
        if key in seen:
            problems.append(f"{key[1]} for {key[0]} is given twice")
        seen.add(key)
        if problems:
            errors[where] = problems
            continue
        metrics.append({"priority": key[0], "metric": key[1], "target": target, "business_hours": business})
    return metrics


def _policy_row(values: Mapping[str, Any], current: Policy | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    row = read_common(values, creating=current is None, errors=errors)
    if current is None or "filter" in values:
        row["filter"] = _filter(values.get("filter", {"all": [], "any": []}), errors)
    if current is None or "policy_metrics" in values:
        row["policy_metrics"] = _policy_metrics(values.get("policy_metrics"), errors)
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return row


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins change SLA policies")


def create_policy(conn: Connection, *, actor: Viewer, values: Mapping[str, Any], now: datetime) -> Policy:
    _require_admin(actor)
    row = _policy_row(values, None)
    row.setdefault("description", "")
    if row.get("position") is None:
        row["position"] = repo.next_policy_position(conn)
    policy_id = repo.add_policy(conn, {**row, "created_at": now, "updated_at": now})
    configuration_changed(conn)
    return get_policy_or_raise(conn, actor=actor, policy_id=policy_id)


def update_policy(
    conn: Connection, *, actor: Viewer, policy_id: int, values: Mapping[str, Any], now: datetime
) -> Policy:
    _require_admin(actor)
    current = get_policy_or_raise(conn, actor=actor, policy_id=policy_id)
    repo.change_policy(conn, policy_id, {**_policy_row(values, current), "updated_at": now})
    configuration_changed(conn)
    return get_policy_or_raise(conn, actor=actor, policy_id=policy_id)


def delete_policy(conn: Connection, *, actor: Viewer, policy_id: int) -> None:
    _require_admin(actor)
    get_policy_or_raise(conn, actor=actor, policy_id=policy_id)
    repo.remove_policy(conn, policy_id)
    configuration_changed(conn)


def reorder_policies(conn: Connection, *, actor: Viewer, policy_ids: Sequence[int], now: datetime) -> list[Policy]:
    """`PUT /slas/policies/reorder`: the given ids in this order, first match wins."""
    _require_admin(actor)
    known = {p.id for p in repo.list_policies(conn)}
    if sorted(policy_ids) != sorted(known):
        raise InvalidInput.field("sla_policy_ids", "must name every policy exactly once")
    for position, policy_id in enumerate(policy_ids):
        repo.change_policy(conn, policy_id, {"position": position, "updated_at": now})
    configuration_changed(conn)
    return repo.list_policies(conn)


# --- measuring tickets -----------------------------------------------------------------------


def choose_policy(policies: Sequence[Policy], state: TicketState) -> Policy | None:
    """The first policy, by position, whose filter the ticket satisfies (Zendesk's rule)."""
    for policy in policies:
        if _matches(policy.filter, state):
            return policy
    return None


def _matches(filter_: Conditions, state: TicketState) -> bool:
    return conditions.matches(filter_, state)


def measure(
    clocks: TicketClocks,
    state: TicketState,
    *,
    policies: Sequence[Policy],
    calendar: BusinessCalendar | None,
    now: datetime,
) -> TicketClocks:
    """The clocks with their SLA part measured at `now` under the policy the ticket falls in (pure)."""
    policy = choose_policy(policies, state)
    if policy is None:
        return replace(clocks, policy_id=None, metrics=(), next_breach_at=None)
    metrics = deadlines.measure(policy.targets_for(state.priority), calendar, clocks.sla_history(), now)
    return replace(clocks, policy_id=policy.id, metrics=metrics, next_breach_at=deadlines.next_breach_at(metrics))


def measure_ticket(
    conn: Connection, clocks: TicketClocks, state: TicketState, *, config: dict[str, int], now: datetime
) -> TicketClocks:
    return measure(
        clocks, state, policies=active_policies(conn, config), calendar=default_calendar(conn, config), now=now
    )


def configuration_changed(conn: Connection) -> None:
    """A policy changed; the caller re-applies policies to open tickets (sla/tasks.py `reapply_now`)."""
    versions.bump(conn, SLA)
