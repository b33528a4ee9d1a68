"""Ticket use cases: create, update, comment, merge, delete, follow-ups.

Every create and update writes exactly one audit holding its events. The caller owns the
transaction, so a refused change leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.delivery import events
from opsdesk.forms import repo as forms_repo
from opsdesk.forms.service import clean_custom_fields
from opsdesk.groups import repo as groups_repo
from opsdesk.organizations import repo as orgs_repo
from opsdesk.rules import service as rules_service
from opsdesk.rules.model import Update
from opsdesk.sla.clocks import Change
from opsdesk.tickets import repo, workflow
from opsdesk.tickets._html import html_to_text, sanitize_html, text_to_html
from opsdesk.tickets.access import Role, TicketFacts, Viewer, can_comment_on_ticket, can_read_ticket
from opsdesk.tickets.model import (
    MERGE_TAGS,
    STATUS_TIMERS,
    AttachmentMeta,
    Audit,
    Channel,
    Comment,
    CommentDraft,
    Mover,
    RequesterDraft,
    Status,
    Ticket,
    next_status,
    normalize_tags,
)
from opsdesk.timers import repo as timers_repo
from opsdesk.users import repo as users_repo
from opsdesk.users import service as users_service

log = logging.getLogger("opsdesk.tickets")

_AUDITED_FIELDS = (
    "subject",
    "requester_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "ticket_form_id",
    "status",
    "priority",
    "type",
    "external_id",
    "due_at",
    "problem_id",
)


@dataclass(frozen=True, slots=True)
class TicketResult:
    ticket: Ticket
    audit: Audit
    comment: Comment | None


def facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        requester_id=ticket.requester_id,
        submitter_id=ticket.submitter_id,
        assignee_id=ticket.assignee_id,
        group_id=ticket.group_id,
        organization_id=ticket.organization_id,
        collaborator_ids=frozenset(ticket.collaborator_ids),
    )


def get_readable_ticket_or_raise(conn: Connection, viewer: Viewer, ticket_id: int) -> Ticket:
    """The ticket if the viewer may read it; otherwise NotFound, so its existence is not revealed."""
    ticket = repo.get_ticket(conn, ticket_id)
    if ticket is None or not can_read_ticket(viewer, facts(ticket)):
        raise NotFound("Ticket", ticket_id)
    return ticket


def _mover(actor: Viewer | None) -> Mover:
    if actor is None:
        return Mover.SYSTEM
    return Mover.AGENT if actor.is_agent else Mover.REQUESTER


def _wire(value: Any) -> Any:  # noqa: ANN401 - any audited value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


class _AuditBuilder:
    """Collects the events of one audit; event ids are assigned when it is written."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def create(self, field: str, value: Any) -> None:  # noqa: ANN401 - any audited value
        self.events.append({"type": "Create", "field_name": field, "value": _wire(value)})

    def change(self, field: str, value: Any, previous: Any) -> None:  # noqa: ANN401 - any audited value
        self.events.append(
            {"type": "Change", "field_name": field, "value": _wire(value), "previous_value": _wire(previous)}
        )


def _check_refs(conn: Connection, row: Mapping[str, Any]) -> None:  # noqa: C901 - one check per reference
    errors: dict[str, list[str]] = {}
    if row.get("requester_id") is not None and users_repo.get_user(conn, row["requester_id"]) is None:
        errors["requester_id"] = [f"user {row['requester_id']} does not exist"]
    assignee_id = row.get("assignee_id")
    if assignee_id is not None:
        assignee = users_repo.get_user(conn, assignee_id)
        if assignee is None or assignee.role is Role.END_USER:
            errors["assignee_id"] = [f"user {assignee_id} is not an agent"]
        elif row.get("group_id") is not None and row["group_id"] not in groups_repo.group_ids_of_user(
            conn, assignee_id
        ):
            errors["assignee_id"] = [f"agent {assignee_id} is not a member of group {row['group_id']}"]
    if row.get("group_id") is not None and groups_repo.get_group(conn, row["group_id"]) is None:
        errors["group_id"] = [f"group {row['group_id']} does not exist"]
    if row.get("organization_id") is not None and orgs_repo.get_organization(conn, row["organization_id"]) is None:
        errors["organization_id"] = [f"organization {row['organization_id']} does not exist"]
    if row.get("ticket_form_id") is not None and forms_repo.get_form(conn, row["ticket_form_id"]) is None:
        errors["ticket_form_id"] = [f"ticket form {row['ticket_form_id']} does not exist"]
    if row.get("problem_id") is not None:
        problem = repo.get_ticket(conn, row["problem_id"])
        if problem is None or problem.type is None or problem.type.value != "problem":
            errors["problem_id"] = [f"ticket {row['problem_id']} is not a problem ticket"]
    if errors:
        raise InvalidInput("Record validation errors", errors)


def _comment_bodies(draft: CommentDraft) -> tuple[str, str]:
    if draft.html_body:
        html = sanitize_html(draft.html_body)
        return html_to_text(html), html
    body = draft.body or ""
    return body, text_to_html(body)


def _finish_audit(
    conn: Connection,
    *,
    ticket_id: int,
    author_id: int | None,
    via: Channel,
    builder: _AuditBuilder,
    comment: tuple[CommentDraft, int] | None,
    now: datetime,
) -> tuple[Audit, Comment | None]:
    """Write the audit and its comment. Event ids are derived when serialised (audit id, position)."""
    events = list(builder.events)
    bodies = None
    if comment is not None:
        draft, comment_author = comment
        bodies = _comment_bodies(draft)
        events.insert(
            0,
            {
                "type": "Comment",
                "author_id": comment_author,
                "body": bodies[0],
                "html_body": bodies[1],
                "public": draft.public,
            },
        )
    metadata: dict[str, Any] = {"system": {"client": "opsdesk"}, "custom": {}}
    audit_id = repo.add_audit(
        conn,
        {
            "ticket_id": ticket_id,
            "author_id": author_id,
            "via_channel": via.value,
            "events": events,
            "metadata": metadata,
            "created_at": now,
        },
    )
    audit = Audit(
        id=audit_id,
        ticket_id=ticket_id,
        author_id=author_id,
        via_channel=via,
        events=events,
        metadata=metadata,
        created_at=now,
    )
    if comment is None or bodies is None:
        return audit, None
    draft, comment_author = comment
    comment_id = repo.add_comment(
        conn,
        {
            "ticket_id": ticket_id,
            "audit_id": audit_id,
            "author_id": comment_author,
            "body": bodies[0],
            "html_body": bodies[1],
            "public": draft.public,
            "via_channel": via.value,
            "created_at": now,
        },
    )
    files: list[AttachmentMeta] = []
    if draft.uploads:
        attached = repo.attach_uploads(
            conn, draft.uploads, ticket_id=ticket_id, comment_id=comment_id, uploader_id=comment_author
        )
        if attached != len(set(draft.uploads)):
            raise InvalidInput.field("comment.uploads", "unknown or already used upload token")
        files = repo.comments_of_audits(conn, [audit_id])[audit_id].attachments
    written = Comment(
        id=comment_id,
        ticket_id=ticket_id,
        audit_id=audit_id,
        author_id=comment_author,
        body=bodies[0],
        html_body=bodies[1],
        public=draft.public,
        via_channel=via,
        created_at=now,
        attachments=files,
    )
    return audit, written


def _comment_author(conn: Connection, actor: Viewer | None, draft: CommentDraft, fallback: int) -> int:
    if draft.author_id is None:
        return actor.user_id if actor is not None else fallback
    if actor is not None and not actor.is_agent and draft.author_id != actor.user_id:
        raise PermissionDenied("End-users cannot comment as someone else")
    if users_repo.get_user(conn, draft.author_id) is None:
        raise InvalidInput.field("comment.author_id", f"user {draft.author_id} does not exist")
    return draft.author_id


def create_ticket(  # noqa: C901, PLR0912, PLR0915 - each branch is one Zendesk default
    conn: Connection,
    *,
    actor: Viewer | None,
    values: dict[str, Any],
    comment: CommentDraft | None,
    requester: RequesterDraft | None,
    via: Channel,
    now: datetime,
    run_rules: bool = True,
) -> TicketResult:
    """Create a ticket with its first comment (the description) and a Create audit.

    End-users always create for themselves; agents may name any requester, found or created by email.
    """
    row = {
        k: v
        for k, v in values.items()
        if k not in {"tags", "additional_tags", "remove_tags", "custom_fields", "collaborator_ids"}
    }
    if actor is not None and not actor.is_agent:
        forbidden = set(row) - {"subject", "priority", "type", "ticket_form_id", "due_at"}
        if forbidden or requester is not None:
            raise PermissionDenied(f"End-users cannot set {', '.join(sorted(forbidden)) or 'requester'}")
        row["requester_id"] = actor.user_id
    if requester is not None:
        row["requester_id"] = users_service.find_or_create_requester(
            conn, name=requester.name, email=requester.email, now=now
        ).id
    if row.get("requester_id") is None:
        if actor is None:
            raise InvalidInput.field("requester_id", "cannot be blank")
        row["requester_id"] = actor.user_id
    requester_user = users_repo.get_user(conn, row["requester_id"])
    if requester_user is None:
        raise InvalidInput.field("requester_id", f"user {row['requester_id']} does not exist")
    _check_refs(conn, {k: v for k, v in row.items() if k != "requester_id"})
    if row.get("organization_id") is None:
        row["organization_id"] = requester_user.organization_id
    if row.get("assignee_id") is not None and row.get("group_id") is None:
        row["group_id"] = users_repo.get_user(conn, row["assignee_id"]).default_group_id  # type: ignore[union-attr]
    if row.get("group_id") is None and row.get("organization_id") is not None:
        org = orgs_repo.get_organization(conn, row["organization_id"])
        row["group_id"] = org.group_id if org else None
    if comment is None or not (comment.body or comment.html_body):
        raise InvalidInput.field("comment", "a new ticket needs a description (comment.body or comment.html_body)")
    requested = row.pop("status", None)
    default_status = Status.OPEN if row.get("assignee_id") is not None else Status.NEW
    status = Status(requested) if requested is not None else default_status
    if status is Status.CLOSED:
        raise InvalidInput.field("status", "a ticket cannot be created closed")
    if actor is not None and not actor.is_agent and status is not Status.NEW:
        raise PermissionDenied("End-users cannot set a status")
    tags = normalize_tags(values.get("tags", []) + values.get("additional_tags", []))
    custom = clean_custom_fields(conn, values.get("custom_fields", {}))
    description, _ = _comment_bodies(comment)
    submitter_id = actor.user_id if actor is not None else row["requester_id"]
    collaborators = sorted(set(values.get("collaborator_ids", [])))
    _check_collaborators(conn, collaborators)
    ticket = repo.add_ticket(
        conn,
        {
            **row,
            "subject": (row.get("subject") or description.split("\n", 1)[0])[:255],
            "description": description,
            "submitter_id": submitter_id,
            "status": status.value,
            "via_channel": via.value,
            "tags": tags,
            "custom_fields": custom,
            "collaborator_ids": collaborators,
            "followup_ids": [],
            "created_at": now,
            "updated_at": now,
            "status_changed_at": now,
            "solved_at": now if status is Status.SOLVED else None,
        },
    )
    repo.replace_tags(conn, ticket.id, [], tags)
    repo.replace_collaborators(conn, ticket.id, [], collaborators)
    _rearm_status_timers(conn, ticket_id=ticket.id, previous=None, current=status, now=now)
    builder = _AuditBuilder()
    for field in _AUDITED_FIELDS:
        value = getattr(ticket, field)
        if value is not None:
            builder.create(field, value)
    if tags:
        builder.create("tags", tags)
    author = _comment_author(conn, actor, comment, row["requester_id"])
    audit, written = _finish_audit(
        conn, ticket_id=ticket.id, author_id=submitter_id, via=via, builder=builder, comment=(comment, author), now=now
    )
    created = TicketResult(ticket=ticket, audit=audit, comment=written)
    if run_rules:
        created = _follow_change(conn, before=None, result=created, actor=actor, via=via, now=now)
        ticket = created.ticket
    events.publish(
        conn, event_type=events.TICKET_CREATED, subject_key=f"ticket-{ticket.id}", detail=event_detail(ticket), now=now
    )
    if requester_user.email and written is not None:
        events.email_requester(
            conn,
            to=requester_user.email,
            ticket_id=ticket.id,
            comment_id=written.id,
            subject=ticket.subject,
            body=f"We received your request (#{ticket.id}) and will get back to you.\n\n{written.body}",
            first=True,
            now=now,
        )
    return created


def event_detail(ticket: Ticket) -> dict[str, Any]:
    """What a webhook event says about a ticket."""
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value if ticket.priority else None,
        "requester_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id,
        "group_id": ticket.group_id,
        "organization_id": ticket.organization_id,
        "tags": ticket.tags,
    }


def _announce_update(conn: Connection, previous: Ticket, result: TicketResult, mover: Mover, now: datetime) -> None:
    ticket, written = result.ticket, result.comment
    if ticket.status is not previous.status:
        events.publish(
            conn,
            event_type=events.TICKET_STATUS_CHANGED,
            subject_key=f"audit-{result.audit.id}",
            detail={**event_detail(ticket), "previous_status": previous.status.value},
            now=now,
        )
    if written is None:
        return
    events.publish(
        conn,
        event_type=events.TICKET_COMMENT_ADDED,
        subject_key=f"comment-{written.id}",
        detail={
            **event_detail(ticket),
            "comment": {
                "id": written.id,
                "public": written.public,
                "author_id": written.author_id,
                "body": written.body,
            },
        },
        now=now,
    )
    if written.public and mover is Mover.AGENT and written.author_id != ticket.requester_id:
        requester = users_repo.get_user(conn, ticket.requester_id)
        if requester is not None and requester.email:
            events.email_requester(
                conn,
                to=requester.email,
                ticket_id=ticket.id,
                comment_id=written.id,
                subject=ticket.subject,
                body=written.body,
                first=False,
                now=now,
            )


def _rearm_status_timers(
    conn: Connection, *, ticket_id: int, previous: Status | None, current: Status, now: datetime
) -> None:
    """Entering pending or solved starts its timer (built-in settings say after how long, or not
    at all); leaving it cancels the timer."""
    if previous is current:
        return
    if previous in STATUS_TIMERS:
        timers_repo.cancel(conn, kind=STATUS_TIMERS[previous], key=str(ticket_id), now=now)
    if current in STATUS_TIMERS:
        kind = STATUS_TIMERS[current]
        builtins = rules_service.get_builtins(conn)
        hours = builtins.pending_autosolve_hours if current is Status.PENDING else builtins.solved_autoclose_hours
        if hours is not None:
            due_at = now + timedelta(hours=hours)
            timers_repo.arm(conn, kind=kind, key=str(ticket_id), due_at=due_at, payload={}, now=now)


def _check_collaborators(conn: Connection, user_ids: list[int]) -> None:
    missing = sorted(set(user_ids) - set(users_repo.get_users(conn, user_ids)))
    if missing:
        raise InvalidInput.field("collaborator_ids", f"unknown users {missing}")


def update_ticket(  # noqa: C901, PLR0912, PLR0915 - the update pipeline reads top to bottom
    conn: Connection,
    *,
    actor: Viewer | None,
    ticket_id: int,
    values: dict[str, Any],
    comment: CommentDraft | None,
    via: Channel,
    now: datetime,
    run_rules: bool = True,
) -> TicketResult:
    """Apply one update: field changes, tags, an optional comment, and the status rules; then the
    triggers, and the clocks and timers that follow (unless `run_rules` is off: a trigger's own update)."""
    ticket = get_readable_ticket_or_raise(conn, actor, ticket_id) if actor else repo.get_ticket(conn, ticket_id)
    if ticket is None:
        raise NotFound("Ticket", ticket_id)
    mover = _mover(actor)
    if actor is not None and not actor.is_agent:
        if set(values) - {"status"} or values.get("status") not in (None, Status.SOLVED):
            raise PermissionDenied("End-users can only comment on or solve their requests")
        if not can_comment_on_ticket(actor, facts(ticket)):
            raise PermissionDenied("You may view this request but not comment on or solve it")
        if comment is not None and not comment.public:
            raise PermissionDenied("End-users cannot add internal notes")
    if comment is not None and not (comment.body or comment.html_body):
        raise InvalidInput.field("comment", "a comment needs a body or html_body")
    requested = Status(values["status"]) if values.get("status") is not None else None
    public_comment = comment is not None and comment.public
    status = next_status(ticket.status, mover=mover, requested=requested, public_comment=public_comment)
    row = {k: values[k] for k in _AUDITED_FIELDS if k in values and k != "status"}
    _check_refs(conn, {**row, "group_id": row.get("group_id", ticket.group_id)} if "assignee_id" in row else row)
    if "assignee_id" in row and row["assignee_id"] is not None and "group_id" not in row and ticket.group_id is None:
        assignee = users_repo.get_user(conn, row["assignee_id"])
        row["group_id"] = assignee.default_group_id if assignee else None
    row["status"] = status.value
    builder = _AuditBuilder()
    for field, value in row.items():
        previous = getattr(ticket, field)
        previous_wire = previous.value if hasattr(previous, "value") else previous
        if value != previous_wire:
            builder.change(field, value, previous_wire)
    if status is not ticket.status:
        _rearm_status_timers(conn, ticket_id=ticket_id, previous=ticket.status, current=status, now=now)
        row["status_changed_at"] = now
        row["solved_at"] = now if status is Status.SOLVED else (ticket.solved_at if status is Status.CLOSED else None)
    tags = list(ticket.tags)
    if "tags" in values:
        tags = normalize_tags(values["tags"])
    tags = normalize_tags(tags + values.get("additional_tags", []))
    removed = set(normalize_tags(values.get("remove_tags", [])))
    tags = [tag for tag in tags if tag not in removed]
    if tags != ticket.tags:
        builder.change("tags", tags, ticket.tags)
        repo.replace_tags(conn, ticket_id, ticket.tags, tags)
        row["tags"] = tags
    if "custom_fields" in values:
        custom = {**ticket.custom_fields, **clean_custom_fields(conn, values["custom_fields"])}
        if custom != ticket.custom_fields:
            builder.change("custom_fields", custom, ticket.custom_fields)
            row["custom_fields"] = custom
    if "collaborator_ids" in values:
        collaborators = sorted(set(values["collaborator_ids"]))
        _check_collaborators(conn, collaborators)
        if collaborators != ticket.collaborator_ids:
            builder.change("collaborator_ids", collaborators, ticket.collaborator_ids)
            repo.replace_collaborators(conn, ticket_id, ticket.collaborator_ids, collaborators)
            row["collaborator_ids"] = collaborators
    row["updated_at"] = now
    updated = repo.change_ticket_returning(conn, ticket_id, row)
    author_id = actor.user_id if actor is not None else None
    comment_pair = (comment, _comment_author(conn, actor, comment, ticket.requester_id)) if comment else None
    audit, written = _finish_audit(
        conn, ticket_id=ticket_id, author_id=author_id, via=via, builder=builder, comment=comment_pair, now=now
    )
    result = TicketResult(ticket=updated, audit=audit, comment=written)
    _announce_update(conn, ticket, result, mover, now)
    if run_rules:
        result = _follow_change(conn, before=ticket, result=result, actor=actor, via=via, now=now)
    return result


def _follow_change(
    conn: Connection, *, before: Ticket | None, result: TicketResult, actor: Viewer | None, via: Channel, now: datetime
) -> TicketResult:
    """Run the triggers on a change, apply what they did as one update by the rules, queue the
    notifications they asked for, then move the ticket's clocks and timers."""
    state = workflow.state_of(result.ticket)
    written = result.comment
    actor_id = actor.user_id if actor is not None else None
    update = Update(
        is_create=before is None,
        via_channel=via.value,
        actor_id=actor_id,
        actor_role=actor.role.value if actor is not None else None,
        previous=workflow.state_of(before) if before is not None else None,
        comment_public=written.public if written is not None else None,
        comment_body=written.body if written is not None else "",
        comment_author_is_requester=written is not None and written.author_id == result.ticket.requester_id,
    )
    outcome = rules_service.run_triggers(conn, state=state, update=update)
    final = result
    changes = workflow.changed_values(state, outcome.state)
    if changes:
        savepoint = conn.begin_nested()
        try:
            ruled = update_ticket(
                conn,
                actor=None,
                ticket_id=result.ticket.id,
                values=changes,
                comment=None,
                via=Channel.RULE,
                now=now,
                run_rules=False,
            )
        except InvalidInput as exc:  # a trigger asked for something the ticket rules refuse
            savepoint.rollback()
            log.warning("triggers %s on ticket %s were not applied: %s", outcome.fired, result.ticket.id, exc)
        else:
            savepoint.commit()
            final = TicketResult(ticket=ruled.ticket, audit=result.audit, comment=written)
    rules_service.queue_notifications(
        conn,
        outcome.notifications,
        state=workflow.state_of(final.ticket),
        actor_id=actor_id,
        occasion=f"audit-{result.audit.id}",
        now=now,
    )
    change = Change(
        at=now,
        created=before is None,
        status_before=before.status.value if before is not None else None,
        status_after=final.ticket.status.value,
        assignee_before=before.assignee_id if before is not None else None,
        assignee_after=final.ticket.assignee_id,
        actor_id=written.author_id if written is not None else actor_id,
        actor_is_agent=actor is not None and actor.is_agent,
        requester_id=final.ticket.requester_id,
        comment_public=written.public if written is not None else None,
    )
    workflow.track_change(conn, before=before, after=final.ticket, change=change)
    return final


def reply_as_requester(
    conn: Connection, *, actor: Viewer, ticket_id: int, comment: CommentDraft, solve: bool, via: Channel, now: datetime
) -> TicketResult:
    """An end-user's reply through the Requests API. On a closed ticket it opens a linked follow-up."""
    ticket = get_readable_ticket_or_raise(conn, actor, ticket_id)
    if ticket.status is Status.CLOSED:
        if not can_comment_on_ticket(actor, facts(ticket)):
            raise PermissionDenied("You may view this request but not comment on it")
        return create_followup(conn, actor=actor, source=ticket, comment=comment, now=now)
    values: dict[str, Any] = {"status": Status.SOLVED} if solve else {}
    return update_ticket(conn, actor=actor, ticket_id=ticket_id, values=values, comment=comment, via=via, now=now)


def create_followup(
    conn: Connection, *, actor: Viewer, source: Ticket, comment: CommentDraft, now: datetime
) -> TicketResult:
    """A new ticket linked to a closed one, carrying over its subject, people and tags."""
    result = create_ticket(
        conn,
        actor=None,
        values={
            "subject": source.subject,
            "requester_id": actor.user_id,
            "organization_id": source.organization_id,
            "group_id": source.group_id,
            "assignee_id": source.assignee_id,
            "followup_source_id": source.id,
            "tags": list(source.tags),
        },
        comment=CommentDraft(body=comment.body, html_body=comment.html_body, public=True, uploads=comment.uploads),
        requester=None,
        via=Channel.FOLLOWUP,
        now=now,
    )
    repo.change_ticket(conn, source.id, {"followup_ids": [*source.followup_ids, result.ticket.id]})
    return result


def merge_tickets(
    conn: Connection,
    *,
    actor: Viewer,
    target_id: int,
    source_ids: list[int],
    target_comment: str | None,
    source_comment: str | None,
    target_comment_is_public: bool,
    source_comment_is_public: bool,
    now: datetime,
) -> Ticket:
    """Merge each source into the target: sources close with the merge tags; both sides get a comment."""
    if not actor.is_agent:
        raise PermissionDenied("Only agents can merge tickets")
    if not source_ids:
        raise InvalidInput.field("ids", "name at least one ticket to merge")
    if target_id in source_ids:
        raise InvalidInput.field("ids", "a ticket cannot be merged into itself")
    target = get_readable_ticket_or_raise(conn, actor, target_id)
    if target.status is Status.CLOSED:
        raise InvalidInput.field("target", f"ticket {target_id} is closed")
    sources = [get_readable_ticket_or_raise(conn, actor, source_id) for source_id in source_ids]
    for source in sources:
        if source.status is Status.CLOSED:
            raise InvalidInput.field("ids", f"ticket {source.id} is closed")
    for source in sources:
        note = source_comment or f'This request was closed and merged into request #{target.id} "{target.subject}".'
        update_ticket(
            conn,
            actor=None,
            ticket_id=source.id,
            values={"status": Status.CLOSED, "additional_tags": list(MERGE_TAGS)},
            comment=CommentDraft(body=note, public=source_comment_is_public, author_id=actor.user_id),
            via=Channel.MERGE,
            now=now,
        )
        repo.change_ticket(conn, source.id, {"updated_at": now})
    summary = target_comment or "\n".join(
        f'Request #{source.id} "{source.subject}" was closed and merged into this request. Last comment in '
        f"request #{source.id}:\n\n{source.description}"
        for source in sources
    )
    result = update_ticket(
        conn,
        actor=None,
        ticket_id=target.id,
        values={},
        comment=CommentDraft(body=summary, public=target_comment_is_public, author_id=actor.user_id),
        via=Channel.MERGE,
        now=now,
    )
    return result.ticket


def delete_ticket(conn: Connection, *, actor: Viewer, ticket_id: int, now: datetime) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can delete tickets")
    get_readable_ticket_or_raise(conn, actor, ticket_id)
    repo.change_ticket(conn, ticket_id, {"deleted_at": now, "updated_at": now})
