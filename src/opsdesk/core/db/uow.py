"""Units of work: one transaction per service call. Repositories never commit; these do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from opsdesk.core.generation import access_changed


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A read-write transaction, committed when the block ends and rolled back on any error."""
    with engine.connect() as conn:
        conn.info["write"] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info["write"] = False
            if conn.info.pop("access_changed", False):
                access_changed()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: one consistent snapshot for the whole request."""
    with engine.connect() as conn, conn.begin():
        yield conn
