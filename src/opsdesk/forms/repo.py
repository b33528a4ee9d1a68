"""Queries for ticket fields and forms. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from opsdesk.forms.model import FieldOption, FieldType, TicketField, TicketForm
from opsdesk.forms.tables import ticket_fields, ticket_forms


def to_field(row: Row[Any]) -> TicketField:
    return TicketField(
        id=row.id,
        type=FieldType(row.type),
        title=row.title,
        description=row.description,
        position=row.position,
        active=row.active,
        required=row.required,
        visible_in_portal=row.visible_in_portal,
        editable_in_portal=row.editable_in_portal,
        regexp_for_validation=row.regexp_for_validation,
        options=[FieldOption(name=o["name"], value=o["value"]) for o in row.custom_field_options],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_form(row: Row[Any]) -> TicketForm:
    return TicketForm(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        position=row.position,
        active=row.active,
        default=row.default,
        end_user_visible=row.end_user_visible,
        ticket_field_ids=list(row.ticket_field_ids),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_field(conn: Connection, field_id: int) -> TicketField | None:
    row = conn.execute(select(ticket_fields).where(ticket_fields.c.id == field_id)).first()
    return to_field(row) if row else None


def all_fields(conn: Connection) -> list[TicketField]:
    rows = conn.execute(select(ticket_fields).order_by(ticket_fields.c.position, ticket_fields.c.id))
    return [to_field(row) for row in rows]


def add_field(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(ticket_fields).values(**values).returning(ticket_fields.c.id)).scalar_one())


def change_field(conn: Connection, field_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(ticket_fields).where(ticket_fields.c.id == field_id).values(**values))


def remove_field(conn: Connection, field_id: int) -> None:
    conn.execute(delete(ticket_fields).where(ticket_fields.c.id == field_id))


def get_form(conn: Connection, form_id: int) -> TicketForm | None:
    row = conn.execute(select(ticket_forms).where(ticket_forms.c.id == form_id)).first()
    return to_form(row) if row else None


def get_form_id_by_name(conn: Connection, name: str) -> int | None:
    return conn.execute(select(ticket_forms.c.id).where(ticket_forms.c.name == name)).scalar()


def all_forms(conn: Connection) -> list[TicketForm]:
    rows = conn.execute(select(ticket_forms).order_by(ticket_forms.c.position, ticket_forms.c.id))
    return [to_form(row) for row in rows]


def add_form(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(ticket_forms).values(**values).returning(ticket_forms.c.id)).scalar_one())


def change_form(conn: Connection, form_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(ticket_forms).where(ticket_forms.c.id == form_id).values(**values))


def remove_form(conn: Connection, form_id: int) -> None:
    conn.execute(delete(ticket_forms).where(ticket_forms.c.id == form_id))
