"""Organization use cases. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from opsdesk.core.generation import access_changed
from opsdesk.groups import repo as groups_repo
from opsdesk.organizations import repo
from opsdesk.organizations.model import Membership, Organization, normalize_domain
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import normalize_tags
from opsdesk.users import repo as users_repo

ORG_COLUMNS = (
    "name",
    "external_id",
    "group_id",
    "shared_tickets",
    "shared_comments",
    "details",
    "notes",
    "tags",
    "organization_fields",
)


def get_organization_or_raise(conn: Connection, org_id: int) -> Organization:
    org = repo.get_organization(conn, org_id)
    if org is None:
        raise NotFound("Organization", org_id)
    return org


def _require_agent(actor: Viewer) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can manage organizations")


def _clean_domains(conn: Connection, domains: Sequence[str], org_id: int | None) -> list[str]:
    cleaned: list[str] = []
    for domain in domains:
        value = normalize_domain(domain)
        if value is None:
            raise InvalidInput.field("domain_names", f"{domain!r} is not a valid domain name")
        if value not in cleaned:
            cleaned.append(value)
    owners = repo.domain_owner(conn, cleaned)
    taken = [d for d, owner in owners.items() if owner != org_id]
    if taken:
        raise InvalidInput.field("domain_names", f"{', '.join(taken)} already belongs to another organization")
    return cleaned


def _check_values(conn: Connection, values: dict[str, Any], org_id: int | None) -> dict[str, Any]:
    row = {k: values[k] for k in ORG_COLUMNS if k in values}
    if "name" in row:
        name = str(row["name"]).strip()
        if not name:
            raise InvalidInput.field("name", "cannot be blank")
        existing = repo.get_org_id_by_name(conn, name)
        if existing is not None and existing != org_id:
            raise Conflict(f"Name: {name} has already been taken", field="name")
        row["name"] = name
    if "external_id" in row:
        external = row["external_id"]
        row["external_id_key"] = external.lower() if external else None
        if external:
            existing = repo.get_org_id_by_external_id(conn, external)
            if existing is not None and existing != org_id:
                raise Conflict(f"External: {external} has already been taken", field="external_id")
    if row.get("group_id") is not None and groups_repo.get_group(conn, row["group_id"]) is None:
        raise InvalidInput.field("group_id", f"group {row['group_id']} does not exist")
    if "tags" in row:
        row["tags"] = normalize_tags(row["tags"])
    return row


def create_organization(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> Organization:
    _require_agent(actor)
    if not values.get("name"):
        raise InvalidInput.field("name", "cannot be blank")
    row = _check_values(conn, values, None)
    domains = _clean_domains(conn, values.get("domain_names") or [], None)
    row.setdefault("tags", [])
    row.setdefault("organization_fields", {})
    org_id = repo.add_organization(conn, {**row, "created_at": now, "updated_at": now})
    repo.set_domains(conn, org_id, domains)
    return get_organization_or_raise(conn, org_id)


def update_organization(
    conn: Connection, *, actor: Viewer, org_id: int, values: dict[str, Any], now: datetime
) -> Organization:
    _require_agent(actor)
    get_organization_or_raise(conn, org_id)
    row = _check_values(conn, values, org_id)
    if "domain_names" in values:
        repo.set_domains(conn, org_id, _clean_domains(conn, values["domain_names"] or [], org_id))
    repo.change_organization(conn, org_id, {**row, "updated_at": now})
    access_changed(conn)
    return get_organization_or_raise(conn, org_id)


def delete_organization(conn: Connection, *, actor: Viewer, org_id: int) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can delete organizations")
    get_organization_or_raise(conn, org_id)
    repo.remove_organization(conn, org_id)
    access_changed(conn)


def add_member(conn: Connection, *, user_id: int, org_id: int, now: datetime) -> Membership:
    """Make the user a member (idempotent); the first membership becomes the user's default."""
    existing = repo.find_membership(conn, user_id, org_id)
    if existing is not None:
        return existing
    first = not repo.memberships_of_user(conn, user_id)
    membership_id = repo.add_membership(conn, user_id=user_id, org_id=org_id, default=first, now=now)
    access_changed(conn)
    if first:
        users_repo.change_user(conn, user_id, {"organization_id": org_id, "updated_at": now})
    membership = repo.get_membership(conn, membership_id)
    assert membership is not None
    return membership


def create_membership(conn: Connection, *, actor: Viewer, user_id: int, org_id: int, now: datetime) -> Membership:
    _require_agent(actor)
    if users_repo.get_user(conn, user_id) is None:
        raise InvalidInput.field("user_id", f"user {user_id} does not exist")
    if repo.get_organization(conn, org_id) is None:
        raise InvalidInput.field("organization_id", f"organization {org_id} does not exist")
    if repo.find_membership(conn, user_id, org_id) is not None:
        raise Conflict("User is already a member of this organization", field="user_id")
    return add_member(conn, user_id=user_id, org_id=org_id, now=now)


def delete_membership(conn: Connection, *, actor: Viewer, membership_id: int, now: datetime) -> None:
    _require_agent(actor)
    membership = repo.get_membership(conn, membership_id)
    if membership is None:
        raise NotFound("OrganizationMembership", membership_id)
    repo.remove_membership(conn, membership_id)
    access_changed(conn)
    if membership.default:
        rest = repo.memberships_of_user(conn, membership.user_id)
        users_repo.change_user(
            conn, membership.user_id, {"organization_id": rest[0].organization_id if rest else None, "updated_at": now}
        )
