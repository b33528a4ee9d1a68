"""Alembic environment: batch mode for SQLite, the shared naming convention, compare types."""

from __future__ import annotations

from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.schema import metadata

config = context.config


# Indexes a migration shapes by hand for one database, which the models cannot say: on SQLite,
# migration 0011 appends the JSON tag list to the live tickets' covering index.
_SHAPED_BY_HAND = {"sqlite": {"ix_tickets_live_facets"}}


def _include(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Leave out the full-text search objects that migration 0002 makes by hand (FTS5 tables, GIN
    indexes), and the indexes shaped by hand for this database."""

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:  # noqa: ARG001 - Alembic's hook signature
        if name is None:
            return True
        if type_ == "table" and "_fts" in name:
            return False
        if type_ == "index" and name in _SHAPED_BY_HAND.get(dialect, set()):
            return False
        return not (type_ == "index" and name.endswith("_tsv"))

    return include


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url or pass a connection"
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    msg = "offline migrations are not supported; run `opsdesk migrate` against a database"
    raise SystemExit(msg)
run_migrations_online()
