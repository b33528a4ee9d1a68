"""Queries for groups and group memberships. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from opsdesk.groups.model import Group, GroupMembership
from opsdesk.groups.tables import group_memberships, groups


def to_group(row: Row[Any]) -> Group:
    return Group(
        id=row.id,
        name=row.name,
        description=row.description,
        default=row.default,
        deleted=row.deleted,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_group_membership(row: Row[Any]) -> GroupMembership:
    return GroupMembership(
        id=row.id,
        user_id=row.user_id,
        group_id=row.group_id,
        default=row.default,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_group(conn: Connection, group_id: int) -> Group | None:
    row = conn.execute(select(groups).where(groups.c.id == group_id, groups.c.deleted.is_(False))).first()
    return to_group(row) if row else None


def get_group_id_by_name(conn: Connection, name: str) -> int | None:
    return conn.execute(select(groups.c.id).where(groups.c.name == name, groups.c.deleted.is_(False))).scalar()


def add_group(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(groups).values(**values).returning(groups.c.id)).scalar_one())


def change_group(conn: Connection, group_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(groups).where(groups.c.id == group_id).values(**values))


def group_ids_of_user(conn: Connection, user_id: int) -> frozenset[int]:
    rows = conn.execute(select(group_memberships.c.group_id).where(group_memberships.c.user_id == user_id))
    return frozenset(row.group_id for row in rows)


def get_group_membership(conn: Connection, membership_id: int) -> GroupMembership | None:
    row = conn.execute(select(group_memberships).where(group_memberships.c.id == membership_id)).first()
    return to_group_membership(row) if row else None


def find_group_membership(conn: Connection, user_id: int, group_id: int) -> GroupMembership | None:
    row = conn.execute(
        select(group_memberships).where(
            group_memberships.c.user_id == user_id, group_memberships.c.group_id == group_id
        )
    ).first()
    return to_group_membership(row) if row else None


def add_group_membership(conn: Connection, *, user_id: int, group_id: int, default: bool, now: datetime) -> int:
    result = conn.execute(
        insert(group_memberships)
        .values(user_id=user_id, group_id=group_id, default=default, created_at=now, updated_at=now)
        .returning(group_memberships.c.id)
    )
    return int(result.scalar_one())


def remove_group_membership(conn: Connection, membership_id: int) -> None:
    conn.execute(delete(group_memberships).where(group_memberships.c.id == membership_id))
