"""The built-in workflows and their settings (pure), on by default as the seeds run them.

- pending → solved after `pending_autosolve_hours` without a requester reply (seed 004: 5 days);
- solved → closed after `solved_autoclose_hours` (Zendesk's default automation: 4 days, 1 h to 28 d);
- every New ticket acknowledged before the end of its business day, or its group is told (seed 004);
- a ticket Open for `open_report_business_hours` without an agent update is reported (seed 004);
- the premium breach notice: a ticket tagged `premium_tag` with a priority in `premium_priorities`
  sends a webhook `premium_notice_hours` before its next SLA breach (seed 003).
`None` turns a workflow off (except auto-close, which Zendesk does not let you turn off either).
A new database starts with the status clocks and the premium notice on; the demo turns the two
seed-004 reports on too (`DEMO_BUILTINS`), since they mail every group every day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from opsdesk.core.errors import InvalidInput
from opsdesk.tickets.model import Priority, normalize_tags

MAX_AUTOCLOSE_HOURS = 28 * 24


@dataclass(frozen=True, slots=True)
class Builtins:
    pending_autosolve_hours: int | None = 120
    solved_autoclose_hours: int = 96
    new_acknowledgement: bool = False
    open_report_business_hours: int | None = None
    premium_notice_hours: int | None = 2
    premium_tag: str = "premium"
    premium_priorities: tuple[str, ...] = (Priority.HIGH.value, Priority.URGENT.value)


DEFAULT_BUILTINS = Builtins()
DEMO_BUILTINS = Builtins(new_acknowledgement=True, open_report_business_hours=8)


def builtins_json(builtins: Builtins) -> dict[str, Any]:
    values = asdict(builtins)
    values["premium_priorities"] = list(builtins.premium_priorities)
    return values


def _hours(value: object, name: str, errors: dict[str, list[str]], *, low: int, high: int, optional: bool) -> Any:  # noqa: ANN401 - int or None
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[name] = [f"must be a whole number of hours from {low} to {high}" + (", or null" if optional else "")]
        return None
    return value


def parse_builtins(  # noqa: C901 - one check per setting
    raw: Mapping[str, Any], current: Builtins
) -> Builtins:
    """`current` with the given settings changed; every problem at once as one InvalidInput."""
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    known = set(builtins_json(current))
    for name in sorted(set(raw) - known):
        errors[name] = [f"unknown setting; known: {', '.join(sorted(known))}"]
    for name in ("pending_autosolve_hours", "open_report_business_hours", "premium_notice_hours"):
        if name in raw:
            changes[name] = _hours(raw[name], name, errors, low=1, high=MAX_AUTOCLOSE_HOURS, optional=True)
    if "solved_autoclose_hours" in raw:
        changes["solved_autoclose_hours"] = _hours(
            raw["solved_autoclose_hours"],
            "solved_autoclose_hours",
            errors,
            low=1,
            high=MAX_AUTOCLOSE_HOURS,
            optional=False,
        )
    if "new_acknowledgement" in raw:
        if not isinstance(raw["new_acknowledgement"], bool):
            errors["new_acknowledgement"] = ["must be true or false"]
        changes["new_acknowledgement"] = raw["new_acknowledgement"]
    if "premium_tag" in raw:
        tags = normalize_tags([raw["premium_tag"]]) if isinstance(raw["premium_tag"], str) else []
        if len(tags) != 1:
            errors["premium_tag"] = ["must be one tag"]
        changes["premium_tag"] = tags[0] if tags else ""
    if "premium_priorities" in raw:
        value = raw["premium_priorities"]
        allowed = {p.value for p in Priority}
        if not isinstance(value, list) or not value or not all(isinstance(p, str) and p in allowed for p in value):
            errors["premium_priorities"] = [f"must be a non-empty list of {', '.join(p.value for p in Priority)}"]
        else:
            changes["premium_priorities"] = tuple(dict.fromkeys(value))
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return replace(current, **changes)


def builtins_from_stored(stored: Mapping[str, Any] | None) -> Builtins:
    """Stored settings over the defaults; a setting that no longer parses falls back to its default."""
    if not stored:
        return DEFAULT_BUILTINS
    try:
        return parse_builtins(stored, DEFAULT_BUILTINS)
    except InvalidInput:
        return DEFAULT_BUILTINS
