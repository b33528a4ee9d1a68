"""zenpy 2.0.57, unchanged, finds work on a live opsdesk: search, views and incremental exports.

The HTTP surface these tests need, read from zenpy's source and checked on the wire (auth and
query-string conventions as in test_zenpy_ticket_lifecycle.py; queries shown decoded).

Data (module fixtures; every ticket carries the tag `findwork`, so counts are exact)
  POST /api/test/clock {"advance_seconds": N}   admin, plain requests (not a Zendesk endpoint):
       the clock moves an hour before batch A, an hour before batch B, then 2 s more, because
       exports hold back what changed in the last second.
  POST /api/v2/users.json, POST /api/v2/tickets/create_many.json (+ job_statuses polling)
       batch A: printers new/open/pending/solved + a scanner (open); batch B, an hour later: a
       printer on hold + 105 queue tickets (open).
  POST /api/v2/views.json  {"view": {"id": null, "title", "all": [{field, operator, value}], "any": [...]}}
       -> 201 {"view": {"id", "title", "conditions": {"all": [...], "any": [...]}, ...}} -> View

Search (zenpy turns keyword arguments into query terms: k=v -> `k:v`, k_less_than/k_before -> `k<v`,
k_greater_than/k_after -> `k>v`, k_between=[a, b] -> `k>a k<b`, a list -> `k:"a" k:"b"` (either),
minus=x -> `-x`, type=t -> `type:t` plus `filter[type]=t`; datetimes as 2026-03-02T10:00:00Z;
sort_by/sort_order stay separate parameters)
  GET /api/v2/search.json?query=printer type:ticket tags:findwork status<solved&filter[type]=ticket
      -> {"results": [{..., "result_type": "ticket"}], "facets": null, "next_page": url|null,
          "previous_page": url|null, "count": N}   offset pages of 100, next_page followed verbatim
  GET /api/v2/search/count.json?query=...&filter[type]=ticket   -> {"count": N}   (zenpy returns N)

Views
  GET /api/v2/views/{id}/count.json?include=None
      -> {"view_count": {"view_id", "url", "value", "pretty", "fresh": true}}   -> ViewCount
  GET /api/v2/views/count_many.json?count_many=ID,ID   -> {"view_counts": [...]} in the order asked
  GET /api/v2/views/{id}/tickets?page[size]=100&include=None   (no .json; page[size]=N with
      cursor_pagination=N) -> {"tickets": [...], "meta": {"has_more", ...}, "links": {"next", ...}}
  GET /api/v2/views/{id}/execute.json?include=None   -> {"view": {...}, "rows": [...], ...} -> View

Incremental exports (admin; start_time is a Unix time, zenpy converts aware datetimes)
  GET /api/v2/incremental/tickets/cursor.json?start_time=T[&per_page=N]
      -> {"tickets": [...], "after_url", "after_cursor", "before_url", "before_cursor",
          "end_of_stream": bool}   zenpy follows after_url until end_of_stream is true
  GET /api/v2/incremental/tickets.json?start_time=T[&per_page=N]   (paginate_by_time=True)
      -> {"tickets": [...], "count", "end_time", "next_page", "end_of_stream": bool}
  GET /api/v2/incremental/ticket_events.json?start_time=T
      -> {"ticket_events": [{"id", "ticket_id", "timestamp", "updater_id", "event_type": "Audit",
          "child_events": [...]}], "count", "end_time", "next_page", "end_of_stream"}
  GET /api/v2/incremental/users/cursor.json?start_time=T   -> as tickets, key "users"
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests

# zenpy ships neither inline types nor stubs.
from zenpy.lib.api_objects import (  # type: ignore[import-untyped]
    Comment,
    Ticket,
    TicketEvent,
    User,
    View,
    ViewCount,
)

if TYPE_CHECKING:
    from .conftest import Exchange, LiveServer, Recorder

TAG = "findwork"  # on every ticket this module creates, and on nothing else
PRINTER_TAG = "findwork_printer"
QUEUE_TAG = "findwork_queue"
QUEUE_SIZE = 105  # more than one page of 100 in views, search and exports
REQUESTER_NAME = "Fiona Findwork"
REQUESTER_EMAIL = "fiona.findwork@finding.example"

CREATE_MANY_LIMIT = 100
JOB_TIMEOUT_S = 60.0
JOB_DONE_STATES = frozenset({"completed", "failed", "killed"})
HOUR = 3600
EXPORT_LAG_S = 2  # the server holds back what changed in the last second; step past it


# --- helpers -------------------------------------------------------------------------------


def field_of(item: Any, name: str) -> Any:
    """Reads ``name`` from a zenpy object or from a plain dict (nested events stay dicts)."""
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def move_clock(live_server: LiveServer, seconds: int) -> datetime:
    """Advances the server's manual clock (``POST /api/test/clock``, admin only); returns its time.

    Not a Zendesk endpoint, so plain requests with the admin's Basic token auth, not zenpy.
    """
    response = requests.post(
        f"{live_server.base_url}/api/test/clock",
        json={"advance_seconds": seconds},
        auth=(f"{live_server.admin_email}/token", live_server.admin_token),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["now"]).astimezone(UTC)


def wait_for_job(client: Any, job_status: Any) -> Any:
    """Polls ``GET /job_statuses/{id}`` until the job ends; fails unless it completed."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    job = job_status
    while job.status not in JOB_DONE_STATES:
        if time.monotonic() > deadline:
            pytest.fail(f"job {job.id} still {job.status!r} after {JOB_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
        job = client.job_status(id=job.id)
    assert job.status == "completed", f"job {job.id} ended {job.status!r}: {job.message!r}"
    return job


def create_many(client: Any, tickets: list[Any]) -> list[int]:
    """``tickets.create([...])`` (create_many jobs of at most 100); the new ids in input order."""
    ids: list[int] = []
    for start in range(0, len(tickets), CREATE_MANY_LIMIT):
        batch = tickets[start : start + CREATE_MANY_LIMIT]
        job = wait_for_job(client, client.tickets.create(batch))
        results = list(job.results)
        assert [field_of(r, "index") for r in results] == list(range(len(batch)))
        ids.extend(int(field_of(r, "id")) for r in results)
    return ids


def ids_of(items: Iterable[Any]) -> list[int]:
    return [int(item.id) for item in items]


def gets(exchanges: list[Exchange], path: str) -> list[Exchange]:
    """The GETs among ``exchanges`` on ``path`` (a trailing ``.json`` is optional)."""
    wanted = path.removesuffix(".json")
    return [e for e in exchanges if e.method == "GET" and e.path.removesuffix(".json") == wanted]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def kind_of(child_event: Any) -> Any:
    """A ticket event's child kind: Zendesk names it ``event_type``; audits name it ``type``."""
    return field_of(child_event, "event_type") or field_of(child_event, "type")


def changed(child_event: Any) -> tuple[str, Any]:
    """(field, new value) of a Change child event, in the audit shape (``field_name``/``value``)
    or in Zendesk's ticket-event shape (the field's name as the key, beside ``previous_value``)."""
    name = field_of(child_event, "field_name")
    if name is not None:
        return str(name), field_of(child_event, "value")
    skip = {"id", "via", "via_reference_id", "event_type", "type", "previous_value"}
    keys = [k for k in child_event if k not in skip] if isinstance(child_event, Mapping) else []
    assert len(keys) == 1, f"cannot tell which field changed in {child_event!r}"
    return keys[0], child_event[keys[0]]


# --- shared data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Everything this module created; times are the server clock's."""

    requester: Any
    since: datetime  # the clock just before this module created anything
    early_at: datetime  # batch A was created then
    late_at: datetime  # batch B was created then, an hour later
    printers: dict[str, int]  # status -> ticket id; "hold" is in batch B, the rest in batch A
    scanner_id: int  # batch A, status open
    queue_ids: tuple[int, ...]  # batch B, status open, QUEUE_SIZE tickets

    @property
    def batch_a(self) -> frozenset[int]:
        return frozenset([*(i for s, i in self.printers.items() if s != "hold"), self.scanner_id])

    @property
    def batch_b(self) -> frozenset[int]:
        return frozenset([self.printers["hold"], *self.queue_ids])

    @property
    def all_ids(self) -> frozenset[int]:
        return self.batch_a | self.batch_b


def _printer(status: str, subject: str, requester_id: int) -> Any:
    return Ticket(
        subject=f"Findwork printer {subject}",
        description=f"The printer on floor 4: {subject}.",
        requester_id=requester_id,
        status=status,
        tags=[TAG, PRINTER_TAG],
    )


@pytest.fixture(scope="module")
def corpus(zenpy_admin: Any, live_server: LiveServer) -> Corpus:
    """Batch A at T0 (four printers, one scanner); batch B at T0 + 1 h (a printer on hold and
    105 queue tickets). All via create_many; the clock then steps past the export lag."""
    since = move_clock(live_server, HOUR)  # everything older belongs to other modules
    requester = zenpy_admin.users.create(User(name=REQUESTER_NAME, email=REQUESTER_EMAIL, role="end-user"))

    statuses_a = ["new", "open", "pending", "solved"]
    batch_a = [
        _printer("new", "jams on tray 2", requester.id),
        _printer("open", "shows offline", requester.id),
        _printer("pending", "toner is low", requester.id),
        _printer("solved", "was replaced", requester.id),
        Ticket(
            subject="Findwork scanner is slow",
            description="The scanner takes minutes per page.",
            requester_id=requester.id,
            status="open",
            tags=[TAG],
        ),
    ]
    ids_a = create_many(zenpy_admin, batch_a)

    late_at = move_clock(live_server, HOUR)
    batch_b = [_printer("hold", "waits for a fuser", requester.id)] + [
        Ticket(
            subject=f"Findwork queue item {n:03d}",
            description=f"Queue item {n} waits for triage.",
            requester_id=requester.id,
            status="open",
            tags=[TAG, QUEUE_TAG],
        )
        for n in range(QUEUE_SIZE)
    ]
    ids_b = create_many(zenpy_admin, batch_b)
    move_clock(live_server, EXPORT_LAG_S)

    return Corpus(
        requester=requester,
        since=since,
        early_at=since,
        late_at=late_at,
        printers={**dict(zip(statuses_a, ids_a[:4], strict=True)), "hold": ids_b[0]},
        scanner_id=ids_a[4],
        queue_ids=tuple(ids_b[1:]),
    )


# --- search --------------------------------------------------------------------------------


def test_free_text_with_status_less_than_finds_the_open_printer_tickets(zenpy_admin: Any, corpus: Corpus) -> None:
    # -> GET /api/v2/search.json?query=printer type:ticket tags:findwork status<solved&filter[type]=ticket
    results = zenpy_admin.search("printer", type="ticket", tags=TAG, status_less_than="solved")
    found = list(results)

    assert all(isinstance(t, Ticket) for t in found)
    expected = {corpus.printers[s] for s in ("new", "open", "pending", "hold")}
    assert sorted(ids_of(found)) == sorted(expected)
    assert len(results) == len(expected)
    assert results.count == len(expected)
    by_id = {t.id: t for t in found}
    assert by_id[corpus.printers["pending"]].status == "pending"
    assert TAG in by_id[corpus.printers["hold"]].tags


def test_status_greater_than_and_plain_status(zenpy_admin: Any, corpus: Corpus) -> None:
    above_pending = zenpy_admin.search(type="ticket", tags=PRINTER_TAG, status_greater_than="pending")
    assert sorted(ids_of(above_pending)) == sorted([corpus.printers["hold"], corpus.printers["solved"]])

    just_open = zenpy_admin.search(type="ticket", tags=PRINTER_TAG, status="open")
    assert ids_of(just_open) == [corpus.printers["open"]]


def test_a_list_value_matches_any_of_its_values(zenpy_admin: Any, corpus: Corpus) -> None:
    # zenpy writes status=[a, b] as `status:"a" status:"b"`: either status
    found = zenpy_admin.search(type="ticket", tags=PRINTER_TAG, status=["new", "pending"])
    assert sorted(ids_of(found)) == sorted([corpus.printers["new"], corpus.printers["pending"]])


def test_created_after_before_and_between(zenpy_admin: Any, corpus: Corpus) -> None:
    middle = corpus.early_at + timedelta(minutes=30)
    # datetimes become `created>2026-...Z` / `created<...Z`
    after = zenpy_admin.search(type="ticket", tags=TAG, created_after=middle)
    before = zenpy_admin.search(type="ticket", tags=TAG, created_before=middle)
    between = zenpy_admin.search(
        type="ticket",
        tags=TAG,
        created_between=[corpus.early_at - timedelta(minutes=1), corpus.early_at + timedelta(minutes=1)],
    )

    assert set(ids_of(after)) == corpus.batch_b
    assert set(ids_of(before)) == corpus.batch_a
    assert set(ids_of(between)) == corpus.batch_a


def test_minus_excludes_a_term(zenpy_admin: Any, corpus: Corpus) -> None:
    found = zenpy_admin.search(type="ticket", tags=TAG, minus=f"tags:{QUEUE_TAG}")
    assert set(ids_of(found)) == corpus.batch_a | {corpus.printers["hold"]}


def test_order_by_and_sort_keywords_in_the_query(zenpy_admin: Any, corpus: Corpus) -> None:
    # other keyword arguments become `key:value` terms: `order_by:created sort:asc`
    found = ids_of(zenpy_admin.search("printer", type="ticket", tags=TAG, order_by="created", sort="asc"))
    early = sorted(i for s, i in corpus.printers.items() if s != "hold")
    assert found == [*early, corpus.printers["hold"]], "oldest first; ties in id order"


def test_sort_by_and_sort_order_parameters(zenpy_admin: Any, corpus: Corpus) -> None:
    # sort_by/sort_order travel as their own query parameters (`&sort_by=created_at&sort_order=asc`);
    # the Search API documents sort_by as one of updated_at, created_at, priority, status,
    # ticket_type (the API names, not the `order_by:` keywords of the query language).
    early = sorted(i for s, i in corpus.printers.items() if s != "hold")
    oldest_first = ids_of(
        zenpy_admin.search("printer", type="ticket", tags=TAG, sort_by="created_at", sort_order="asc")
    )
    assert oldest_first == [*early, corpus.printers["hold"]]
    newest_first = ids_of(zenpy_admin.search("printer", type="ticket", tags=TAG, sort_by="updated_at"))
    assert newest_first == [corpus.printers["hold"], *reversed(early)], "sort_order defaults to desc"


def test_search_pages_through_more_than_one_page(zenpy_admin: Any, corpus: Corpus, record_http: Recorder) -> None:
    with record_http(zenpy_admin) as exchanges:
        results = zenpy_admin.search(type="ticket", tags=TAG)
        found = ids_of(results)

    assert len(found) == len(set(found)), "a ticket came back on two pages"
    assert set(found) == corpus.all_ids
    assert len(results) == len(corpus.all_ids)

    pages = gets(exchanges, "/api/v2/search.json")
    assert [len(p.response_json["results"]) for p in pages] == [100, len(corpus.all_ids) - 100]
    assert all(p.response_json["count"] == len(corpus.all_ids) for p in pages)
    assert pages[-1].response_json["next_page"] is None


def test_search_count_returns_the_number(zenpy_admin: Any, corpus: Corpus) -> None:
    # -> GET /api/v2/search/count.json?query=...  {"count": N} -> int
    open_printers = zenpy_admin.search.count("printer", type="ticket", tags=TAG, status_less_than="solved")
    everything = zenpy_admin.search.count(type="ticket", tags=TAG)
    nothing = zenpy_admin.search.count("printer", type="ticket", tags=QUEUE_TAG)

    assert open_printers == 4
    assert everything == len(corpus.all_ids)
    assert nothing == 0


def test_search_for_users_returns_user_objects(zenpy_admin: Any, corpus: Corpus) -> None:
    found = list(zenpy_admin.search(REQUESTER_NAME, type="user"))
    assert all(isinstance(u, User) for u in found)
    assert ids_of(found) == [corpus.requester.id]
    assert found[0].email == REQUESTER_EMAIL
    assert zenpy_admin.search.count(REQUESTER_NAME, type="user") == 1


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Views:
    printers: Any  # open printer tickets: new, open, pending, hold
    queue: Any  # the 105 queue tickets


@pytest.fixture(scope="module")
def views(zenpy_admin: Any, corpus: Corpus) -> Views:
    """Two views created with ``views.create(View(title=..., all=[...], any=[...]))``."""
    printers = zenpy_admin.views.create(
        View(
            title="Findwork open printers",
            all=[
                {"field": "current_tags", "operator": "includes", "value": PRINTER_TAG},
                {"field": "status", "operator": "less_than", "value": "solved"},
            ],
        )
    )
    queue = zenpy_admin.views.create(
        View(
            title="Findwork queue",
            all=[{"field": "current_tags", "operator": "includes", "value": QUEUE_TAG}],
            any=[
                {"field": "status", "operator": "is", "value": "new"},
                {"field": "status", "operator": "is", "value": "open"},
            ],
        )
    )
    assert corpus.queue_ids  # the tickets exist before the views are read
    return Views(printers=printers, queue=queue)


def test_views_create_returns_the_view(views: Views) -> None:
    assert isinstance(views.printers, View)
    assert isinstance(views.printers.id, int)
    assert views.printers.title == "Findwork open printers"
    assert views.queue.id != views.printers.id
    conditions = views.queue.conditions
    assert [field_of(c, "value") for c in field_of(conditions, "all")] == [QUEUE_TAG]
    assert [field_of(c, "value") for c in field_of(conditions, "any")] == ["new", "open"]


def test_views_count_returns_a_fresh_view_count(zenpy_admin: Any, views: Views, corpus: Corpus) -> None:
    # -> GET /api/v2/views/{id}/count.json?include=None
    count = zenpy_admin.views.count(views.queue.id)
    assert isinstance(count, ViewCount)
    assert count.view_id == views.queue.id
    assert count.value == len(corpus.queue_ids)
    assert count.fresh is True

    assert zenpy_admin.views.count(views.printers).value == 4  # a View object works too


def test_views_count_many(zenpy_admin: Any, views: Views, corpus: Corpus) -> None:
    # -> GET /api/v2/views/count_many.json?count_many=ID,ID  (zenpy's name for Zendesk's `ids`)
    counts = list(zenpy_admin.views.count_many([views.printers.id, views.queue.id]))
    assert all(isinstance(c, ViewCount) for c in counts)
    assert [(c.view_id, c.value, c.fresh) for c in counts] == [
        (views.printers.id, 4, True),
        (views.queue.id, len(corpus.queue_ids), True),
    ]


def test_views_tickets_pages_through_the_view(
    zenpy_admin: Any, views: Views, corpus: Corpus, record_http: Recorder, live_server: LiveServer
) -> None:
    path = f"/api/v2/views/{views.queue.id}/tickets"
    with record_http(zenpy_admin) as exchanges:
        listed = list(zenpy_admin.views.tickets(views.queue))

    assert all(isinstance(t, Ticket) for t in listed)
    ids = ids_of(listed)
    assert len(ids) == len(set(ids)), "a ticket came back on two pages"
    assert set(ids) == set(corpus.queue_ids)

    pages = gets(exchanges, path)
    assert [len(p.response_json["tickets"]) for p in pages] == [100, QUEUE_SIZE - 100]
    assert "page%5Bsize%5D=100" in pages[0].url or "page[size]=100" in pages[0].url
    assert pages[0].response_json["meta"]["has_more"] is True
    assert pages[0].response_json["links"]["next"].startswith(f"{live_server.base_url}{path}")
    assert pages[-1].response_json["meta"]["has_more"] is False


def test_views_tickets_with_small_pages(zenpy_admin: Any, views: Views, corpus: Corpus, record_http: Recorder) -> None:
    with record_http(zenpy_admin) as exchanges:
        # cursor_pagination=N is zenpy's own way to ask for page[size]=N
        ids = ids_of(zenpy_admin.views.tickets(views.queue.id, cursor_pagination=40))
    assert sorted(ids) == sorted(corpus.queue_ids)
    pages = gets(exchanges, f"/api/v2/views/{views.queue.id}/tickets")
    assert [len(p.response_json["tickets"]) for p in pages] == [40, 40, QUEUE_SIZE - 80]

    printers = ids_of(zenpy_admin.views.tickets(views.printers.id))
    assert sorted(printers) == sorted(corpus.printers[s] for s in ("new", "open", "pending", "hold"))


def test_views_execute_returns_the_view(zenpy_admin: Any, views: Views) -> None:
    # zenpy 2.0.57 keeps only the `view` of an execute response (rows are dropped).
    executed = zenpy_admin.views.execute(views.printers.id)
    assert isinstance(executed, View)
    assert executed.id == views.printers.id


# --- incremental exports -------------------------------------------------------------------
#
# Under `pytest -n 2` other modules' tests may run on this worker's server between this module's
# fixtures and its tests, so exports are compared on this module's tickets (tag `findwork`) and
# checked to hold nothing changed before the start time.


def mine(tickets: Iterable[Any]) -> list[int]:
    """Ids of this module's tickets among ``tickets``, in the order given."""
    return [int(t.id) for t in tickets if TAG in (t.tags or [])]


def check_pages(pages: list[Exchange], key: str, size: int, total: int) -> None:
    """Several pages of at most ``size`` that add up to ``total``; only the last ends the stream."""
    assert len(pages) >= 3, "per_page=50 over more than 100 tickets"
    assert all(len(p.response_json[key]) <= size for p in pages)
    assert sum(len(p.response_json[key]) for p in pages) == total
    assert [p.response_json["end_of_stream"] for p in pages] == [False] * (len(pages) - 1) + [True]


def test_incremental_cursor_export_yields_every_ticket_changed_since(
    zenpy_admin: Any, corpus: Corpus, record_http: Recorder
) -> None:
    # -> GET /api/v2/incremental/tickets/cursor.json?start_time=UNIX, then each after_url
    exported = list(zenpy_admin.tickets.incremental(start_time=corpus.since))
    assert all(isinstance(t, Ticket) for t in exported)
    ids = ids_of(exported)
    assert len(ids) == len(set(ids)), "a ticket came back twice"
    assert sorted(mine(exported)) == sorted(corpus.all_ids)
    assert all(parse_time(t.updated_at) >= corpus.since for t in exported)

    with record_http(zenpy_admin) as exchanges:
        paged = list(zenpy_admin.tickets.incremental(start_time=corpus.since, per_page=50))
    assert sorted(mine(paged)) == sorted(corpus.all_ids)
    check_pages(gets(exchanges, "/api/v2/incremental/tickets/cursor.json"), "tickets", 50, len(paged))


def test_incremental_cursor_export_from_a_later_time(zenpy_admin: Any, corpus: Corpus) -> None:
    later = list(zenpy_admin.tickets.incremental(start_time=corpus.late_at))
    assert sorted(mine(later)) == sorted(corpus.batch_b)
    assert all(parse_time(t.updated_at) >= corpus.late_at for t in later)


def test_incremental_time_based_export(zenpy_admin: Any, corpus: Corpus, record_http: Recorder) -> None:
    # -> GET /api/v2/incremental/tickets.json?start_time=UNIX, then each next_page until
    #    end_of_stream (zenpy also stops when end_time is within 5 minutes of its own clock; the
    #    server's manual clock stands at 2026-03-02, in the past, so that never triggers here)
    exported = list(zenpy_admin.tickets.incremental(start_time=corpus.since, paginate_by_time=True))
    assert all(isinstance(t, Ticket) for t in exported)
    assert len(ids_of(exported)) == len(set(ids_of(exported)))
    assert sorted(mine(exported)) == sorted(corpus.all_ids)
    assert all(parse_time(t.updated_at) >= corpus.since for t in exported)

    with record_http(zenpy_admin) as exchanges:
        paged = list(zenpy_admin.tickets.incremental(start_time=corpus.since, paginate_by_time=True, per_page=50))
    assert sorted(mine(paged)) == sorted(corpus.all_ids)
    check_pages(gets(exchanges, "/api/v2/incremental/tickets.json"), "tickets", 50, len(paged))

    later = list(zenpy_admin.tickets.incremental(start_time=corpus.late_at, paginate_by_time=True))
    assert sorted(mine(later)) == sorted(corpus.batch_b)


def test_incremental_user_export(zenpy_admin: Any, corpus: Corpus) -> None:
    # -> GET /api/v2/incremental/users/cursor.json?start_time=UNIX
    exported = list(zenpy_admin.users.incremental(start_time=corpus.since))
    assert all(isinstance(u, User) for u in exported)
    assert corpus.requester.id in ids_of(exported)
    assert all(parse_time(u.updated_at) >= corpus.since for u in exported)


@dataclass(frozen=True)
class Change:
    """The scanner ticket, updated an hour after batch B."""

    at: datetime
    audit: Any
    exported_at_once: list[int]  # tickets export from `at`, read before the clock moved on


@pytest.fixture(scope="module")
def change(zenpy_admin: Any, corpus: Corpus, live_server: LiveServer) -> Change:
    at = move_clock(live_server, HOUR)
    ticket = zenpy_admin.tickets(id=corpus.scanner_id)
    ticket.priority = "high"
    ticket.comment = Comment(body="Findwork: new driver installed, please retry.", public=True)
    audit = zenpy_admin.tickets.update(ticket).audit
    exported_at_once = ids_of(zenpy_admin.tickets.incremental(start_time=at))
    move_clock(live_server, EXPORT_LAG_S)
    return Change(at=at, audit=audit, exported_at_once=exported_at_once)


def test_incremental_export_sees_updates_once_the_lag_has_passed(
    zenpy_admin: Any, corpus: Corpus, change: Change
) -> None:
    assert change.exported_at_once == [], "the last second is held back (Zendesk: the last minute)"

    updated = ids_of(zenpy_admin.search(type="ticket", tags=TAG, updated_after=change.at - timedelta(seconds=1)))
    assert updated == [corpus.scanner_id], "search sees the update too"

    by_cursor = list(zenpy_admin.tickets.incremental(start_time=change.at))
    assert mine(by_cursor) == [corpus.scanner_id]
    assert next(t for t in by_cursor if t.id == corpus.scanner_id).priority == "high"
    by_time = list(zenpy_admin.tickets.incremental(start_time=change.at, paginate_by_time=True))
    assert mine(by_time) == [corpus.scanner_id]

    everything = mine(zenpy_admin.tickets.incremental(start_time=corpus.since))
    assert sorted(everything) == sorted(corpus.all_ids), "an update does not duplicate a ticket"
    assert everything[-1] == corpus.scanner_id, "oldest change first: the update comes last"


def test_ticket_events_yield_the_audits(zenpy_admin: Any, corpus: Corpus, change: Change) -> None:
    # -> GET /api/v2/incremental/ticket_events.json?start_time=UNIX
    since_change = [e for e in zenpy_admin.tickets.events(start_time=change.at) if e.ticket_id in corpus.all_ids]
    assert all(isinstance(e, TicketEvent) for e in since_change)
    assert [(e.ticket_id, e.id) for e in since_change] == [(corpus.scanner_id, change.audit.id)]
    children = list(since_change[0].child_events)
    assert [changed(c) for c in children if kind_of(c) == "Change"] == [("priority", "high")]
    assert [kind_of(c) for c in children].count("Comment") == 1

    all_events = list(zenpy_admin.tickets.events(start_time=corpus.since))
    assert all(isinstance(e, TicketEvent) for e in all_events)
    assert all(e.timestamp >= corpus.since.timestamp() for e in all_events)
    per_ticket: dict[int, int] = {}
    for event in all_events:
        if event.ticket_id in corpus.all_ids:
            per_ticket[event.ticket_id] = per_ticket.get(event.ticket_id, 0) + 1
    assert set(per_ticket) == corpus.all_ids, "one audit per ticket created"
    assert per_ticket[corpus.scanner_id] == 2, "its creation and the update"
    assert all(n == 1 for ticket_id, n in per_ticket.items() if ticket_id != corpus.scanner_id)
