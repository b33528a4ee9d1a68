"""Migrations upgrade from empty, match the models, and survive a downgrade and upgrade again."""

from __future__ import annotations

from sqlalchemy import inspect

from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import check, downgrade, upgrade
from opsdesk.core.db.schema import metadata


def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_have_no_drift_from_migrations(database_url: str) -> None:
    check(database_url)


def test_downgrade_then_upgrade_round_trip(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url, pool_size=1)
    try:
        assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    upgrade(database_url)
    check(database_url)
