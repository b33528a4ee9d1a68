"""Queries for organizations, domains and memberships. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from opsdesk.organizations.model import Membership, Organization
from opsdesk.organizations.tables import organization_domains, organization_memberships, organizations


def _to_org(row: Row[Any], domains: list[str]) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        external_id=row.external_id,
        group_id=row.group_id,
        shared_tickets=row.shared_tickets,
        shared_comments=row.shared_comments,
        details=row.details,
        notes=row.notes,
        tags=list(row.tags),
        organization_fields=dict(row.organization_fields),
        domain_names=domains,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _domains_of(conn: Connection, org_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {org_id: [] for org_id in org_ids}
    if not org_ids:
        return found
    rows = conn.execute(
        select(organization_domains)
        .where(organization_domains.c.organization_id.in_(org_ids))
        .order_by(organization_domains.c.domain)
    )
    for row in rows:
        found[row.organization_id].append(row.domain)
    return found


def to_orgs(conn: Connection, rows: Sequence[Row[Any]]) -> list[Organization]:
    domains = _domains_of(conn, [row.id for row in rows])
    return [_to_org(row, domains[row.id]) for row in rows]


def get_organization(conn: Connection, org_id: int) -> Organization | None:
    row = conn.execute(select(organizations).where(organizations.c.id == org_id)).first()
    return to_orgs(conn, [row])[0] if row else None


def get_organizations(conn: Connection, org_ids: Sequence[int]) -> dict[int, Organization]:
    if not org_ids:
        return {}
    rows = list(conn.execute(select(organizations).where(organizations.c.id.in_(set(org_ids)))))
    return {org.id: org for org in to_orgs(conn, rows)}


def sharing_of_user(conn: Connection, user_id: int) -> list[tuple[int, bool, bool]]:
    """(organization id, shared_tickets, shared_comments) for every organization the user belongs to."""
    rows = conn.execute(
        select(organizations.c.id, organizations.c.shared_tickets, organizations.c.shared_comments)
        .join(organization_memberships, organization_memberships.c.organization_id == organizations.c.id)
        .where(organization_memberships.c.user_id == user_id)
    )
    return [(row.id, row.shared_tickets, row.shared_comments) for row in rows]


def get_org_id_by_name(conn: Connection, name: str) -> int | None:
    return conn.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()


def get_org_id_by_external_id(conn: Connection, external_id: str) -> int | None:
    return conn.execute(
        select(organizations.c.id).where(organizations.c.external_id_key == external_id.lower())
    ).scalar()


def get_org_id_by_domain(conn: Connection, domain: str) -> int | None:
    return conn.execute(
        select(organization_domains.c.organization_id).where(organization_domains.c.domain == domain)
    ).scalar()


def add_organization(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(organizations).values(**values).returning(organizations.c.id)).scalar_one())


def change_organization(conn: Connection, org_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(organizations).where(organizations.c.id == org_id).values(**values))


def remove_organization(conn: Connection, org_id: int) -> None:
    conn.execute(delete(organizations).where(organizations.c.id == org_id))


def domain_owner(conn: Connection, domains: Sequence[str]) -> dict[str, int]:
    rows = conn.execute(select(organization_domains).where(organization_domains.c.domain.in_(domains)))
    return {row.domain: row.organization_id for row in rows}


def set_domains(conn: Connection, org_id: int, domains: Sequence[str]) -> None:
    conn.execute(delete(organization_domains).where(organization_domains.c.organization_id == org_id))
    if domains:
        conn.execute(insert(organization_domains), [{"domain": d, "organization_id": org_id} for d in domains])


def _to_membership(row: Row[Any]) -> Membership:
    return Membership(
        id=row.id,
        user_id=row.user_id,
        organization_id=row.organization_id,
        default=row.default,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_membership(conn: Connection, membership_id: int) -> Membership | None:
    row = conn.execute(select(organization_memberships).where(organization_memberships.c.id == membership_id)).first()
    return _to_membership(row) if row else None


def memberships_of_user(conn: Connection, user_id: int) -> list[Membership]:
    rows = conn.execute(
        select(organization_memberships)
        .where(organization_memberships.c.user_id == user_id)
        .order_by(organization_memberships.c.id)
    )
    return [_to_membership(row) for row in rows]


def find_membership(conn: Connection, user_id: int, org_id: int) -> Membership | None:
    row = conn.execute(
        select(organization_memberships).where(
            organization_memberships.c.user_id == user_id, organization_memberships.c.organization_id == org_id
        )
    ).first()
    return _to_membership(row) if row else None


def add_membership(conn: Connection, *, user_id: int, org_id: int, default: bool, now: datetime) -> int:
    result = conn.execute(
        insert(organization_memberships)
        .values(user_id=user_id, organization_id=org_id, default=default, created_at=now, updated_at=now)
        .returning(organization_memberships.c.id)
    )
    return int(result.scalar_one())


def remove_membership(conn: Connection, membership_id: int) -> None:
    conn.execute(delete(organization_memberships).where(organization_memberships.c.id == membership_id))


def to_membership(row: Row[Any]) -> Membership:
    return _to_membership(row)
