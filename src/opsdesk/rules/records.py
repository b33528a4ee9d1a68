"""A stored rule: the typed rule the engine runs, plus what the API shows (pure)."""

from __future__ import annotations

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
