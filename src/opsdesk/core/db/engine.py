"""Engines for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 5000


def _json_dumps(value: Any) -> str:  # noqa: ANN401 - any JSON value
    return orjson.dumps(value).decode()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in {"psycopg2", "default"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.query.get("poolclass") == "null":
        return create_engine(parsed.difference_update_query(["poolclass"]), poolclass=NullPool)
    return create_engine(
        parsed,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API object
    # The driver's own transaction handling is turned off so that `_sqlite_on_begin` can issue
    # BEGIN IMMEDIATE: writers then queue on the busy timeout instead of failing on upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:  # noqa: ANN401 - SQLAlchemy connection
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get("write") else "BEGIN")


BITMAP_WORK_MEM = "64MB"


def allow_large_bitmaps(conn: Any) -> None:  # noqa: ANN401 - a SQLAlchemy Connection
    """PostgreSQL, for this transaction: room for exact bitmaps. A full-text match over a million
    comments touches most heap pages; with the default 4 MB the bitmap turns lossy and every row
    on those pages is re-tokenised to recheck it (measured: 15.8 s instead of well under a second)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{BITMAP_WORK_MEM}'")
