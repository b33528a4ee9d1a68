"""Parsed search queries as SQL over tickets, with the full-text index of each database.

The index lives in the database (migration 0002): FTS5 tables on SQLite, GIN indexes over
`to_tsvector('simple', ...)` on PostgreSQL. A free-text term matches a ticket's subject or any
comment on it; for end-users, only public comments count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TextualSelect,
    and_,
    bindparam,
    column,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
    union,
)

from opsdesk.forms.tables import ticket_forms
from opsdesk.groups.tables import groups
from opsdesk.organizations.tables import organizations
from opsdesk.search.query import Field, Op, Query, QueryError, Text
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Priority, Status
from opsdesk.tickets.tables import ticket_collaborators, ticket_comments, ticket_tags, tickets
from opsdesk.users.tables import users

STATUS_ORDER = [s.value for s in Status]
PRIORITY_ORDER = [p.value for p in Priority]
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SORTABLE = {
    "created_at": tickets.c.created_at,
    "updated_at": tickets.c.updated_at,
    "priority": tickets.c.priority,
    "status": tickets.c.status,
    "type": tickets.c.type,
}


def _words(term: Text) -> list[str]:
    return _WORD.findall(term.words.lower())


def _fts5_expression(term: Text) -> str:
    """An FTS5 MATCH expression: each word quoted, so no user input is read as FTS5 syntax."""
    words = _words(term)
    expression = '"' + " ".join(words) + '"' if term.phrase else " AND ".join(f'"{w}"' for w in words)
    return expression + "*" if term.prefix else expression


def _fts5_ids(table: str, term: Text) -> TextualSelect:
    statement = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :q")  # table names are constants
    return statement.bindparams(bindparam("q", _fts5_expression(term), unique=True)).columns(column("rowid", Integer))


def _text_clause(term: Text, dialect: str, *, public_only: bool) -> ColumnElement[bool]:
    """Tickets whose subject or one of whose comments matches, as one set of ids.

    Both matches read their full-text index once and are combined with UNION: an OR of two
    correlated matches makes the planner re-run the comment search for every candidate ticket
    (SQLite) or re-tokenise every subject instead of using the index (PostgreSQL).
    """
    words = _words(term)
    if not words:
        return true() if term.negated else false()
    comment_filter: list[ColumnElement[bool]] = [ticket_comments.c.public.is_(True)] if public_only else []
    if dialect == "sqlite":
        subject_ids: Select[Any] = select(tickets.c.id).where(tickets.c.id.in_(_fts5_ids("tickets_fts", term)))
        comment_match: ColumnElement[bool] = ticket_comments.c.id.in_(_fts5_ids("ticket_comments_fts", term))
    else:
        if term.prefix:
            query = func.to_tsquery("simple", " & ".join([*words[:-1], words[-1] + ":*"]))
        elif term.phrase:
            query = func.phraseto_tsquery("simple", " ".join(words))
        else:
            query = func.plainto_tsquery("simple", " ".join(words))
        subject_ids = select(tickets.c.id).where(func.to_tsvector("simple", tickets.c.subject).bool_op("@@")(query))
        comment_match = func.to_tsvector("simple", ticket_comments.c.body).bool_op("@@")(query)
    comment_ids = select(ticket_comments.c.ticket_id).where(comment_match, *comment_filter)
    clause = tickets.c.id.in_(union(subject_ids, comment_ids))
    return not_(clause) if term.negated else clause


def _ordered(value: str, order: Sequence[str], op: Op) -> list[str]:
    index = order.index(value)
    return {
        Op.EQ: [value],
        Op.LT: list(order[:index]),
        Op.LE: list(order[: index + 1]),
        Op.GT: list(order[index + 1 :]),
        Op.GE: list(order[index:]),
    }[op]


def _person(value: str | datetime | None, viewer: Viewer) -> ColumnElement[int] | int | None:
    """A user reference: `me`, an id, an email or a name, as an id or a subquery of ids."""
    if value is None:
        return None
    word = str(value)
    if word.lower() == "me":
        return viewer.user_id
    if word.isdigit():
        return int(word)
    if "@" in word:
        return select(users.c.id).where(users.c.email == word.lower()).scalar_subquery()
    return select(users.c.id).where(func.lower(users.c.name) == word.lower()).scalar_subquery()


def _named(value: str | datetime | None, name_column: ColumnElement[str], id_column: ColumnElement[int]) -> object:
    word = str(value)
    if word.isdigit():
        return int(word)
    return select(id_column).where(func.lower(name_column) == word.lower()).scalar_subquery()


def _date_clause(column: ColumnElement[datetime], term: Field) -> ColumnElement[bool]:
    moment = term.value
    if not isinstance(moment, datetime):
        raise QueryError(f"{term.name} needs a date", 0)
    if term.op is Op.EQ:
        return and_(column >= moment, column < moment + timedelta(days=1))
    return {
        Op.LT: column < moment,
        Op.LE: column <= moment,
        Op.GT: column > moment,
        Op.GE: column >= moment,
    }[term.op]


def _field_clause(term: Field, viewer: Viewer) -> ColumnElement[bool]:  # noqa: C901, PLR0911, PLR0912 - one branch per key
    name, value = term.name, term.value
    if name == "status":
        return tickets.c.status.in_(_ordered(str(value), STATUS_ORDER, term.op))
    if name == "priority":
        return tickets.c.priority.in_(_ordered(str(value), PRIORITY_ORDER, term.op))
    if name == "ticket_type":
        return tickets.c.type == str(value)
    if name in ("assignee", "requester", "submitter"):
        column = {
            "assignee": tickets.c.assignee_id,
            "requester": tickets.c.requester_id,
            "submitter": tickets.c.submitter_id,
        }[name]
        person = _person(value, viewer)
        return column.is_(None) if person is None else column == person
    if name == "group":
        return (
            tickets.c.group_id.is_(None)
            if value is None
            else tickets.c.group_id == _named(value, groups.c.name, groups.c.id)
        )
    if name == "organization":
        return (
            tickets.c.organization_id.is_(None)
            if value is None
            else tickets.c.organization_id == _named(value, organizations.c.name, organizations.c.id)
        )
    if name == "form":
        return tickets.c.ticket_form_id == _named(value, ticket_forms.c.name, ticket_forms.c.id)
    if name == "tags":
        return exists().where(ticket_tags.c.ticket_id == tickets.c.id, ticket_tags.c.tag == str(value).lower())
    if name == "via":
        return tickets.c.via_channel == str(value)
    if name in ("created", "updated", "solved", "due_date"):
        column = {
            "created": tickets.c.created_at,
            "updated": tickets.c.updated_at,
            "solved": tickets.c.solved_at,
            "due_date": tickets.c.due_at,
        }[name]
        return _date_clause(column, term)
    if name in ("subject", "description"):
        column = tickets.c.subject if name == "subject" else tickets.c.description
        return func.lower(column).contains(str(value).lower(), autoescape=True)
    if name == "commenter":
        return exists().where(
            ticket_comments.c.ticket_id == tickets.c.id, ticket_comments.c.author_id == _person(value, viewer)
        )
    if name == "cc":
        return exists().where(
            ticket_collaborators.c.ticket_id == tickets.c.id, ticket_collaborators.c.user_id == _person(value, viewer)
        )
    if name == "external_id":
        return tickets.c.external_id == str(value)
    if name.startswith("custom_field_"):
        matches: ColumnElement[bool] = tickets.c.custom_fields[name.removeprefix("custom_field_")].as_string() == str(
            value
        )
        return matches
    raise QueryError(f"{name} cannot be searched yet", 0)


def ticket_conditions(query: Query, viewer: Viewer, dialect: str) -> list[ColumnElement[bool]]:
    """One condition per term; EQ terms on the same key are alternatives, as in Zendesk."""
    conditions: list[ColumnElement[bool]] = [
        _text_clause(term, dialect, public_only=not viewer.is_agent) for term in query.texts
    ]
    alternatives: dict[str, list[ColumnElement[bool]]] = {}
    for term in query.fields:
        clause = _field_clause(term, viewer)
        if term.negated:
            conditions.append(not_(clause))
        elif term.op is Op.EQ:
            alternatives.setdefault(term.name, []).append(clause)
        else:
            conditions.append(clause)
    conditions.extend(or_(*clauses) for clauses in alternatives.values())
    return conditions


def ordering(query: Query) -> tuple[ColumnElement[object], ...]:
    column = SORTABLE.get(query.order_by or "updated_at", tickets.c.updated_at)
    if query.sort == "asc":
        return (column.asc(), tickets.c.id.asc())
    return (column.desc(), tickets.c.id.desc())
