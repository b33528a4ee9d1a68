"""Uploads and attachments: a file is uploaded first, then attached by token to a comment.

Reading an attachment goes through the ticket's access check, and an internal note's files are
for agents only; an upload not yet attached is visible to its uploader alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from opsdesk.core.errors import InvalidInput, NotFound
from opsdesk.tickets import repo
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.service import get_readable_ticket_or_raise
from opsdesk.tickets.tables import ticket_comments

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    token: str
    file_name: str
    content_type: str
    size: int
    content: bytes


def upload(
    conn: Connection, *, actor: Viewer, file_name: str, content_type: str, content: bytes, now: datetime
) -> Attachment:
    name = file_name.strip().rsplit("/", 1)[-1][:255]
    if not name:
        raise InvalidInput.field("filename", "cannot be blank")
    if not content:
        raise InvalidInput.field("file", "is empty")
    token = secrets.token_urlsafe(24)
    attachment_id = repo.add_attachment(
        conn,
        {
            "upload_token": token,
            "uploader_id": actor.user_id,
            "file_name": name,
            "content_type": content_type or "application/octet-stream",
            "size": len(content),
            "content": content,
            "created_at": now,
        },
    )
    return Attachment(attachment_id, token, name, content_type, len(content), content)


def get_readable_attachment_or_raise(conn: Connection, viewer: Viewer, attachment_id: int) -> Attachment:
    row = repo.get_attachment(conn, attachment_id)
    if row is None:
        raise NotFound("Attachment", attachment_id)
    if row.ticket_id is None:
        if row.uploader_id != viewer.user_id:
            raise NotFound("Attachment", attachment_id)
    else:
        get_readable_ticket_or_raise(conn, viewer, row.ticket_id)
        public = conn.execute(
            ticket_comments.select()
            .with_only_columns(ticket_comments.c.public)
            .where(ticket_comments.c.id == row.comment_id)
        ).scalar()
        if not public and not viewer.is_agent:
            raise NotFound("Attachment", attachment_id)
    return Attachment(row.id, row.upload_token, row.file_name, row.content_type, row.size, bytes(row.content))
