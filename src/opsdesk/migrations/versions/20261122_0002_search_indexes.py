"""Full-text search indexes that live in the database and change with the data.

SQLite: FTS5 tables over ticket subjects and comment bodies, kept in step by triggers in the
same transaction. PostgreSQL: GIN indexes over `to_tsvector('simple', ...)` of the same columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (FTS table, content table, indexed column)
_INDEXED = (("tickets_fts", "tickets", "subject"), ("ticket_comments_fts", "ticket_comments", "body"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for fts, table, column in _INDEXED:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 2')"
            )
            op.execute(f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table}")
            op.execute(
                f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
            )
            op.execute(
                f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END"
            )
            op.execute(
                f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
            )
        return
    for _fts, table, column in _INDEXED:
        op.execute(
            f"CREATE INDEX ix_{table}_{column}_tsv ON {table} USING gin (to_tsvector('simple', {column}))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for fts, _table, _column in _INDEXED:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        return
    for _fts, table, column in _INDEXED:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_tsv")
