"""Triggers and macros (pure): what happens to a ticket when it is created or updated.

Triggers run as Zendesk runs them. Active triggers are ordered by position, then id. A pass goes
top to bottom and fires the first trigger that has not fired yet and whose conditions match the
ticket as it is now (the update's `previous` stays what it was before the update); after it
fires, the next pass starts again from the top. Running stops when a pass fires nothing. Each
trigger fires at most once per update, so triggers that undo each other stop.

A closed ticket runs no triggers, except on the update that closes it.

Cost: one update evaluates each trigger once, then again only the triggers that read a ticket
attribute a fired trigger changed (`CompiledConditions.reads`): a trigger that did not match
still does not while nothing it reads changes, so a new pass need not ask it. A trigger whose
update-only conditions fail (`update_type is Create` on a change) is never asked again. Compile
triggers once with `compile_rules` and keep the result between updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from heapq import heappop, heappush

from opsdesk.rules.actions import apply_actions
from opsdesk.rules.conditions import CompiledConditions, Context, compile_conditions
from opsdesk.rules.model import Action, Notification, Outcome, Rule, TicketState, Update
from opsdesk.tickets.model import Status

_ATTRIBUTES = tuple(f.name for f in fields(TicketState))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    conditions: CompiledConditions


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """Active rules in firing order (position, then id), conditions compiled.

    `readers` maps a `TicketState` attribute to the indices (in `rules`) of the rules whose
    conditions read it. Immutable: safe to share between updates and threads.
    """

    rules: tuple[CompiledRule, ...]
    readers: Mapping[str, tuple[int, ...]]


def compile_rules(rules: Iterable[Rule]) -> CompiledRules:
    """Raises ValueError for a condition the vocabulary does not know (rules are parsed first)."""
    active = sorted((rule for rule in rules if rule.active), key=lambda rule: (rule.position, rule.id))
    compiled = tuple(CompiledRule(rule, compile_conditions(rule.conditions)) for rule in active)
    readers: dict[str, list[int]] = {}
    for index, entry in enumerate(compiled):
        for attribute in entry.conditions.reads:
            readers.setdefault(attribute, []).append(index)
    return CompiledRules(compiled, {attribute: tuple(found) for attribute, found in readers.items()})


def _changed_attributes(before: TicketState, after: TicketState) -> list[str]:
    return [name for name in _ATTRIBUTES if getattr(before, name) != getattr(after, name)]


def _runs_on(state: TicketState, update: Update) -> bool:
    if state.status != Status.CLOSED:
        return True
    return update.previous is None or update.previous.status != Status.CLOSED


def run_triggers(triggers: CompiledRules | Sequence[Rule], state: TicketState, update: Update) -> Outcome:
    """The ticket after its triggers, the ids of those that fired in order, and the messages
    they ask for (placeholders left in). See the module docstring for the order.

    Rules given as a sequence are compiled for this call; pass `CompiledRules` to compile once."""
    compiled = triggers if isinstance(triggers, CompiledRules) else compile_rules(triggers)
    if not _runs_on(state, update):
        return Outcome(state, (), ())
    context = Context(update=update)
    entries, readers = compiled.rules, compiled.readers
    # Triggers that may match the ticket as it is now, by position: never asked, or asked before
    # an action changed something they read. The smallest one that matches fires next.
    # A trigger whose steady conditions fail cannot match during this update: leave it out.
    done = [not entry.conditions.steady(state, context) for entry in entries]
    candidates = [index for index, out in enumerate(done) if not out]
    queued = [not out for out in done]
    fired: list[int] = []
    notifications: list[Notification] = []
    while candidates:
        index = heappop(candidates)
        queued[index] = False
        if done[index] or not entries[index].conditions.varying(state, context):
            continue
        rule = entries[index].rule
        done[index] = True
        fired.append(rule.id)
        after, asked, _ = apply_actions(
            rule.actions, state, actor_id=update.actor_id, rule_id=rule.id, rule_title=rule.title
        )
        notifications.extend(asked)
        for attribute in _changed_attributes(state, after) if after is not state else ():
            for reader in readers.get(attribute, ()):
                if not done[reader] and not queued[reader]:
                    queued[reader] = True
                    heappush(candidates, reader)
        state = after
    return Outcome(state, tuple(fired), tuple(notifications))


def apply_rule(rule: Rule, state: TicketState, *, actor_id: int | None) -> Outcome:
    """Fire one rule, whatever its conditions say (an automation found due): its actions applied,
    its messages labelled with it."""
    after, notifications, _ = apply_actions(
        rule.actions, state, actor_id=actor_id, rule_id=rule.id, rule_title=rule.title
    )
    return Outcome(after, (rule.id,), tuple(notifications))


def apply_macro(actions: Sequence[Action], state: TicketState, *, actor_id: int | None) -> Outcome:
    """What a macro does to a ticket, as a preview or before the agent's update: its field and
    tag changes and its comment (`comment_value*`). Macros have no conditions and fire nothing."""
    after, notifications, comment = apply_actions(actions, state, actor_id=actor_id)
    return Outcome(after, (), tuple(notifications), comment)
