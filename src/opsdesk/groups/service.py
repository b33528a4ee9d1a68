"""Group use cases. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from opsdesk.core.generation import access_changed
from opsdesk.groups import repo
from opsdesk.groups.model import Group, GroupMembership
from opsdesk.tickets.access import Role, Viewer
from opsdesk.users import repo as users_repo


def get_group_or_raise(conn: Connection, group_id: int) -> Group:
    group = repo.get_group(conn, group_id)
    if group is None:
        raise NotFound("Group", group_id)
    return group


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can manage groups")


def _check_name(conn: Connection, name: object, group_id: int | None) -> str:
    text = str(name or "").strip()
    if not text:
        raise InvalidInput.field("name", "cannot be blank")
    existing = repo.get_group_id_by_name(conn, text)
    if existing is not None and existing != group_id:
        raise Conflict(f"Name: {text} has already been taken", field="name")
    return text


def create_group(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> Group:
    _require_admin(actor)
    name = _check_name(conn, values.get("name"), None)
    group_id = repo.add_group(
        conn,
        {
            "name": name,
            "description": values.get("description") or "",
            "default": bool(values.get("default", False)),
            "created_at": now,
            "updated_at": now,
        },
    )
    return get_group_or_raise(conn, group_id)


def update_group(conn: Connection, *, actor: Viewer, group_id: int, values: dict[str, Any], now: datetime) -> Group:
    _require_admin(actor)
    get_group_or_raise(conn, group_id)
    row: dict[str, Any] = {"updated_at": now}
    if "name" in values:
        row["name"] = _check_name(conn, values["name"], group_id)
    if "description" in values:
        row["description"] = values["description"] or ""
    if "default" in values:
        row["default"] = bool(values["default"])
    repo.change_group(conn, group_id, row)
    return get_group_or_raise(conn, group_id)


def delete_group(conn: Connection, *, actor: Viewer, group_id: int, now: datetime) -> None:
    _require_admin(actor)
    get_group_or_raise(conn, group_id)
    repo.change_group(conn, group_id, {"deleted": True, "updated_at": now})


def add_agent_to_group(conn: Connection, *, user_id: int, group_id: int, now: datetime) -> GroupMembership:
    existing = repo.find_group_membership(conn, user_id, group_id)
    if existing is not None:
        return existing
    first = not repo.group_ids_of_user(conn, user_id)
    membership_id = repo.add_group_membership(conn, user_id=user_id, group_id=group_id, default=first, now=now)
    access_changed(conn)
    if first:
        users_repo.change_user(conn, user_id, {"default_group_id": group_id})
    membership = repo.get_group_membership(conn, membership_id)
    assert membership is not None
    return membership


def create_group_membership(
    conn: Connection, *, actor: Viewer, user_id: int, group_id: int, now: datetime
) -> GroupMembership:
    _require_admin(actor)
    user = users_repo.get_user(conn, user_id)
    if user is None:
        raise InvalidInput.field("user_id", f"user {user_id} does not exist")
    if user.role is Role.END_USER:
        raise InvalidInput.field("user_id", "only agents can belong to groups")
    get_group_or_raise(conn, group_id)
    if repo.find_group_membership(conn, user_id, group_id) is not None:
        raise Conflict("Agent is already a member of this group", field="user_id")
    return add_agent_to_group(conn, user_id=user_id, group_id=group_id, now=now)


def delete_group_membership(conn: Connection, *, actor: Viewer, membership_id: int) -> None:
    _require_admin(actor)
    if repo.get_group_membership(conn, membership_id) is None:
        raise NotFound("GroupMembership", membership_id)
    repo.remove_group_membership(conn, membership_id)
    access_changed(conn)
