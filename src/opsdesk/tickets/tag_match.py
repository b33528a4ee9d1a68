"""“The ticket has any of these tags” as SQL, the way each database answers it fastest.

PostgreSQL (and the default): an EXISTS lookup into `ticket_tags`. SQLite: a match inside the
ticket's own JSON tag list (`tickets.tags`), which migration 0011 puts in the covering index of
live tickets, so a view count never leaves that index (a lookup per ticket cost ~340 ms over
210,000 unsolved tickets at a million).

The SQLite match is exact, not a LIKE: opsdesk writes tag lists with orjson, compact
(`["a","b"]`), and a tag's JSON string between `[` or `,` and `,` or `]` can only be a whole
element, since inside a JSON string every `"` is escaped by a backslash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Boolean, ColumnElement, exists, false, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from opsdesk.tickets.tables import ticket_tags, tickets


class HasAnyTag(ColumnElement[bool]):
    """True when the ticket in the enclosing query carries any of `tags` (normalised tags)."""

    type = Boolean()
    inherit_cache = False  # a custom construct: statements holding it are compiled each time

    def __init__(self, tags: Sequence[str]) -> None:
        self.tags = tuple(tags)


def has_any_tag(tags: Sequence[str]) -> ColumnElement[bool]:
    return HasAnyTag(tags) if tags else false()


def element_patterns(tag: str) -> tuple[str, ...]:
    """The four places a tag can stand in a compact JSON list: alone, first, inside, last."""
    quoted = orjson.dumps(tag).decode()
    return (f"[{quoted}]", f"[{quoted},", f",{quoted},", f",{quoted}]")


@compiles(HasAnyTag)
def _lookup(element: HasAnyTag, compiler: SQLCompiler, **kw: Any) -> str:  # noqa: ANN401 - compiler keywords
    clause = exists().where(ticket_tags.c.ticket_id == tickets.c.id, ticket_tags.c.tag.in_(element.tags))
    return compiler.process(clause, **kw)


@compiles(HasAnyTag, "sqlite")
def _in_list(element: HasAnyTag, compiler: SQLCompiler, **kw: Any) -> str:  # noqa: ANN401 - compiler keywords
    matches = [func.instr(tickets.c.tags, pattern) > 0 for tag in element.tags for pattern in element_patterns(tag)]
    return compiler.process(or_(*matches).self_group(), **kw)
