"""Ticket behaviour through the Zendesk API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, Desk


def _ticket(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"subject": "Printer on fire", "comment": {"body": "It is on fire."}, **fields}
    response = api.post("/api/v2/tickets.json", {"ticket": body})
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def _update(api: Api, ticket_id: int, **fields: Any) -> dict[str, Any]:
    response = api.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_upserts_requester_and_joins_org_by_domain(desk: Desk) -> None:
    org = desk.admin.post(
        "/api/v2/organizations.json", {"organization": {"name": "Acme", "domain_names": ["acme.example"]}}
    )
    assert org.status_code == 201
    ticket = _ticket(desk.admin, requester={"name": "Wile E", "email": "wile@ACME.example"})
    requester = desk.admin.get(f"/api/v2/users/{ticket['requester_id']}.json").json()["user"]
    assert requester["email"] == "wile@acme.example"
    assert requester["role"] == "end-user"
    assert ticket["organization_id"] == org.json()["organization"]["id"] == requester["organization_id"]
    assert ticket["status"] == "new"
    assert ticket["description"] == "It is on fire."
    assert ticket["url"].startswith("http://testserver/api/v2/tickets/")


def test_status_rules_through_the_api(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    ticket = _ticket(desk.admin, requester_id=requester.user_id)
    note = _update(desk.admin, ticket["id"], comment={"body": "looking", "public": False})
    assert note["ticket"]["status"] == "open", "an agent's first update opens a new ticket"
    pending = _update(desk.admin, ticket["id"], status="pending", comment={"body": "Can you try again?"})
    assert pending["ticket"]["status"] == "pending"
    _update(desk.admin, ticket["id"], comment={"body": "internal only", "public": False})
    assert desk.admin.get(f"/api/v2/tickets/{ticket['id']}.json").json()["ticket"]["status"] == "pending"
    reply = requester.put(f"/api/v2/requests/{ticket['id']}.json", {"request": {"comment": {"body": "Still broken"}}})
    assert reply.status_code == 200
    assert reply.json()["request"]["status"] == "open"
    back_to_new = desk.admin.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"status": "new"}})
    assert back_to_new.status_code == 422
    assert "status" in back_to_new.json()["details"]


def test_reply_to_closed_ticket_opens_linked_followup(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    source = _ticket(desk.admin, requester_id=requester.user_id, tags=["vip"])
    target = _ticket(desk.admin, requester_id=requester.user_id)
    merged = desk.admin.post(f"/api/v2/tickets/{target['id']}/merge.json", {"ids": [source["id"]]})
    assert merged.status_code == 200
    assert merged.json()["job_status"]["status"] == "completed"
    closed = desk.admin.get(f"/api/v2/tickets/{source['id']}.json").json()["ticket"]
    assert closed["status"] == "closed"
    assert {"closed_by_merge", "close_by_merge", "vip"} <= set(closed["tags"])
    refused = desk.admin.put(f"/api/v2/tickets/{source['id']}.json", {"ticket": {"status": "open"}})
    assert refused.status_code == 422
    reply = requester.put(f"/api/v2/requests/{source['id']}.json", {"request": {"comment": {"body": "one more thing"}}})
    assert reply.status_code == 200
    followup = reply.json()["request"]
    assert followup["id"] != source["id"]
    assert followup["followup_source_id"] == source["id"]
    again = desk.admin.get(f"/api/v2/tickets/{source['id']}.json").json()["ticket"]
    assert again["followup_ids"] == [followup["id"]]
    assert again["status"] == "closed"


def test_every_update_writes_one_audit_with_its_events(desk: Desk) -> None:
    ticket = _ticket(desk.admin, priority="low")
    _update(desk.admin, ticket["id"], priority="high", additional_tags=["premium"], comment={"body": "hi"})
    audits = desk.admin.get(f"/api/v2/tickets/{ticket['id']}/audits.json").json()["audits"]
    assert len(audits) == 2
    create_fields = {e["field_name"] for e in audits[0]["events"] if e["type"] == "Create"}
    assert {"subject", "priority", "status", "requester_id"} <= create_fields
    changes = {e["field_name"]: e for e in audits[1]["events"] if e["type"] == "Change"}
    assert changes["priority"]["previous_value"] == "low"
    assert changes["priority"]["value"] == "high"
    assert changes["tags"]["value"] == ["premium"]
    assert [e["body"] for e in audits[1]["events"] if e["type"] == "Comment"] == ["hi"]


def test_html_comments_are_sanitised(desk: Desk) -> None:
    ticket = _ticket(desk.admin)
    _update(desk.admin, ticket["id"], comment={"html_body": "<p>Hello <script>alert(1)</script><b>there</b></p>"})
    comments = desk.admin.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]
    assert "<script>" not in comments[-1]["html_body"]
    assert "<b>there</b>" in comments[-1]["html_body"]
    assert comments[-1]["body"] == "Hello there"


def test_custom_fields_are_validated_by_type(desk: Desk) -> None:
    field = desk.admin.post(
        "/api/v2/ticket_fields.json",
        {
            "ticket_field": {
                "type": "tagger",
                "title": "Plan",
                "custom_field_options": [{"name": "Gold", "value": "gold"}],
            }
        },
    ).json()["ticket_field"]
    seats = desk.admin.post("/api/v2/ticket_fields.json", {"ticket_field": {"type": "integer", "title": "Seats"}})
    seats_id = seats.json()["ticket_field"]["id"]
    good = _ticket(desk.admin, custom_fields=[{"id": field["id"], "value": "gold"}, {"id": seats_id, "value": "12"}])
    assert {f["id"]: f["value"] for f in good["custom_fields"]} == {field["id"]: "gold", seats_id: 12}
    bad = desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "x", "comment": {"body": "y"}, "custom_fields": [{"id": field["id"], "value": "tin"}]}},
    )
    assert bad.status_code == 422
    assert f"custom_fields.{field['id']}" in bad.json()["details"]


def test_both_pagination_styles_walk_every_ticket(desk: Desk) -> None:
    ids = {_ticket(desk.admin)["id"] for _ in range(7)}
    seen: list[int] = []
    page = desk.admin.get("/api/v2/tickets.json", **{"page[size]": 3}).json()
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if not page["meta"]["has_more"]:
            break
        page = desk.client.get(page["links"]["next"], headers=desk.admin.headers).json()
    assert seen == sorted(ids)
    offset: list[int] = []
    page = desk.admin.get("/api/v2/tickets.json", per_page=3).json()
    assert page["count"] == 7
    while True:
        offset += [t["id"] for t in page["tickets"]]
        if page["next_page"] is None:
            break
        page = desk.client.get(page["next_page"], headers=desk.admin.headers).json()
    assert offset == sorted(ids)


def test_deleted_ticket_is_gone(desk: Desk) -> None:
    ticket = _ticket(desk.admin)
    assert desk.admin.delete(f"/api/v2/tickets/{ticket['id']}.json").status_code == 204
    assert desk.admin.get(f"/api/v2/tickets/{ticket['id']}.json").status_code == 404
    assert desk.admin.get("/api/v2/tickets/count.json").json()["count"]["value"] == 0


def test_tags_endpoints(desk: Desk) -> None:
    ticket = _ticket(desk.admin, tags=["a"])
    assert desk.admin.put(f"/api/v2/tickets/{ticket['id']}/tags.json", {"tags": ["B c"]}).json()["tags"] == [
        "a",
        "b",
        "c",
    ]
    assert desk.admin.delete(f"/api/v2/tickets/{ticket['id']}/tags.json").status_code == 400
    assert desk.admin.post(f"/api/v2/tickets/{ticket['id']}/tags.json", {"tags": ["z"]}).json()["tags"] == ["z"]
    listed = desk.admin.get("/api/v2/tags.json").json()["tags"]
    assert listed == [{"name": "z", "count": 1}]


def test_tokens_are_revocable_and_passwords_work(desk: Desk) -> None:
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    assert agent.get("/api/v2/users/me.json").status_code == 200
    set_password = desk.admin.post(f"/api/v2/users/{agent.user_id}/password.json", {"password": "correct horse"})
    assert set_password.status_code == 200
    by_password = desk.client.get("/api/v2/users/me.json", auth=("tina@desk.test", "correct horse"))
    assert by_password.json()["user"]["id"] == agent.user_id
    wrong = desk.client.get("/api/v2/users/me.json", auth=("tina@desk.test", "wrong horse"))
    assert wrong.status_code == 401


def test_a_revoked_token_stops_working(desk: Desk) -> None:
    agent = desk.user("Tom", "tom@desk.test", role="agent")
    issued = desk.admin.post(f"/api/opsdesk/users/{agent.user_id}/tokens", {"description": "script"})
    assert issued.status_code == 201
    token = issued.json()["token"]
    script = Api(desk.client, "tom@desk.test", token["value"])
    assert script.get("/api/v2/users/me.json").status_code == 200
    listed = desk.admin.get(f"/api/opsdesk/users/{agent.user_id}/tokens").json()["tokens"]
    assert token["value"] not in str(listed), "a token is shown only when issued"
    assert agent.delete(f"/api/opsdesk/tokens/{token['id']}").status_code == 403
    assert desk.admin.delete(f"/api/opsdesk/tokens/{token['id']}").status_code == 204
    assert script.get("/api/v2/users/me.json").status_code == 401
    assert agent.get("/api/v2/users/me.json").status_code == 200, "other tokens keep working"


def test_attachments_follow_the_ticket_access_check(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    stranger = desk.user("Sam", "sam@example.com")
    ticket = _ticket(desk.admin, requester_id=requester.user_id)

    def upload(name: str, content: bytes) -> tuple[str, int]:
        response = desk.client.post(
            "/api/v2/uploads.json",
            params={"filename": name},
            content=content,
            headers={**desk.admin.headers, "Content-Type": "text/plain"},
        )
        assert response.status_code == 201, response.text
        body = response.json()["upload"]
        return body["token"], body["attachment"]["id"]

    note_token, note_file = upload("notes.txt", b"internal findings")
    reply_token, reply_file = upload("fix.txt", b"the fix")
    assert requester.get(f"/api/v2/attachments/{reply_file}.json").status_code == 404, "not attached yet"
    _update(desk.admin, ticket["id"], comment={"body": "note", "public": False, "uploads": [note_token]})
    _update(desk.admin, ticket["id"], comment={"body": "here you go", "uploads": [reply_token]})
    comments = desk.admin.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]
    assert [a["file_name"] for c in comments for a in c["attachments"]] == ["notes.txt", "fix.txt"]
    assert requester.get(f"/api/v2/attachments/{reply_file}/content").content == b"the fix"
    assert requester.get(f"/api/v2/attachments/{note_file}.json").status_code == 404, "internal notes' files"
    assert stranger.get(f"/api/v2/attachments/{reply_file}.json").status_code == 404
    reused = desk.admin.put(
        f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": "again", "uploads": [reply_token]}}}
    )
    assert reused.status_code == 422, "an upload is attached once"
    assert len(desk.admin.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]) == 3
