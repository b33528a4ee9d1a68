"""Configuration versions: a counter per kind of configuration (rules, SLA policies, schedules,
built-ins), moved in the transaction that changes it.

Every process caches what it compiled from the configuration together with the version it read,
and reads the versions once per ticket change (one small query), so a change made through any
API process takes effect in every other process at its next ticket change.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Column, Connection, Engine, Integer, String, Table, insert, select, update

from opsdesk.core.db.naming import metadata

config_versions = Table(
    "config_versions",
    metadata,
    # "rules", "sla", "schedules", "builtins"
    Column("name", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
)

T = TypeVar("T")


def bump(conn: Connection, name: str) -> None:
    """Move `name`'s version; call in the transaction that changes that configuration."""
    conn.info.setdefault("bumped_versions", set()).add(name)
    changed = conn.execute(
        update(config_versions).where(config_versions.c.name == name).values(version=config_versions.c.version + 1)
    ).rowcount
    if not changed:
        conn.execute(insert(config_versions).values(name=name, version=1))


def current(conn: Connection) -> dict[str, int]:
    """Every configuration's version, as this transaction sees them (one query)."""
    return {row.name: row.version for row in conn.execute(select(config_versions.c.name, config_versions.c.version))}


class VersionedCache(Generic[T]):
    """One value per database (engine) per process, rebuilt when the configuration's version moves."""

    def __init__(self, name: str, build: Callable[[Connection], T]) -> None:
        self._name = name
        self._build = build
        self._lock = threading.Lock()
        self._held: weakref.WeakKeyDictionary[Engine, tuple[int, T]] = weakref.WeakKeyDictionary()

    def get(self, conn: Connection, versions: dict[str, int] | None = None) -> T:
        """The value for the version this transaction sees; pass `versions` read once per change."""
        if self._name in conn.info.get("bumped_versions", ()):
            return self._build(conn)  # changed by this transaction, which may yet roll back: not cached
        version = (versions if versions is not None else current(conn)).get(self._name, 0)
        held = self._held.get(conn.engine)
        if held is not None and held[0] == version:
            return held[1]
        value = self._build(conn)
        with self._lock:
            self._held[conn.engine] = (version, value)
        return value
