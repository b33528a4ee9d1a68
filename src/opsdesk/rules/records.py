"""A stored rule: the typed rule the engine runs, plus what the API shows (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsdesk.rules.model import Rule, RuleKind


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """`conditions` and `actions` keep Zendesk's JSON shapes as saved (normalised by vocabulary)."""

    id: int
    kind: RuleKind
    title: str
    description: str
    position: int
    active: bool
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    restriction: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    rule: Rule


TITLE_LIMIT = 255


def read_common(values: Mapping[str, Any], *, creating: bool, errors: dict[str, list[str]]) -> dict[str, Any]:
    """`title` (required when creating), `description` and `position` of a rule or an SLA policy,
    checked the same way for both; problems go to `errors`."""
    row: dict[str, Any] = {}
    if creating or "title" in values:
        title = values.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > TITLE_LIMIT:
            errors["title"] = [f"is required, at most {TITLE_LIMIT} characters"]
        else:
            row["title"] = title.strip()
    if "description" in values:
        description = values["description"]
        if description is not None and not isinstance(description, str):
            errors["description"] = ["must be text"]
        row["description"] = description or ""
    if "position" in values:
        position = values["position"]
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            errors["position"] = ["must be a whole number, 0 or more"]
        row["position"] = position
    return row
