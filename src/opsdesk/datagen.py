"""A seeded generator of large, realistic support queues, written straight into the tables.

`opsdesk demo --tickets N` loads the demo (its groups, agents and forms) and then tops the desk up
to N tickets from here: organizations and end-users grow with the queue (an end-user per 20
tickets, an organization per 25 end-users), and each ticket gets its tags, 1 to 4 comments (public
replies and internal notes), one audit per comment holding the events the ticket service would
have written, and, once closed, the close rule's audit without a comment.

Invariants:
- Generated ticket k (k = 0, 1, ...) is drawn from a `random.Random` seeded with (seed, k) alone:
  the same seed and anchor time give the same rows, however the work is split across runs.
- Generated rows carry the external ids `datagen-<seed>-t<k>` (tickets), `-u<i>` (end-users) and
  `-o<j>` (organizations); a later run resumes after the last ticket and refuses another seed.
- created_at <= status_changed_at <= updated_at <= the anchor time; solved_at is set exactly on
  solved and closed tickets. Times are UTC, whole seconds, drawn backwards from the anchor.
- Memory stays bounded: batches of BATCH_TICKETS are drawn (on PostgreSQL, one ahead on a
  thread), written and committed one at a time.
"""

from __future__ import annotations

import random
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from queue import Full, Queue
from typing import Any, Generic, TextIO, TypeVar

from sqlalchemy import Connection, Engine, Row, Table, func, select, text
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import Conflict
from opsdesk.core.generation import access_changed
from opsdesk.forms.tables import ticket_fields, ticket_forms
from opsdesk.groups.tables import group_memberships, groups
from opsdesk.organizations.tables import organization_domains, organization_memberships, organizations
from opsdesk.tickets._html import text_to_html
from opsdesk.tickets.tables import ticket_audits, ticket_comments, ticket_tags, tickets
from opsdesk.users.tables import users

DEFAULT_SEED = 20260302
BATCH_TICKETS = 5000
TICKETS_PER_USER = 20
USERS_PER_ORG = 25
SHARE_OF_PREMIUM_ORGS = 0.15
SHARE_OF_USERS_WITHOUT_ORG = 0.1
SHARE_OF_SHARING_ORGS = 0.3
SHARE_OF_FRONT_LINE = 0.75  # the first group (the demo's Tier 1) takes the rest of the queue
SHARE_OF_DEFAULT_FORM = 0.9
SHARE_OF_STALE = 0.25  # unsolved tickets that have sat for weeks
DAYS_BEFORE_CLOSE = 4  # the close rule's wait after a ticket is solved
_MARK = "datagen"
_DAY = 86400
_T = TypeVar("_T")

# A queue that has run for a year: most of the work is done.
STATUS_WEIGHTS = {"new": 4, "open": 8, "pending": 6, "hold": 3, "solved": 9, "closed": 70}
PRIORITY_WEIGHTS = {None: 5, "low": 10, "normal": 52, "high": 24, "urgent": 9}
TYPE_WEIGHTS = {None: 10, "question": 38, "incident": 32, "problem": 8, "task": 12}
CHANNEL_WEIGHTS = {"email": 55, "web": 30, "api": 15}
COMMENT_COUNT_WEIGHTS = {2: 45, 3: 35, 4: 20}  # once an agent has answered


@dataclass(frozen=True, slots=True)
class Topic:
    tag: str
    product: str  # the word replies use for it
    subjects: tuple[str, ...]
    details: tuple[str, ...]  # what customers write; {slots} are filled per ticket


TOPICS = (
    Topic(
        "ci_pipeline",
        "pipeline",
        (
            "CI pipeline stuck in pending",
            "Pipeline fails at the {stage} stage",
            "Jobs time out after {minutes} minutes",
        ),
        (
            "Our pipeline has been stuck since this morning and no job starts.",
            "The {stage} job log ends with 'ERROR: Job failed: exit code {code}'.",
            "Pipelines on the default branch wait {minutes} minutes before they start.",
        ),
    ),
    Topic(
        "runner",
        "runner",
        ("Runner registration token expired", "Shared runners not picking up jobs", "Autoscaling runner out of disk"),
        (
            "Our self-hosted runner shows as offline although the service is running.",
            "The runner log says 'checking for jobs... failed' with status {code}.",
            "We registered a new runner on {version} and it never picks up a job.",
        ),
    ),
    Topic(
        "sso_saml",
        "SAML",
        ("SAML SSO login loops back to sign-in", "SAML assertion rejected: invalid audience", "SCIM stopped syncing"),
        (
            "After the certificate rotation every SAML login sends us back to the sign-in page.",
            "Our identity provider says the SAML response is fine, but sign-in fails with {code}.",
            "New hires are no longer provisioned through SCIM since {version}.",
        ),
    ),
    Topic(
        "registry",
        "registry",
        ("Container registry cleanup policy not running", "Push to the registry returns {code}", "Registry is slow"),
        (
            "The registry cleanup policy has not removed a single tag in weeks.",
            "docker push to our registry fails with {code} for images larger than 2 GB.",
            "Pulling from the registry in {region} takes minutes instead of seconds.",
        ),
    ),
    Topic(
        "upgrade",
        "upgrade",
        ("Upgrade to {version} failed with a migration error", "Background migrations stuck", "Upgrade planning"),
        (
            "The upgrade to {version} stopped with a database migration error.",
            "Since the upgrade the background migrations page shows jobs stuck for days.",
            "We plan a zero-downtime upgrade to {version} and want to check the path first.",
        ),
    ),
    Topic(
        "billing",
        "billing",
        ("Billing seat count looks wrong", "Invoice charged twice", "Cannot update the card on file"),
        (
            "The billing page counts {minutes} more seats than we have users.",
            "Our last invoice was charged twice; billing reference {code}.",
            "The billing portal refuses our new card without an error message.",
        ),
    ),
    Topic(
        "quota",
        "quota",
        ("Need a larger memory quota for our org", "Storage quota exceeded", "CI minutes quota used up early"),
        (
            "Our apps in {region} hit the memory quota and we need it raised.",
            "Project storage is over quota although we deleted old artifacts.",
            "The compute minutes quota was used up by the {stage} jobs in one week.",
        ),
    ),
    Topic(
        "webhook",
        "webhook",
        ("Webhook deliveries failing with timeout", "Webhook returns {code}", "Webhook disabled automatically"),
        (
            "Webhook deliveries to our endpoint time out after 10 seconds.",
            "The webhook log shows {code} for every delivery since yesterday.",
            "Our webhook was disabled after failures and we cannot re-enable it.",
        ),
    ),
    Topic(
        "networking",
        "route",
        ("Route to app returns 502 after deploy", "TLS certificate renewal failed", "DNS failures in {region}"),
        (
            "After the deploy the route to our app answers 502 for about half the requests.",
            "The TLS certificate for our custom domain did not renew and expires soon.",
            "Outbound calls from {region} fail intermittently with DNS errors.",
        ),
    ),
    Topic(
        "access",
        "deploy key",
        ("How do I rotate my deploy keys?", "Locked out after enabling 2FA", "Change our support portal contact"),
        (
            "We need to rotate every deploy key after an engineer left the company.",
            "One of our admins enabled two-factor authentication and lost the device.",
            "Please make our new team lead the support contact for the account.",
        ),
    ),
)
STAGES = ("build", "test", "deploy", "release", "lint", "package")
VERSIONS = ("16.11", "17.0", "17.3", "17.5", "17.8", "18.0", "18.2")
CODES = ("401", "403", "404", "413", "500", "502", "503", "137")
REGIONS = ("us-east", "us-west", "eu-central", "ap-south", "gov-west")
GREETINGS = ("Hi,", "Hello team,", "Hi support,", "Good morning,", "Hello,")
URGENCY = (
    "This blocks our releases, so we would appreciate a quick look.",
    "It affects about {minutes} of our engineers.",
    "We have not changed anything on our side.",
    "Happy to share logs if that helps.",
)
AGENT_REPLIES = (
    "Thanks for the details. Could you send the full {product} log and a timestamp of the failure?",
    "We reproduced the {product} problem and are working on a fix. We will update you here.",
    "Can you run the diagnostics command and attach its output? It shows how the {product} is set up.",
    "We escalated the {product} issue to our platform experts and will be back shortly.",
)
SOLUTIONS = (
    "The {product} issue is fixed on our side; please try again and tell us if it comes back.",
    "This was a known {product} bug, fixed in {version}. Upgrading resolves it.",
    "We changed the {product} setting for your account; it should work now.",
)
NOTES = (
    "Checked the logs: the {product} requests hit a rate limit upstream.",
    "Looks like a {product} quota problem; asked the platform team.",
    "Customer is on the premium plan, watch the SLA on this {product} ticket.",
    "Possible duplicate of an earlier {product} ticket from the same organization.",
    "Waiting on engineering: {product} fix planned for {version}.",
)
FOLLOWUPS = (
    "Here is the log you asked for; the {product} error is at the end.",
    "Still failing for us, sadly. Same {product} error as before.",
    "Attached the diagnostics output. Anything else you need?",
    "Any news on this? Our {product} is still affected.",
)
_WORDS = str.split  # the name lists below read better as sentences than as 50-line tuples
FIRST_NAMES = _WORDS(
    "Aisha Alex Amara Ana Ben Carla Chen Dana David Elena Emma Farid Felix Grace Hana Hugo Ines Ivan Jamal Jana "
    "Jonas Kai Kenji Lara Leo Lina Luca Maya Mateo Mia Nadia Noah Olga Omar Paula Pedro Priya Quinn Rafael Rosa "
    "Sami Sara Sofia Tariq Theo Uma Victor Wei Yara Zoe"
)
LAST_NAMES = _WORDS(
    "Adams Ahmed Andersen Baker Bauer Costa Dubois Evans Fischer Garcia Gomez Hansen Ito Jensen Khan Kim Kowalski "
    "Lopez Martin Meyer Moreau Murphy Nakamura Nguyen Novak Okafor Olsen Patel Perez Petrov Quinn Rossi Santos "
    "Schmidt Silva Singh Smith Suzuki Tanaka Taylor Torres Varga Walker Weber Wilson Wong Yilmaz Young Zhang Ziegler"
)
ORG_FIRST = _WORDS(
    "Amber Apex Arctic Blue Bright Cedar Clear Copper Delta Ember Falcon Granite Harbor Iron Juniper Lumen Maple "
    "Nimbus North Orbit Pine Quartz River Summit Vertex"
)
ORG_SECOND = _WORDS(
    "Analytics Bank Biotech Cloud Dynamics Energy Foods Games Health Insurance Labs Logistics Media Motors "
    "Networks Retail Robotics Software Systems Travel"
)
PERSONAL_DOMAINS = ("mail.example", "inbox.example", "post.example")


class ProgressBar:
    """Progress on a stream: one line redrawn with `\\r` on a terminal, elsewhere a line every 10 %."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._started = time.monotonic()
        self._next_tenth = 1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = round((total - done) / rate) if rate > 0 else 0
        percent = done * 100 // max(total, 1)
        status = f"{percent:3d}% {done:,}/{total:,} tickets  {rate:,.0f}/s  ETA {eta // 60}:{eta % 60:02d}"
        if self._tty:
            bar = "#" * (percent // 5)
            self._stream.write(f"\r[{bar:.<20}] {status}\x1b[K" + ("\n" if done >= total else ""))
            self._stream.flush()
        elif percent >= self._next_tenth * 10:
            self._next_tenth = percent // 10 + 1
            self._stream.write(status + "\n")
            self._stream.flush()


@dataclass(frozen=True, slots=True)
class Generated:
    written: int  # tickets this run added
    total: int  # tickets in the database afterwards


@dataclass(frozen=True, slots=True)
class _Group:
    id: int
    agents: tuple[tuple[int, str], ...]  # (user id, first name): agents who may take any of its tickets


@dataclass(frozen=True, slots=True)
class _Desk:
    """What generated tickets refer to; `forms[0]` is the default form."""

    groups: tuple[_Group, ...]
    forms: tuple[tuple[int | None, tuple[tuple[str, tuple[str, ...]], ...]], ...]  # (id, ((field id, options)))


@dataclass(frozen=True, slots=True)
class _Requester:
    user_id: int
    organization_id: int | None
    first_name: str
    premium: bool


_Row = dict[str, Any]
_Step = tuple[_Row, _Row | None]  # an audit and its comment
_Drawn = tuple[_Row, list[_Step]]  # a ticket and its audits, without ids


def generate_tickets(
    engine: Engine,
    *,
    total: int,
    now: datetime,
    seed: int = DEFAULT_SEED,
    batch_size: int = BATCH_TICKETS,
    progress: Callable[[int, int], None] | None = None,
) -> Generated:
    """Top the database up to `total` tickets, drawn backwards from `now` (aware UTC).

    Raises Conflict when tickets generated with another seed are present or no group has an agent.
    """
    anchor = now.replace(microsecond=0)
    with reading(engine) as conn:
        present = int(conn.execute(select(func.count()).select_from(tickets)).scalar_one())
        start = _next_ticket_index(conn, seed)
        desk = _load_desk(conn)
    missing = total - present
    if missing <= 0:
        return Generated(written=0, total=present)
    if not desk.groups:
        raise Conflict("generated tickets need a group with an agent; load the demo first")
    requesters = _ensure_population(engine, seed, start + missing, anchor)
    batches = (
        [
            _draw_ticket(seed, k, anchor, desk, requesters)
            for k in range(first, min(first + batch_size, start + missing))
        ]
        for first in range(start, start + missing, batch_size)
    )
    # PostgreSQL works in a process of its own, so drawing the next batch on a thread while it
    # writes this one gains about 10 %; SQLite works in ours, where the thread only contends for
    # the GIL (measured: 20 % slower).
    done = 0
    for batch in batches if engine.dialect.name == "sqlite" else _ahead(batches):
        with writing(engine) as conn:
            _write_tickets(conn, batch)
        done += len(batch)
        if progress is not None:
            progress(done, missing)
    refresh_statistics(engine)
    return Generated(written=missing, total=present + missing)


def refresh_statistics(engine: Engine) -> None:
    """Let the query planner see the new shape of the data (a bulk load moves it far): without
    statistics SQLite picks a narrow index for "unassigned in group X" and visits every row."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")  # sampled: seconds, not minutes, at 1M rows
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _ahead(batches: Iterator[list[_T]], depth: int = 1) -> Iterator[list[_T]]:
    """Yield `batches`, drawn on a thread up to `depth` ahead while the database writes the last one."""
    queue: Queue[list[_T] | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: list[_T] | BaseException | None) -> bool:
        """False once the writer has stopped taking batches."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
            except Full:
                continue
            return True
        return False

    def draw() -> None:
        try:
            if all(hand_over(batch) for batch in batches):
                hand_over(None)
        except BaseException as exc:  # noqa: BLE001 - the thread's top level: the writer re-raises it
            hand_over(exc)

    thread = threading.Thread(target=draw, name="datagen-draw", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _next_ticket_index(conn: Connection, seed: int) -> int:
    last = conn.execute(
        select(tickets.c.external_id)
        .where(tickets.c.external_id.like(f"{_MARK}-%"))
        .order_by(tickets.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:
        return 0
    found = re.fullmatch(rf"{_MARK}-(-?\d+)-t(\d+)", last)
    if found is None or int(found.group(1)) != seed:
        earlier = found.group(1) if found else "unknown"
        raise Conflict(f"this database holds tickets generated with seed {earlier}; top it up with --seed {earlier}")
    return int(found.group(2)) + 1


def _load_desk(conn: Connection) -> _Desk:
    agents = conn.execute(
        select(groups.c.id, users.c.id, users.c.name)
        .select_from(
            groups.join(group_memberships, group_memberships.c.group_id == groups.c.id).join(
                users, users.c.id == group_memberships.c.user_id
            )
        )
        .where(
            ~groups.c.deleted,
            users.c.role.in_(("agent", "admin")),
            users.c.active,
            users.c.ticket_restriction.is_(None),  # a restricted agent cannot pick up unassigned tickets
        )
        .order_by(groups.c.id, users.c.id)
    )
    by_group: dict[int, list[tuple[int, str]]] = {}
    for group_id, user_id, name in agents:
        by_group.setdefault(group_id, []).append((user_id, name.split()[0]))
    taggers = conn.execute(
        select(ticket_fields.c.id, ticket_fields.c.custom_field_options).where(
            ticket_fields.c.type == "tagger", ticket_fields.c.active
        )
    )
    options = {str(field_id): tuple(o["value"] for o in choices) for field_id, choices in taggers if choices}
    forms = conn.execute(
        select(ticket_forms.c.id, ticket_forms.c.ticket_field_ids)
        .where(ticket_forms.c.active)
        .order_by(ticket_forms.c.default.desc(), ticket_forms.c.position, ticket_forms.c.id)
    )
    return _Desk(
        groups=tuple(_Group(group_id, tuple(members)) for group_id, members in by_group.items()),
        forms=tuple(
            (form_id, tuple((str(f), options[str(f)]) for f in field_ids if str(f) in options))
            for form_id, field_ids in forms
        )
        or ((None, ()),),
    )


# --- organizations and end-users ---------------------------------------------------------------


def _org_name(index: int) -> str:
    """Distinct for every index: a scrambled pair of words, numbered once the pairs run out."""
    pairs = len(ORG_FIRST) * len(ORG_SECOND)
    scrambled = index * 7 % pairs
    name = f"{ORG_FIRST[scrambled % len(ORG_FIRST)]} {ORG_SECOND[scrambled // len(ORG_FIRST)]}"
    return name if index < pairs else f"{name} {index // pairs + 1}"


def _person(index: int) -> tuple[str, str]:
    """(full name, the email's local part), the local part distinct for every index."""
    pairs = len(FIRST_NAMES) * len(LAST_NAMES)
    scrambled = index * 1601 % pairs
    first, last = FIRST_NAMES[scrambled % len(FIRST_NAMES)], LAST_NAMES[scrambled // len(FIRST_NAMES)]
    suffix = str(index // pairs + 1) if index >= pairs else ""
    return f"{first} {last}", f"{first}.{last}{suffix}".lower()


def _domain(org_name: str) -> str:
    return f"{org_name.lower().replace(' ', '-')}.example"


def _generated(conn: Connection, table: Table, seed: int, kind: str) -> dict[int, Row[Any]]:
    """The generated rows of `table` by their index."""
    prefix = f"{_MARK}-{seed}-{kind}"
    rows = conn.execute(select(table).where(table.c.external_id.like(f"{prefix}%")))
    return {int(row.external_id.removeprefix(prefix)): row for row in rows}


def _ensure_population(engine: Engine, seed: int, ticket_count: int, now: datetime) -> list[_Requester]:
    """Create the organizations and end-users that the first `ticket_count` tickets draw from.

    End-user i belongs to one of organizations 0..i // USERS_PER_ORG (or none), so the population
    grows with the queue and early customers file the most tickets, as long-standing ones do.
    """
    user_count = (ticket_count - 1) // TICKETS_PER_USER + 1
    joined = now - timedelta(days=400)
    with writing(engine) as conn:
        known = _generated(conn, organizations, seed, "o")
        new_orgs = [_org_row(seed, j, joined) for j in range((user_count - 1) // USERS_PER_ORG + 1) if j not in known]
        for row, org_id in zip(new_orgs, _reserve_ids(conn, organizations, len(new_orgs)), strict=True):
            row["id"] = org_id
        _insert(conn, organizations, new_orgs)
        _insert(
            conn, organization_domains, [{"domain": _domain(o["name"]), "organization_id": o["id"]} for o in new_orgs]
        )
        orgs = _generated(conn, organizations, seed, "o")
        known_users = set(_generated(conn, users, seed, "u"))
    missing = [i for i in range(user_count) if i not in known_users]
    for first in range(0, len(missing), BATCH_TICKETS):
        with writing(engine) as conn:
            _add_users(conn, seed, missing[first : first + BATCH_TICKETS], orgs, joined)
    with reading(engine) as conn:
        people = _generated(conn, users, seed, "u")
    premium = {org.id for org in orgs.values() if "premium" in org.tags}
    return [
        _Requester(person.id, person.organization_id, person.name.split()[0], person.organization_id in premium)
        for person in (people[i] for i in range(user_count))
    ]


def _add_users(conn: Connection, seed: int, indexes: list[int], orgs: dict[int, Row[Any]], joined: datetime) -> None:
    people: list[_Row] = []
    memberships: list[_Row] = []
    for index, user_id in zip(indexes, _reserve_ids(conn, users, len(indexes)), strict=True):
        rng = random.Random(_stream_seed(seed, "u", index))  # noqa: S311 - test data, not security
        org = orgs[rng.randint(0, index // USERS_PER_ORG)] if rng.random() > SHARE_OF_USERS_WITHOUT_ORG else None
        name, local_part = _person(index)
        people.append(
            {
                "id": user_id,
                "name": name,
                "email": f"{local_part}@{_domain(org.name) if org else rng.choice(PERSONAL_DOMAINS)}",
                "role": "end-user",
                "organization_id": org.id if org else None,
                "external_id": f"{_MARK}-{seed}-u{index}",
                "tags": [],
                "user_fields": {},
                "verified": True,
                "created_at": joined,
                "updated_at": joined,
            }
        )
        if org is not None:
            memberships.append(
                {
                    "user_id": user_id,
                    "organization_id": org.id,
                    "default": True,
                    "created_at": joined,
                    "updated_at": joined,
                }
            )
    _insert(conn, users, people)
    _insert(conn, organization_memberships, memberships)
    access_changed(conn)


def _org_row(seed: int, index: int, joined: datetime) -> _Row:
    rng = random.Random(_stream_seed(seed, "o", index))  # noqa: S311 - test data, not security
    shared = rng.random() < SHARE_OF_SHARING_ORGS
    external_id = f"{_MARK}-{seed}-o{index}"
    return {
        "name": _org_name(index),
        "external_id": external_id,
        "external_id_key": external_id,
        "shared_tickets": shared,
        "shared_comments": shared and rng.random() < 1 / 2,
        "tags": ["premium"] if rng.random() < SHARE_OF_PREMIUM_ORGS else ["standard"],
        "organization_fields": {},
        "created_at": joined,
        "updated_at": joined,
    }


# --- tickets -----------------------------------------------------------------------------------


class _Weighted(Generic[_T]):
    """A fixed weighted choice, drawn with one call into the generator."""

    def __init__(self, weights: dict[_T, int]) -> None:
        self._values = tuple(weights)
        self._cumulative = tuple(accumulate(weights.values()))

    def draw(self, rng: random.Random) -> _T:
        return self._values[bisect_right(self._cumulative, rng.random() * self._cumulative[-1])]


_STATUS = _Weighted(STATUS_WEIGHTS)
_PRIORITY = _Weighted(PRIORITY_WEIGHTS)
_TYPE = _Weighted(TYPE_WEIGHTS)
_CHANNEL = _Weighted(CHANNEL_WEIGHTS)
_COMMENT_COUNT = _Weighted(COMMENT_COUNT_WEIGHTS)
_STREAMS = {"t": 1, "u": 2, "o": 3}
# Shared by every row that holds them, so that each is bound once per batch (never mutated).
_METADATA = {"system": {"client": "opsdesk"}, "custom": {}}
_NO_FIELDS: dict[str, str] = {}
_NO_IDS: list[int] = []
_html = lru_cache(maxsize=1 << 14)(text_to_html)  # replies repeat; descriptions rarely do


def _stream_seed(seed: int, kind: str, index: int) -> int:
    """One independent random stream per generated record, whatever else a run generates."""
    return ((seed * 4 + _STREAMS[kind]) << 40) + index


def _lifetime(rng: random.Random) -> timedelta:
    """From the first message to the solving reply: two days and a half hour on average."""
    return timedelta(seconds=1800 + min(int(rng.expovariate(1 / (2 * _DAY))), 60 * _DAY))


def _draw_times(rng: random.Random, status: str, now: datetime) -> tuple[datetime, datetime, datetime | None]:
    """(created, the last comment, solved) of a ticket that has `status` at `now`.

    New tickets are hours old; open, pending and on-hold ones days old, some stale for weeks;
    solved ones were solved within the close rule's wait; closed ones span the year.
    """
    if status == "new":
        created = now - timedelta(seconds=60 + min(int(rng.expovariate(1 / (8 * 3600))), 3 * _DAY))
        return created, created, None
    if status == "solved":
        solved = now - timedelta(seconds=rng.randint(3600, DAYS_BEFORE_CLOSE * _DAY - 3600))
        return solved - _lifetime(rng), solved, solved
    if status == "closed":
        created = now - timedelta(seconds=rng.randint((DAYS_BEFORE_CLOSE + 1) * _DAY, 365 * _DAY))
        solved = created + min(_lifetime(rng), now - created - timedelta(days=DAYS_BEFORE_CLOSE))
        return created, solved, solved
    if rng.random() < SHARE_OF_STALE:
        age = rng.randint(14 * _DAY, 200 * _DAY)
    else:
        age = 600 + min(int(rng.expovariate(1 / (3 * _DAY))), 30 * _DAY)
    created = now - timedelta(seconds=age)
    return created, created + timedelta(seconds=int(age * rng.uniform(0.2, 1.0))), None


def _spread(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`start`, then `count` moments in order after it, the last one at `end`."""
    gaps = [rng.expovariate(1.0) for _ in range(count)]
    span, total, elapsed = (end - start).total_seconds(), sum(gaps), 0.0
    moments = [start]
    for gap in gaps:
        elapsed += gap
        moments.append(start + timedelta(seconds=int(span * elapsed / total)))
    moments[-1] = end
    return moments


def _move(position: int, last: bool, status: str, current: str) -> tuple[bool, bool, str]:
    """(by the requester, public, status after) of comment `position` (2, 3, ...) on its way to `status`.

    Agents answer and set pending, requesters reply and reopen, in turn; the last comment is the
    solving reply, the agent's reply that waits on the customer, a note that holds or keeps it
    open, or the requester's reply that reopened it.
    """
    if not last:
        return (True, True, "open") if position % 2 else (False, True, "pending")
    if status in {"solved", "closed"}:
        return False, True, "solved"
    if status == "open":
        return (True, True, "open") if current == "pending" else (False, False, "open")
    return False, status == "pending", status


def _draw_ticket(seed: int, index: int, now: datetime, desk: _Desk, requesters: list[_Requester]) -> _Drawn:
    rng = random.Random(_stream_seed(seed, "t", index))  # noqa: S311 - test data, not security
    status = _STATUS.draw(rng)
    topic = rng.choice(TOPICS)
    requester = requesters[rng.randint(0, index // TICKETS_PER_USER)]
    slots = {
        "stage": rng.choice(STAGES),
        "version": rng.choice(VERSIONS),
        "code": rng.choice(CODES),
        "region": rng.choice(REGIONS),
        "minutes": rng.randint(3, 90),
        "product": topic.product,
    }
    default_form = len(desk.forms) == 1 or rng.random() < SHARE_OF_DEFAULT_FORM
    form_id, taggers = desk.forms[0] if default_form else rng.choice(desk.forms[1:])
    front_line = len(desk.groups) == 1 or rng.random() < SHARE_OF_FRONT_LINE
    group = desk.groups[0] if front_line else rng.choice(desk.groups[1:])
    agent_id, agent_name = rng.choice(group.agents)
    custom = {field_id: rng.choice(values) for field_id, values in taggers}
    channel, priority, kind = _CHANNEL.draw(rng), _PRIORITY.draw(rng), _TYPE.draw(rng)
    tags = [topic.tag, "premium"] if requester.premium else [topic.tag]
    created, last, solved = _draw_times(rng, status, now)
    moments = [created] if status == "new" else _spread(rng, created, last, _COMMENT_COUNT.draw(rng) - 1)
    subject = rng.choice(topic.subjects).format_map(slots)
    details = " ".join([*rng.sample(topic.details, rng.randint(1, 2)), rng.choice(URGENCY)]).format_map(slots)
    description = f"{rng.choice(GREETINGS)}\n\n{details}\n\nThanks,\n{requester.first_name}"
    external_id = f"{_MARK}-{seed}-t{index}"
    due_at = created + timedelta(days=rng.randint(1, 7)) if kind == "task" else None
    created_fields = (
        ("subject", subject),
        ("requester_id", requester.user_id),
        ("organization_id", requester.organization_id),
        ("ticket_form_id", form_id),
        ("status", "new"),
        ("priority", priority),
        ("type", kind),
        ("external_id", external_id),
        ("due_at", due_at.isoformat().replace("+00:00", "Z") if due_at else None),
        ("tags", tags),
    )
    events = [
        {"type": "Create", "field_name": name, "value": value} for name, value in created_fields if value is not None
    ]
    steps = [_step(requester.user_id, channel, created, description, events, public=True)]
    reply_via = "email" if channel == "email" else "web"
    current, changed_at, assigned = "new", created, False
    for position, moment in enumerate(moments[1:], start=2):
        by_requester, public, target = _move(position, position == len(moments), status, current)
        events = []
        if not (by_requester or assigned):
            events += [_change("assignee_id", agent_id, None), _change("group_id", group.id, None)]
        if target != current:
            events.append(_change("status", target, current))
            current, changed_at = target, moment
        if not (by_requester or assigned) and custom:
            events.append(_change("custom_fields", custom, {}))
        assigned = assigned or not by_requester
        if by_requester:
            body = f"{rng.choice(FOLLOWUPS)}\n\n{requester.first_name}"
            steps.append(_step(requester.user_id, reply_via, moment, body, events, public=True))
            continue
        if public:
            answer = rng.choice(SOLUTIONS if target == "solved" else AGENT_REPLIES)
            body = f"Hi {requester.first_name},\n\n{answer}\n\nBest,\n{agent_name}"
        else:
            body = rng.choice(NOTES)
        steps.append(_step(agent_id, "web", moment, body.format_map(slots), events, public=public))
    updated = moments[-1]
    if status == "closed":
        updated = changed_at = moments[-1] + timedelta(days=DAYS_BEFORE_CLOSE)
        steps.append((_audit(None, "rule", updated, [_change("status", "closed", "solved")]), None))
    ticket = {
        "subject": subject,
        "description": description,
        "requester_id": requester.user_id,
        "submitter_id": requester.user_id,
        "assignee_id": agent_id if assigned else None,
        "group_id": group.id if assigned else None,
        "organization_id": requester.organization_id,
        "ticket_form_id": form_id,
        "status": status,
        "priority": priority,
        "type": kind,
        "via_channel": channel,
        "external_id": external_id,
        "tags": tags,
        "custom_fields": custom if assigned else _NO_FIELDS,
        "collaborator_ids": _NO_IDS,
        "followup_ids": _NO_IDS,
        "due_at": due_at,
        "created_at": created,
        "updated_at": updated,
        "status_changed_at": changed_at,
        "solved_at": solved,
    }
    return ticket, steps


def _change(field: str, value: Any, previous: Any) -> _Row:  # noqa: ANN401 - any audited value
    return {"type": "Change", "field_name": field, "value": value, "previous_value": previous}


def _audit(author_id: int | None, via: str, moment: datetime, events: list[_Row]) -> _Row:
    return {"author_id": author_id, "via_channel": via, "events": events, "metadata": _METADATA, "created_at": moment}


def _step(author_id: int, via: str, moment: datetime, body: str, events: list[_Row], *, public: bool) -> _Step:
    """An audit with its comment, the Comment event first, as the ticket service writes them."""
    html_body = _html(body)
    comment = {"author_id": author_id, "body": body, "html_body": html_body, "public": public}
    audit = _audit(author_id, via, moment, [{"type": "Comment", **comment}, *events])
    return audit, {**comment, "via_channel": via, "created_at": moment}


def _write_tickets(conn: Connection, drawn: list[_Drawn]) -> None:
    """Insert a batch of drawn tickets, with ids taken up front so that rows can point at each other."""
    audit_ids = iter(_reserve_ids(conn, ticket_audits, sum(len(steps) for _, steps in drawn)))
    comment_count = sum(comment is not None for _, steps in drawn for _, comment in steps)
    comment_ids = iter(_reserve_ids(conn, ticket_comments, comment_count))
    tag_rows: list[_Row] = []
    audit_rows: list[_Row] = []
    comment_rows: list[_Row] = []
    for ticket_id, (ticket, steps) in zip(_reserve_ids(conn, tickets, len(drawn)), drawn, strict=True):
        ticket["id"] = ticket_id
        tag_rows.extend({"ticket_id": ticket_id, "tag": tag} for tag in ticket["tags"])
        for audit, comment in steps:
            audit["id"] = audit_id = next(audit_ids)
            audit["ticket_id"] = ticket_id
            audit_rows.append(audit)
            if comment is not None:
                comment.update(id=next(comment_ids), ticket_id=ticket_id, audit_id=audit_id)
                comment_rows.append(comment)
    _insert(conn, tickets, [ticket for ticket, _ in drawn])
    _insert(conn, ticket_tags, tag_rows)
    _insert(conn, ticket_audits, audit_rows)
    _insert(conn, ticket_comments, comment_rows)


def _reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """`count` fresh primary keys: from the table's sequence on PostgreSQL, safe beside other writers;
    past the largest id on SQLite, where the write transaction already keeps other writers out."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        statement = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return [int(value) for (value,) in conn.execute(statement, {"table": table.name, "count": count})]
    top = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(top + 1, top + 1 + count))


def _insert(conn: Connection, table: Table, rows: list[_Row]) -> None:
    """Write rows that all have the same keys: one COPY on PostgreSQL, one INSERT ... SELECT on SQLite.

    Values are bound by each column type's own processor and omitted columns get their scalar
    defaults, as `conn.execute(insert(table), rows)` would do, without that path's per-row cost.
    """
    if not rows:
        return
    dialect = conn.dialect
    defaults = {
        column.name: column.default.arg
        for column in table.c
        if column.name not in rows[0] and isinstance(column.default, ScalarElementColumnDefault)
    }
    names = [*rows[0], *defaults]
    values = []
    for name in names:
        column = [row[name] for row in rows] if name not in defaults else [defaults[name]] * len(rows)
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values.append(column if process is None else _bind_each(column, process))
    quote = dialect.identifier_preparer.quote
    columns, target = ", ".join(map(quote, names)), quote(table.name)
    if dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for record in zip(*values, strict=True):
                copy.write_row(record)
        return
    # The rows go to a temporary table, then across in one statement. Every statement that writes
    # through the FTS5 triggers opens a savepoint, and FTS5 flushes its pending terms to disk at
    # each one: one statement per batch instead of one per row makes ticket and comment inserts
    # two to three times faster.
    placeholders = ", ".join("?" * len(names))
    conn.exec_driver_sql(f"CREATE TEMP TABLE datagen_rows AS SELECT {columns} FROM main.{target} WHERE 0")
    conn.exec_driver_sql(f"INSERT INTO temp.datagen_rows VALUES ({placeholders})", list(zip(*values, strict=True)))
    conn.exec_driver_sql(f"INSERT INTO main.{target} ({columns}) SELECT {columns} FROM temp.datagen_rows")
    conn.exec_driver_sql("DROP TABLE temp.datagen_rows")


def _bind_each(values: list[Any], process: Callable[[Any], Any]) -> list[Any]:
    """`process` applied once per distinct value: a ticket's instants recur in its audits and
    comments, and shared JSON objects recur in every row (JSON is told apart by identity)."""
    bound: dict[Any, Any] = {}
    result = []
    for value in values:
        key = value if value is None or isinstance(value, datetime) else id(value)
        if key not in bound:
            bound[key] = process(value)
        result.append(bound[key])
    return result
