"""An in-process counter that moves whenever who-may-do-what changes (users, tokens, memberships).

Caches of authenticated callers compare against it, so a revoked token or a changed sharing
setting takes effect at once in this process; other processes rely on the caches' short lifetime.
"""

from __future__ import annotations

import itertools
import threading

from sqlalchemy import Connection

_counter = itertools.count(1)
_current = 0
_lock = threading.Lock()


def access_generation() -> int:
    return _current


def access_changed(conn: Connection | None = None) -> None:
    """Call after changing anything that an access decision reads.

    With the transaction's connection, the counter moves again after the commit
    (`core.db.uow.writing`), so nothing read from the old snapshot meanwhile is kept.
    """
    global _current  # noqa: PLW0603 - the one process-wide counter
    with _lock:
        _current = next(_counter)
    if conn is not None:
        conn.info["access_changed"] = True
