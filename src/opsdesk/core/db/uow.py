"""Units of work: one transaction per service call. Repositories never commit; these do.

SQLite allows one writer at a time. Writers in this process queue on a lock instead of on
SQLite's busy handler, which sleeps in growing steps and turns a short queue into long tails;
other processes still wait on the busy timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Connection, Engine

from opsdesk.core.generation import access_changed

_sqlite_writers: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _registry_lock:
        return _sqlite_writers.setdefault(key, threading.Lock())


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A read-write transaction, committed when the block ends and rolled back on any error."""
    with ExitStack() as stack:
        lock = _writer_lock(engine)
        if lock is not None:
            stack.enter_context(lock)
        conn = stack.enter_context(engine.connect())
        conn.info["write"] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info["write"] = False
            conn.info.pop("bumped_versions", None)  # core/versions.py: per transaction
            if conn.info.pop("access_changed", False):
                access_changed()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: one consistent snapshot for the whole request."""
    with engine.connect() as conn, conn.begin():
        yield conn
