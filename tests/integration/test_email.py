"""Requester email over a real SMTP server on loopback (aiosmtpd): sent after commit, threaded."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.settings import Settings
from opsdesk.web.app import create_app
from tests.integration.conftest import Desk


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message_from_bytes(message.as_bytes()))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()  # aiosmtpd cannot listen on port 0 (aio-libs/aiosmtpd#276)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mail_desk(engine: Engine, database_url: str, clock: ManualClock, inbox: tuple[Inbox, int]) -> Iterator[Desk]:
    settings = Settings.from_env(
        {
            "OPSDESK_DATABASE_URL": database_url,
            "OPSDESK_CLOCK": "manual",
            "OPSDESK_SMTP_URL": f"smtp://127.0.0.1:{inbox[1]}",
            "OPSDESK_BASE_URL": "https://help.example.com",
        }
    )
    with TestClient(create_app(settings, engine=engine, clock=clock), raise_server_exceptions=False) as client:
        yield Desk(engine, client, clock)


def test_requester_gets_received_and_reply_emails_threaded(mail_desk: Desk, inbox: tuple[Inbox, int]) -> None:
    messages = inbox[0].messages
    requester = mail_desk.user("Rita", "rita@example.com")
    created = mail_desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "Printer on fire", "comment": {"body": "Help"}, "requester_id": requester.user_id}},
    )
    ticket_id = created.json()["ticket"]["id"]
    assert messages == [], "nothing leaves before the worker (here: the test clock) runs"
    mail_desk.admin.post("/api/test/clock", {"advance_seconds": 0})
    mail_desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": {"body": "note", "public": False}}})
    mail_desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": {"body": "Try turning it off."}}})
    mail_desk.admin.post("/api/test/clock", {"advance_seconds": 1})
    assert [m["To"] for m in messages] == ["rita@example.com", "rita@example.com"], "no email for the internal note"
    first, reply = messages
    assert first["Message-ID"] == f"<ticket-{ticket_id}@help.example.com>"
    assert first["Subject"] == f"[#{ticket_id}] Printer on fire"
    assert first["Reply-To"] == f"support+id{ticket_id}@help.example.com"
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert reply["References"] == first["Message-ID"]
    assert "Try turning it off." in reply.get_payload()
    assert reply["X-Opsdesk-Delivery"] != first["X-Opsdesk-Delivery"]
