"""Whether a ticket meets a rule's conditions (pure): compiled once into predicates, then evaluated.

Conditions read three things: the ticket (`TicketState`), the update a trigger looks at (`Update`:
what changed, who, through which channel, with which comment) and, for automations, the ticket's
`Clocks`, the instant `now` and a business calendar. A condition that needs one of these and is
not given it is false ("hours since updated" with no clocks, "update is Create" with no update).

Time conditions (automations) hold at the exact instant; `_time_conditions.py` says when.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import attrgetter

from opsdesk.calendars.model import BusinessCalendar
from opsdesk.rules import _values as v
from opsdesk.rules._time_conditions import holds_at
from opsdesk.rules.model import Clocks, Condition, Conditions, TicketState, Update
from opsdesk.rules.vocabulary import normalise_condition


@dataclass(frozen=True, slots=True)
class Context:
    """What conditions read besides the ticket; see the module docstring."""

    update: Update | None = None
    clocks: Clocks | None = None
    now: datetime | None = None
    calendar: BusinessCalendar | None = None


Predicate = Callable[[TicketState, Context], bool]
Reader = Callable[[TicketState], object]


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """A condition ready to test. `reads` names the `TicketState` attributes it looks at, so an
    engine knows which conditions an action can change the answer of."""

    condition: Condition
    test: Predicate
    reads: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledConditions:
    """Conditions as two tests; they hold when both pass.

    `steady` is the `all` conditions that read only the context (the update, the clocks, the
    instant), never the ticket, so its answer stays the same while triggers run for one update;
    `varying` is the rest (`any` included). `reads` names the `TicketState` attributes read.
    """

    steady: Predicate
    varying: Predicate
    reads: frozenset[str]

    def holds(self, state: TicketState, context: Context) -> bool:
        return self.steady(state, context) and self.varying(state, context)


def _always(_: TicketState, __: Context) -> bool:
    return True


def _all_of(tests: Sequence[Predicate]) -> Predicate:
    """One test passing when every test passes, in order; small counts unrolled (it runs often)."""
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:  # noqa: PLR2004 - unrolled for speed
        first, second = tests
        return lambda state, context: first(state, context) and second(state, context)
    if len(tests) == 3:  # noqa: PLR2004 - unrolled for speed
        first, second, third = tests
        return lambda state, context: first(state, context) and second(state, context) and third(state, context)
    every = tuple(tests)
    return lambda state, context: all(test(state, context) for test in every)


def _any_of(tests: Sequence[Predicate]) -> Predicate:
    """One test passing when some test passes; with no tests, always (an empty `any`)."""
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    some = tuple(tests)
    return lambda state, context: any(test(state, context) for test in some)


def _reader(field: str) -> tuple[Reader, str, object]:
    """How to read a field off a ticket, the attribute that is, and the value meaning none."""
    key = v.custom_field_id(field)
    if key is not None:
        return (lambda state: v.as_text(state.custom_fields.get(key))), "custom_fields", v.NONE
    return attrgetter(field), field, None


def _actor(context: Context) -> object:
    """Who `current_user` is: the person making the update; a value equal to no id when none is."""
    actor = context.update.actor_id if context.update is not None else None
    return actor if actor is not None else _NOBODY


_NOBODY = object()


def _compile_change(read: Reader, nothing: object, operator: str, expected: object) -> Predicate:
    """The changed family compares the ticket now with `update.previous`; a create changes every
    field that has a value (from nothing). Without an update nothing changed."""

    def moved(state: TicketState, context: Context) -> tuple[object, object] | None:
        if context.update is None:
            return None
        previous = context.update.previous
        before, after = (nothing if previous is None else read(previous)), read(state)
        return (before, after) if before != after else None

    def target(context: Context) -> object:
        return _actor(context) if expected == v.CURRENT_USER else expected

    def changed_to(state: TicketState, context: Context) -> bool:
        change = moved(state, context)
        return change is not None and change[1] == target(context)

    def changed_from(state: TicketState, context: Context) -> bool:
        change = moved(state, context)
        return change is not None and change[0] == target(context)

    tests: dict[str, Predicate] = {
        "changed": lambda state, context: moved(state, context) is not None,
        "not_changed": lambda state, context: moved(state, context) is None,
        "value": changed_to,
        "value_previous": changed_from,
        "not_value": lambda state, context: not changed_to(state, context),
        "not_value_previous": lambda state, context: not changed_from(state, context),
    }
    return tests[operator]


def _compile_current_user(read: Reader, operator: str) -> Predicate:
    def is_actor(state: TicketState, context: Context) -> bool:
        return read(state) == _actor(context)

    if operator == "is":
        return is_actor
    return lambda state, context: not is_actor(state, context)


def _compile_attribute(field: str, operator: str, expected: object) -> tuple[Predicate, frozenset[str]]:
    read, attribute, nothing = _reader(field)
    reads = frozenset({attribute})
    if expected == v.NONE:
        expected = nothing  # `""` in a rule is how the ticket reads "none"
    if operator in v.CHANGE_OPERATORS:
        return _compile_change(read, nothing, operator, expected), reads
    if expected == v.CURRENT_USER:
        return _compile_current_user(read, operator), reads
    if operator == "is":
        return (lambda state, _: read(state) == expected), reads
    if operator == "is_not":
        return (lambda state, _: read(state) != expected), reads
    ranks: dict[object, int] = {None: 0}  # no priority ranks below low; a status is never None
    ranks.update((v.STATUS_RANK if field == "status" else v.PRIORITY_RANK).items())
    bound = ranks[expected]
    if operator == "less_than":
        return (lambda state, _: ranks[read(state)] < bound), reads
    return (lambda state, _: ranks[read(state)] > bound), reads


def _word_pattern(words: str) -> re.Pattern[str]:
    """Any of the space-separated words (a "quoted phrase" counts as one), whole words, any case."""
    phrases = [quoted or bare for quoted, bare in re.findall(r'"([^"]+)"|(\S+)', words)]
    alternatives = (r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in phrases)
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


def _compile_text(field: str, operator: str, expected: str) -> tuple[Predicate, frozenset[str]]:
    def text(state: TicketState, context: Context) -> str:
        if field == "subject_includes_word":
            return state.subject
        return context.update.comment_body if context.update is not None else ""

    reads = frozenset({"subject"}) if field == "subject_includes_word" else frozenset()
    if operator in v.TAG_OPERATORS:
        pattern = _word_pattern(expected)

        def found(state: TicketState, context: Context) -> bool:
            return pattern.search(text(state, context)) is not None

    else:
        phrase = expected.casefold()

        def found(state: TicketState, context: Context) -> bool:
            return phrase in text(state, context).casefold()

    if operator in {"includes", "is"}:
        return found, reads
    return (lambda state, context: not found(state, context)), reads


_ROLE_MEMBERS = {"end_user": {"end-user", "end_user"}, "agent": {"agent", "admin"}, "admin": {"admin"}}
_COMMENT_PUBLIC = {"true": True, "requester_can_see_comment": True, "false": False}


def _compile_update(field: str, operator: str, expected: object) -> Predicate:
    """Conditions on the update itself; the system (no actor role) has no role."""
    if field == "update_type":
        creating = expected == "Create"
        return lambda _, context: context.update is not None and context.update.is_create == creating
    if field == "comment_is_public":
        if expected == "not_relevant":
            return lambda _, __: True
        public = _COMMENT_PUBLIC[str(expected)]
        return lambda _, context: context.update is not None and context.update.comment_public is public
    if field == "current_via_id":
        same = operator == "is"
        return lambda _, context: context.update is not None and (context.update.via_channel == expected) is same
    members = _ROLE_MEMBERS[str(expected)]
    inside = operator == "is"

    def role(_: TicketState, context: Context) -> bool:
        actor_role = context.update.actor_role if context.update is not None else None
        return actor_role is not None and (actor_role in members) is inside

    return role


def _compile_time(condition: Condition) -> tuple[Predicate, frozenset[str]]:
    def test(state: TicketState, context: Context) -> bool:
        if context.clocks is None or context.now is None:
            return False
        return holds_at(condition, state, context.clocks, context.now, context.calendar)

    return test, frozenset({"status"}) if v.SINCE_FIELDS.get(condition.field) else frozenset()


def compile_condition(condition: Condition) -> CompiledCondition:
    """Raises ValueError for a field, operator or value the vocabulary does not know."""
    condition = normalise_condition(condition)
    field, operator, expected = condition.field, condition.operator, condition.value
    if field in v.TIME_FIELDS:
        test, reads = _compile_time(condition)
    elif field == "current_tags":
        wanted = v.tag_set(expected)
        present = operator == "includes"
        test, reads = (lambda state, _: (not wanted.isdisjoint(state.tags)) is present), frozenset({"tags"})
    elif field in {"subject_includes_word", "comment_includes_word"}:
        test, reads = _compile_text(field, operator, expected)
    elif field in {"update_type", "comment_is_public", "current_via_id", "role"}:
        test, reads = _compile_update(field, operator, expected), frozenset()
    elif field == "via_id":
        same = operator == "is"
        test, reads = (lambda state, _: (state.via_channel == expected) is same), frozenset({"via_channel"})
    else:
        test, reads = _compile_attribute(field, operator, expected)
    return CompiledCondition(condition, test, reads)


def compile_conditions(conditions: Conditions) -> CompiledConditions:
    """Raises ValueError for a condition the vocabulary does not know."""
    required = [compile_condition(c) for c in conditions.all]
    alternatives = [compile_condition(c) for c in conditions.any]
    steady = [c.test for c in required if not c.reads]
    varying = [c.test for c in required if c.reads]
    if alternatives:
        varying.append(_any_of([c.test for c in alternatives]))
    reads = frozenset().union(*(c.reads for c in (*required, *alternatives)))
    return CompiledConditions(_all_of(steady), _all_of(varying), reads)


@lru_cache(maxsize=1024)
def _compiled(conditions: Conditions) -> CompiledConditions:
    return compile_conditions(conditions)


@lru_cache(maxsize=4096)
def _compiled_condition(condition: Condition) -> CompiledCondition:
    return compile_condition(condition)


def compiled(conditions: Conditions) -> CompiledConditions:
    """`compile_conditions`, remembered for conditions whose values can be hashed."""
    try:
        return _compiled(conditions)
    except TypeError:  # a value such as a list: compile every time
        return compile_conditions(conditions)


def compiled_condition(condition: Condition) -> CompiledCondition:
    """`compile_condition`, remembered for a value that can be hashed."""
    try:
        return _compiled_condition(condition)
    except TypeError:
        return compile_condition(condition)


def matches(
    conditions: Conditions,
    state: TicketState,
    *,
    update: Update | None = None,
    clocks: Clocks | None = None,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
) -> bool:
    """Whether the ticket meets every `all` condition and, if `any` is not empty, one of those."""
    return compiled(conditions).holds(state, Context(update, clocks, now, calendar))
