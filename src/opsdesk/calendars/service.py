"""Business schedule use cases: agents read them, admins write them.

Every write is checked whole before anything is stored: overlapping or out-of-week intervals,
an unknown time zone and a holiday that ends before it starts each refuse the request with the
field and the reason, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.calendars import repo
from opsdesk.calendars.model import DEFAULT_INTERVALS, BusinessCalendar, Holiday, Schedule, interval_problems
from opsdesk.calendars.zones import UnknownTimeZone, iana_key
from opsdesk.core import versions
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.tickets.access import Viewer

NAME_LENGTH = 255
SCHEDULES = "schedules"


def _first_calendar(conn: Connection) -> BusinessCalendar | None:
    schedules = repo.all_schedules(conn)
    return schedules[0].calendar() if schedules else None


_default_calendar = versions.VersionedCache(SCHEDULES, _first_calendar)


def default_calendar(conn: Connection, config: dict[str, int] | None = None) -> BusinessCalendar | None:
    """The account's business hours: its first schedule, as in Zendesk; None when it has none."""
    return _default_calendar.get(conn, config)


def _require_agent(actor: Viewer) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents can see business hours")


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change business hours")


def list_schedules(conn: Connection, *, actor: Viewer) -> list[Schedule]:
    _require_agent(actor)
    return repo.all_schedules(conn)


def get_schedule_or_raise(conn: Connection, *, actor: Viewer, schedule_id: int) -> Schedule:
    _require_agent(actor)
    schedule = repo.get_schedule(conn, schedule_id)
    if schedule is None:
        raise NotFound("Schedule", schedule_id)
    return schedule


def _name(raw: object, errors: dict[str, list[str]]) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        errors.setdefault("name", []).append("cannot be blank")
    elif len(name) > NAME_LENGTH:
        errors.setdefault("name", []).append(f"is longer than {NAME_LENGTH} characters")
    return name


def _time_zone(raw: object, errors: dict[str, list[str]]) -> str:
    if not isinstance(raw, str) or not raw.strip():
        errors.setdefault("time_zone", []).append("cannot be blank")
        return ""
    try:
        iana_key(raw)
    except UnknownTimeZone as exc:
        errors.setdefault("time_zone", []).append(str(exc))
    return raw.strip()


def _intervals(raw: Sequence[tuple[Any, Any]], errors: dict[str, list[str]]) -> list[list[int]]:
    if not raw:
        errors.setdefault("intervals", []).append("a schedule needs at least one interval")
        return []
    problems = interval_problems(raw)
    if problems:
        errors.setdefault("intervals", []).extend(problems)
        return []
    return sorted([int(start), int(end)] for start, end in raw)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if any(errors.values()):
        raise InvalidInput("Record validation errors", {k: v for k, v in errors.items() if v})


def create_schedule(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> Schedule:
    """`values`: name, time_zone, and intervals [(start, end), ...] or none for Monday-Friday 09:00-17:00."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    row = {
        "name": _name(values.get("name"), errors),
        "time_zone": _time_zone(values.get("time_zone"), errors),
        "intervals": _intervals(values.get("intervals") or DEFAULT_INTERVALS, errors),
        "holidays": [],
        "created_at": now,
        "updated_at": now,
    }
    _raise_if(errors)
    schedule = repo.get_schedule(conn, repo.add_schedule(conn, row))
    versions.bump(conn, SCHEDULES)
    assert schedule is not None
    return schedule


def update_schedule(
    conn: Connection, *, actor: Viewer, schedule_id: int, values: dict[str, Any], now: datetime
) -> Schedule:
    """Change any of name, time_zone and intervals; the others stay as they are."""
    _require_admin(actor)
    get_schedule_or_raise(conn, actor=actor, schedule_id=schedule_id)
    errors: dict[str, list[str]] = {}
    row: dict[str, Any] = {"updated_at": now}
    if "name" in values:
        row["name"] = _name(values["name"], errors)
    if "time_zone" in values:
        row["time_zone"] = _time_zone(values["time_zone"], errors)
    if "intervals" in values:
        row["intervals"] = _intervals(values["intervals"], errors)
    _raise_if(errors)
    repo.change_schedule(conn, schedule_id, row)
    versions.bump(conn, SCHEDULES)
    return get_schedule_or_raise(conn, actor=actor, schedule_id=schedule_id)


def delete_schedule(conn: Connection, *, actor: Viewer, schedule_id: int) -> None:
    _require_admin(actor)
    get_schedule_or_raise(conn, actor=actor, schedule_id=schedule_id)
    repo.remove_schedule(conn, schedule_id)
    versions.bump(conn, SCHEDULES)


def get_holiday_or_raise(conn: Connection, *, actor: Viewer, schedule_id: int, holiday_id: int) -> Holiday:
    schedule = get_schedule_or_raise(conn, actor=actor, schedule_id=schedule_id)
    for holiday in schedule.holidays:
        if holiday.id == holiday_id:
            return holiday
    raise NotFound("Holiday", holiday_id)


def _date(raw: object, name: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    reason = "is required (YYYY-MM-DD)" if raw is None else f"{raw!r} is not a date (YYYY-MM-DD)"
    errors.setdefault(name, []).append(reason)
    return None


def _holiday(holiday_id: int, values: dict[str, Any], current: Holiday | None) -> Holiday:
    """The holiday `values` describe; on update, fields not given keep their `current` value."""
    errors: dict[str, list[str]] = {}
    keep = {key for key in ("name", "start_date", "end_date") if current is not None and key not in values}
    name = current.name if current and "name" in keep else _name(values.get("name"), errors)
    start = (
        current.start_date
        if current and "start_date" in keep
        else _date(values.get("start_date"), "start_date", errors)
    )
    end = current.end_date if current and "end_date" in keep else _date(values.get("end_date"), "end_date", errors)
    if start is not None and end is not None and end < start:
        errors.setdefault("end_date", []).append(f"{end.isoformat()} is before start_date {start.isoformat()}")
    _raise_if(errors)
    assert start is not None
    assert end is not None
    return Holiday(id=holiday_id, name=name, start_date=start, end_date=end)


def _store_holidays(conn: Connection, schedule_id: int, holidays: Sequence[Holiday], now: datetime) -> None:
    ordered = sorted(holidays, key=lambda h: (h.start_date, h.id))
    repo.change_schedule(conn, schedule_id, {"holidays": [repo.holiday_row(h) for h in ordered], "updated_at": now})
    versions.bump(conn, SCHEDULES)


def create_holiday(
    conn: Connection, *, actor: Viewer, schedule_id: int, values: dict[str, Any], now: datetime
) -> Holiday:
    """`values`: name, start_date and end_date (inclusive local dates, YYYY-MM-DD)."""
    _require_admin(actor)
    schedule = repo.get_schedule(conn, schedule_id, for_update=True)
    if schedule is None:
        raise NotFound("Schedule", schedule_id)
    holiday = _holiday(max((h.id for h in schedule.holidays), default=0) + 1, values, None)
    _store_holidays(conn, schedule_id, [*schedule.holidays, holiday], now)
    return holiday


def update_holiday(
    conn: Connection, *, actor: Viewer, schedule_id: int, holiday_id: int, values: dict[str, Any], now: datetime
) -> Holiday:
    _require_admin(actor)
    schedule = repo.get_schedule(conn, schedule_id, for_update=True)
    current = next((h for h in schedule.holidays if h.id == holiday_id), None) if schedule else None
    if schedule is None or current is None:
        raise NotFound("Holiday", holiday_id)
    holiday = _holiday(holiday_id, values, current)
    _store_holidays(conn, schedule_id, [holiday if h.id == holiday_id else h for h in schedule.holidays], now)
    return holiday


def delete_holiday(conn: Connection, *, actor: Viewer, schedule_id: int, holiday_id: int, now: datetime) -> None:
    _require_admin(actor)
    schedule = repo.get_schedule(conn, schedule_id, for_update=True)
    if schedule is None or all(h.id != holiday_id for h in schedule.holidays):
        raise NotFound("Holiday", holiday_id)
    _store_holidays(conn, schedule_id, [h for h in schedule.holidays if h.id != holiday_id], now)
