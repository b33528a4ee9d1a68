"""Search over tickets, users and organizations, with the caller's access applied.

Tickets come first, then users, then organizations (agents only); counts are exact.
Zendesk returns at most 1,000 results per query, and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from opsdesk.core.db.engine import allow_large_bitmaps
from opsdesk.organizations import repo as orgs_repo
from opsdesk.organizations.model import Organization
from opsdesk.organizations.tables import organizations
from opsdesk.search.compile import ordering, ticket_conditions
from opsdesk.search.query import Query, parse_query
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Ticket
from opsdesk.users.model import User
from opsdesk.users.repo import to_user
from opsdesk.users.tables import users

MAX_RESULTS = 1000
_TICKET_ONLY_KEYS = frozenset(
    {
        "status",
        "priority",
        "ticket_type",
        "assignee",
        "requester",
        "submitter",
        "group",
        "form",
        "tags",
        "via",
        "created",
        "updated",
        "solved",
        "due_date",
        "subject",
        "description",
        "commenter",
        "cc",
    }
)


@dataclass(frozen=True, slots=True)
class SearchPage:
    results: list[Ticket | User | Organization]
    count: int


def _types(query: Query, viewer: Viewer) -> list[str]:
    if query.result_type is not None:
        wanted = [query.result_type]
    elif any(term.name in _TICKET_ONLY_KEYS or term.name.startswith("custom_field_") for term in query.fields):
        wanted = ["ticket"]
    else:
        wanted = ["ticket", "user", "organization"]
    return [kind for kind in wanted if kind == "ticket" or viewer.is_agent]


def _like_all(query: Query, *columns: ColumnElement[str]) -> list[ColumnElement[bool]]:
    conditions = []
    for term in query.texts:
        pattern = term.words.lower()
        clause = or_(*(func.lower(c).contains(pattern, autoescape=True) for c in columns))
        conditions.append(~clause if term.negated else clause)
    return conditions


def _user_conditions(query: Query) -> list[ColumnElement[bool]] | None:
    conditions = _like_all(query, users.c.name, users.c.email)
    for term in query.fields:
        if term.name == "organization" and term.value is not None:
            conditions.append(
                users.c.organization_id == int(str(term.value))
                if str(term.value).isdigit()
                else users.c.organization_id.in_(
                    select(organizations.c.id).where(func.lower(organizations.c.name) == str(term.value).lower())
                )
            )
        elif term.name == "external_id":
            conditions.append(users.c.external_id == str(term.value))
        else:
            return None
    return conditions


def _org_conditions(query: Query) -> list[ColumnElement[bool]] | None:
    conditions = _like_all(query, organizations.c.name)
    for term in query.fields:
        if term.name == "external_id":
            conditions.append(organizations.c.external_id_key == str(term.value).lower())
        else:
            return None
    return conditions


def search(conn: Connection, *, viewer: Viewer, text: str, now: datetime, offset: int, limit: int) -> SearchPage:
    """One page of results; raises QueryError for a malformed query."""
    query = parse_query(text, now=now)
    dialect = conn.dialect.name
    allow_large_bitmaps(conn)
    results: list[Ticket | User | Organization] = []
    total = 0
    for kind in _types(query, viewer):
        if kind == "ticket":
            conditions = ticket_conditions(query, viewer, dialect)
            base = tickets_repo.ticket_query(viewer, *conditions)
            count = conn.execute(base.with_only_columns(func.count()).order_by(None)).scalar_one()
            skip = max(offset - total, 0)
            room = limit - len(results)
            if room > 0 and skip < count:
                rows = conn.execute(base.order_by(*ordering(query)).offset(skip).limit(room))
                results.extend(tickets_repo.to_ticket(row) for row in rows)
        elif kind == "user":
            user_conditions = _user_conditions(query)
            if user_conditions is None:
                continue
            count = conn.execute(select(func.count()).select_from(users).where(*user_conditions)).scalar_one()
            skip, room = max(offset - total, 0), limit - len(results)
            if room > 0 and skip < count:
                rows = conn.execute(select(users).where(*user_conditions).order_by(users.c.id).offset(skip).limit(room))
                results.extend(to_user(row) for row in rows)
        else:
            org_conditions = _org_conditions(query)
            if org_conditions is None:
                continue
            count = conn.execute(
                select(func.count()).select_from(organizations).where(and_(*org_conditions))
            ).scalar_one()
            skip, room = max(offset - total, 0), limit - len(results)
            if room > 0 and skip < count:
                org_rows = list(
                    conn.execute(
                        select(organizations)
                        .where(*org_conditions)
                        .order_by(organizations.c.id)
                        .offset(skip)
                        .limit(room)
                    )
                )
                results.extend(orgs_repo.to_orgs(conn, org_rows))
        total += int(count)
    return SearchPage(results=results, count=total)


def count(conn: Connection, *, viewer: Viewer, text: str, now: datetime) -> int:
    return search(conn, viewer=viewer, text=text, now=now, offset=0, limit=0).count
