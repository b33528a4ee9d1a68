"""Queries for tickets, comments and audits, and the access rule in SQL. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    true,
    update,
)

from opsdesk.core.db.paging import Page, Window, fetch_page
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import (
    AttachmentMeta,
    Audit,
    Channel,
    Comment,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from opsdesk.tickets.tables import (
    attachments,
    ticket_audits,
    ticket_collaborators,
    ticket_comments,
    ticket_tags,
    tickets,
)


def readable_clause(viewer: Viewer) -> ColumnElement[bool]:
    """`tickets.access.can_read_ticket` as a WHERE clause over `tickets`."""
    if viewer.is_agent:
        if viewer.is_admin or viewer.agent_restriction is None:
            return true()
        mine = or_(tickets.c.assignee_id == viewer.user_id, tickets.c.requester_id == viewer.user_id)
        if viewer.agent_restriction == "groups" and viewer.group_ids:
            return or_(mine, tickets.c.group_id.in_(sorted(viewer.group_ids)))
        return mine
    shared_orgs = sorted(org_id for org_id, access in viewer.organizations.items() if access.view)
    cc = exists().where(
        ticket_collaborators.c.ticket_id == tickets.c.id, ticket_collaborators.c.user_id == viewer.user_id
    )
    clauses: list[ColumnElement[bool]] = [
        tickets.c.requester_id == viewer.user_id,
        tickets.c.submitter_id == viewer.user_id,
        cc,
    ]
    if shared_orgs:
        clauses.append(tickets.c.organization_id.in_(shared_orgs))
    return or_(*clauses)


def live() -> ColumnElement[bool]:
    return tickets.c.deleted_at.is_(None)


_TICKET_FIELDS = (
    "id",
    "subject",
    "description",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "ticket_form_id",
    "status",
    "priority",
    "type",
    "via_channel",
    "external_id",
    "tags",
    "custom_fields",
    "collaborator_ids",
    "followup_ids",
    "followup_source_id",
    "problem_id",
    "due_at",
    "created_at",
    "updated_at",
    "status_changed_at",
    "solved_at",
)
# Result shape (the rows' shared metadata object, held so its id cannot be reused) -> picker.
_pickers: dict[int, tuple[object, itemgetter[tuple[Any, ...]]]] = {}
_MAX_PICKERS = 256


def _picker(row: Row[Any]) -> itemgetter[tuple[Any, ...]]:
    shape = row._parent  # noqa: SLF001 - one metadata object per result: the cheap cache key
    held = _pickers.get(id(shape))
    if held is not None and held[0] is shape:
        return held[1]
    fields = row._fields
    picker = itemgetter(*(fields.index(name) for name in _TICKET_FIELDS))
    if len(_pickers) >= _MAX_PICKERS:
        _pickers.clear()
    _pickers[id(shape)] = (shape, picker)
    return picker


def to_ticket(row: Row[Any]) -> Ticket:
    """A Ticket from a row of `tickets` (any column order). Reads the row by position: exports turn
    thousands of rows a second into tickets, and attribute access by name costs more than the rest."""
    picker = _picker(row)
    (
        ticket_id,
        subject,
        description,
        requester_id,
        submitter_id,
        assignee_id,
        group_id,
        organization_id,
        ticket_form_id,
        status,
        priority,
        ticket_type,
        via_channel,
        external_id,
        tags,
        custom_fields,
        collaborator_ids,
        followup_ids,
        followup_source_id,
        problem_id,
        due_at,
        created_at,
        updated_at,
        status_changed_at,
        solved_at,
    ) = picker(row)
    return Ticket(
        id=ticket_id,
        subject=subject,
        description=description,
        requester_id=requester_id,
        submitter_id=submitter_id,
        assignee_id=assignee_id,
        group_id=group_id,
        organization_id=organization_id,
        ticket_form_id=ticket_form_id,
        status=Status(status),
        priority=Priority(priority) if priority else None,
        type=TicketType(ticket_type) if ticket_type else None,
        via_channel=Channel(via_channel),
        external_id=external_id,
        tags=list(tags),
        custom_fields=dict(custom_fields),
        collaborator_ids=list(collaborator_ids),
        followup_ids=list(followup_ids),
        followup_source_id=followup_source_id,
        problem_id=problem_id,
        due_at=due_at,
        created_at=created_at,
        updated_at=updated_at,
        status_changed_at=status_changed_at,
        solved_at=solved_at,
    )


def get_ticket(conn: Connection, ticket_id: int) -> Ticket | None:
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id, live())).first()
    return to_ticket(row) if row else None


def get_tickets(conn: Connection, ticket_ids: Sequence[int], viewer: Viewer) -> list[Ticket]:
    if not ticket_ids:
        return []
    rows = list(
        conn.execute(
            select(tickets)
            .where(tickets.c.id.in_(set(ticket_ids)), live(), readable_clause(viewer))
            .order_by(tickets.c.id)
        )
    )
    return [to_ticket(row) for row in rows]


def ticket_query(viewer: Viewer, *conditions: ColumnElement[bool]) -> Select[Any]:
    return select(tickets).where(live(), readable_clause(viewer), *conditions)


def page_tickets(conn: Connection, query: Select[Any], window: Window) -> tuple[list[Ticket], Page]:
    page = fetch_page(conn, query, tickets.c.id, window)
    return [to_ticket(row) for row in page.rows], page


# Statements built once: the values travel as parameters, so each call skips building and
# coercing a new statement (a third of a ticket create's CPU before this).
_INSERT_TICKET = insert(tickets).returning(*tickets.c)
_UPDATE_TICKET = update(tickets).where(tickets.c.id == bindparam("ticket_key"))
_UPDATE_TICKET_RETURNING = _UPDATE_TICKET.returning(*tickets.c)
_INSERT_AUDIT = insert(ticket_audits).returning(ticket_audits.c.id)
_INSERT_COMMENT = insert(ticket_comments).returning(ticket_comments.c.id)


def add_ticket(conn: Connection, values: dict[str, Any]) -> Ticket:
    return to_ticket(conn.execute(_INSERT_TICKET, values).one())


def change_ticket(conn: Connection, ticket_id: int, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE_TICKET, {"ticket_key": ticket_id, **values})


def change_ticket_returning(conn: Connection, ticket_id: int, values: dict[str, Any]) -> Ticket:
    return to_ticket(conn.execute(_UPDATE_TICKET_RETURNING, {"ticket_key": ticket_id, **values}).one())


def replace_tags(conn: Connection, ticket_id: int, old: Sequence[str], new: Sequence[str]) -> None:
    gone = set(old) - set(new)
    added = [tag for tag in new if tag not in set(old)]
    if gone:
        conn.execute(delete(ticket_tags).where(ticket_tags.c.ticket_id == ticket_id, ticket_tags.c.tag.in_(gone)))
    if added:
        conn.execute(insert(ticket_tags), [{"ticket_id": ticket_id, "tag": tag} for tag in added])


def replace_collaborators(conn: Connection, ticket_id: int, old: Sequence[int], new: Sequence[int]) -> None:
    gone = set(old) - set(new)
    added = sorted(set(new) - set(old))
    if gone:
        conn.execute(
            delete(ticket_collaborators).where(
                ticket_collaborators.c.ticket_id == ticket_id, ticket_collaborators.c.user_id.in_(gone)
            )
        )
    if added:
        conn.execute(insert(ticket_collaborators), [{"ticket_id": ticket_id, "user_id": u} for u in added])


def add_audit(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(_INSERT_AUDIT, values).scalar_one())


def to_audit(row: Row[Any]) -> Audit:
    return Audit(
        id=row.id,
        ticket_id=row.ticket_id,
        author_id=row.author_id,
        via_channel=Channel(row.via_channel),
        events=list(row.events),
        metadata=dict(row.metadata),
        created_at=row.created_at,
    )


def get_audit(conn: Connection, audit_id: int) -> Audit | None:
    row = conn.execute(select(ticket_audits).where(ticket_audits.c.id == audit_id)).first()
    return to_audit(row) if row else None


def audit_query(ticket_id: int) -> Select[Any]:
    return select(ticket_audits).where(ticket_audits.c.ticket_id == ticket_id)


def page_audits(conn: Connection, query: Select[Any], window: Window) -> tuple[list[Audit], Page]:
    page = fetch_page(conn, query, ticket_audits.c.id, window)
    return [to_audit(row) for row in page.rows], page


def add_comment(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(_INSERT_COMMENT, values).scalar_one())


def _attachments_of(conn: Connection, comment_ids: Sequence[int]) -> dict[int, list[AttachmentMeta]]:
    found: dict[int, list[AttachmentMeta]] = {comment_id: [] for comment_id in comment_ids}
    if not comment_ids:
        return found
    rows = conn.execute(
        select(
            attachments.c.id,
            attachments.c.comment_id,
            attachments.c.file_name,
            attachments.c.content_type,
            attachments.c.size,
        )
        .where(attachments.c.comment_id.in_(comment_ids))
        .order_by(attachments.c.id)
    )
    for row in rows:
        found[row.comment_id].append(
            AttachmentMeta(id=row.id, file_name=row.file_name, content_type=row.content_type, size=row.size)
        )
    return found


def to_comments(conn: Connection, rows: Sequence[Row[Any]]) -> list[Comment]:
    files = _attachments_of(conn, [row.id for row in rows])
    return [
        Comment(
            id=row.id,
            ticket_id=row.ticket_id,
            audit_id=row.audit_id,
            author_id=row.author_id,
            body=row.body,
            html_body=row.html_body,
            public=row.public,
            via_channel=Channel(row.via_channel),
            created_at=row.created_at,
            attachments=files[row.id],
        )
        for row in rows
    ]


def comment_query(ticket_id: int, *, public_only: bool) -> Select[Any]:
    query = select(ticket_comments).where(ticket_comments.c.ticket_id == ticket_id)
    return query.where(ticket_comments.c.public.is_(True)) if public_only else query


def page_comments(conn: Connection, query: Select[Any], window: Window) -> tuple[list[Comment], Page]:
    page = fetch_page(conn, query, ticket_comments.c.id, window)
    return to_comments(conn, page.rows), page


def comments_of_audits(conn: Connection, audit_ids: Sequence[int]) -> dict[int, Comment]:
    if not audit_ids:
        return {}
    rows = list(conn.execute(select(ticket_comments).where(ticket_comments.c.audit_id.in_(audit_ids))))
    return {comment.audit_id: comment for comment in to_comments(conn, rows)}


def add_attachment(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(attachments).values(**values).returning(attachments.c.id)).scalar_one())


def get_attachment(conn: Connection, attachment_id: int) -> Row[Any] | None:
    return conn.execute(select(attachments).where(attachments.c.id == attachment_id)).first()


def attach_uploads(
    conn: Connection, tokens: Sequence[str], *, ticket_id: int, comment_id: int, uploader_id: int
) -> int:
    result = conn.execute(
        update(attachments)
        .where(
            attachments.c.upload_token.in_(tokens),
            attachments.c.comment_id.is_(None),
            attachments.c.uploader_id == uploader_id,
        )
        .values(ticket_id=ticket_id, comment_id=comment_id)
    )
    return int(result.rowcount)
