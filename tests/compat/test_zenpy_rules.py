"""zenpy 2.0.57, unchanged, drives business rules on a live opsdesk: triggers, automations,
macros and SLA policies.

The HTTP surface these tests need, read from zenpy's source and checked on the wire (auth and
query-string conventions as in test_zenpy_ticket_lifecycle.py; queries shown decoded). Every
rule here names a tag only this module uses (`zrules_*`), so the session's other modules never
see one fire; rules are deleted when the module ends.

Setup
  POST /api/v2/groups.json {"group": {"name"}}, POST /api/v2/users.json (an end-user requester)
  POST /api/test/clock {"advance_seconds": N}   admin, plain requests (not a Zendesk endpoint)
       -> {"now": ISO 8601, "fired": N}; moves the manual clock and runs what fell due.

Triggers (the same shapes for automations under /automations and "automation")
  POST /api/v2/triggers.json
       {"trigger": {"title", "conditions": {"all": [{field, operator, value}], "any": [...]},
        "actions": [{"field", "value"}], "position"?}}
       -> 201 {"trigger": {"id", "url", "title", "active", "position", "conditions", "actions",
          "created_at", "updated_at", ...}} -> Trigger (conditions become a Conditions object)
       unknown field -> 422 {"error": "RecordInvalid", "description", "details": {...}} -> APIException
  GET  /api/v2/triggers.json?page[size]=100   -> {"triggers": [...] in position order, "meta":
       {"has_more": false, ...}, "links": {...}} (cursor shape; the offset keys ride along)
  GET  /api/v2/triggers/{id}.json   -> {"trigger": {...}}; 404 RecordNotFound once deleted
  PUT  /api/v2/triggers/{id}.json   {"trigger": {"id", <only the attributes set client-side>}}
       -> 200 {"trigger": {...}} -> Trigger
  DELETE /api/v2/triggers/{id}.json {"trigger": {"id"}}   -> 204 (zenpy returns the Response)
  Automations also: 422 when no condition can stop it firing again (Zendesk's nullify rule).
  An automation fires at the instant its conditions hold, not on an hourly sweep: "status is
  pending, hours since pending greater than 24" fires exactly 24 h after the ticket went pending
  (checked at 24 h - 1 s and at 24 h); an inactive one ({"active": false}) never fires.

Macros
  POST /api/v2/macros.json {"macro": {"title", "actions": [{"field": "comment_value", ...}, ...]}}
       -> 201 {"macro": {...}} -> Macro;  GET /api/v2/macros.json?page[size]=100[&active=false]
  GET  /api/v2/macros/{id}/apply.json?page[size]=100   (zenpy adds page[size]; ignored)
       -> {"result": {"ticket": {<only what the macro changes>}, "comment": {"body", "public",
          ...}}} -> MacroResult
  GET  /api/v2/tickets/{id}/macros/{id}/apply.json
       -> {"result": {"ticket": {<the whole ticket as the macro would leave it>}, "comment": {...}}}
       placeholders ({{ticket.requester.first_name}}) rendered; nothing is saved, which
       GET /api/v2/tickets/{id}.json, .../comments.json?include_inline_images=false&page[size]=100
       and .../audits.json?include=None&page[size]=100 confirm afterwards.

SLA policies (zenpy.sla_policies; its create and update return None in 2.0.57, so the policy is
read back with a list or show)
  POST /api/v2/slas/policies.json
       {"sla_policy": {"title", "filter": {"all": [...]}, "policy_metrics": [{"priority",
        "metric": "first_reply_time", "target": minutes, "business_hours": false}]}}  -> 201
  GET  /api/v2/slas/policies.json   -> {"sla_policies": [...], "count", "next_page": null, ...}
       (offset shape; policy_metrics become PolicyMetric objects)
  GET  /api/v2/slas/policies/{id}.json, PUT (only the changed attributes), DELETE -> 204;
       a changed target moves the breach of open tickets at once.
  PUT  /api/v2/tickets/{id}.json {"ticket": {"id", "comment": {"body", "public": true}}}
       an agent's public reply achieves first_reply_time (the description an agent opens the
       ticket with does not, so the clock moves between the two).
  GET  /api/v2/tickets/{id}.json?include=slas
       -> {"ticket": {..., "slas": {"policy_metrics": [{"breach_at", "stage": "active"|"achieved",
          "metric", "days", "hours", "minutes"}], "policy": {"id"}}}}   (a plain dict on Ticket)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests

# zenpy ships neither inline types nor stubs.
from zenpy.lib.api_objects import (  # type: ignore[import-untyped]
    Automation,
    Comment,
    Group,
    Macro,
    MacroResult,
    PolicyMetric,
    SlaPolicy,
    Ticket,
    Trigger,
    User,
)
from zenpy.lib.exception import (  # type: ignore[import-untyped]
    APIException,
    RecordNotFoundException,
)

if TYPE_CHECKING:
    from .conftest import LiveServer

PREFIX = "Zrules"  # every rule title this module creates starts with it
ROUTE_TAG = "zrules_route"
MOVE_TAG = "zrules_move"
AUTO_TAG = "zrules_nudge"
NUDGED_TAG = "zrules_nudged"
PAUSED_TAG = "zrules_paused"
MACRO_TAG = "zrules_macro"
MACRO_DONE_TAG = "zrules_macro_done"
SLA_TAG = "zrules_sla"
OTHER_TAG = "zrules_other"

REQUESTER_NAME = "Rosa Rules"
REQUESTER_FIRST_NAME = "Rosa"
REQUESTER_EMAIL = "rosa.rules@rules.example"
MACRO_TEXT = "we restarted the print spooler; please try again."
DAY_S = 24 * 3600


# --- helpers -------------------------------------------------------------------------------


def field_of(item: Any, name: str) -> Any:
    """Reads ``name`` from a zenpy object or from a plain dict (nested values may be either)."""
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def move_clock(live_server: LiveServer, seconds: int) -> datetime:
    """Advances the server's manual clock (``POST /api/test/clock``, admin only); returns its time.

    Not a Zendesk endpoint, so plain requests with the admin's Basic token auth, not zenpy.
    """
    response = requests.post(
        f"{live_server.base_url}/api/test/clock",
        json={"advance_seconds": seconds},
        auth=(f"{live_server.admin_email}/token", live_server.admin_token),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return parse_time(response.json()["now"])


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def titles(rules: Iterable[Any]) -> list[str]:
    """This module's rule titles, in the order listed."""
    return [r.title for r in rules if r.title.startswith(PREFIX)]


def conditions_of(rule: Any, group: str = "all") -> list[tuple[str, str, Any]]:
    return [
        (field_of(c, "field"), field_of(c, "operator"), field_of(c, "value")) for c in field_of(rule.conditions, group)
    ]


def actions_of(rule: Any) -> list[tuple[str, Any]]:
    return [(field_of(a, "field"), field_of(a, "value")) for a in rule.actions]


def includes_tag(tag: str) -> dict[str, str]:
    return {"field": "current_tags", "operator": "includes", "value": tag}


@dataclass(frozen=True)
class Cast:
    """The people and groups this module's tickets and rules refer to."""

    requester: Any
    tier_one: Any
    tier_two: Any


@pytest.fixture(scope="module")
def cast(zenpy_admin: Any) -> Cast:
    requester = zenpy_admin.users.create(User(name=REQUESTER_NAME, email=REQUESTER_EMAIL, role="end-user"))
    tier_one = zenpy_admin.groups.create(Group(name=f"{PREFIX} tier one"))
    tier_two = zenpy_admin.groups.create(Group(name=f"{PREFIX} tier two"))
    return Cast(requester=requester, tier_one=tier_one, tier_two=tier_two)


@pytest.fixture(scope="module")
def created(zenpy_admin: Any) -> Iterator[list[tuple[Any, Any]]]:
    """``created.append((zenpy_admin.triggers, rule))``: deleted when the module ends, so no rule
    of this module outlives it (the server is shared with the other compat modules)."""
    rules: list[tuple[Any, Any]] = []
    yield rules
    for api, rule in reversed(rules):
        with contextlib.suppress(RecordNotFoundException):  # the test deleted it itself
            api.delete(rule)


def new_ticket(zenpy_admin: Any, cast: Cast, subject: str, **attributes: Any) -> Any:
    """``tickets.create(Ticket(...))`` from the module's requester; the ticket as created."""
    audit = zenpy_admin.tickets.create(
        Ticket(
            subject=f"{PREFIX} {subject}",
            description=f"{subject}, please help.",
            requester_id=cast.requester.id,
            **attributes,
        )
    )
    return audit.ticket


def routing_trigger(title: str, tag: str, group_id: int) -> Any:
    return Trigger(
        title=f"{PREFIX} {title}",
        conditions={
            "all": [{"field": "update_type", "operator": "is", "value": "Create"}, includes_tag(tag)],
            "any": [],
        },
        actions=[{"field": "group_id", "value": group_id}],
    )


# --- triggers ------------------------------------------------------------------------------


def test_a_trigger_created_through_zenpy_routes_a_new_ticket(
    zenpy_admin: Any, cast: Cast, created: list[tuple[Any, Any]]
) -> None:
    trigger = zenpy_admin.triggers.create(routing_trigger("route to tier one", ROUTE_TAG, cast.tier_one.id))
    created.append((zenpy_admin.triggers, trigger))

    assert isinstance(trigger, Trigger)
    assert isinstance(trigger.id, int)
    assert trigger.title == f"{PREFIX} route to tier one"
    assert trigger.active is True
    assert conditions_of(trigger) == [("update_type", "is", "Create"), ("current_tags", "includes", ROUTE_TAG)]
    assert actions_of(trigger) == [("group_id", cast.tier_one.id)]

    routed = new_ticket(zenpy_admin, cast, "VPN drops every hour", tags=[ROUTE_TAG])
    ignored = new_ticket(zenpy_admin, cast, "Mouse is sticky", tags=[OTHER_TAG])

    assert routed.group_id == cast.tier_one.id, "the create answer already shows the trigger's work"
    assert zenpy_admin.tickets(id=routed.id).group_id == cast.tier_one.id
    assert zenpy_admin.tickets(id=ignored.id).group_id is None
    assert zenpy_admin.triggers(id=trigger.id).title == trigger.title


def test_triggers_list_in_position_order(zenpy_admin: Any, cast: Cast, created: list[tuple[Any, Any]]) -> None:
    first = zenpy_admin.triggers.create(routing_trigger("order first", OTHER_TAG, cast.tier_one.id))
    created.append((zenpy_admin.triggers, first))
    second = zenpy_admin.triggers.create(routing_trigger("order second", OTHER_TAG, cast.tier_two.id))
    created.append((zenpy_admin.triggers, second))
    assert second.position > first.position, "a new trigger goes last"

    listed = list(zenpy_admin.triggers())
    assert all(isinstance(t, Trigger) for t in listed)
    positions = [t.position for t in listed]
    assert positions == sorted(positions)
    mine = titles(listed)
    assert mine.index(first.title) < mine.index(second.title)

    # -> PUT /api/v2/triggers/{id}.json {"trigger": {"id", "position"}}
    first.position = second.position + 1
    moved = zenpy_admin.triggers.update(first)
    assert moved.position == second.position + 1

    listed = list(zenpy_admin.triggers())
    positions = [t.position for t in listed]
    assert positions == sorted(positions)
    mine = titles(listed)
    assert mine.index(second.title) < mine.index(first.title)


def test_updating_a_trigger_changes_what_it_does_and_deleting_it_stops_it(
    zenpy_admin: Any, cast: Cast, created: list[tuple[Any, Any]]
) -> None:
    trigger = zenpy_admin.triggers.create(routing_trigger("move me", MOVE_TAG, cast.tier_one.id))
    created.append((zenpy_admin.triggers, trigger))
    before = new_ticket(zenpy_admin, cast, "Laptop will not boot", tags=[MOVE_TAG])
    assert before.group_id == cast.tier_one.id

    trigger.title = f"{PREFIX} moved to tier two"
    trigger.actions = [{"field": "group_id", "value": cast.tier_two.id}]
    updated = zenpy_admin.triggers.update(trigger)

    assert isinstance(updated, Trigger)
    assert updated.id == trigger.id
    assert updated.title == f"{PREFIX} moved to tier two"
    assert actions_of(updated) == [("group_id", cast.tier_two.id)]
    assert conditions_of(updated) == conditions_of(trigger), "conditions were not sent, so they stay"
    after = new_ticket(zenpy_admin, cast, "Laptop will not boot either", tags=[MOVE_TAG])
    assert zenpy_admin.tickets(id=after.id).group_id == cast.tier_two.id
    assert zenpy_admin.tickets(id=before.id).group_id == cast.tier_one.id, "a trigger never reruns on old tickets"

    response = zenpy_admin.triggers.delete(updated)

    assert response.status_code == 204
    with pytest.raises(RecordNotFoundException):
        zenpy_admin.triggers(id=trigger.id)
    assert updated.title not in titles(zenpy_admin.triggers())
    untouched = new_ticket(zenpy_admin, cast, "Laptop is fine now", tags=[MOVE_TAG])
    assert zenpy_admin.tickets(id=untouched.id).group_id is None


def test_a_trigger_with_an_unknown_condition_field_is_refused(zenpy_admin: Any) -> None:
    bad = Trigger(
        title=f"{PREFIX} moon phase",
        conditions={"all": [{"field": "moon_phase", "operator": "is", "value": "full"}], "any": []},
        actions=[{"field": "status", "value": "open"}],
    )

    with pytest.raises(APIException) as excinfo:
        zenpy_admin.triggers.create(bad)

    assert type(excinfo.value) is APIException
    response = excinfo.value.response
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    reasons = [field_of(r, "description") for rs in body["details"].values() for r in rs]
    assert any("moon_phase" in str(reason) for reason in reasons), body
    assert bad.title not in titles(zenpy_admin.triggers())


def test_an_automation_that_would_fire_forever_is_refused(zenpy_admin: Any) -> None:
    # Zendesk's rule: a condition true only once, or an action that makes a condition false.
    forever = Automation(
        title=f"{PREFIX} tag forever",
        conditions={"all": [{"field": "OPEN", "operator": "greater_than", "value": 1}, includes_tag(OTHER_TAG)]},
        actions=[{"field": "priority", "value": "high"}],
    )

    with pytest.raises(APIException) as excinfo:
        zenpy_admin.automations.create(forever)

    assert excinfo.value.response.status_code == 422
    assert excinfo.value.response.json()["error"] == "RecordInvalid"
    assert forever.title not in titles(zenpy_admin.automations())


# --- automations ---------------------------------------------------------------------------


def nudge(title: str, tag: str) -> Any:
    """Pending more than 24 h (and tagged ``tag``) -> solved, tagged NUDGED_TAG."""
    return Automation(
        title=f"{PREFIX} {title}",
        conditions={
            "all": [
                {"field": "status", "operator": "is", "value": "pending"},
                {"field": "PENDING", "operator": "greater_than", "value": 24},
                includes_tag(tag),
            ],
            "any": [],
        },
        actions=[{"field": "status", "value": "solved"}, {"field": "current_tags", "value": NUDGED_TAG}],
    )


def test_an_automation_fires_exactly_24_hours_after_the_ticket_went_pending(
    zenpy_admin: Any, cast: Cast, live_server: LiveServer, created: list[tuple[Any, Any]]
) -> None:
    automation = zenpy_admin.automations.create(nudge("solve after a day pending", AUTO_TAG))
    created.append((zenpy_admin.automations, automation))
    assert isinstance(automation, Automation)
    assert conditions_of(automation)[1] == ("PENDING", "greater_than", 24)
    listed = list(zenpy_admin.automations())
    assert all(isinstance(a, Automation) for a in listed)
    assert automation.title in titles(listed)

    waiting = new_ticket(zenpy_admin, cast, "Waiting on the customer", status="pending", tags=[AUTO_TAG])
    busy = new_ticket(zenpy_admin, cast, "Being worked on", status="open", tags=[AUTO_TAG])
    went_pending_at = parse_time(waiting.created_at)

    now = move_clock(live_server, DAY_S - 1)
    assert now == went_pending_at + timedelta(days=1, seconds=-1)
    almost = zenpy_admin.tickets(id=waiting.id)
    assert almost.status == "pending"
    assert NUDGED_TAG not in almost.tags

    move_clock(live_server, 1)
    fired = zenpy_admin.tickets(id=waiting.id)
    assert fired.status == "solved"
    assert set(fired.tags) == {AUTO_TAG, NUDGED_TAG}
    assert parse_time(fired.updated_at) == went_pending_at + timedelta(days=1)
    still_open = zenpy_admin.tickets(id=busy.id)
    assert still_open.status == "open"
    assert NUDGED_TAG not in still_open.tags


def test_an_inactive_automation_does_not_fire_and_a_deleted_one_is_gone(
    zenpy_admin: Any, cast: Cast, live_server: LiveServer, created: list[tuple[Any, Any]]
) -> None:
    automation = zenpy_admin.automations.create(nudge("paused nudge", PAUSED_TAG))
    created.append((zenpy_admin.automations, automation))

    automation.active = False
    automation.title = f"{PREFIX} paused nudge (off)"
    paused = zenpy_admin.automations.update(automation)
    assert isinstance(paused, Automation)
    assert paused.active is False
    assert paused.title == f"{PREFIX} paused nudge (off)"
    assert len(conditions_of(paused)) == 3, "conditions were not sent, so they stay"

    waiting = new_ticket(zenpy_admin, cast, "Waiting with the automation off", status="pending", tags=[PAUSED_TAG])
    move_clock(live_server, DAY_S + 3600)
    assert zenpy_admin.tickets(id=waiting.id).status == "pending"

    assert zenpy_admin.automations.delete(paused).status_code == 204
    with pytest.raises(RecordNotFoundException):
        zenpy_admin.automations(id=automation.id)
    assert paused.title not in titles(zenpy_admin.automations())


# --- macros --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def macro(zenpy_admin: Any, created: list[tuple[Any, Any]]) -> Any:
    """A reply that greets the requester by name, sets the ticket pending and tags it."""
    made = zenpy_admin.macros.create(
        Macro(
            title=f"{PREFIX} spooler restarted",
            actions=[
                {"field": "comment_value", "value": f"Hi {{{{ticket.requester.first_name}}}}, {MACRO_TEXT}"},
                {"field": "status", "value": "pending"},
                {"field": "current_tags", "value": MACRO_DONE_TAG},
            ],
        )
    )
    created.append((zenpy_admin.macros, made))
    return made


def test_macros_create_and_list(zenpy_admin: Any, macro: Any) -> None:
    assert isinstance(macro, Macro)
    assert isinstance(macro.id, int)
    assert macro.active is True
    assert actions_of(macro)[1:] == [("status", "pending"), ("current_tags", MACRO_DONE_TAG)]

    listed = list(zenpy_admin.macros())
    assert all(isinstance(m, Macro) for m in listed)
    assert macro.title in titles(listed)
    # -> GET /api/v2/macros.json?active=false: only inactive macros
    assert macro.title not in titles(zenpy_admin.macros(active=False))
    assert macro.title in titles(zenpy_admin.macros(active=True))


def test_macros_apply_shows_what_the_macro_changes(zenpy_admin: Any, macro: Any) -> None:
    # -> GET /api/v2/macros/{id}/apply.json: no ticket, so only the changes come back
    result = zenpy_admin.macros.apply(macro.id)

    assert isinstance(result, MacroResult)
    assert result.ticket.status == "pending"
    assert result.ticket.tags == [MACRO_DONE_TAG]
    assert result.ticket.subject is None, "the macro does not touch the subject"
    # With no ticket there is no requester to greet; opsdesk renders the placeholders anyway.
    assert result.comment.body.startswith("Hi ")
    assert result.comment.body.endswith(MACRO_TEXT)
    assert result.comment.public is True


def test_show_macro_effect_previews_a_ticket_and_saves_nothing(
    zenpy_admin: Any, cast: Cast, live_server: LiveServer, macro: Any
) -> None:
    ticket = new_ticket(zenpy_admin, cast, "Printer queue is stuck", status="open", tags=[MACRO_TAG])
    move_clock(live_server, 60)  # a saved change would now show in updated_at

    effect = zenpy_admin.tickets.show_macro_effect(ticket, macro)

    assert isinstance(effect, MacroResult)
    assert effect.ticket.id == ticket.id
    assert effect.ticket.subject == ticket.subject
    assert effect.ticket.requester_id == cast.requester.id
    assert effect.ticket.status == "pending"
    assert set(effect.ticket.tags) == {MACRO_TAG, MACRO_DONE_TAG}
    assert effect.comment.body == f"Hi {REQUESTER_FIRST_NAME}, {MACRO_TEXT}"
    assert effect.comment.public is True

    after = zenpy_admin.tickets(id=ticket.id)
    assert after.status == "open"
    assert after.tags == [MACRO_TAG]
    assert after.updated_at == ticket.updated_at
    comments = list(zenpy_admin.tickets.comments(ticket=ticket.id))
    assert [c.body for c in comments] == [ticket.description]
    assert len(list(zenpy_admin.tickets.audits(ticket=ticket.id))) == 1, "only the creation"


# --- SLA policies --------------------------------------------------------------------------

HIGH_TARGET_MIN = 90
NORMAL_TARGET_MIN = 8 * 60


def first_reply(ticket: Any) -> Mapping[str, Any]:
    """The ticket's first_reply_time entry from ``slas.policy_metrics`` (include=slas)."""
    metrics = [m for m in ticket.slas["policy_metrics"] if m["metric"] == "first_reply_time"]
    assert len(metrics) == 1, ticket.slas
    metric: Mapping[str, Any] = metrics[0]
    return metric


def with_slas(zenpy_admin: Any, ticket_id: int) -> Any:
    # -> GET /api/v2/tickets/{id}.json?include=slas
    return zenpy_admin.tickets(id=ticket_id, include=["slas"])


@pytest.fixture(scope="module")
def sla_policy(zenpy_admin: Any) -> Iterator[Any]:
    """A first reply policy for tickets tagged SLA_TAG: 90 min when high, 8 h when normal."""
    title = f"{PREFIX} first reply"
    # zenpy 2.0.57's SlaPolicyApi.create drops the server's answer and returns None.
    zenpy_admin.sla_policies.create(
        SlaPolicy(
            title=title,
            description="First replies for the rules module",
            filter={"all": [includes_tag(SLA_TAG)], "any": []},
            policy_metrics=[
                PolicyMetric(priority="high", metric="first_reply_time", target=HIGH_TARGET_MIN, business_hours=False),
                PolicyMetric(
                    priority="normal", metric="first_reply_time", target=NORMAL_TARGET_MIN, business_hours=False
                ),
            ],
        )
    )
    found = [p for p in zenpy_admin.sla_policies() if p.title == title]
    assert len(found) == 1
    yield found[0]
    zenpy_admin.sla_policies.delete(found[0])


def test_sla_policies_list_and_show(zenpy_admin: Any, sla_policy: Any) -> None:
    assert isinstance(sla_policy, SlaPolicy)
    targets = {
        (field_of(m, "priority"), field_of(m, "metric")): field_of(m, "target") for m in sla_policy.policy_metrics
    }
    assert targets == {("high", "first_reply_time"): HIGH_TARGET_MIN, ("normal", "first_reply_time"): NORMAL_TARGET_MIN}
    assert [(field_of(c, "field"), field_of(c, "value")) for c in field_of(sla_policy.filter, "all")] == [
        ("current_tags", SLA_TAG)
    ]

    shown = zenpy_admin.sla_policies(id=sla_policy.id)
    assert isinstance(shown, SlaPolicy)
    assert shown.title == sla_policy.title


def test_include_slas_shows_the_first_reply_breach(zenpy_admin: Any, cast: Cast, sla_policy: Any) -> None:
    urgent = new_ticket(zenpy_admin, cast, "Payroll export fails", priority="high", tags=[SLA_TAG])
    routine = new_ticket(zenpy_admin, cast, "New keyboard please", priority="normal", tags=[SLA_TAG])
    outside = new_ticket(zenpy_admin, cast, "Not under the policy", priority="high", tags=[OTHER_TAG])

    shown = with_slas(zenpy_admin, urgent.id)
    metric = first_reply(shown)
    assert parse_time(metric["breach_at"]) == parse_time(urgent.created_at) + timedelta(minutes=HIGH_TARGET_MIN)
    assert metric["stage"] == "active"
    assert (metric["days"], metric["hours"], metric["minutes"]) == (0, 1, 30)
    assert shown.slas["policy"]["id"] == sla_policy.id

    routine_metric = first_reply(with_slas(zenpy_admin, routine.id))
    assert parse_time(routine_metric["breach_at"]) == parse_time(routine.created_at) + timedelta(
        minutes=NORMAL_TARGET_MIN
    )
    assert with_slas(zenpy_admin, outside.id).slas["policy_metrics"] == []
    assert getattr(zenpy_admin.tickets(id=urgent.id), "slas", None) is None, "only with include=slas"


def test_a_policy_change_moves_the_breach_and_a_public_reply_achieves_it(
    zenpy_admin: Any, cast: Cast, live_server: LiveServer, sla_policy: Any
) -> None:
    ticket = new_ticket(zenpy_admin, cast, "Shared drive is read-only", priority="high", tags=[SLA_TAG])
    created_at = parse_time(ticket.created_at)

    # -> PUT /api/v2/slas/policies/{id}.json {"sla_policy": {"id", "policy_metrics": [...]}}
    sla_policy.policy_metrics = [
        PolicyMetric(priority="high", metric="first_reply_time", target=30, business_hours=False),
        PolicyMetric(priority="normal", metric="first_reply_time", target=NORMAL_TARGET_MIN, business_hours=False),
    ]
    zenpy_admin.sla_policies.update(sla_policy)
    assert parse_time(first_reply(with_slas(zenpy_admin, ticket.id))["breach_at"]) == created_at + timedelta(minutes=30)

    # The description an agent opens a ticket with is no first reply, so the reply comes later.
    move_clock(live_server, 10 * 60)
    assert first_reply(with_slas(zenpy_admin, ticket.id))["minutes"] == 20
    ticket = zenpy_admin.tickets(id=ticket.id)
    ticket.comment = Comment(body="Looking into the share permissions now.", public=True)
    zenpy_admin.tickets.update(ticket)

    assert first_reply(with_slas(zenpy_admin, ticket.id))["stage"] == "achieved"
