"""Typed reading of Zendesk JSON bodies.

Each resource has a spec: the fields a client may write, each with a reader that types and checks
it, and the read-only fields clients echo back (zenpy sends what it fetched), which are ignored.
Any other key is refused, so a typo (`priorty`) is a 422 that names it instead of a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from opsdesk.core.clock import parse_utc
from opsdesk.core.errors import InvalidInput

Reader = Callable[[Any], Any]


class FieldError(ValueError):
    """The message says what the value should have been."""


IGNORED = object()
MAX_TAG_LENGTH = 255
MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns on both databases


def text(max_length: int = 65_535, *, nullable: bool = True) -> Reader:
    def read(value: Any) -> str | None:  # noqa: ANN401 - raw JSON
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise FieldError("must be a string")
        if len(value) > max_length:
            raise FieldError(f"is longer than {max_length} characters")
        return value

    return read


def record_id(value: Any) -> int | None:  # noqa: ANN401 - raw JSON
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise FieldError("must be a positive integer id")
    return value


def id_list(value: Any) -> list[int]:  # noqa: ANN401 - raw JSON
    if not isinstance(value, list):
        raise FieldError("must be a list of ids")
    return [_required(record_id(item)) for item in value]


def _required(value: int | None) -> int:
    if value is None:
        raise FieldError("must be a positive integer id")
    return value


def boolean(value: Any) -> bool | None:  # noqa: ANN401 - raw JSON
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FieldError("must be true or false")
    return value


def flag(value: Any) -> bool:  # noqa: ANN401 - raw JSON
    """A boolean that cannot be null."""
    if not isinstance(value, bool):
        raise FieldError("must be true or false")
    return value


def tag_list(value: Any) -> list[str]:  # noqa: ANN401 - raw JSON
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, list) or not all(isinstance(item, str) and len(item) <= MAX_TAG_LENGTH for item in value):
        raise FieldError("must be a list of tags")
    return list(value)


def string_list(value: Any) -> list[str]:  # noqa: ANN401 - raw JSON
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError("must be a list of strings")
    return list(value)


def one_of(*choices: str, nullable: bool = True) -> Reader:
    def read(value: Any) -> str | None:  # noqa: ANN401 - raw JSON
        if value is None and nullable:
            return None
        if value not in choices:
            raise FieldError(f"must be one of {', '.join(choices)}")
        return str(value)

    return read


def instant(value: Any) -> datetime | None:  # noqa: ANN401 - raw JSON
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("must be an ISO 8601 time")
    try:
        return parse_utc(value)
    except (ValueError, OverflowError):
        raise FieldError("must be an ISO 8601 time") from None


def mapping(value: Any) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError("must be an object")
    return value


def anything(value: Any) -> Any:  # noqa: ANN401 - raw JSON
    return value


def read_object(
    raw: Any,  # noqa: ANN401 - raw JSON
    spec: Mapping[str, Reader | object],
    *,
    where: str,
    prefix: str = "",
) -> dict[str, Any]:
    """Read `raw` against `spec`; every bad or unknown key is reported at once, nothing is half-read."""
    if not isinstance(raw, dict):
        raise InvalidInput("Record validation errors", {where: ["must be a JSON object"]})
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        reader = spec.get(key)
        if reader is None:
            errors[prefix + key] = ["is not a known field"]
        elif reader is IGNORED:
            continue
        else:
            try:
                values[key] = reader(value)  # type: ignore[operator]
            except FieldError as exc:
                errors[prefix + key] = [str(exc)]
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return values


def ignored(*names: str) -> dict[str, object]:
    return dict.fromkeys(names, IGNORED)


def whole_number(value: Any) -> int | None:  # noqa: ANN401 - raw JSON
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise FieldError("must be a whole number")
    return value


def read_envelope(body: Any, key: str, spec: Mapping[str, Reader | object] | None = None) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    """The object a Zendesk write sends as `{"key": {...}}`, read against `spec` when there is one."""
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise InvalidInput("Record validation errors", {key: [f'the body must be {{"{key}": {{...}}}}']})
    if spec is None:
        inner: dict[str, Any] = body[key]
        return inner
    return read_object(body[key], spec, where=key)
