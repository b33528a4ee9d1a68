"""zenpy 2.0.57 turns opsdesk's error answers into the exceptions its users catch.

zenpy reads the JSON body of every non-2xx answer and raises by its ``error`` key:
``RecordNotFound`` -> RecordNotFoundException, anything else -> APIException (with the
requests.Response on ``.response``). A body that is not JSON surfaces as a bare
requests.HTTPError instead, so these tests also pin down that errors are JSON.

Endpoints hit (besides those listed in test_zenpy_ticket_lifecycle), all JSON answers:

    GET  /api/v2/tickets/{missing}.json
    GET  /api/v2/users/{missing}.json
    GET  /api/v2/organizations/{missing}.json
        -> 404 {"error": "RecordNotFound", "description": "Not found"}
    POST /api/v2/tickets.json
         {"ticket": {"subject": ..., "description": ..., "priority": "superurgent"}}
        -> 422 {"error": "RecordInvalid", "description": "Record validation errors",
                "details": {"priority": [{"description": ..., "error": ...}]}}
    GET  /api/v2/users/me.json, Basic "admin@example.com/token:WRONG" or
         "somebody.else@example.com/token:compat-admin-token" (a token belongs to one user)
        -> 401 with any JSON object, e.g. {"error": "Couldn't authenticate you"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

# zenpy ships neither inline types nor stubs.
from zenpy.lib.api_objects import Ticket  # type: ignore[import-untyped]
from zenpy.lib.exception import (  # type: ignore[import-untyped]
    APIException,
    RecordNotFoundException,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .conftest import LiveServer, ZenpyFactory

MISSING_ID = 987_654_321


@pytest.mark.parametrize(
    "fetch",
    [
        pytest.param(lambda zen: zen.tickets(id=MISSING_ID), id="ticket"),
        pytest.param(lambda zen: zen.users(id=MISSING_ID), id="user"),
        pytest.param(lambda zen: zen.organizations(id=MISSING_ID), id="organization"),
    ],
)
def test_missing_record_raises_record_not_found(zenpy_admin: Any, fetch: Callable[[Any], Any]) -> None:
    with pytest.raises(RecordNotFoundException) as excinfo:
        fetch(zenpy_admin)

    response = excinfo.value.response
    assert response.status_code == 404
    assert response.json()["error"] == "RecordNotFound"


def test_invalid_priority_is_a_record_invalid_api_exception(zenpy_admin: Any) -> None:
    with pytest.raises(APIException) as excinfo:
        zenpy_admin.tickets.create(
            Ticket(
                subject="Everything is on fire",
                description="Please hurry.",
                priority="superurgent",
            )
        )

    # Not one of the subclasses: those mean "not found", "too many values", "search limit".
    assert type(excinfo.value) is APIException
    response = excinfo.value.response
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert isinstance(body["details"], dict)
    assert "priority" in body["details"]


@pytest.mark.parametrize(
    ("email", "token"),
    [
        pytest.param(None, "not-the-admin-token", id="wrong-token"),
        pytest.param("somebody.else@example.com", None, id="token-of-another-user"),
    ],
)
def test_bad_credentials_are_a_401_api_exception(
    live_server: LiveServer, zenpy_factory: ZenpyFactory, email: str | None, token: str | None
) -> None:
    intruder = zenpy_factory(email or live_server.admin_email, token=token or live_server.admin_token)

    with pytest.raises(APIException) as excinfo:
        intruder.users.me()

    assert excinfo.value.response.status_code == 401
