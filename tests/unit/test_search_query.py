"""Zendesk's search query language, parsed as an agent typing into the search box expects."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.search import query as query_module
from opsdesk.search.query import Field, Op, Query, QueryError, Text, parse_query

NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def free(words: str, *, phrase: bool = False, prefix: bool = False, negated: bool = False) -> Text:
    return Text(words, phrase=phrase, prefix=prefix, negated=negated)


def field(name: str, value: str | datetime | None, op: Op = Op.EQ, *, negated: bool = False) -> Field:
    return Field(name, op, value, negated=negated)


def parse(text: str) -> Query:
    return parse_query(text, now=NOW)


def only_field(text: str) -> Field:
    parsed = parse(text)
    assert parsed.texts == ()
    (field,) = parsed.fields
    return field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("printer", free("printer"), id="word"),
        pytest.param('"on fire"', free("on fire", phrase=True), id="phrase"),
        pytest.param('"  on   fire "', free("on fire", phrase=True), id="phrase-spaces"),
        pytest.param('"status:open"', free("status:open", phrase=True), id="phrase-literal"),
        pytest.param("print*", free("print", prefix=True), id="prefix"),
        pytest.param("-printer", free("printer", negated=True), id="negated-word"),
        pytest.param('-"on fire"', free("on fire", phrase=True, negated=True), id="negated-phrase"),
        pytest.param("-print*", free("print", prefix=True, negated=True), id="negated-prefix"),
        pytest.param("alice@example.com", free("alice@example.com"), id="email"),
        pytest.param("v1.2_beta-3", free("v1.2_beta-3"), id="dots-digits"),
        pytest.param("café", free("café"), id="non-ascii"),
        pytest.param("cafe\u0301", free("cafe\u0301"), id="combining-accent"),
        pytest.param("Überweisung", free("Überweisung"), id="capital-umlaut"),
    ],
)
def test_free_text(text: str, expected: Text) -> None:
    assert parse(text) == Query(texts=(expected,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("status:open", field("status", "open"), id="status-eq"),
        pytest.param("Status:OPEN", field("status", "open"), id="status-any-case"),
        pytest.param('status:"hold"', field("status", "hold"), id="status-quoted"),
        pytest.param("status<solved", field("status", "solved", Op.LT), id="status-lt"),
        pytest.param("status>new", field("status", "new", Op.GT), id="status-gt"),
        pytest.param("status<=pending", field("status", "pending", Op.LE), id="status-le"),
        pytest.param("status>=hold", field("status", "hold", Op.GE), id="status-ge"),
        pytest.param("-status:closed", field("status", "closed", negated=True), id="status-negated"),
        pytest.param("priority:urgent", field("priority", "urgent"), id="priority-eq"),
        pytest.param("priority>normal", field("priority", "normal", Op.GT), id="priority-gt"),
        pytest.param("priority<high", field("priority", "high", Op.LT), id="priority-lt"),
        pytest.param("priority>=low", field("priority", "low", Op.GE), id="priority-ge"),
        pytest.param("priority<=urgent", field("priority", "urgent", Op.LE), id="priority-le"),
        pytest.param("ticket_type:incident", field("ticket_type", "incident"), id="type-incident"),
        pytest.param("ticket_type:Question", field("ticket_type", "question"), id="type-question"),
        pytest.param("ticket_type:problem", field("ticket_type", "problem"), id="type-problem"),
        pytest.param("-ticket_type:task", field("ticket_type", "task", negated=True), id="type-task-negated"),
        pytest.param("assignee:none", field("assignee", None), id="assignee-none"),
        pytest.param("assignee:NONE", field("assignee", None), id="assignee-none-caps"),
        pytest.param('assignee:"none"', field("assignee", "none"), id="assignee-quoted-none"),
        pytest.param("-assignee:none", field("assignee", None, negated=True), id="assignee-any"),
        pytest.param("assignee:me", field("assignee", "me"), id="assignee-me"),
        pytest.param("assignee:42", field("assignee", "42"), id="assignee-id"),
        pytest.param("assignee:Tony@Stark.com", field("assignee", "Tony@Stark.com"), id="assignee-email"),
        pytest.param('assignee:"Tony Stark"', field("assignee", "Tony Stark"), id="assignee-name"),
        pytest.param("requester:me", field("requester", "me"), id="requester"),
        pytest.param("submitter:7", field("submitter", "7"), id="submitter"),
        pytest.param("commenter:bob@x.io", field("commenter", "bob@x.io"), id="commenter"),
        pytest.param("cc:me", field("cc", "me"), id="cc"),
        pytest.param("group:none", field("group", None), id="group-none"),
        pytest.param('group:"Level 2"', field("group", "Level 2"), id="group-name"),
        pytest.param("organization:none", field("organization", None), id="org-none"),
        pytest.param(
            'organization:"Stark Industries"',
            field("organization", "Stark Industries"),
            id="org-quoted",
        ),
        pytest.param("requester:none", field("requester", "none"), id="requester-none-is-name"),
        pytest.param("tags:premium", field("tags", "premium"), id="tags"),
        pytest.param("tag:VIP", field("tags", "vip"), id="tag-alias-lowercased"),
        pytest.param("-tags:premium", field("tags", "premium", negated=True), id="tags-negated"),
        pytest.param('form:"Bug report"', field("form", "Bug report"), id="form"),
        pytest.param("via:email", field("via", "email"), id="via-email"),
        pytest.param("via:API", field("via", "api"), id="via-api"),
        pytest.param("via:mail_list", field("via", "mail_list"), id="via-mail-list"),
        pytest.param('subject:"on fire"', field("subject", "on fire"), id="subject"),
        pytest.param("description:printer", field("description", "printer"), id="description"),
        pytest.param("external_id:ABC-123", field("external_id", "ABC-123"), id="external-id"),
        pytest.param("fieldvalue:12345", field("fieldvalue", "12345"), id="fieldvalue"),
        pytest.param("custom_field_360:yes", field("custom_field_360", "yes"), id="custom-field"),
        pytest.param("Custom_Field_7:Yes", field("custom_field_7", "Yes"), id="custom-field-case"),
        pytest.param("subject:a:b<c", field("subject", "a:b<c"), id="value-keeps-operators"),
    ],
)
def test_field_terms(text: str, expected: Field) -> None:
    assert only_field(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("created>2026-01-01", field("created", NEW_YEAR, Op.GT), id="after-date"),
        pytest.param("created<2026-01-01", field("created", NEW_YEAR, Op.LT), id="before-date"),
        pytest.param("created>=2026-01-01", field("created", NEW_YEAR, Op.GE), id="ge-date"),
        pytest.param("created<=2026-01-01", field("created", NEW_YEAR, Op.LE), id="le-date"),
        pytest.param("created:2026-01-01", field("created", NEW_YEAR), id="on-day"),
        pytest.param(
            "updated>2026-01-01T10:00:00Z",
            field("updated", datetime(2026, 1, 1, 10, tzinfo=UTC), Op.GT),
            id="after-instant",
        ),
        pytest.param(
            "updated<2026-01-01T10:00:00+02:00",
            field("updated", datetime(2026, 1, 1, 8, tzinfo=UTC), Op.LT),
            id="offset-to-utc",
        ),
        pytest.param(
            "updated<2026-01-01T10:15",
            field("updated", datetime(2026, 1, 1, 10, 15, tzinfo=UTC), Op.LT),
            id="naive-time-is-utc",
        ),
        pytest.param(
            "created:2026-01-01T23:30:00-02:00",
            field("created", datetime(2026, 1, 2, tzinfo=UTC)),
            id="eq-instant-is-its-utc-day",
        ),
        pytest.param("updated<3days", field("updated", NOW - timedelta(days=3), Op.LT), id="more-than-3-days-ago"),
        pytest.param("created>2hours", field("created", NOW - timedelta(hours=2), Op.GT), id="in-last-2-hours"),
        pytest.param(
            "created:3days",
            field("created", datetime(2026, 3, 12, tzinfo=UTC)),
            id="eq-relative-is-that-day",
        ),
        pytest.param("solved>=1week", field("solved", NOW - timedelta(weeks=1), Op.GE), id="solved-relative"),
        pytest.param(
            "due_date<2026-04-01",
            field("due_date", datetime(2026, 4, 1, tzinfo=UTC), Op.LT),
            id="due-date",
        ),
        pytest.param("-created:2026-01-01", field("created", NEW_YEAR, negated=True), id="negated-day"),
    ],
)
def test_date_terms(text: str, expected: Field) -> None:
    field = only_field(text)
    assert field == expected
    assert isinstance(field.value, datetime)
    assert field.value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "ago"),
    [
        *[pytest.param(f"15{unit}", timedelta(minutes=15), id=unit) for unit in ("minutes", "minute", "min")],
        *[pytest.param(f"2{unit}", timedelta(hours=2), id=unit) for unit in ("hours", "hour", "h", "HOURS")],
        *[pytest.param(f"3{unit}", timedelta(days=3), id=unit) for unit in ("days", "day", "d")],
        *[pytest.param(f"2{unit}", timedelta(weeks=2), id=unit) for unit in ("weeks", "week", "w")],
        *[pytest.param(f"1{unit}", timedelta(days=30), id=unit) for unit in ("months", "month")],
        *[pytest.param(f"1{unit}", timedelta(days=365), id=unit) for unit in ("years", "year", "y")],
        pytest.param("0days", timedelta(0), id="zero"),
    ],
)
def test_relative_units(value: str, ago: timedelta) -> None:
    assert only_field(f"updated>{value}").value == NOW - ago


def test_relative_dates_count_back_from_now_in_utc() -> None:
    now_in_tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    field = parse_query("created>1day", now=now_in_tokyo).fields[0]
    assert field.value == NOW - timedelta(days=1)
    assert isinstance(field.value, datetime)
    assert field.value.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "result_type", "order_by", "sort"),
    [
        pytest.param("", None, None, "desc", id="defaults"),
        pytest.param("type:ticket", "ticket", None, "desc", id="type-ticket"),
        pytest.param("type:USER", "user", None, "desc", id="type-user"),
        pytest.param("type:organization", "organization", None, "desc", id="type-org"),
        pytest.param("type:group", "group", None, "desc", id="type-group"),
        pytest.param("order_by:created", None, "created_at", "desc", id="order-created"),
        pytest.param("order_by:updated", None, "updated_at", "desc", id="order-updated"),
        pytest.param("order_by:priority", None, "priority", "desc", id="order-priority"),
        pytest.param("order_by:status", None, "status", "desc", id="order-status"),
        pytest.param("order_by:ticket_type", None, "type", "desc", id="order-ticket-type"),
        pytest.param("sort:asc", None, None, "asc", id="sort-asc"),
        pytest.param("sort:desc", None, None, "desc", id="sort-desc"),
        pytest.param("type:ticket order_by:updated sort:ASC", "ticket", "updated_at", "asc", id="all-three"),
        pytest.param("type:ticket type:ticket", "ticket", None, "desc", id="same-type-twice"),
    ],
)
def test_result_settings(text: str, result_type: str | None, order_by: str | None, sort: str) -> None:
    parsed = parse(text)
    assert (parsed.result_type, parsed.order_by, parsed.sort) == (result_type, order_by, sort)
    assert parsed.fields == ()


@pytest.mark.parametrize("text", ["", "   ", "\t\n"], ids=["empty", "spaces", "tab-newline"])
def test_empty_query_is_allowed(text: str) -> None:
    assert parse(text) == Query(texts=(), fields=(), result_type=None, order_by=None, sort="desc")


def test_terms_keep_their_order_and_repeats() -> None:
    parsed = parse('type:ticket  status:open printer -"on fire" status:pending\ttags:vip print* sort:asc')
    assert parsed.texts == (
        free("printer"),
        free("on fire", phrase=True, negated=True),
        free("print", prefix=True),
    )
    assert parsed.fields == (
        field("status", "open"),
        field("status", "pending"),
        field("tags", "vip"),
    )
    assert (parsed.result_type, parsed.sort) == ("ticket", "asc")


def test_longest_query_allowed_is_1000_characters() -> None:
    text = "printer " * 125
    assert len(text) == 1000
    assert len(parse(text).texts) == 125


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        pytest.param("colour:red", 0, "unknown search key 'colour'", id="unknown-key"),
        pytest.param("printer Colour:red", 8, "unknown search key 'Colour'", id="unknown-key-later"),
        pytest.param("-colour:red", 1, "unknown search key 'colour'", id="unknown-key-negated"),
        pytest.param('colour:"red', 0, "unknown search key 'colour'", id="unknown-key-before-bad-value"),
        pytest.param("http://example.com", 0, "unknown search key 'http'", id="url-reads-as-key"),
        pytest.param("custom_field_x:1", 0, "unknown search key 'custom_field_x'", id="custom-field-needs-id"),
        pytest.param(
            "status:opne",
            7,
            "invalid status 'opne'; expected one of new, open, pending, hold, solved, closed",
            id="bad-status",
        ),
        pytest.param("status:none", 7, "invalid status 'none'", id="status-none"),
        pytest.param('status<"later"', 7, "invalid status 'later'", id="bad-status-quoted"),
        pytest.param("priority:critical", 9, "expected one of low, normal, high, urgent", id="bad-priority"),
        pytest.param("ticket_type:bug", 12, "expected one of question, incident, problem, task", id="bad-ticket-type"),
        pytest.param("type:tickets", 5, "expected one of ticket, user, organization, group", id="bad-type"),
        pytest.param("sort:up", 5, "invalid sort 'up'; expected one of asc, desc", id="bad-sort"),
        pytest.param(
            "order_by:name", 9, "expected one of created, updated, priority, status, ticket_type", id="bad-order-by"
        ),
        pytest.param("assignee<alice", 8, "assignee does not support '<'", id="lt-on-person"),
        pytest.param("tags>vip", 4, "tags does not support '>'", id="gt-on-tags"),
        pytest.param("subject>=x", 7, "subject does not support '>='", id="ge-on-subject"),
        pytest.param("ticket_type<=task", 11, "ticket_type does not support '<='", id="le-on-ticket-type"),
        pytest.param("type>ticket", 4, "type does not support '>'", id="gt-on-type"),
        pytest.param("created>yesterday", 8, "invalid date 'yesterday'; expected YYYY-MM-DD", id="bad-date-word"),
        pytest.param("created:2026-13-01", 8, "invalid date '2026-13-01'", id="bad-month"),
        pytest.param("created:2026-02-30", 8, "invalid date '2026-02-30'", id="bad-day"),
        pytest.param("created<2026/01/01", 8, "invalid date '2026/01/01'", id="slashes"),
        pytest.param("updated<3fortnights", 8, "invalid date '3fortnights'", id="bad-unit"),
        pytest.param("updated<3m", 8, "invalid date '3m'", id="ambiguous-m"),
        pytest.param("updated<days", 8, "invalid date 'days'", id="unit-without-amount"),
        pytest.param("created>999999999years", 8, "date '999999999years' is out of range", id="date-overflow"),
        pytest.param('"on fire', 0, "unbalanced quote", id="unbalanced-phrase"),
        pytest.param('printer -"on fire', 9, "unbalanced quote", id="unbalanced-negated-phrase"),
        pytest.param('subject:"on fire', 8, "unbalanced quote", id="unbalanced-value"),
        pytest.param('""', 0, "empty quoted phrase", id="empty-phrase"),
        pytest.param('printer "   "', 8, "empty quoted phrase", id="blank-phrase"),
        pytest.param('"on fire"now', 9, "expected a space after the closing quote", id="text-after-phrase"),
        pytest.param('group:"Level 2"x', 15, "expected a space after the closing quote", id="text-after-value"),
        pytest.param('foo"bar"', 3, "unexpected quote inside a word", id="quote-in-word"),
        pytest.param('subject:on"fire"', 10, "unexpected quote inside a value", id="quote-in-value"),
        pytest.param("*", 0, "'*' must follow a word", id="lone-star"),
        pytest.param("printer -*", 9, "'*' must follow a word", id="negated-star"),
        pytest.param("pr*nt", 2, "'*' is allowed only at the end of a word", id="inner-star"),
        pytest.param("print**", 5, "'*' is allowed only at the end of a word", id="double-star"),
        pytest.param("printer!", 7, "unexpected character '!'", id="punctuation"),
        pytest.param("a/b", 1, "unexpected character '/'", id="slash"),
        pytest.param("-", 0, "expected a term after '-'", id="lone-dash"),
        pytest.param("printer - x", 8, "expected a term after '-'", id="dash-space"),
        pytest.param("--printer", 0, "expected a term after '-'", id="double-dash"),
        pytest.param("status:", 7, "missing value after 'status:'", id="missing-value-at-end"),
        pytest.param("created>= open", 9, "missing value after 'created>='", id="missing-value-before-space"),
        pytest.param(":open", 0, "missing key before ':'", id="missing-key"),
        pytest.param("-<=5", 1, "missing key before '<='", id="missing-key-negated"),
        pytest.param('tags:"needs review"', 5, "a tags value is a single word", id="tag-with-space"),
        pytest.param("-type:ticket", 0, "type cannot be negated", id="negated-type"),
        pytest.param("-sort:asc", 0, "sort cannot be negated", id="negated-sort"),
        pytest.param("type:ticket type:user", 17, "type given twice: 'ticket' and 'user'", id="conflicting-type"),
        pytest.param("sort:asc sort:desc", 14, "sort given twice", id="conflicting-sort"),
        pytest.param("x" * 1001, 1000, "query is longer than 1000 characters", id="too-long"),
    ],
)
def test_invalid_queries_say_what_and_where(text: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse(text)
    error = raised.value
    assert (error.position, reason in error.reason) == (position, True), error.reason
    assert str(error) == f"{error.reason} at position {position}"
    assert isinstance(error, ValueError)  # callers that only know ValueError still catch it


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_query("printer", now=NOW.replace(tzinfo=None))


def test_parser_is_pure() -> None:
    tree = ast.parse(inspect.getsource(query_module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    forbidden = ("sqlalchemy", "fastapi", "starlette", "opsdesk.core.clock", "opsdesk.core.db")
    assert not {name for name in imported if name.startswith(forbidden)}


DATE_KEYS = {"created", "updated", "solved", "due_date"}
CANONICAL_KEYS = DATE_KEYS | {
    "status", "priority", "ticket_type", "assignee", "requester", "submitter", "group", "organization", "tags",
    "form", "via", "subject", "description", "commenter", "cc", "external_id", "fieldvalue",
}  # fmt: skip

_VOCABULARY = st.sampled_from(
    [
        "status", "priority", "type", "ticket_type", "assignee", "tags", "created", "updated", "order_by", "sort",
        "custom_field_1", "none", "me", "open", "urgent", "3days", "2026-01-01", "2026-01-01T10:00:00Z", "asc",
        ":", "<", ">", "<=", ">=", "-", '"', "*", " ", "\t", "é", "\u0301", "\x00", "9" * 12 + "years",
    ]
)  # fmt: skip


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=1100), st.lists(st.one_of(_VOCABULARY, st.text(max_size=3))).map("".join)))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    outcome: Query | QueryError
    try:
        outcome = parse(text)
    except QueryError as error:  # the only exception a user's query may cause
        outcome = error
    if isinstance(outcome, QueryError):
        assert 0 <= outcome.position <= len(text)
        assert outcome.reason
        return
    assert outcome.sort in {"asc", "desc"}
    for term in outcome.fields:
        assert term.name in CANONICAL_KEYS or term.name.startswith("custom_field_")
        if term.name in DATE_KEYS:
            assert isinstance(term.value, datetime)
            assert term.value.utcoffset() == timedelta(0)
    for word in outcome.texts:
        assert word.words
        assert word.words == word.words.strip()
