"""Alembic migrations (shipped inside the package so `opsdesk migrate` works when installed)."""
