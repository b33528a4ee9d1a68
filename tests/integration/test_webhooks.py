"""Webhooks through a real HTTP receiver on loopback: signed, retried with backoff, delivered once
per idempotency key, every attempt visible through the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import orjson
import pytest

from tests.integration.conftest import Desk


class Receiver(BaseHTTPRequestHandler):
    """Fails the first `failures` requests with a 503, then answers 200; keeps what it received."""

    failures: ClassVar[int] = 0
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status = 503 if len(Receiver.received) <= Receiver.failures else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.failures = 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _webhook(desk: Desk, endpoint: str) -> str:
    response = desk.admin.post(
        "/api/v2/webhooks.json",
        {
            "webhook": {
                "name": "Slack live feed",
                "endpoint": endpoint,
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": ["zen:event-type:ticket.created"],
            }
        },
    )
    assert response.status_code == 201, response.text
    webhook_id: str = response.json()["webhook"]["id"]
    return webhook_id


def _advance(desk: Desk, seconds: int) -> None:
    assert desk.admin.post("/api/test/clock", {"advance_seconds": seconds}).status_code == 200


def test_a_failing_receiver_gets_the_event_once_after_retries(desk: Desk, receiver: str) -> None:
    Receiver.failures = 3
    webhook_id = _webhook(desk, receiver)
    created = desk.admin.post("/api/v2/tickets.json", {"ticket": {"subject": "Printer", "comment": {"body": "fire"}}})
    ticket_id = created.json()["ticket"]["id"]
    _advance(desk, 0)
    assert len(Receiver.received) == 1, "the first attempt follows the commit"
    for _ in range(10):
        _advance(desk, 60)
    assert len(Receiver.received) == 4
    keys = {headers["idempotency-key"] for headers, _ in Receiver.received}
    assert len(keys) == 1, "every retry carries the same idempotency key"
    successes = [body for (_, body), n in zip(Receiver.received, range(1, 5), strict=True) if n > Receiver.failures]
    assert len(successes) == 1
    event = orjson.loads(successes[0])
    assert event["type"] == "zen:event-type:ticket.created"
    assert event["detail"]["id"] == ticket_id
    invocations = desk.admin.get(f"/api/v2/webhooks/{webhook_id}/invocations").json()["invocations"]
    assert [(i["status"], i["attempts"], i["latest_status"]) for i in invocations] == [("success", 4, 200)]
    attempts = desk.admin.get(f"/api/v2/webhooks/{webhook_id}/invocations/{invocations[0]['id']}/attempts").json()[
        "attempts"
    ]
    assert [(a["status"], a["status_code"]) for a in attempts] == [("failed", 503)] * 3 + [("success", 200)]
    times = [a["completed_at"] for a in attempts]
    assert times == sorted(times)
    assert len(set(times)) == 4, "retries wait, with backoff"


def test_requests_are_signed_with_the_webhook_secret(desk: Desk, receiver: str) -> None:
    webhook_id = _webhook(desk, receiver)
    desk.admin.post("/api/v2/tickets.json", {"ticket": {"subject": "x", "comment": {"body": "y"}}})
    _advance(desk, 0)
    secret = desk.admin.get(f"/api/v2/webhooks/{webhook_id}/signing_secret").json()["signing_secret"]["secret"]
    headers, body = Receiver.received[0]
    timestamp = headers["x-zendesk-webhook-signature-timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest())
    assert headers["x-zendesk-webhook-signature"] == expected.decode()


def test_a_receiver_that_never_recovers_ends_failed_and_visible(desk: Desk, receiver: str) -> None:
    Receiver.failures = 1000
    webhook_id = _webhook(desk, receiver)
    desk.admin.post("/api/v2/tickets.json", {"ticket": {"subject": "x", "comment": {"body": "y"}}})
    for _ in range(40):
        _advance(desk, 3600)
    invocation = desk.admin.get(f"/api/v2/webhooks/{webhook_id}/invocations").json()["invocations"][0]
    assert invocation["status"] == "failed"
    assert invocation["attempts"] == 10
    assert invocation["last_error"] == "HTTP 503"


def test_webhook_input_is_checked(desk: Desk) -> None:
    bad = desk.admin.post(
        "/api/v2/webhooks.json",
        {
            "webhook": {
                "name": "",
                "endpoint": "ftp://x",
                "http_method": "BREW",
                "subscriptions": ["zen:event-type:nope"],
            }
        },
    )
    assert bad.status_code == 422
    assert set(bad.json()["details"]) == {"name", "endpoint", "http_method", "subscriptions"}
    assert desk.admin.get("/api/v2/webhooks.json").json()["webhooks"] == []
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    assert agent.get("/api/v2/webhooks.json").status_code == 403
