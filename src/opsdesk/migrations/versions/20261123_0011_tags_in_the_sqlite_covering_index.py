"""tags in the SQLite covering index of live tickets

SQLite only: `ix_tickets_live_facets` gains the ticket's JSON tag list, so view conditions on tags
are answered inside the index (`tickets/tag_match.py`). PostgreSQL keeps its index: a btree entry
cannot hold an unbounded tag list, and it looks tags up in `ticket_tags`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 03:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FACETS = [
    "status",
    "group_id",
    "priority",
    "assignee_id",
    "type",
    "via_channel",
    "organization_id",
    "status_changed_at",
    "updated_at",
    "deleted_at",
]
_LIVE = sa.text("deleted_at IS NULL")


def _recreate(columns: list[str]) -> None:
    op.drop_index("ix_tickets_live_facets", table_name="tickets", sqlite_where=_LIVE)
    op.create_index("ix_tickets_live_facets", "tickets", columns, unique=False, sqlite_where=_LIVE)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate([*_FACETS, "tags"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate(_FACETS)
