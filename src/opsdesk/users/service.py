"""User use cases: create, update, passwords, tokens, and building the `Viewer` of a request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from opsdesk.core.generation import access_changed
from opsdesk.core.security import hash_password, new_token
from opsdesk.groups import repo as groups_repo
from opsdesk.organizations import repo as orgs_repo
from opsdesk.organizations import service as orgs_service
from opsdesk.tickets.access import Role, Viewer, org_access
from opsdesk.tickets.model import normalize_tags
from opsdesk.users import repo
from opsdesk.users.model import (
    AGENT_RESTRICTIONS,
    END_USER_RESTRICTIONS,
    MIN_PASSWORD_LENGTH,
    User,
    email_domain,
    looks_like_email,
    normalize_email,
)

USER_COLUMNS = (
    "name",
    "email",
    "role",
    "organization_id",
    "default_group_id",
    "ticket_restriction",
    "shared_comments",
    "external_id",
    "phone",
    "time_zone",
    "locale",
    "details",
    "notes",
    "tags",
    "user_fields",
    "suspended",
    "verified",
)


def get_user_or_raise(conn: Connection, user_id: int) -> User:
    user = repo.get_user(conn, user_id)
    if user is None:
        raise NotFound("User", user_id)
    return user


def load_viewer(conn: Connection, user_id: int, *, user: User | None = None) -> Viewer | None:
    """The access-check view of a user, or None for an unknown, inactive or suspended one."""
    user = user if user is not None else repo.get_user(conn, user_id)
    if user is None or not user.active or user.suspended:
        return None
    if user.role is not Role.END_USER:
        return Viewer(
            user_id=user.id,
            role=user.role,
            email=user.email,
            group_ids=groups_repo.group_ids_of_user(conn, user.id),
            agent_restriction=user.ticket_restriction if user.ticket_restriction in AGENT_RESTRICTIONS else None,
        )
    access = {
        org_id: org_access(
            org_shared_tickets=shared_tickets,
            org_shared_comments=shared_comments,
            user_ticket_restriction=user.ticket_restriction,
            user_shared_comments=user.shared_comments,
        )
        for org_id, shared_tickets, shared_comments in orgs_repo.sharing_of_user(conn, user.id)
    }
    return Viewer(user_id=user.id, role=user.role, email=user.email, organizations=access)


def _check_values(  # noqa: C901 - one check per attribute
    conn: Connection, values: dict[str, Any], user_id: int | None, role: Role
) -> dict[str, Any]:
    row = {k: values[k] for k in USER_COLUMNS if k in values}
    if "name" in row:
        row["name"] = str(row["name"]).strip()
        if not row["name"]:
            raise InvalidInput.field("name", "cannot be blank")
    if row.get("email") is not None:
        email = normalize_email(row["email"])
        if not looks_like_email(email):
            raise InvalidInput.field("email", f"{row['email']} is not properly formatted")
        existing = repo.get_user_by_email(conn, email)
        if existing is not None and existing.id != user_id:
            raise Conflict(f"Email: {email} is already being used by another user", field="email")
        row["email"] = email
    if "email" in row and row["email"] is None and role is not Role.END_USER:
        raise InvalidInput.field("email", "agents and admins sign in with their email; it cannot be removed")
    restriction = row.get("ticket_restriction")
    allowed = END_USER_RESTRICTIONS if role is Role.END_USER else AGENT_RESTRICTIONS
    if restriction is not None and restriction not in allowed:
        raise InvalidInput.field("ticket_restriction", f"{restriction!r} is not valid for a user with role {role}")
    if row.get("organization_id") is not None and orgs_repo.get_organization(conn, row["organization_id"]) is None:
        raise InvalidInput.field("organization_id", f"organization {row['organization_id']} does not exist")
    if row.get("default_group_id") is not None and groups_repo.get_group(conn, row["default_group_id"]) is None:
        raise InvalidInput.field("default_group_id", f"group {row['default_group_id']} does not exist")
    if row.get("external_id") is not None:
        existing_id = repo.get_user_id_by_external_id(conn, row["external_id"])
        if existing_id is not None and existing_id != user_id:
            raise Conflict(f"External: {row['external_id']} has already been taken", field="external_id")
    if "tags" in row:
        row["tags"] = normalize_tags(row["tags"])
    return row


def _require_may_manage(actor: Viewer, role: Role) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can manage users")
    if role is not Role.END_USER and not actor.is_admin:
        raise PermissionDenied("Only admins can manage agents and admins")


def create_user(conn: Connection, *, actor: Viewer | None, values: dict[str, Any], now: datetime) -> User:
    """Create a user; an end-user whose email domain an organization claims joins it.

    `actor=None` is the system itself (CLI, demo, email intake).
    """
    role = Role(values.get("role") or Role.END_USER)
    if actor is not None:
        _require_may_manage(actor, role)
    if not values.get("name"):
        raise InvalidInput.field("name", "cannot be blank")
    row = _check_values(conn, values, None, role)
    row["role"] = role.value
    row.setdefault("tags", [])
    row.setdefault("user_fields", {})
    password = values.get("password")
    if password is not None:
        row["password_hash"] = _hashed(password)
    org_id = row.pop("organization_id", None)
    if org_id is None and role is Role.END_USER and row.get("email"):
        org_id = orgs_repo.get_org_id_by_domain(conn, email_domain(row["email"]))
    user_id = repo.add_user(conn, {**row, "created_at": now, "updated_at": now})
    if org_id is not None:
        orgs_service.add_member(conn, user_id=user_id, org_id=org_id, now=now)
    return get_user_or_raise(conn, user_id)


def find_or_create_requester(conn: Connection, *, name: str | None, email: str, now: datetime) -> User:
    """The end-user with this email, created on first sight (tickets by email or API)."""
    existing = repo.get_user_by_email(conn, normalize_email(email))
    if existing is not None:
        return existing
    display = name or email.split("@", 1)[0]
    return create_user(conn, actor=None, values={"name": display, "email": email}, now=now)


def update_user(conn: Connection, *, actor: Viewer, user_id: int, values: dict[str, Any], now: datetime) -> User:
    user = get_user_or_raise(conn, user_id)
    own = actor.user_id == user_id
    if not own:
        _require_may_manage(actor, user.role)
    elif not actor.is_agent and set(values) - {"name", "phone", "time_zone", "locale"}:
        raise PermissionDenied("End-users may change only their name, phone, time zone and locale")
    role = Role(values["role"]) if values.get("role") else user.role
    if role is not user.role and not actor.is_admin:
        raise PermissionDenied("Only admins can change roles")
    if role is not user.role and own:
        raise PermissionDenied("Admins cannot change their own role; ask another admin")
    row = _check_values(conn, values, user_id, role)
    row["role"] = role.value
    org_id = row.pop("organization_id", None)
    repo.change_user(conn, user_id, {**row, "updated_at": now})
    access_changed(conn)
    if org_id is not None and org_id != user.organization_id:
        orgs_service.add_member(conn, user_id=user_id, org_id=org_id, now=now)
        repo.change_user(conn, user_id, {"organization_id": org_id})
    return get_user_or_raise(conn, user_id)


def _hashed(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.field("password", f"must be a string of at least {MIN_PASSWORD_LENGTH} characters")
    return hash_password(password)


def set_password(conn: Connection, *, actor: Viewer, user_id: int, password: object, now: datetime) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can set passwords")
    get_user_or_raise(conn, user_id)
    repo.change_user(conn, user_id, {"password_hash": _hashed(password), "updated_at": now})
    access_changed(conn)


def issue_token(
    conn: Connection, *, user_id: int, now: datetime, token: str | None = None, description: str = ""
) -> str:
    """Give the user an API token (a new random one unless `token` is given) and return it."""
    value = token or new_token()
    repo.add_token(conn, user_id=user_id, token=value, description=description, now=now)
    return value


def revoke_token(conn: Connection, *, actor: Viewer, token_id: int, now: datetime) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can revoke tokens")
    if not repo.revoke_token(conn, token_id=token_id, now=now):
        raise NotFound("ApiToken", token_id)
    access_changed(conn)
