"""Custom ticket fields and forms, and the validation of custom field values (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    DROPDOWN = "tagger"
    CHECKBOX = "checkbox"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    REGEXP = "regexp"


# Zendesk's API calls a dropdown "tagger"; people and some exports say "dropdown".
FIELD_TYPE_ALIASES = {"dropdown": FieldType.DROPDOWN}


@dataclass(frozen=True, slots=True)
class FieldOption:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class TicketField:
    id: int
    type: FieldType
    title: str
    description: str
    position: int
    active: bool
    required: bool
    visible_in_portal: bool
    editable_in_portal: bool
    regexp_for_validation: str | None
    options: list[FieldOption]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TicketForm:
    id: int
    name: str
    display_name: str
    position: int
    active: bool
    default: bool
    end_user_visible: bool
    ticket_field_ids: list[int]
    created_at: datetime
    updated_at: datetime


class FieldValueError(ValueError):
    """A custom field value that its field refuses; the message says why."""


def clean_value(field: TicketField, value: Any) -> Any:  # noqa: ANN401, C901, PLR0911, PLR0912 - a JSON value in, one branch per field type
    """The stored form of `value` for `field`; None clears it. Raises FieldValueError."""
    if value is None or value == "":
        return None
    match field.type:
        case FieldType.TEXT | FieldType.TEXTAREA:
            if not isinstance(value, str):
                raise FieldValueError("must be text")
            return value
        case FieldType.REGEXP:
            if not isinstance(value, str):
                raise FieldValueError("must be text")
            if field.regexp_for_validation and not re.fullmatch(field.regexp_for_validation, value):
                raise FieldValueError(f"does not match {field.regexp_for_validation}")
            return value
        case FieldType.CHECKBOX:
            if not isinstance(value, bool):
                raise FieldValueError("must be true or false")
            return value
        case FieldType.INTEGER:
            if isinstance(value, bool):
                raise FieldValueError("must be an integer")
            if isinstance(value, int):
                return value
            if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
                return int(value)
            raise FieldValueError("must be an integer")
        case FieldType.DECIMAL:
            if isinstance(value, bool):
                raise FieldValueError("must be a number")
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise FieldValueError("must be a number") from None
            if not number.is_finite():
                raise FieldValueError("must be a finite number")
            return str(number)
        case FieldType.DATE:
            if not isinstance(value, str):
                raise FieldValueError("must be a date like 2026-03-02")
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                raise FieldValueError("must be a date like 2026-03-02") from None
        case FieldType.DROPDOWN:
            allowed = {option.value for option in field.options}
            if not isinstance(value, str) or value not in allowed:
                raise FieldValueError(f"must be one of {', '.join(sorted(allowed))}")
            return value
    raise FieldValueError("unsupported field type")  # pragma: no cover - the match is exhaustive
