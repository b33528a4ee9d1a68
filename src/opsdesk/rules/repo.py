"""Queries for business rules and stored settings. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from opsdesk.rules.model import Action, Condition, Conditions, Rule, RuleKind
from opsdesk.rules.records import RuleRecord
from opsdesk.rules.tables import business_rules, settings_store


def conditions_from_json(raw: dict[str, Any]) -> Conditions:
    """Stored `{"all": [...], "any": [...]}` (already validated when saved) as typed conditions."""

    def items(key: str) -> tuple[Condition, ...]:
        return tuple(Condition(c["field"], c["operator"], c.get("value")) for c in raw.get(key) or ())

    return Conditions(all=items("all"), any=items("any"))


def to_record(row: Row[Any]) -> RuleRecord:
    conditions = dict(row.conditions)
    actions = list(row.actions)
    return RuleRecord(
        id=row.id,
        kind=RuleKind(row.kind),
        title=row.title,
        description=row.description,
        position=row.position,
        active=row.active,
        conditions=conditions,
        actions=actions,
        restriction=row.restriction,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rule=Rule(
            id=row.id,
            title=row.title,
            position=row.position,
            active=row.active,
            conditions=conditions_from_json(conditions),
            actions=tuple(Action(a["field"], a.get("value")) for a in actions),
        ),
    )


def list_records(conn: Connection, kind: RuleKind, *, active_only: bool = False) -> list[RuleRecord]:
    query = select(business_rules).where(business_rules.c.kind == kind.value)
    if active_only:
        query = query.where(business_rules.c.active.is_(True))
    query = query.order_by(business_rules.c.position, business_rules.c.id)
    return [to_record(row) for row in conn.execute(query)]


def get_record(conn: Connection, kind: RuleKind, rule_id: int) -> RuleRecord | None:
    row = conn.execute(
        select(business_rules).where(business_rules.c.id == rule_id, business_rules.c.kind == kind.value)
    ).first()
    return to_record(row) if row else None


def next_position(conn: Connection, kind: RuleKind) -> int:
    highest = conn.execute(
        select(func.max(business_rules.c.position)).where(business_rules.c.kind == kind.value)
    ).scalar()
    return 0 if highest is None else int(highest) + 1


def add_record(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(business_rules).values(**values).returning(business_rules.c.id)).scalar_one())


def change_record(conn: Connection, rule_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(business_rules).where(business_rules.c.id == rule_id).values(**values))


def remove_record(conn: Connection, rule_id: int) -> None:
    conn.execute(delete(business_rules).where(business_rules.c.id == rule_id))


def get_setting(conn: Connection, name: str) -> dict[str, Any] | None:
    value = conn.execute(select(settings_store.c.value).where(settings_store.c.name == name)).scalar()
    return dict(value) if value is not None else None


def put_setting(conn: Connection, name: str, value: dict[str, Any], now: datetime) -> None:
    changed = conn.execute(
        update(settings_store).where(settings_store.c.name == name).values(value=value, updated_at=now)
    ).rowcount
    if not changed:
        conn.execute(insert(settings_store).values(name=name, value=value, updated_at=now))
