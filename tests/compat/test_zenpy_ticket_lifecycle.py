"""zenpy 2.0.57, unchanged, drives tickets through their life on a live opsdesk.

The HTTP surface these tests need, read from zenpy's source and checked on the wire. Ids are
placeholders; {T} is a ticket, {C} a comment, {A} an audit, {J} a job status (shapes at the
end).

Conventions zenpy imposes on every call below:
- Auth is HTTP Basic on every /api/v2 call: the admin sends "admin@example.com/token:TOKEN",
  the requester sends "rita@globex.example:S3cret-pass!" (email:password).
- Query strings are built from a Python set, so parameter order varies from run to run;
  brackets arrive percent-encoded (page%5Bsize%5D=100). "include=None" is a literal string that
  means "no sideloads". The trailing ".json" is always present on what zenpy builds itself;
  pagination links are followed verbatim, so those are whatever the server emitted.
- Any 2xx is success. A non-2xx must have a JSON body (see test_zenpy_errors.py).
- Every absolute URL in a response (url, next_page, links.next) must use the request's own
  scheme and Host (here http://127.0.0.1:PORT); zenpy GETs pagination links as given.

Setup
  GET  /healthz                                       -> 200 (the fixture polls it)
  POST /api/v2/organizations.json
       {"organization": {"name": str, "domain_names": [str]}}
       -> 201 {"organization": {"id": int, "name", "domain_names", ...}}
  POST /api/v2/users.json
       {"user": {"name": str, "email": str, "role": "end-user", "organization_id": int}}
       (organization_id left out for the bulk requester)
       -> 201 {"user": {"id": int, "name", "email", "role", "organization_id", ...}}
  POST /api/v2/users/{user_id}/password.json          {"password": "S3cret-pass!"}
       -> 200 (empty body, {} or any JSON; zenpy returns the raw response)
  GET  /api/v2/users/me.json                          -> 200 {"user": {"id": int, ...}}

One ticket's life (admin unless marked requester)
  POST /api/v2/tickets.json
       {"ticket": {"subject": str, "description": str, "requester_id": int}}
       -> 201 {"ticket": {T}, "audit": {A}}
          T.status "new"; T.organization_id = the requester's organization;
          T.url starts with http://127.0.0.1:PORT/api/v2/tickets/{id};
          A.ticket_id = T.id; A has exactly one Comment event: the description, public true.
  PUT  /api/v2/tickets/{id}.json  {"ticket": {"id": int, "comment": {"body": str, "public": true}}}
  PUT  /api/v2/tickets/{id}.json  {"ticket": {"id": int, "comment": {"body": str, "public": false}}}
  PUT  /api/v2/tickets/{id}.json  {"ticket": {"id": int, "status": "pending"}}
  PUT  /api/v2/tickets/{id}.json  {"ticket": {"id": int, "status": "solved"}}
       (only the changed attributes plus id are sent)
       -> 200 {"ticket": {T}, "audit": {A}}   one new audit (fresh id) per update;
          a comment becomes one Comment event; the solve has Change ("open" -> "solved").
  PUT  /api/v2/requests/{id}.json   (requester)   {"request": {"id": int, "comment": {"body": str}}}
       -> 200 {"request": {"id", "status": "open", "requester_id", ...}}
          the pending ticket goes back to open; the audit's author_id is the requester and it
          has the comment (public true) and Change ("pending" -> "open").
  GET  /api/v2/tickets/{id}.json                      -> 200 {"ticket": {T}}
  GET  /api/v2/tickets/{id}/comments.json?include_inline_images=false&page[size]=100
       -> 200 {"comments": [{C}], "meta": {...}, "links": {...}} (cursor shape; offset also works)
          oldest first: description, public reply, internal note (public false), requester reply;
          author_id of the reply and note = the admin, of the last one = the requester.
  GET  /api/v2/requests/{id}/comments.json   (requester; no query string)
       -> 200 {"comments": [{C}], "next_page": url|null, "previous_page": url|null, "count": int}
          public comments only (3 here). Must be the OFFSET shape: zenpy always reads this
          endpoint with its offset generator and ignores meta/links.
  GET  /api/v2/tickets/{id}/audits.json?include=None&page[size]=100
       -> 200 {"audits": [{A}], "meta": {...}, "links": {...}}   oldest first, >= 6 audits,
          containing every audit id returned by the create and the four PUTs; status Change
          events end with pending, open, solved.

Merge
  POST /api/v2/tickets.json (twice, as above)
  POST /api/v2/tickets/{target_id}/merge.json
       {"ids": [source_id], "target_comment": null, "source_comment": null}
       (null comments mean "use the default merge comments")
       -> 200 {"job_status": {J}}
  GET  /api/v2/job_statuses/{job_id}.json             -> 200 {"job_status": {J}}  (polled)
  GET  /api/v2/tickets/{source_id}.json   -> status "closed", tags include "closed_by_merge"
                                             and "close_by_merge"
  GET  /api/v2/tickets/{target_id}.json   -> status not "closed"
  GET  /api/v2/tickets/{id}/comments.json?...  (both) -> 2 comments each: the description and a
       merge comment; the source's names "#{target_id}", the target's names "#{source_id}".

Pagination (250 tickets on one requester)
  POST /api/v2/users.json                             (the bulk requester, no organization)
  POST /api/v2/tickets/create_many.json
       {"tickets": [{"subject", "description", "requester_id"}, ...]}   100, 100, then 50
       -> 200 {"job_status": {J}}; once completed J.results = [{"index": i, "id": ticket_id}]
          in input order.
  GET  /api/v2/job_statuses/{job_id}.json             (polled until "completed")
  GET  /api/v2/tickets.json?page[size]=100
       -> {"tickets": [<=100 {T}], "meta": {"has_more": bool, "after_cursor": str|null,
           "before_cursor": str|null}, "links": {"next": absolute url|null, "prev": url|null}}
          zenpy then GETs links.next verbatim while has_more is true (>= 3 pages here).
  GET  /api/v2/tickets.json                 (no query string at all: zenpy's offset mode)
       -> {"tickets": [<=100 {T}], "next_page": absolute url|null, "previous_page": url|null,
           "count": total}
          zenpy then GETs next_page verbatim until it is null (>= 3 pages here).
  GET  /api/v2/users/{user_id}/tickets/requested.json?include=None&page[size]=100
       -> cursor shape as for /tickets.json; pages of 100, 100, 50 for this requester.

Shapes zenpy reads
  {T} ticket: id, url, subject, description, status, priority, type, requester_id, submitter_id,
      assignee_id, organization_id, group_id, tags, custom_fields, created_at, updated_at, via
  {A} audit: id, ticket_id, author_id, created_at, via, metadata, events: [
        {"id", "type": "Comment", "author_id", "body", "public": bool, "attachments": []},
        {"id", "type": "Change", "field_name": "status", "value", "previous_value"}, ...]
  {C} comment: id, type "Comment", author_id, body, html_body, plain_body, public,
      attachments [], created_at, via, metadata
  {J} job status: id, url, status ("queued"|"working"|"completed"|"failed"|"killed"), total,
      progress, message, results
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

# zenpy ships neither inline types nor stubs.
from zenpy.lib.api_objects import (  # type: ignore[import-untyped]
    Comment,
    Organization,
    Request,
    Ticket,
    User,
)

if TYPE_CHECKING:
    from .conftest import LiveServer, Recorder, ZenpyFactory

REQUESTER_PASSWORD = "S3cret-pass!"
SUBJECT = "VPN drops every 10 minutes"
DESCRIPTION = "Since Monday my VPN connection drops every ten minutes."
PUBLIC_REPLY = "Thanks Rita, could you send us the client log from today?"
INTERNAL_NOTE = "Looks like the MTU issue from last week; checking the concentrator."
REQUESTER_REPLY = "Here is the log, it dropped again at 09:40."

BULK_TICKET_COUNT = 250
CREATE_MANY_LIMIT = 100  # Zendesk accepts at most 100 tickets per create_many call
PAGE_SIZE = 100  # zenpy asks for page[size]=100; Zendesk's offset pages also hold 100
JOB_TIMEOUT_S = 60.0
JOB_DONE_STATES = frozenset({"completed", "failed", "killed"})


# --- helpers -------------------------------------------------------------------------------


def field_of(item: Any, name: str) -> Any:
    """Reads ``name`` from a zenpy object or from a plain dict (audit events stay dicts)."""
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def wait_for_job(client: Any, job_status: Any) -> Any:
    """Polls ``GET /job_statuses/{id}`` until the job ends; fails unless it completed."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    job = job_status
    while job.status not in JOB_DONE_STATES:
        if time.monotonic() > deadline:
            pytest.fail(
                f"job {job.id} still {job.status!r} after {JOB_TIMEOUT_S:.0f} s (the server runs with --no-worker)"
            )
        time.sleep(0.2)
        job = client.job_status(id=job.id)
    assert job.status == "completed", f"job {job.id} ended {job.status!r}: {job.message!r}"
    return job


def events_of(audit: Any, event_type: str) -> list[Any]:
    return [event for event in audit.events if field_of(event, "type") == event_type]


def comment_events(audit: Any) -> list[tuple[str, bool]]:
    return [(field_of(e, "body"), field_of(e, "public")) for e in events_of(audit, "Comment")]


def status_changes(audit: Any) -> list[tuple[str | None, str]]:
    return [
        (field_of(e, "previous_value"), field_of(e, "value"))
        for e in events_of(audit, "Change")
        if field_of(e, "field_name") == "status"
    ]


def ticket_pages(exchanges: list[Any], *paths: str) -> list[Any]:
    """The GETs among ``exchanges`` whose path is one of ``paths`` (``.json`` is optional)."""
    wanted = {p.removesuffix(".json") for p in paths}
    return [e for e in exchanges if e.method == "GET" and e.path.removesuffix(".json") in wanted]


# --- shared setup --------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    admin_id: int
    organization: Any
    requester: Any
    colleague: Any


@pytest.fixture(scope="module")
def people(zenpy_admin: Any) -> People:
    """An organization with two end-users; the requester can log in with a password."""
    organization = zenpy_admin.organizations.create(Organization(name="Globex Compat", domain_names=["globex.example"]))
    requester = zenpy_admin.users.create(
        User(
            name="Rita Requester",
            email="rita@globex.example",
            role="end-user",
            organization_id=organization.id,
        )
    )
    colleague = zenpy_admin.users.create(
        User(
            name="Carl Colleague",
            email="carl@globex.example",
            role="end-user",
            organization_id=organization.id,
        )
    )
    zenpy_admin.users.set_password(requester, REQUESTER_PASSWORD)
    return People(
        admin_id=zenpy_admin.users.me().id,
        organization=organization,
        requester=requester,
        colleague=colleague,
    )


@pytest.fixture(scope="module")
def requester_client(people: People, zenpy_factory: ZenpyFactory) -> Any:
    """The requester's own zenpy client, logged in with email and password."""
    return zenpy_factory(people.requester.email, password=REQUESTER_PASSWORD)


@dataclass(frozen=True)
class Conversation:
    """What each step of one ticket's life returned, in order."""

    ticket_id: int
    created: Any  # TicketAudit from tickets.create
    replied: Any  # TicketAudit from the public reply
    noted: Any  # TicketAudit from the internal note
    pended: Any  # TicketAudit from setting the status to pending
    requester_request: Any  # Request returned to the requester by requests.update
    status_after_requester_reply: str  # as the admin reads it right after the requester replied
    solved: Any  # TicketAudit from solving


@pytest.fixture(scope="module")
def conversation(zenpy_admin: Any, people: People, requester_client: Any) -> Conversation:
    """Create, reply, note, pend, let the requester answer, solve; one update per step."""
    created = zenpy_admin.tickets.create(
        Ticket(subject=SUBJECT, description=DESCRIPTION, requester_id=people.requester.id)
    )
    ticket_id = created.ticket.id

    ticket = created.ticket
    ticket.comment = Comment(body=PUBLIC_REPLY, public=True)
    replied = zenpy_admin.tickets.update(ticket)

    ticket = replied.ticket
    ticket.comment = Comment(body=INTERNAL_NOTE, public=False)
    noted = zenpy_admin.tickets.update(ticket)

    ticket = noted.ticket
    ticket.status = "pending"
    pended = zenpy_admin.tickets.update(ticket)

    requester_request = requester_client.requests.update(Request(id=ticket_id, comment=Comment(body=REQUESTER_REPLY)))
    status_after_requester_reply = zenpy_admin.tickets(id=ticket_id).status

    ticket = zenpy_admin.tickets(id=ticket_id)
    ticket.status = "solved"
    solved = zenpy_admin.tickets.update(ticket)

    return Conversation(
        ticket_id=ticket_id,
        created=created,
        replied=replied,
        noted=noted,
        pended=pended,
        requester_request=requester_request,
        status_after_requester_reply=status_after_requester_reply,
        solved=solved,
    )


# --- one ticket's life ---------------------------------------------------------------------


def test_create_returns_the_ticket_and_its_audit(
    conversation: Conversation, people: People, live_server: LiveServer
) -> None:
    ticket = conversation.created.ticket
    assert isinstance(ticket, Ticket)
    assert ticket.subject == SUBJECT
    assert ticket.description == DESCRIPTION
    assert ticket.requester_id == people.requester.id
    assert ticket.organization_id == people.organization.id, "the requester's organization"
    assert ticket.status == "new"
    assert ticket.url.startswith(f"{live_server.base_url}/api/v2/tickets/{ticket.id}")

    audit = conversation.created.audit
    assert audit.ticket_id == ticket.id
    assert comment_events(audit) == [(DESCRIPTION, True)]


def test_public_reply_and_internal_note_each_write_an_audit(conversation: Conversation) -> None:
    assert comment_events(conversation.replied.audit) == [(PUBLIC_REPLY, True)]
    assert comment_events(conversation.noted.audit) == [(INTERNAL_NOTE, False)]
    assert conversation.replied.audit.id != conversation.noted.audit.id


def test_requester_reply_reopens_a_pending_ticket(conversation: Conversation, people: People) -> None:
    assert conversation.pended.ticket.status == "pending"

    request = conversation.requester_request
    assert isinstance(request, Request)
    assert request.id == conversation.ticket_id
    assert request.requester_id == people.requester.id
    assert request.status == "open"

    assert conversation.status_after_requester_reply == "open"


def test_solving_sets_status_solved(conversation: Conversation, zenpy_admin: Any) -> None:
    assert conversation.solved.ticket.status == "solved"
    assert status_changes(conversation.solved.audit) == [("open", "solved")]
    assert zenpy_admin.tickets(id=conversation.ticket_id).status == "solved"


def test_admin_sees_every_comment_including_the_note(
    conversation: Conversation, people: People, zenpy_admin: Any
) -> None:
    comments = list(zenpy_admin.tickets.comments(ticket=conversation.ticket_id))

    assert [c.body for c in comments] == [
        DESCRIPTION,
        PUBLIC_REPLY,
        INTERNAL_NOTE,
        REQUESTER_REPLY,
    ]
    assert [c.public for c in comments] == [True, True, False, True]
    assert len({c.id for c in comments}) == len(comments)
    assert comments[1].author_id == people.admin_id
    assert comments[2].author_id == people.admin_id
    assert comments[3].author_id == people.requester.id


def test_requester_sees_public_comments_only(conversation: Conversation, requester_client: Any) -> None:
    comments = list(requester_client.requests.comments(conversation.ticket_id))

    assert [c.body for c in comments] == [
        DESCRIPTION,
        PUBLIC_REPLY,
        REQUESTER_REPLY,
    ]
    assert all(c.public for c in comments)


def test_audits_record_every_update_and_status_change(
    conversation: Conversation, people: People, zenpy_admin: Any
) -> None:
    audits = list(zenpy_admin.tickets.audits(ticket=conversation.ticket_id))

    assert all(a.ticket_id == conversation.ticket_id for a in audits)
    audit_ids = [a.id for a in audits]
    assert len(set(audit_ids)) == len(audit_ids)
    # create + reply + note + pending + requester reply + solve
    assert len(audits) >= 6
    returned_by_updates = {
        conversation.created.audit.id,
        conversation.replied.audit.id,
        conversation.noted.audit.id,
        conversation.pended.audit.id,
        conversation.solved.audit.id,
    }
    assert returned_by_updates <= set(audit_ids)

    changes = [change for audit in audits for change in status_changes(audit)]
    assert [value for _, value in changes][-3:] == ["pending", "open", "solved"]
    assert ("pending", "open") in changes
    assert ("open", "solved") in changes

    reopening = [a for a in audits if ("pending", "open") in status_changes(a)]
    assert len(reopening) == 1
    assert reopening[0].author_id == people.requester.id
    assert comment_events(reopening[0]) == [(REQUESTER_REPLY, True)]


# --- merging -------------------------------------------------------------------------------


def test_merge_closes_the_source_and_keeps_it_readable(zenpy_admin: Any, people: People) -> None:
    target = zenpy_admin.tickets.create(
        Ticket(
            subject="Printer on floor 3 jams",
            description="The floor 3 printer jams on every duplex job.",
            requester_id=people.colleague.id,
        )
    ).ticket
    source = zenpy_admin.tickets.create(
        Ticket(
            subject="Floor 3 printer broken again",
            description="Duplex printing on floor 3 is stuck again.",
            requester_id=people.colleague.id,
        )
    ).ticket

    wait_for_job(zenpy_admin, zenpy_admin.tickets.merge(target, [source.id]))

    merged_source = zenpy_admin.tickets(id=source.id)  # still readable after the merge
    assert merged_source.status == "closed"
    assert {"closed_by_merge", "close_by_merge"} <= set(merged_source.tags)
    merged_target = zenpy_admin.tickets(id=target.id)
    assert merged_target.status != "closed"

    source_comments = list(zenpy_admin.tickets.comments(ticket=source.id))
    target_comments = list(zenpy_admin.tickets.comments(ticket=target.id))
    assert len(source_comments) == 2, "the description plus the merge comment"
    assert len(target_comments) == 2, "the description plus the merge comment"
    assert f"#{target.id}" in source_comments[-1].body
    assert f"#{source.id}" in target_comments[-1].body


# --- pagination ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkTickets:
    requester: Any
    ticket_ids: frozenset[int]


@pytest.fixture(scope="module")
def bulk_tickets(zenpy_admin: Any) -> BulkTickets:
    """250 tickets on one requester, created with create_many in batches of 100."""
    requester = zenpy_admin.users.create(User(name="Bea Bulk", email="bea.bulk@initech.example", role="end-user"))
    ticket_ids: list[int] = []
    for start in range(0, BULK_TICKET_COUNT, CREATE_MANY_LIMIT):
        numbers = range(start, min(start + CREATE_MANY_LIMIT, BULK_TICKET_COUNT))
        batch = [
            Ticket(
                subject=f"Bulk ticket {n:03d}",
                description=f"Bulk ticket number {n}.",
                requester_id=requester.id,
            )
            for n in numbers
        ]
        job = wait_for_job(zenpy_admin, zenpy_admin.tickets.create(batch))
        results = list(job.results)
        assert [field_of(r, "index") for r in results] == list(range(len(batch)))
        ticket_ids.extend(field_of(r, "id") for r in results)
    assert len(set(ticket_ids)) == BULK_TICKET_COUNT
    return BulkTickets(requester=requester, ticket_ids=frozenset(ticket_ids))


def test_cursor_listing_pages_through_every_ticket(
    zenpy_admin: Any, bulk_tickets: BulkTickets, live_server: LiveServer, record_http: Recorder
) -> None:
    with record_http(zenpy_admin) as exchanges:
        listed = [t.id for t in zenpy_admin.tickets()]

    assert len(listed) == len(set(listed)), "a ticket came back on two pages"
    assert bulk_tickets.ticket_ids <= set(listed)

    pages = ticket_pages(exchanges, "/api/v2/tickets.json")
    assert len(pages) >= 3
    assert "page%5Bsize%5D=100" in pages[0].url or "page[size]=100" in pages[0].url
    for page in pages:
        assert len(page.response_json["tickets"]) <= PAGE_SIZE
    for page in pages[:-1]:
        assert page.response_json["meta"]["has_more"] is True
        assert page.response_json["links"]["next"].startswith(f"{live_server.base_url}/api/v2/")
    assert pages[-1].response_json["meta"]["has_more"] is False


def test_offset_listing_pages_through_every_ticket(
    zenpy_admin: Any, bulk_tickets: BulkTickets, live_server: LiveServer, record_http: Recorder
) -> None:
    with record_http(zenpy_admin) as exchanges:
        # cursor_pagination=False keeps zenpy from adding page[size], so Zendesk (and we)
        # answer with offset pages that zenpy follows through `next_page`.
        listing = zenpy_admin.tickets(cursor_pagination=False)
        listed = [t.id for t in listing]

    assert len(listed) == len(set(listed)), "a ticket came back on two pages"
    assert bulk_tickets.ticket_ids <= set(listed)
    assert len(listing) == len(listed), "`count` is the total across all pages"

    pages = ticket_pages(exchanges, "/api/v2/tickets.json")
    assert len(pages) >= 3
    assert "page" not in pages[0].url.partition("?")[2]
    for page in pages:
        assert len(page.response_json["tickets"]) <= PAGE_SIZE
        assert page.response_json["count"] == len(listed)
    for page in pages[:-1]:
        assert page.response_json["next_page"].startswith(f"{live_server.base_url}/api/v2/")
    assert pages[-1].response_json["next_page"] is None


def test_requested_tickets_of_one_user_page_through_all_250(
    zenpy_admin: Any, bulk_tickets: BulkTickets, record_http: Recorder
) -> None:
    requester_id = bulk_tickets.requester.id
    with record_http(zenpy_admin) as exchanges:
        listed = [t.id for t in zenpy_admin.users.requested(bulk_tickets.requester)]

    assert len(listed) == BULK_TICKET_COUNT
    assert set(listed) == bulk_tickets.ticket_ids

    pages = ticket_pages(exchanges, f"/api/v2/users/{requester_id}/tickets/requested.json")
    assert [len(p.response_json["tickets"]) for p in pages] == [100, 100, 50]
