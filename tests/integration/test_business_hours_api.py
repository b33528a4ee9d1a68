"""Business-hours schedules through Zendesk's endpoints: CRUD, workweek, holidays, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Desk

SCHEDULES = "/api/v2/business_hours/schedules"
MON_TO_FRI_9_TO_5 = [{"start_time": d * 1440 + 540, "end_time": d * 1440 + 1020} for d in range(1, 6)]


def _schedule(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "East Coast", "time_zone": "Eastern Time (US & Canada)", **fields}
    response = api.post(f"{SCHEDULES}.json", {"schedule": body})
    assert response.status_code == 201, response.text
    schedule: dict[str, Any] = response.json()["schedule"]
    return schedule


def _reasons(response: Any, field: str) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "RecordInvalid"
    return [d["description"] for d in body["details"][field]]


def test_schedule_crud_in_zendesk_shapes(desk: Desk) -> None:
    created = _schedule(desk.admin)
    assert created["time_zone"] == "Eastern Time (US & Canada)"
    assert created["intervals"] == MON_TO_FRI_9_TO_5, "a new schedule is Monday to Friday, 09:00-17:00"
    assert set(created) == {"id", "name", "time_zone", "intervals", "created_at", "updated_at"}
    path = f"{SCHEDULES}/{created['id']}.json"

    agent = desk.user("Tina", "tina@desk.test", role="agent")
    assert agent.get(path).json()["schedule"] == created
    assert [s["id"] for s in agent.get(f"{SCHEDULES}.json").json()["schedules"]] == [created["id"]]

    renamed = desk.admin.put(path, {"schedule": {"name": "UK", "time_zone": "London"}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["schedule"]["name"] == "UK"
    assert renamed.json()["schedule"]["time_zone"] == "London"
    assert renamed.json()["schedule"]["intervals"] == MON_TO_FRI_9_TO_5

    lunch = [{"start_time": 1980, "end_time": 2160}, {"start_time": 2220, "end_time": 2460}]
    night = {"start_time": 2760, "end_time": 3240}  # Monday 22:00 - Tuesday 06:00
    workweek = desk.admin.put(
        f"{SCHEDULES}/{created['id']}/workweek.json", {"workweek": {"intervals": [night, *lunch]}}
    )
    assert workweek.status_code == 200, workweek.text
    assert workweek.json() == {"workweek": {"intervals": [*lunch, night]}}
    assert desk.admin.get(path).json()["schedule"]["intervals"] == [*lunch, night]

    assert desk.admin.delete(path).status_code == 204
    assert desk.admin.get(path).status_code == 404
    assert desk.admin.get(f"{SCHEDULES}.json").json()["schedules"] == []


def test_holidays_single_days_and_ranges(desk: Desk) -> None:
    schedule = _schedule(desk.admin)
    holidays = f"{SCHEDULES}/{schedule['id']}/holidays"
    winter = {"name": "Winter break", "start_date": "2026-12-24", "end_date": "2027-01-01"}
    response = desk.admin.post(f"{holidays}.json", {"holiday": winter})
    assert response.status_code == 201, response.text
    assert response.json()["holiday"] == {"id": 1, **winter}
    july = {"name": "Independence Day", "start_date": "2026-07-03", "end_date": "2026-07-03"}
    assert desk.admin.post(f"{holidays}.json", {"holiday": july}).json()["holiday"]["id"] == 2

    listed = desk.admin.get(f"{holidays}.json").json()["holidays"]
    assert [h["name"] for h in listed] == ["Independence Day", "Winter break"], "in date order"
    assert desk.admin.get(f"{holidays}/2.json").json()["holiday"] == {"id": 2, **july}

    moved = desk.admin.put(f"{holidays}/1.json", {"holiday": {"end_date": "2027-01-02"}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["holiday"] == {**winter, "id": 1, "end_date": "2027-01-02"}

    assert desk.admin.delete(f"{holidays}/2.json").status_code == 204
    assert desk.admin.get(f"{holidays}/2.json").status_code == 404
    assert [h["id"] for h in desk.admin.get(f"{holidays}.json").json()["holidays"]] == [1]


def test_overlapping_intervals_are_refused_by_name_and_nothing_is_saved(desk: Desk) -> None:
    overlapping = [{"start_time": 1980, "end_time": 2460}, {"start_time": 2160, "end_time": 2520}]
    refused = desk.admin.post(
        f"{SCHEDULES}.json", {"schedule": {"name": "x", "time_zone": "UTC", "intervals": overlapping}}
    )
    assert _reasons(refused, "intervals") == [
        "Intervals: interval 0 (Mon 09:00-17:00) overlaps interval 1 (Mon 12:00-18:00)"
    ]
    assert desk.admin.get(f"{SCHEDULES}.json").json()["schedules"] == []

    schedule = _schedule(desk.admin)
    path = f"{SCHEDULES}/{schedule['id']}"
    refused = desk.admin.put(f"{path}/workweek.json", {"workweek": {"intervals": overlapping}})
    assert "overlaps interval 1" in _reasons(refused, "intervals")[0]
    out_of_week = [{"start_time": 10080, "end_time": 10140}]
    assert (
        "outside the week"
        in _reasons(desk.admin.put(f"{path}/workweek.json", {"workweek": {"intervals": out_of_week}}), "intervals")[0]
    )
    assert desk.admin.get(f"{path}.json").json()["schedule"] == schedule, "nothing saved"


def test_unknown_time_zone_is_refused_by_name_and_nothing_is_saved(desk: Desk) -> None:
    refused = desk.admin.post(f"{SCHEDULES}.json", {"schedule": {"name": "Mars", "time_zone": "Mars/Olympus_Mons"}})
    assert "unknown time zone 'Mars/Olympus_Mons'" in _reasons(refused, "time_zone")[0]
    assert desk.admin.get(f"{SCHEDULES}.json").json()["schedules"] == []

    schedule = _schedule(desk.admin)
    path = f"{SCHEDULES}/{schedule['id']}.json"
    refused = desk.admin.put(path, {"schedule": {"name": "Renamed", "time_zone": "Eastern Time"}})
    assert "unknown time zone 'Eastern Time'" in _reasons(refused, "time_zone")[0]
    assert desk.admin.get(path).json()["schedule"] == schedule, "the name was not changed either"


def test_bad_holidays_are_refused_and_nothing_is_saved(desk: Desk) -> None:
    schedule = _schedule(desk.admin)
    holidays = f"{SCHEDULES}/{schedule['id']}/holidays.json"
    backwards = {"name": "Backwards", "start_date": "2026-12-26", "end_date": "2026-12-24"}
    assert _reasons(desk.admin.post(holidays, {"holiday": backwards}), "end_date") == [
        "End date: 2026-12-24 is before start_date 2026-12-26"
    ]
    not_a_date = {"name": "Someday", "start_date": "soon", "end_date": "2026-12-24"}
    assert "is not a date" in _reasons(desk.admin.post(holidays, {"holiday": not_a_date}), "start_date")[0]
    assert desk.admin.get(holidays).json()["holidays"] == []
    assert desk.admin.get(f"{SCHEDULES}/{schedule['id']}.json").json()["schedule"] == schedule


@pytest.mark.parametrize(
    "intervals",
    [
        "9 to 5",
        [{"start_time": 1980}],
        [{"start_time": "1980", "end_time": "2460"}],
        [{"start_time": 1980.5, "end_time": 2460}],
        [],
    ],
    ids=["not a list", "no end", "strings", "fractions", "empty"],
)
def test_malformed_workweeks_are_refused(desk: Desk, intervals: Any) -> None:
    schedule = _schedule(desk.admin)
    refused = desk.admin.put(f"{SCHEDULES}/{schedule['id']}/workweek.json", {"workweek": {"intervals": intervals}})
    assert _reasons(refused, "intervals")
    assert desk.admin.get(f"{SCHEDULES}/{schedule['id']}.json").json()["schedule"] == schedule


@pytest.mark.parametrize(
    "time_zone", ["Pacific Time (US & Canada)", "London", "Tokyo", "Wellington", "America/New_York", "UTC"]
)
def test_zendesk_and_iana_time_zone_names_are_accepted_and_kept(desk: Desk, time_zone: str) -> None:
    assert _schedule(desk.admin, time_zone=time_zone)["time_zone"] == time_zone


def test_agents_read_and_only_admins_write(desk: Desk) -> None:
    schedule = _schedule(desk.admin)
    path = f"{SCHEDULES}/{schedule['id']}"
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    customer = desk.user("Carl", "carl@customer.test")
    assert agent.get(f"{path}/holidays.json").status_code == 200
    assert agent.post(f"{SCHEDULES}.json", {"schedule": {"name": "x", "time_zone": "UTC"}}).status_code == 403
    assert agent.put(f"{path}/workweek.json", {"workweek": {"intervals": MON_TO_FRI_9_TO_5}}).status_code == 403
    holiday = {"name": "x", "start_date": "2026-12-25", "end_date": "2026-12-25"}
    assert agent.post(f"{path}/holidays.json", {"holiday": holiday}).status_code == 403
    assert agent.delete(f"{path}.json").status_code == 403
    assert customer.get(f"{SCHEDULES}.json").status_code == 403
    assert customer.get(f"{path}.json").status_code == 403
    assert desk.admin.get(f"{path}.json").json()["schedule"] == schedule


def test_unknown_schedules_and_holidays_are_not_found(desk: Desk) -> None:
    assert desk.admin.get(f"{SCHEDULES}/999.json").status_code == 404
    assert (
        desk.admin.put(f"{SCHEDULES}/999/workweek.json", {"workweek": {"intervals": MON_TO_FRI_9_TO_5}}).status_code
        == 404
    )
    schedule = _schedule(desk.admin)
    assert (
        desk.admin.put(f"{SCHEDULES}/{schedule['id']}/holidays/7.json", {"holiday": {"name": "x"}}).status_code == 404
    )
    assert desk.admin.delete(f"{SCHEDULES}/{schedule['id']}/holidays/7.json").status_code == 404
