"""Tables for tickets, their tags, CCs, comments, attachments and audits."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", String(255), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("requester_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("submitter_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("assignee_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("group_id", Integer, ForeignKey("groups.id"), nullable=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Column("ticket_form_id", Integer, ForeignKey("ticket_forms.id"), nullable=True),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=True),
    Column("type", String(16), nullable=True),
    Column("via_channel", String(32), nullable=False),
    Column("external_id", String(255), nullable=True),
    Column("tags", JSONValue, nullable=False),
    Column("custom_fields", JSONValue, nullable=False),
    # Copies of ticket_collaborators and of the follow-ups' links, so one row answers a show.
    Column("collaborator_ids", JSONValue, nullable=False),
    Column("followup_ids", JSONValue, nullable=False),
    Column("followup_source_id", Integer, ForeignKey("tickets.id"), nullable=True),
    Column("problem_id", Integer, ForeignKey("tickets.id"), nullable=True),
    Column("due_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("solved_at", UTCDateTime, nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True),
)
# Lists, counts, views and searches only ever read live tickets: partial indexes over them answer
# a count from the index alone, without a visit to each row to check `deleted_at`.
_LIVE = tickets.c.deleted_at.is_(None)
for _name, _columns in (
    # Leading with status, every column a view or search may filter on: a count of "unsolved,
    # Tier 1, normal priority, by email, updated a day ago" reads this index alone. On SQLite
    # migration 0011 appends the JSON tag list, for tag conditions (tickets/tag_match.py).
    (
        "facets",
        (
            tickets.c.status,
            tickets.c.group_id,
            tickets.c.priority,
            tickets.c.assignee_id,
            tickets.c.type,
            tickets.c.via_channel,
            tickets.c.organization_id,
            tickets.c.status_changed_at,
            tickets.c.updated_at,
        ),
    ),
    ("updated_at", (tickets.c.updated_at,)),
    ("requester_status", (tickets.c.requester_id, tickets.c.status)),
    ("assignee_status", (tickets.c.assignee_id, tickets.c.status)),
    ("group_status", (tickets.c.group_id, tickets.c.status)),
    ("organization_status", (tickets.c.organization_id, tickets.c.status)),
    ("priority_status", (tickets.c.priority, tickets.c.status)),
):
    # deleted_at closes each key so that SQLite sees the index as covering (its planner does not
    # infer the column from the partial condition); it is always NULL, so it costs nothing.
    Index(f"ix_tickets_live_{_name}", *_columns, tickets.c.deleted_at, sqlite_where=_LIVE, postgresql_where=_LIVE)
Index("ix_tickets_updated_at_id", tickets.c.updated_at, tickets.c.id)
Index("ix_tickets_followup_source_id", tickets.c.followup_source_id)

ticket_tags = Table(
    "ticket_tags",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(255), primary_key=True),
)
Index("ix_ticket_tags_tag", ticket_tags.c.tag)

ticket_collaborators = Table(
    "ticket_collaborators",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_ticket_collaborators_user_id", ticket_collaborators.c.user_id)

ticket_audits = Table(
    "ticket_audits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("via_channel", String(32), nullable=False),
    Column("events", JSONValue, nullable=False),
    Column("metadata", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

Index("ix_ticket_audits_created_at_id", ticket_audits.c.created_at, ticket_audits.c.id)

ticket_comments = Table(
    "ticket_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("audit_id", Integer, ForeignKey("ticket_audits.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("public", Boolean, nullable=False),
    Column("via_channel", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_ticket_comments_ticket_id_id", ticket_comments.c.ticket_id, ticket_comments.c.id)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("upload_token", String(64), nullable=False, unique=True),
    Column("uploader_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("comment_id", Integer, ForeignKey("ticket_comments.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
