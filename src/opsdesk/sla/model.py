"""SLA vocabulary (pure): policies, targets, a ticket's SLA history and its metrics' state.

Metric names are Zendesk's API names. Targets are in minutes; `business_hours` targets count
only the schedule's business time. Instants are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opsdesk.rules.model import Conditions


class Metric(StrEnum):
    FIRST_REPLY_TIME = "first_reply_time"
    NEXT_REPLY_TIME = "next_reply_time"
    PERIODIC_UPDATE_TIME = "periodic_update_time"
    PAUSABLE_UPDATE_TIME = "pausable_update_time"
    REQUESTER_WAIT_TIME = "requester_wait_time"
    AGENT_WORK_TIME = "agent_work_time"


class Stage(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ACHIEVED = "achieved"


@dataclass(frozen=True, slots=True)
class Target:
    """Zendesk's `policy_metrics` entry: `metric` must be met within `target` minutes for `priority`."""

    priority: str
    metric: Metric
    target: int
    business_hours: bool


@dataclass(frozen=True, slots=True)
class Policy:
    """First match by `position` wins; `filter` uses the trigger condition grammar."""

    id: int
    title: str
    description: str
    position: int
    filter: Conditions
    targets: tuple[Target, ...]
    created_at: datetime
    updated_at: datetime

    def targets_for(self, priority: str | None) -> tuple[Target, ...]:
        """A ticket without a priority is measured as `normal`, as in Zendesk."""
        wanted = priority or "normal"
        return tuple(target for target in self.targets if target.priority == wanted)


class HistoryKind(StrEnum):
    STATUS = "status"  # the ticket entered `status`
    PUBLIC_COMMENT = "public_comment"  # a public comment, by an agent or not


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    at: datetime
    kind: HistoryKind
    status: str | None = None
    by_agent: bool = False


@dataclass(frozen=True, slots=True)
class SlaHistory:
    """What the SLA metrics are measured from, in time order.

    `created_by_agent_publicly`: an agent opened the ticket with a public comment, so the first
    reply is the *next* public agent comment. The first event is the status at creation.
    """

    created_at: datetime
    created_by_agent_publicly: bool
    events: tuple[HistoryEvent, ...]


@dataclass(frozen=True, slots=True)
class MetricState:
    """One metric of one ticket now: `breach_at` is None unless the stage is active."""

    metric: Metric
    stage: Stage
    breach_at: datetime | None
    target: int
    business_hours: bool
