"""The bulk data generator behind `opsdesk demo --tickets N`, on both databases.

What an operator relies on: the queue looks like a real one (every status, comments and audits
that agree with the ticket, tags that search and views can use, text that search finds), the same
seed gives the same rows, and running it again tops up instead of doubling.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from opsdesk import datagen
from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import Conflict
from opsdesk.datagen import Generated, ProgressBar, generate_tickets
from opsdesk.forms import service as forms_service
from opsdesk.groups import service as groups_service
from opsdesk.groups.tables import group_memberships
from opsdesk.organizations.tables import organizations
from opsdesk.search.service import search
from opsdesk.tickets.model import Status
from opsdesk.tickets.tables import ticket_audits, ticket_comments, ticket_tags, tickets
from opsdesk.users import service as users_service
from opsdesk.users.tables import users
from tests.integration.conftest import Desk

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEED = 7
TICKETS = 300


def build_desk(engine: Engine) -> None:
    """What generated tickets refer to, as the demo sets it up: an admin, two groups and their agents
    (one restricted to its groups' tickets), two forms, one with a drop-down field."""
    with writing(engine) as conn:
        admin = users_service.create_user(
            conn, actor=None, values={"name": "Ada Admin", "email": "ada@desk.test", "role": "admin"}, now=NOW
        )
        viewer = users_service.load_viewer(conn, admin.id)
        assert viewer is not None
        for group_name, agents in (("Tier 1", ("Tina", "Tom", "Rhea")), ("Platform experts", ("Pete",))):
            group = groups_service.create_group(conn, actor=viewer, values={"name": group_name}, now=NOW)
            for name in agents:
                agent = users_service.create_user(
                    conn,
                    actor=None,
                    values={
                        "name": f"{name} Agent",
                        "email": f"{name.lower()}@desk.test",
                        "role": "agent",
                        "ticket_restriction": "groups" if name == "Rhea" else None,
                    },
                    now=NOW,
                )
                groups_service.add_agent_to_group(conn, user_id=agent.id, group_id=group.id, now=NOW)
        problem = forms_service.create_field(
            conn,
            actor=viewer,
            values={
                "type": "tagger",
                "title": "Problem type",
                "custom_field_options": [{"name": "Bug", "value": "bug"}, {"name": "How-to", "value": "howto"}],
            },
            now=NOW,
        )
        forms_service.create_form(
            conn, actor=viewer, values={"name": "Support", "default": True, "ticket_field_ids": [problem.id]}, now=NOW
        )
        forms_service.create_form(conn, actor=viewer, values={"name": "Support Ops", "position": 1}, now=NOW)


@pytest.fixture
def generated(engine: Engine) -> Engine:
    build_desk(engine)
    result = generate_tickets(engine, total=TICKETS, now=NOW, seed=SEED, batch_size=128)
    assert result == Generated(written=TICKETS, total=TICKETS)
    return engine


def _rows(engine: Engine, table: Any, *where: Any) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(select(table).where(*where).order_by(table.c.id))]


def _by_ticket(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["ticket_id"]].append(row)
    return grouped


def test_every_ticket_has_its_description_comments_and_audits(generated: Engine) -> None:
    all_tickets = _rows(generated, tickets)
    comments = _by_ticket(_rows(generated, ticket_comments))
    audits = _by_ticket(_rows(generated, ticket_audits))

    assert len(all_tickets) == TICKETS
    assert [t["external_id"] for t in all_tickets] == [f"datagen-{SEED}-t{k}" for k in range(TICKETS)]
    for ticket in all_tickets:
        own_comments, own_audits = comments[ticket["id"]], audits[ticket["id"]]
        assert 1 <= len(own_comments) <= 4
        assert own_comments[0]["body"] == ticket["description"]
        assert own_comments[0]["author_id"] == ticket["requester_id"]
        assert own_comments[0]["public"]
        # One audit per comment, the comment's own first; closing adds the rule's audit without one.
        assert len(own_audits) == len(own_comments) + (ticket["status"] == "closed")
        for audit, comment in zip(own_audits, own_comments, strict=False):
            assert comment["audit_id"] == audit["id"]
            assert audit["events"][0] == {
                "type": "Comment",
                "author_id": comment["author_id"],
                "body": comment["body"],
                "html_body": comment["html_body"],
                "public": comment["public"],
            }
    assert {len(comments[t["id"]]) for t in all_tickets} == {1, 2, 3, 4}
    public = Counter(c["public"] for rows in comments.values() for c in rows)
    assert public[True] > public[False] > 0, "public replies and internal notes"


def test_audit_events_replay_to_the_ticket_as_stored(generated: Engine) -> None:
    audits = _by_ticket(_rows(generated, ticket_audits))
    with reading(generated) as conn:
        members = {(g, u) for g, u in conn.execute(select(group_memberships.c.group_id, group_memberships.c.user_id))}
        restricted = conn.execute(select(users.c.id).where(users.c.ticket_restriction.is_not(None))).scalar_one()
    for ticket in _rows(generated, tickets):
        state: dict[str, Any] = {}
        first, *later = audits[ticket["id"]]
        for event in first["events"][1:]:
            assert event["type"] == "Create"
            state[event["field_name"]] = event["value"]
        assert state["status"] == "new"
        for audit in later:
            for event in audit["events"]:
                if event["type"] == "Change":
                    assert state.get(event["field_name"]) == (event["previous_value"] or None)
                    state[event["field_name"]] = event["value"]
        for field in ("subject", "requester_id", "organization_id", "ticket_form_id", "status", "priority", "type"):
            assert state.get(field) == ticket[field], field
        assert state["tags"] == ticket["tags"]
        assert state.get("assignee_id") == ticket["assignee_id"]
        assert state.get("group_id") == ticket["group_id"]
        assert state.get("custom_fields", {}) == ticket["custom_fields"]
        assert (ticket["assignee_id"] is None) == (ticket["status"] == "new")
        if ticket["assignee_id"] is not None:
            assert (ticket["group_id"], ticket["assignee_id"]) in members
            assert ticket["assignee_id"] != restricted, "a restricted agent never picks up a ticket"


def test_statuses_span_every_value_and_most_of_the_queue_is_done(generated: Engine) -> None:
    statuses = Counter(t["status"] for t in _rows(generated, tickets))

    assert set(statuses) == {status.value for status in Status}
    assert statuses["solved"] + statuses["closed"] > TICKETS * 0.6
    assert min(statuses.values()) >= 3


def test_timestamps_agree_with_each_other_and_with_the_audits(generated: Engine) -> None:
    audits = _by_ticket(_rows(generated, ticket_audits))
    comments = _by_ticket(_rows(generated, ticket_comments))

    all_tickets = _rows(generated, tickets)
    for ticket in all_tickets:
        created, updated = ticket["created_at"], ticket["updated_at"]
        assert created <= ticket["status_changed_at"] <= updated <= NOW
        moments = [a["created_at"] for a in audits[ticket["id"]]]
        assert moments == sorted(moments)
        assert (moments[0], moments[-1]) == (created, updated)
        assert [c["created_at"] for c in comments[ticket["id"]]] == moments[: len(comments[ticket["id"]])]
        if ticket["status"] in {"solved", "closed"}:
            assert created <= ticket["solved_at"] <= updated
        else:
            assert ticket["solved_at"] is None
        if ticket["status"] == "closed":
            assert (updated - ticket["solved_at"]).days == 4
    ages = sorted((NOW - t["created_at"]).days for t in all_tickets)
    assert ages[0] == 0
    assert ages[-1] > 300, "a year of history"


def test_tag_rows_match_the_tickets_tags(generated: Engine) -> None:
    all_tickets = _rows(generated, tickets)
    with reading(generated) as conn:
        rows = [(t, tag) for t, tag in conn.execute(select(ticket_tags.c.ticket_id, ticket_tags.c.tag))]
    tag_rows: dict[int, set[str]] = defaultdict(set)
    for ticket_id, tag in rows:
        tag_rows[ticket_id].add(tag)

    assert {t["id"]: set(t["tags"]) for t in all_tickets} == dict(tag_rows)
    assert len({tag for t in all_tickets for tag in t["tags"]}) >= 8, "topic tags"


def test_requesters_are_generated_end_users_of_their_organizations(generated: Engine) -> None:
    people = {u["id"]: u for u in _rows(generated, users, users.c.external_id.like("datagen-%"))}
    orgs = _rows(generated, organizations, organizations.c.external_id.like("datagen-%"))

    assert len(people) == TICKETS // 20
    assert len(orgs) == 1
    for ticket in _rows(generated, tickets):
        requester = people[ticket["requester_id"]]
        assert requester["role"] == "end-user"
        assert ticket["organization_id"] == requester["organization_id"]
    domains = {u["email"].split("@")[1] for u in people.values()}
    assert f"{orgs[0]['name'].lower().replace(' ', '-')}.example" in domains


@pytest.mark.parametrize("word", ["runner", "SAML", "billing"])
def test_search_finds_the_generated_text(generated: Engine, word: str) -> None:
    with reading(generated) as conn:
        admin_id = conn.execute(select(users.c.id).where(users.c.role == "admin")).scalar_one()
        viewer = users_service.load_viewer(conn, admin_id)
        assert viewer is not None
        page = search(conn, viewer=viewer, text=f"type:ticket {word}", now=NOW, offset=0, limit=1000)
    texts: dict[int, list[str]] = defaultdict(list)
    for ticket in _rows(generated, tickets):
        texts[ticket["id"]].append(ticket["subject"])
    for comment in _rows(generated, ticket_comments):
        texts[comment["ticket_id"]].append(comment["body"])
    expected = {
        ticket_id for ticket_id, parts in texts.items() if word.lower() in re.findall(r"\w+", " ".join(parts).lower())
    }

    assert expected
    assert {result.id for result in page.results} == expected
    assert page.count == len(expected)


def test_the_api_serves_generated_tickets_like_any_other(desk: Desk, engine: Engine) -> None:
    build_desk(engine)
    generate_tickets(engine, total=80, now=NOW, seed=SEED)
    admin = desk.admin

    for ticket in _rows(engine, tickets):
        shown = admin.get(f"/api/v2/tickets/{ticket['id']}.json")
        audits = admin.get(f"/api/v2/tickets/{ticket['id']}/audits.json")
        comments = admin.get(f"/api/v2/tickets/{ticket['id']}/comments.json")

        assert shown.status_code == 200, shown.text
        assert shown.json()["ticket"]["status"] == ticket["status"]
        assert shown.json()["ticket"]["tags"] == ticket["tags"]
        assert audits.status_code == 200, audits.text
        assert audits.json()["audits"][0]["events"][0]["type"] == "Comment"
        assert comments.status_code == 200, comments.text
        assert comments.json()["comments"][0]["body"] == ticket["description"]
    exported = admin.get("/api/v2/incremental/ticket_events.json", start_time=0)
    assert exported.status_code == 200, exported.text
    assert admin.get("/api/v2/search.json", query="type:ticket pipeline").json()["count"] > 0


def _fingerprint(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    return {
        "tickets": _rows(engine, tickets),
        "ticket_audits": _rows(engine, ticket_audits),
        "ticket_comments": _rows(engine, ticket_comments),
        "ticket_tags": sorted(_rows_unordered(engine, ticket_tags), key=lambda row: (row["ticket_id"], row["tag"])),
        "users": _rows(engine, users, users.c.external_id.like("datagen-%")),
        "organizations": _rows(engine, organizations, organizations.c.external_id.like("datagen-%")),
    }


def _rows_unordered(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(select(table))]


@pytest.fixture
def another_desk(tmp_path: Path, sqlite_template: Path) -> Iterator[Callable[[str], Engine]]:
    """Makes more desks beside the one under test, each in a SQLite file of its own."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        engines.append(make_engine(f"sqlite:///{path}", pool_size=1))
        build_desk(engines[-1])
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def test_the_same_seed_gives_the_same_rows_however_the_runs_are_split(
    generated: Engine, another_desk: Callable[[str], Engine]
) -> None:
    second = another_desk("second")

    first_run = generate_tickets(second, total=120, now=NOW, seed=SEED, batch_size=50)
    top_up = generate_tickets(second, total=TICKETS, now=NOW, seed=SEED, batch_size=1000)

    assert (first_run.written, top_up.written, top_up.total) == (120, TICKETS - 120, TICKETS)
    assert _fingerprint(second) == _fingerprint(generated)


def test_an_interrupted_run_keeps_whole_batches_and_resumes_where_it_stopped(
    engine: Engine, another_desk: Callable[[str], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_desk(engine)
    draw = datagen._draw_ticket

    def failing(seed: int, index: int, *args: Any) -> Any:
        if index == 200:
            raise KeyboardInterrupt
        return draw(seed, index, *args)

    threads = threading.active_count()
    monkeypatch.setattr(datagen, "_draw_ticket", failing)
    with pytest.raises(KeyboardInterrupt):
        generate_tickets(engine, total=TICKETS, now=NOW, seed=SEED, batch_size=128)
    assert threading.active_count() == threads, "no drawing thread outlives the run"
    assert len(_rows(engine, tickets)) == 128, "whole batches only"
    monkeypatch.setattr(datagen, "_draw_ticket", draw)

    resumed = generate_tickets(engine, total=TICKETS, now=NOW, seed=SEED)

    assert resumed == Generated(written=TICKETS - 128, total=TICKETS)
    straight = another_desk("straight")
    generate_tickets(straight, total=TICKETS, now=NOW, seed=SEED)
    assert _fingerprint(engine) == _fingerprint(straight)


def test_another_seed_gives_another_queue(another_desk: Callable[[str], Engine]) -> None:
    one, other = another_desk("one"), another_desk("other")
    generate_tickets(one, total=50, now=NOW, seed=SEED)
    generate_tickets(other, total=50, now=NOW, seed=SEED + 1)

    subjects = [[t["subject"] for t in _rows(engine, tickets)] for engine in (one, other)]
    assert subjects[0] != subjects[1]


def _count(engine: Engine, table: Any) -> int:
    with reading(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_running_again_tops_up_and_never_doubles(generated: Engine) -> None:
    people = _count(generated, users)

    again = generate_tickets(generated, total=TICKETS, now=NOW, seed=SEED)
    smaller = generate_tickets(generated, total=TICKETS - 50, now=NOW, seed=SEED)

    assert again == Generated(written=0, total=TICKETS)
    assert smaller == Generated(written=0, total=TICKETS)
    assert (_count(generated, tickets), _count(generated, users)) == (TICKETS, people)

    more = generate_tickets(generated, total=TICKETS + 30, now=NOW, seed=SEED)
    assert more == Generated(written=30, total=TICKETS + 30)
    assert _rows(generated, tickets)[-1]["external_id"] == f"datagen-{SEED}-t{TICKETS + 29}"
    assert _count(generated, users) == people + 2, "one more end-user per 20 tickets"


def test_another_seed_is_refused_on_a_generated_database(generated: Engine) -> None:
    with pytest.raises(Conflict, match=f"seed {SEED}"):
        generate_tickets(generated, total=TICKETS + 10, now=NOW, seed=SEED + 1)

    assert len(_rows(generated, tickets)) == TICKETS


def test_a_desk_without_agents_is_refused(engine: Engine) -> None:
    with pytest.raises(Conflict, match="demo"):
        generate_tickets(engine, total=10, now=NOW)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_line_every_tenth_off_a_terminal_and_one_redrawn_line_on_one() -> None:
    log, terminal = io.StringIO(), _Terminal()
    log_bar, terminal_bar = ProgressBar(log), ProgressBar(terminal)
    for done in range(0, 1001, 50):
        log_bar(done, 1000)
        terminal_bar(done, 1000)

    lines = log.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == [f"{p}%" for p in range(10, 101, 10)]
    assert "1,000/1,000 tickets" in lines[-1]
    assert "ETA" in lines[0]
    drawn = terminal.getvalue()
    assert drawn.count("\r") == 21
    assert drawn.endswith("\n")
    assert drawn.count("\n") == 1
    assert "[####################] 100%" in drawn


# --- the command ---------------------------------------------------------------------------------


def _demo(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPSDESK_")}
    env["OPSDESK_DATABASE_URL"] = f"sqlite:///{workdir / 'opsdesk.db'}"
    return subprocess.run(
        [sys.executable, "-m", "opsdesk", "demo", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_with_more_tickets_generates_the_rest_once(tmp_path: Path) -> None:
    first = _demo(tmp_path, "--tickets", "500")
    second = _demo(tmp_path, "--tickets", "500")

    assert first.returncode == 0, first.stderr
    assert "generated 300 tickets (500 in all)" in first.stdout
    assert "100% 300/300 tickets" in first.stderr, "progress goes to stderr, a line per tenth off a terminal"
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'opsdesk.db'}", pool_size=1)
    try:
        assert _count(engine, tickets) == 500
    finally:
        engine.dispose()


def test_demo_refuses_a_count_that_is_not_positive(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--tickets", "0")

    assert result.returncode == 2
    assert "positive" in result.stderr
    assert "Traceback" not in result.stderr
