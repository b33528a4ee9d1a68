"""Queries for users and tokens. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from opsdesk.core.security import token_digest
from opsdesk.tickets.access import Role
from opsdesk.users.model import User
from opsdesk.users.tables import api_tokens, users


def to_user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        organization_id=row.organization_id,
        default_group_id=row.default_group_id,
        ticket_restriction=row.ticket_restriction,
        shared_comments=row.shared_comments,
        external_id=row.external_id,
        phone=row.phone,
        time_zone=row.time_zone,
        locale=row.locale,
        details=row.details,
        notes=row.notes,
        tags=list(row.tags),
        user_fields=dict(row.user_fields),
        active=row.active,
        suspended=row.suspended,
        verified=row.verified,
        has_password=row.password_hash is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return to_user(row) if row else None


def get_users(conn: Connection, user_ids: Sequence[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = conn.execute(select(users).where(users.c.id.in_(set(user_ids))))
    return {row.id: to_user(row) for row in rows}


def get_user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(users).where(users.c.email == email)).first()
    return to_user(row) if row else None


def get_user_id_by_external_id(conn: Connection, external_id: str) -> int | None:
    return conn.execute(select(users.c.id).where(users.c.external_id == external_id)).scalar()


def get_password_hash(conn: Connection, email: str) -> tuple[int, str | None] | None:
    row = conn.execute(select(users.c.id, users.c.password_hash).where(users.c.email == email)).first()
    return (row.id, row.password_hash) if row else None


def get_user_id_by_token(conn: Connection, token: str) -> int | None:
    row = conn.execute(
        select(api_tokens.c.user_id).where(
            api_tokens.c.token_digest == token_digest(token), api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    return row.user_id if row else None


def add_user(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(users).values(**values).returning(users.c.id))
    return int(result.scalar_one())


def change_user(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def add_token(conn: Connection, *, user_id: int, token: str, description: str, now: datetime) -> int:
    result = conn.execute(
        insert(api_tokens)
        .values(
            user_id=user_id,
            token_digest=token_digest(token),
            token_hint=token[:4],
            description=description,
            created_at=now,
        )
        .returning(api_tokens.c.id)
    )
    return int(result.scalar_one())


def list_tokens(conn: Connection, user_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)))


def revoke_token(conn: Connection, *, token_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return result.rowcount > 0
