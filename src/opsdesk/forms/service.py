"""Ticket field and form use cases, and custom-field validation for tickets."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from opsdesk.forms import repo
from opsdesk.forms.model import FIELD_TYPE_ALIASES, FieldType, FieldValueError, TicketField, TicketForm, clean_value
from opsdesk.tickets.access import Viewer


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change ticket fields and forms")


def get_field_or_raise(conn: Connection, field_id: int) -> TicketField:
    field = repo.get_field(conn, field_id)
    if field is None:
        raise NotFound("TicketField", field_id)
    return field


def get_form_or_raise(conn: Connection, form_id: int) -> TicketForm:
    form = repo.get_form(conn, form_id)
    if form is None:
        raise NotFound("TicketForm", form_id)
    return form


def _field_row(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:  # noqa: C901, PLR0912 - one check per attribute
    row: dict[str, Any] = {}
    if creating or "type" in values:
        raw_type = str(values.get("type") or "")
        try:
            row["type"] = FIELD_TYPE_ALIASES.get(raw_type, FieldType(raw_type)).value
        except ValueError:
            raise InvalidInput.field("type", f"{raw_type!r} is not a ticket field type") from None
    if creating or "title" in values:
        title = str(values.get("title") or "").strip()
        if not title:
            raise InvalidInput.field("title", "cannot be blank")
        row["title"] = title
    for key in ("description", "position", "active", "required", "visible_in_portal", "editable_in_portal"):
        if key in values and values[key] is not None:
            row[key] = values[key]
    if "regexp_for_validation" in values:
        pattern = values["regexp_for_validation"]
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidInput.field("regexp_for_validation", f"is not a valid pattern: {exc}") from None
        row["regexp_for_validation"] = pattern
    if "custom_field_options" in values:
        options = values["custom_field_options"] or []
        if not all(isinstance(o, dict) and o.get("name") and o.get("value") for o in options):
            raise InvalidInput.field("custom_field_options", "each option needs a name and a value")
        row["custom_field_options"] = [{"name": str(o["name"]), "value": str(o["value"])} for o in options]
    elif creating:
        row["custom_field_options"] = []
    if creating and row["type"] == FieldType.DROPDOWN and not row["custom_field_options"]:
        raise InvalidInput.field("custom_field_options", "a dropdown needs at least one option")
    return row


def create_field(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> TicketField:
    _require_admin(actor)
    field_id = repo.add_field(conn, {**_field_row(values, creating=True), "created_at": now, "updated_at": now})
    return get_field_or_raise(conn, field_id)


def update_field(
    conn: Connection, *, actor: Viewer, field_id: int, values: dict[str, Any], now: datetime
) -> TicketField:
    _require_admin(actor)
    get_field_or_raise(conn, field_id)
    repo.change_field(conn, field_id, {**_field_row(values, creating=False), "updated_at": now})
    return get_field_or_raise(conn, field_id)


def delete_field(conn: Connection, *, actor: Viewer, field_id: int) -> None:
    _require_admin(actor)
    get_field_or_raise(conn, field_id)
    repo.remove_field(conn, field_id)


def _form_row(conn: Connection, values: dict[str, Any], *, form_id: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if form_id is None or "name" in values:
        name = str(values.get("name") or "").strip()
        if not name:
            raise InvalidInput.field("name", "cannot be blank")
        existing = repo.get_form_id_by_name(conn, name)
        if existing is not None and existing != form_id:
            raise Conflict(f"Name: {name} has already been taken", field="name")
        row["name"] = name
        row["display_name"] = values.get("display_name") or name
    elif "display_name" in values:
        row["display_name"] = values["display_name"]
    for key in ("position", "active", "default", "end_user_visible"):
        if key in values and values[key] is not None:
            row[key] = values[key]
    if "ticket_field_ids" in values:
        ids = list(values["ticket_field_ids"] or [])
        missing = [i for i in ids if repo.get_field(conn, i) is None]
        if missing:
            raise InvalidInput.field("ticket_field_ids", f"unknown ticket fields {missing}")
        row["ticket_field_ids"] = ids
    elif form_id is None:
        row["ticket_field_ids"] = []
    return row


def create_form(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> TicketForm:
    _require_admin(actor)
    form_id = repo.add_form(conn, {**_form_row(conn, values, form_id=None), "created_at": now, "updated_at": now})
    return get_form_or_raise(conn, form_id)


def update_form(conn: Connection, *, actor: Viewer, form_id: int, values: dict[str, Any], now: datetime) -> TicketForm:
    _require_admin(actor)
    get_form_or_raise(conn, form_id)
    repo.change_form(conn, form_id, {**_form_row(conn, values, form_id=form_id), "updated_at": now})
    return get_form_or_raise(conn, form_id)


def delete_form(conn: Connection, *, actor: Viewer, form_id: int) -> None:
    _require_admin(actor)
    get_form_or_raise(conn, form_id)
    repo.remove_form(conn, form_id)


def clean_custom_fields(conn: Connection, values: dict[int, Any]) -> dict[str, Any]:
    """Validate `{field_id: value}` against the fields' types; keys come back as strings."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field_id, value in values.items():
        field = repo.get_field(conn, field_id)
        if field is None or not field.active:
            errors.setdefault("custom_fields", []).append(f"ticket field {field_id} does not exist")
            continue
        try:
            cleaned[str(field_id)] = clean_value(field, value)
        except FieldValueError as exc:
            errors.setdefault(f"custom_fields.{field_id}", []).append(f"{field.title} {exc}")
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return cleaned
