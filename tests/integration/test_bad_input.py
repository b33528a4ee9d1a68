"""Bad input gets a clear 4xx in Zendesk's error shape and writes nothing; generated junk never gets a 5xx.

Zendesk's error shape: `{"error": "<Kind>", "description": "...", "details": {field: [{...}]}}`.
Every refused write is followed by a read that would show a partial write: the ticket count, the
user count, or the ticket with its comments and audits. Refused updates carry a valid change and a
comment alongside the bad value, so a write that half-happened is visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from opsdesk.compat.zendesk.fields import boolean, id_list, instant, mapping, record_id, string_list, tag_list
from opsdesk.compat.zendesk.inputs import REQUEST_SPEC, TICKET_SPEC, USER_SPEC, custom_field_values
from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import writing
from opsdesk.core.settings import Settings
from opsdesk.tickets import service as tickets_service
from opsdesk.tickets.access import Role
from opsdesk.tickets.model import Channel, Priority, Status, TicketType
from opsdesk.web.app import create_app

from .conftest import Api, Desk

MISSING_ID = 987_654
ONE_MB = 1_000_000
JSON_HEADERS = {"Content-Type": "application/json"}


# --- reading the desk back ---------------------------------------------------------------------


def ticket_count(api: Api) -> int:
    response = api.get("/api/v2/tickets/count.json")
    assert response.status_code == 200, response.text
    value: int = response.json()["count"]["value"]
    return value


def user_count(api: Api) -> int:
    response = api.get("/api/v2/users.json")
    assert response.status_code == 200, response.text
    value: int = response.json()["count"]
    return value


@dataclass(frozen=True)
class TicketState:
    ticket: dict[str, Any]
    comments: list[dict[str, Any]]
    audit_count: int


def ticket_state(api: Api, ticket_id: int) -> TicketState:
    shown = api.get(f"/api/v2/tickets/{ticket_id}.json")
    comments = api.get(f"/api/v2/tickets/{ticket_id}/comments.json")
    audits = api.get(f"/api/v2/tickets/{ticket_id}/audits.json")
    assert shown.status_code == comments.status_code == audits.status_code == 200
    return TicketState(shown.json()["ticket"], comments.json()["comments"], len(audits.json()["audits"]))


def user_state(api: Api, user_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v2/users/{user_id}.json")
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def new_ticket(api: Api, **values: Any) -> int:
    body = {"ticket": {"subject": "Printer on fire", "comment": {"body": "It is on fire."}, **values}}
    response = api.post("/api/v2/tickets.json", body)
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


def post_raw(api: Api, path: str, raw: bytes) -> Any:
    return api.client.post(path, content=raw, headers={**api.headers, **JSON_HEADERS})


def put_raw(api: Api, path: str, raw: bytes) -> Any:
    return api.client.put(path, content=raw, headers={**api.headers, **JSON_HEADERS})


def assert_zendesk_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """The answer has `status`, is JSON, and names the error kind and a readable description."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body.get("description"), str)
    assert body["description"]
    return body


def assert_invalid_field(response: Any, field: str) -> None:
    """A 422 RecordInvalid whose details name `field`, each reason with a description."""
    body = assert_zendesk_error(response, 422, "RecordInvalid")
    assert field in body["details"], body
    for reason in body["details"][field]:
        assert reason["description"]
        assert reason["error"]


# --- malformed JSON ----------------------------------------------------------------------------

MALFORMED = {
    "truncated": b'{"ticket": {"subject": "x"',
    "single quotes": b"{'ticket': {}}",
    "trailing comma": b'{"ticket": {"subject": "x",}}',
    "not UTF-8": b"\xff\xfe\x00garbage",
    "form-encoded": b"ticket=subject",
    "empty": b"",
}


def test_malformed_json_is_a_400_and_creates_nothing(desk: Desk) -> None:
    before_tickets, before_users = ticket_count(desk.admin), user_count(desk.admin)

    for name, raw in MALFORMED.items():
        for path in ("/api/v2/tickets.json", "/api/v2/users.json", "/api/v2/requests.json"):
            response = post_raw(desk.admin, path, raw)
            assert response.status_code == 400, f"{name} to {path}: {response.text}"
            assert_zendesk_error(response, 400, "InvalidRequest")

    assert ticket_count(desk.admin) == before_tickets
    assert user_count(desk.admin) == before_users


def test_malformed_json_on_update_is_a_400_and_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    person = desk.user("Pat Person", "pat@desk.test").user_id
    before_ticket, before_user = ticket_state(desk.admin, ticket_id), user_state(desk.admin, person)

    for name, raw in MALFORMED.items():
        for path in (f"/api/v2/tickets/{ticket_id}.json", f"/api/v2/users/{person}.json"):
            response = put_raw(desk.admin, path, raw)
            assert response.status_code == 400, f"{name} to {path}: {response.text}"
            assert_zendesk_error(response, 400, "InvalidRequest")

    assert ticket_state(desk.admin, ticket_id) == before_ticket
    assert user_state(desk.admin, person) == before_user


def test_a_json_body_that_is_not_an_object_is_refused(desk: Desk) -> None:
    before = ticket_count(desk.admin)
    bodies: list[Any] = [[], "ticket", 42, None, {"tickets": {"subject": "x"}}, {"ticket": []}, {"ticket": "x"}]
    for body in bodies:
        response = desk.admin.post("/api/v2/tickets.json", body)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert response.json()["error"] in {"InvalidRequest", "RecordInvalid"}
    assert ticket_count(desk.admin) == before


# --- unknown and mistyped fields ---------------------------------------------------------------


def test_a_misspelled_field_is_a_422_that_names_it(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    response = desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "Printer on fire", "comment": {"body": "Help"}, "priorty": "urgent"}},
    )

    assert_invalid_field(response, "priorty")
    assert ticket_count(desk.admin) == before


def test_a_misspelled_field_on_update_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    before = ticket_state(desk.admin, ticket_id)

    response = desk.admin.put(
        f"/api/v2/tickets/{ticket_id}.json",
        {"ticket": {"subject": "Renamed", "comment": {"body": "Sneaky"}, "priorty": "urgent"}},
    )

    assert_invalid_field(response, "priorty")
    assert ticket_state(desk.admin, ticket_id) == before


def test_every_bad_field_is_reported_at_once(desk: Desk) -> None:
    response = desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"comment": {"body": "Help"}, "priorty": "urgent", "subject": 5, "tags": 7}},
    )

    body = assert_zendesk_error(response, 422, "RecordInvalid")
    assert {"priorty", "subject", "tags"} <= set(body["details"])


def test_a_misspelled_user_field_is_a_422_that_names_it(desk: Desk) -> None:
    before = user_count(desk.admin)

    response = desk.admin.post("/api/v2/users.json", {"user": {"name": "Pat", "emial": "pat@desk.test"}})

    assert_invalid_field(response, "emial")
    assert user_count(desk.admin) == before


WRONG_TICKET_VALUES: list[tuple[str, Any]] = [
    ("subject", 5),
    ("subject", "x" * 256),
    ("requester_id", "x"),
    ("requester_id", -3),
    ("requester_id", True),
    ("assignee_id", 1.5),
    ("tags", 7),
    ("tags", [1, 2]),
    ("status", "bogus"),
    ("status", 3),
    ("priority", "superurgent"),
    ("type", "complaint"),
    ("due_at", "next tuesday"),
    ("collaborator_ids", "1,2"),
    ("custom_fields", "x"),
    ("comment", "just a string"),
]


def test_a_wrongly_typed_value_on_create_is_a_422_that_names_the_field(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    for field, value in WRONG_TICKET_VALUES:
        ticket = {"subject": "Printer on fire", "comment": {"body": "It is on fire."}, field: value}
        response = desk.admin.post("/api/v2/tickets.json", {"ticket": ticket})
        assert response.status_code == 422, f"{field}={value!r}: {response.text}"
        assert_invalid_field(response, field)

    assert ticket_count(desk.admin) == before


def test_a_wrongly_typed_value_on_update_is_a_422_and_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    before = ticket_state(desk.admin, ticket_id)

    for field, value in WRONG_TICKET_VALUES:
        ticket: dict[str, Any] = {"priority": "high", "comment": {"body": "Any news?"}, field: value}
        response = desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": ticket})
        assert response.status_code == 422, f"{field}={value!r}: {response.text}"
        assert_invalid_field(response, field)

    assert ticket_state(desk.admin, ticket_id) == before


WRONG_USER_VALUES: list[tuple[str, Any]] = [
    ("name", 5),
    ("email", ["a@b.test"]),
    ("role", "overlord"),
    ("organization_id", "acme"),
    ("suspended", "yes"),
    ("tags", {"a": 1}),
    ("user_fields", [1]),
    ("ticket_restriction", "everything"),
]


def test_a_wrongly_typed_user_value_is_a_422_that_names_the_field(desk: Desk) -> None:
    before = user_count(desk.admin)

    for field, value in WRONG_USER_VALUES:
        user = {"name": "Pat", "email": "pat@desk.test", field: value}
        response = desk.admin.post("/api/v2/users.json", {"user": user})
        assert response.status_code == 422, f"{field}={value!r}: {response.text}"
        assert_invalid_field(response, field)

    assert user_count(desk.admin) == before


# --- oversized bodies --------------------------------------------------------------------------


def padded_ticket_body(size: int) -> bytes:
    """A valid ticket body of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = b'{"ticket": {"subject": "Big", "comment": {"body": "Padded body"}}}'
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_a_body_over_one_megabyte_is_a_413_and_creates_nothing(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    response = post_raw(desk.admin, "/api/v2/tickets.json", padded_ticket_body(1_100_000))

    body = assert_zendesk_error(response, 413, "PayloadTooLarge")
    assert "bytes" in body["description"]
    assert ticket_count(desk.admin) == before


def test_a_body_just_under_one_megabyte_is_not_refused_for_its_size(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    response = post_raw(desk.admin, "/api/v2/tickets.json", padded_ticket_body(ONE_MB - 10))

    assert response.status_code == 201, response.text
    assert ticket_count(desk.admin) == before + 1


def test_an_oversized_update_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    before = ticket_state(desk.admin, ticket_id)
    raw = b'{"ticket": {"subject": "Renamed", "comment": {"body": "' + b"a" * 1_100_000 + b'"}}}'

    assert_zendesk_error(put_raw(desk.admin, f"/api/v2/tickets/{ticket_id}.json", raw), 413, "PayloadTooLarge")
    assert ticket_state(desk.admin, ticket_id) == before


@pytest.fixture
def small_limit_desk(engine: Engine, database_url: str, clock: ManualClock) -> Iterator[Desk]:
    """The app as `OPSDESK_MAX_BODY_BYTES=2000` configures it."""
    configured = Settings.from_env(
        {"OPSDESK_DATABASE_URL": database_url, "OPSDESK_CLOCK": "manual", "OPSDESK_MAX_BODY_BYTES": "2000"}
    )
    app = create_app(configured, engine=engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Desk(engine, client, clock)


def test_the_body_limit_follows_opsdesk_max_body_bytes(small_limit_desk: Desk) -> None:
    admin = small_limit_desk.admin
    before_tickets, before_users = ticket_count(admin), user_count(admin)

    over = padded_ticket_body(3000)
    assert_zendesk_error(post_raw(admin, "/api/v2/tickets.json", over), 413, "PayloadTooLarge")
    user_body = b'{"user": {"name": "Pat", "email": "pat@desk.test"}}'
    assert_zendesk_error(post_raw(admin, "/api/v2/users.json", user_body + b" " * 3000), 413, "PayloadTooLarge")
    assert ticket_count(admin) == before_tickets
    assert user_count(admin) == before_users

    assert post_raw(admin, "/api/v2/tickets.json", padded_ticket_body(1500)).status_code == 201
    assert ticket_count(admin) == before_tickets + 1


# --- unknown ids -------------------------------------------------------------------------------


def test_an_unknown_ticket_id_is_a_404(desk: Desk) -> None:
    before = ticket_count(desk.admin)
    path = f"/api/v2/tickets/{MISSING_ID}.json"

    assert_zendesk_error(desk.admin.get(path), 404, "RecordNotFound")
    assert_zendesk_error(
        desk.admin.put(path, {"ticket": {"subject": "x", "comment": {"body": "y"}}}), 404, "RecordNotFound"
    )
    assert_zendesk_error(desk.admin.delete(path), 404, "RecordNotFound")
    assert_zendesk_error(desk.admin.get(f"/api/v2/tickets/{MISSING_ID}/comments.json"), 404, "RecordNotFound")

    assert ticket_count(desk.admin) == before


def test_an_unknown_user_id_is_a_404(desk: Desk) -> None:
    before = user_count(desk.admin)
    path = f"/api/v2/users/{MISSING_ID}.json"

    assert_zendesk_error(desk.admin.get(path), 404, "RecordNotFound")
    assert_zendesk_error(desk.admin.put(path, {"user": {"name": "Ghost"}}), 404, "RecordNotFound")

    assert user_count(desk.admin) == before


def test_an_unknown_reference_on_create_is_a_422_and_creates_nothing(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    for field in ("requester_id", "group_id", "assignee_id", "organization_id", "ticket_form_id", "problem_id"):
        ticket = {"subject": "Printer on fire", "comment": {"body": "Help"}, field: MISSING_ID}
        response = desk.admin.post("/api/v2/tickets.json", {"ticket": ticket})
        assert response.status_code == 422, f"{field}: {response.text}"
        assert_invalid_field(response, field)

    assert ticket_count(desk.admin) == before


def test_an_unknown_reference_on_update_is_a_422_and_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    before = ticket_state(desk.admin, ticket_id)

    for field in ("requester_id", "group_id", "assignee_id", "organization_id", "collaborator_ids"):
        value = [MISSING_ID] if field == "collaborator_ids" else MISSING_ID
        ticket = {"subject": "Renamed", "comment": {"body": "Reassigning"}, field: value}
        response = desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": ticket})
        assert response.status_code == 422, f"{field}: {response.text}"
        assert_invalid_field(response, field)

    assert ticket_state(desk.admin, ticket_id) == before


def test_an_end_user_as_assignee_is_refused(desk: Desk) -> None:
    customer = desk.user("Carla Customer", "carla@desk.test")
    before = ticket_count(desk.admin)

    response = desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "x", "comment": {"body": "y"}, "assignee_id": customer.user_id}},
    )

    assert_invalid_field(response, "assignee_id")
    assert ticket_count(desk.admin) == before


def test_a_refused_ticket_does_not_leave_its_new_requester_behind(desk: Desk) -> None:
    """The requester named by email is created in the same transaction as the ticket, or not at all."""
    before_tickets, before_users = ticket_count(desk.admin), user_count(desk.admin)

    response = desk.admin.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "x",
                "comment": {"body": "y"},
                "requester": {"name": "Nora New", "email": "nora@desk.test"},
                "group_id": MISSING_ID,
            }
        },
    )

    assert_invalid_field(response, "group_id")
    assert ticket_count(desk.admin) == before_tickets
    assert user_count(desk.admin) == before_users


# --- forbidden transitions ---------------------------------------------------------------------


def close_ticket(desk: Desk, ticket_id: int) -> None:
    """Closing is the system's move (automations, merges), so it goes through the service."""
    with writing(desk.engine) as conn:
        tickets_service.update_ticket(
            conn,
            actor=None,
            ticket_id=ticket_id,
            values={"status": Status.CLOSED},
            comment=None,
            via=Channel.SYSTEM,
            now=desk.clock.now(),
        )


def test_a_closed_ticket_cannot_be_updated(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin, status="solved")
    close_ticket(desk, ticket_id)
    before = ticket_state(desk.admin, ticket_id)
    assert before.ticket["status"] == "closed"

    changes: list[dict[str, Any]] = [
        {"comment": {"body": "One more thing"}},
        {"subject": "Renamed"},
        {"status": "open", "comment": {"body": "Reopening"}},
        {"priority": "urgent", "tags": ["escalated"]},
    ]
    for change in changes:
        response = desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": change})
        assert response.status_code == 422, f"{change}: {response.text}"
        assert_invalid_field(response, "status")

    assert ticket_state(desk.admin, ticket_id) == before


def test_a_ticket_cannot_go_back_to_new(desk: Desk) -> None:
    for start in ("open", "pending", "hold", "solved"):
        ticket_id = new_ticket(desk.admin, status=start)
        before = ticket_state(desk.admin, ticket_id)
        assert before.ticket["status"] == start

        response = desk.admin.put(
            f"/api/v2/tickets/{ticket_id}.json",
            {"ticket": {"status": "new", "subject": "Renamed", "comment": {"body": "Back to the queue"}}},
        )

        assert response.status_code == 422, f"{start} -> new: {response.text}"
        assert_invalid_field(response, "status")
        assert ticket_state(desk.admin, ticket_id) == before


def test_an_agent_cannot_close_a_ticket_directly(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin, status="solved")
    before = ticket_state(desk.admin, ticket_id)

    response = desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"status": "closed"}})

    assert_invalid_field(response, "status")
    assert ticket_state(desk.admin, ticket_id) == before


def test_a_ticket_cannot_be_created_closed(desk: Desk) -> None:
    before = ticket_count(desk.admin)

    response = desk.admin.post(
        "/api/v2/tickets.json", {"ticket": {"subject": "x", "comment": {"body": "y"}, "status": "closed"}}
    )

    assert_invalid_field(response, "status")
    assert ticket_count(desk.admin) == before


def test_an_end_user_cannot_reopen_their_request_through_the_requests_api(desk: Desk) -> None:
    customer = desk.user("Carla Customer", "carla@desk.test")
    ticket_id = new_ticket(desk.admin, requester_id=customer.user_id, status="pending")
    before = ticket_state(desk.admin, ticket_id)

    response = customer.put(
        f"/api/v2/requests/{ticket_id}.json", {"request": {"status": "open", "comment": {"body": "Reopen!"}}}
    )

    assert_invalid_field(response, "status")
    assert ticket_state(desk.admin, ticket_id) == before


# --- invalid user values -----------------------------------------------------------------------


def test_a_duplicate_email_is_a_422_on_email(desk: Desk) -> None:
    desk.user("Pat Person", "pat@desk.test")
    before = user_count(desk.admin)

    for email in ("pat@desk.test", "PAT@Desk.Test", "  pat@desk.test "):
        response = desk.admin.post("/api/v2/users.json", {"user": {"name": "Pat Again", "email": email}})
        assert response.status_code == 422, f"{email!r}: {response.text}"
        assert_invalid_field(response, "email")

    assert user_count(desk.admin) == before


def test_taking_another_users_email_is_a_422_and_changes_nothing(desk: Desk) -> None:
    desk.user("Pat Person", "pat@desk.test")
    other = desk.user("Olive Other", "olive@desk.test")
    before = user_state(desk.admin, other.user_id)

    response = desk.admin.put(
        f"/api/v2/users/{other.user_id}.json",
        {"user": {"name": "Olive Renamed", "email": "pat@desk.test"}},
    )

    assert_invalid_field(response, "email")
    assert user_state(desk.admin, other.user_id) == before


def test_a_badly_formed_email_is_a_422_on_email(desk: Desk) -> None:
    before = user_count(desk.admin)

    for email in ("not-an-email", "pat@", "@desk.test", "pat @desk.test", "", "x" * 320 + "@desk.test"):
        response = desk.admin.post("/api/v2/users.json", {"user": {"name": "Pat", "email": email}})
        assert response.status_code == 422, f"{email!r}: {response.text}"
        assert_invalid_field(response, "email")

    assert user_count(desk.admin) == before


def test_a_null_name_never_becomes_the_text_none(desk: Desk) -> None:
    person = desk.user("Pat Person", "pat@desk.test").user_id

    response = desk.admin.put(f"/api/v2/users/{person}.json", {"user": {"name": None}})

    assert response.status_code < 500, response.text
    assert user_state(desk.admin, person)["name"] == "Pat Person"
    if response.status_code >= 400:
        assert_invalid_field(response, "name")


def test_a_user_without_a_name_is_a_422(desk: Desk) -> None:
    before = user_count(desk.admin)
    for user in ({"email": "pat@desk.test"}, {"name": "   ", "email": "pat@desk.test"}):
        assert_invalid_field(desk.admin.post("/api/v2/users.json", {"user": user}), "name")
    assert user_count(desk.admin) == before


# --- values at the edges of what the database can store ----------------------------------------
# Each is either refused with a 4xx that writes nothing or stored; never a 5xx. These are the
# shapes that make a database driver, not opsdesk, decide the answer.

EDGE_TICKETS: dict[str, dict[str, Any]] = {
    "NUL in subject": {"subject": "nul \x00 byte"},
    "NUL in comment": {"comment": {"body": "nul \x00 byte"}},
    "NUL in a tag": {"tags": ["nul\x00tag"]},
    "NUL in external_id": {"external_id": "\x00"},
    "NUL in a custom field value": {"custom_fields": {"1": "\x00"}},
    "group_id past int32": {"group_id": 2**31},
    "requester_id at int64 max": {"requester_id": 2**63 - 1},
    "collaborator id past int32": {"collaborator_ids": [2**40]},
    "comment author_id past int32": {"comment": {"body": "x", "author_id": 2**31}},
    "custom field id past int64": {"custom_fields": {"99999999999999999999": "x"}},
    "custom field id past int32": {"custom_fields": [{"id": 2**31, "value": "x"}]},
    "due_at before year 1 in UTC": {"due_at": "0001-01-01T00:00:00+14:00"},
    "due_at after year 9999 in UTC": {"due_at": "9999-12-31T23:59:59-14:00"},
    "null subject": {"subject": None},
    "null requester_id": {"requester_id": None},
}


def test_edge_values_in_a_ticket_never_cause_a_5xx(desk: Desk) -> None:
    ticket_id = new_ticket(desk.admin)
    crashed: list[str] = []

    for name, extra in EDGE_TICKETS.items():
        before_count, before_ticket = ticket_count(desk.admin), ticket_state(desk.admin, ticket_id)
        created = desk.admin.post("/api/v2/tickets.json", {"ticket": {"comment": {"body": "Edge"}, **extra}})
        if created.status_code >= 500:
            crashed.append(f"POST {name}: {created.status_code}")
        elif created.status_code >= 400:
            assert "error" in created.json(), created.text
            assert ticket_count(desk.admin) == before_count, name
        updated = desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": extra})
        if updated.status_code >= 500:
            crashed.append(f"PUT {name}: {updated.status_code}")
        elif updated.status_code >= 400:
            assert "error" in updated.json(), updated.text
            assert ticket_state(desk.admin, ticket_id) == before_ticket, name

    assert not crashed, "server errors instead of a 4xx or a stored value:\n" + "\n".join(crashed)


EDGE_USERS: dict[str, dict[str, Any]] = {
    "NUL in name": {"name": "nul \x00 name"},
    "NUL in email": {"email": "nul\x00@desk.test"},
    "NUL in phone": {"phone": "\x00"},
    "NUL in a user field": {"user_fields": {"note": "\x00"}},
    "NUL in a user field name": {"user_fields": {"\x00": "x"}},
    "organization_id past int32": {"organization_id": 2**31},
    "default_group_id past int32": {"default_group_id": 2**62},
    "null suspended": {"suspended": None},
    "null verified": {"verified": None},
    "null time_zone": {"time_zone": None},
    "null locale": {"locale": None},
    "null details": {"details": None},
    "null notes": {"notes": None},
}


def test_edge_values_in_a_user_never_cause_a_5xx(desk: Desk) -> None:
    person = desk.user("Pat Person", "pat@desk.test").user_id
    crashed: list[str] = []

    for number, (name, extra) in enumerate(EDGE_USERS.items()):
        before_count, before_user = user_count(desk.admin), user_state(desk.admin, person)
        user = {"name": "Edge", "email": f"edge{number}@desk.test", **extra}
        created = desk.admin.post("/api/v2/users.json", {"user": user})
        if created.status_code >= 500:
            crashed.append(f"POST {name}: {created.status_code}")
        elif created.status_code >= 400:
            assert "error" in created.json(), created.text
            assert user_count(desk.admin) == before_count, name
        updated = desk.admin.put(f"/api/v2/users/{person}.json", {"user": extra})
        if updated.status_code >= 500:
            crashed.append(f"PUT {name}: {updated.status_code}")
        elif updated.status_code >= 400:
            assert "error" in updated.json(), updated.text
            assert user_state(desk.admin, person) == before_user, name

    assert not crashed, "server errors instead of a 4xx or a stored value:\n" + "\n".join(crashed)


# --- generated bad input: no 5xx, ever ---------------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Small ids name rows that exist (the desk's users, the ticket); the rest sit on integer boundaries.
ids = (
    st.integers(min_value=-2, max_value=6)
    | st.sampled_from([2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64 - 1])
    | st.integers(min_value=-(2**64) + 1, max_value=2**64 - 1)
)
words = st.sampled_from(
    [str(choice) for enum in (Status, Priority, TicketType, Role) for choice in enum]
    + ["requested", "organization", "groups", "assigned", "", " ", "null"]
)
nasty_text = st.text(alphabet=st.sampled_from("a\x00\n\t é😀<>&\"'\\\u2028\ufeff@."), max_size=30)
emails = (
    st.emails()
    | st.sampled_from(["admin@desk.test", "TESS@desk.test ", "carla@desk.test"])
    | st.builds("{}@{}.test".format, nasty_text, nasty_text)
)
times = st.builds(
    lambda moment, offset: moment.isoformat() + offset,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),  # noqa: DTZ001 - wire text
    st.sampled_from(["Z", "+14:00", "-14:00", "+05:30", ""]),
) | st.text(alphabet="0123456789-:TZ+.", max_size=25)
comments = st.fixed_dictionaries(
    {}, optional={"body": nasty_text, "html_body": nasty_text, "public": st.booleans(), "author_id": ids}
)
custom_values = st.dictionaries(st.text(alphabet="0123456789x-", max_size=22), json_values, max_size=2) | st.lists(
    st.fixed_dictionaries({"id": ids | json_values, "value": json_values}), max_size=2
)
any_field_value = st.one_of(
    json_values, ids, words, nasty_text, emails, times, comments, custom_values, st.lists(ids, max_size=3)
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Draw from each strategy in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


# Values of the shape each reader accepts, with contents that probe the storage below.
PLAUSIBLE: dict[object, st.SearchStrategy[Any]] = {
    record_id: ids | st.none(),
    id_list: st.lists(ids, max_size=3),
    boolean: st.booleans() | st.none(),
    instant: times | st.none(),
    tag_list: st.lists(nasty_text | words, max_size=3) | nasty_text,
    string_list: st.lists(nasty_text, max_size=3),
    custom_field_values: custom_values,
    # A comment, a requester, or free-form user fields.
    mapping: comments | st.fixed_dictionaries({"email": emails}, optional={"name": nasty_text}) | json_values,
}
TEXT_LIKE = words | nasty_text | emails | st.none()


def field_objects(spec: dict[str, Any], base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are the resource's real fields (and a few near misses), mostly with values
    of the right shape so they get past the readers to the services and the database."""
    names = [*sorted(spec), "priorty", "", "id"]
    pairs = st.sampled_from(names).flatmap(
        lambda name: st.tuples(
            st.just(name), weighted((3, PLAUSIBLE.get(spec.get(name), TEXT_LIKE)), (1, any_field_value))
        )
    )
    return st.lists(pairs, max_size=4).map(lambda fields: {**base, **dict(fields)})


raw_bodies = st.binary(max_size=200) | st.text(max_size=100).map(str.encode)


def enveloped(key: str, objects: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """`{"key": {...}}`, as Zendesk clients send every write."""
    return objects.map(lambda obj: {key: obj})


ticket_bodies = enveloped("ticket", field_objects(TICKET_SPEC, {"comment": {"body": "Printer on fire"}}))
user_bodies = enveloped("user", field_objects(USER_SPEC, {"name": "Fuzz Person"}))
request_bodies = enveloped("request", field_objects(REQUEST_SPEC, {"comment": {"body": "Still broken"}}))
any_body = st.one_of(
    raw_bodies,
    json_values,
    st.dictionaries(st.sampled_from(["ticket", "user", "request"]), json_values, min_size=1, max_size=2),
)


@dataclass(frozen=True)
class Targets:
    admin: Api
    customer: Api
    ticket_id: int
    user_id: int
    request_id: int


@pytest.fixture
def targets(desk: Desk) -> Targets:
    """A ticket and a user for the admin to update, and an end-user with a request of their own.

    The user the fuzzer updates is not the admin and not the end-user, so a generated
    `suspended: true` or role change cannot lock the fuzzer out of the endpoints it is testing.
    """
    customer = desk.user("Carla Customer", "carla@desk.test")
    target = desk.user("Tess Target", "tess@desk.test")
    request = customer.post("/api/v2/requests.json", {"request": {"subject": "Help", "comment": {"body": "Please"}}})
    assert request.status_code == 201, request.text
    return Targets(
        admin=desk.admin,
        customer=customer,
        ticket_id=new_ticket(desk.admin),
        user_id=target.user_id,
        request_id=request.json()["request"]["id"],
    )


def send(api: Api, method: str, path: str, body: Any) -> Any:
    if isinstance(body, bytes):
        return api.client.request(method, path, content=body, headers={**api.headers, **JSON_HEADERS})
    return api.client.request(method, path, json=body, headers=api.headers)


def assert_handled(response: Any, method: str, path: str, body: Any) -> None:
    assert response.status_code < 500, f"{method} {path} {body!r} -> {response.status_code} {response.text}"
    if response.status_code >= 400:
        answer = response.json()
        assert isinstance(answer, dict), answer
        assert isinstance(answer.get("error"), str), answer


@FUZZ
@given(body=any_body)
def test_any_json_or_bytes_never_gets_a_5xx(targets: Targets, body: Any) -> None:
    for api, method, path in (
        (targets.admin, "POST", "/api/v2/tickets.json"),
        (targets.admin, "PUT", f"/api/v2/tickets/{targets.ticket_id}.json"),
        (targets.admin, "POST", "/api/v2/users.json"),
        (targets.admin, "PUT", f"/api/v2/users/{targets.user_id}.json"),
        (targets.customer, "POST", "/api/v2/requests.json"),
        (targets.customer, "PUT", f"/api/v2/requests/{targets.request_id}.json"),
    ):
        assert_handled(send(api, method, path, body), method, path, body)


@FUZZ
@given(body=ticket_bodies, update=st.booleans())
def test_generated_ticket_bodies_never_get_a_5xx(targets: Targets, body: Any, update: bool) -> None:
    method, path = ("PUT", f"/api/v2/tickets/{targets.ticket_id}.json") if update else ("POST", "/api/v2/tickets.json")
    assert_handled(send(targets.admin, method, path, body), method, path, body)


@FUZZ
@given(body=user_bodies, update=st.booleans())
def test_generated_user_bodies_never_get_a_5xx(targets: Targets, body: Any, update: bool) -> None:
    method, path = ("PUT", f"/api/v2/users/{targets.user_id}.json") if update else ("POST", "/api/v2/users.json")
    assert_handled(send(targets.admin, method, path, body), method, path, body)


@FUZZ
@given(body=request_bodies, update=st.booleans())
def test_generated_request_bodies_from_an_end_user_never_get_a_5xx(targets: Targets, body: Any, update: bool) -> None:
    method, path = (
        ("PUT", f"/api/v2/requests/{targets.request_id}.json") if update else ("POST", "/api/v2/requests.json")
    )
    assert_handled(send(targets.customer, method, path, body), method, path, body)
