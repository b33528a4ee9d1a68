"""Parse Zendesk's search query language into typed terms; executing them happens elsewhere.

Pure: no database, no framework, no clock (`now` is an argument). Terms combine with AND; the
executor treats repeated EQ terms on the same key as OR, as Zendesk does, so all are kept in order.

Dates are timezone-aware UTC datetimes. A relative value (`3days`) is the instant `now - 3 days`
(a month is 30 days, a year 365 days) and the operator is kept, so `updated<3days` reads
"updated_at < now - 3 days", i.e. updated more than three days ago. A naive ISO time is taken
as UTC. With EQ (`created:2026-01-01`) the value is the start of the UTC day containing the
instant, and the executor matches the whole day: [value, value + 1 day).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum

from opsdesk.tickets.model import Priority, Status, TicketType

MAX_QUERY_LENGTH = 1000


class QueryError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based offset of the offending text."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} at position {position}")
        self.reason = reason
        self.position = position


class Op(StrEnum):
    EQ = ":"
    LT = "<"
    GT = ">"
    LE = "<="
    GE = ">="


@dataclass(frozen=True)
class Text:
    words: str
    phrase: bool
    prefix: bool
    negated: bool


@dataclass(frozen=True)
class Field:
    name: str
    op: Op
    value: str | datetime | None
    negated: bool


@dataclass(frozen=True)
class Query:
    texts: tuple[Text, ...] = ()
    fields: tuple[Field, ...] = ()
    result_type: str | None = None
    order_by: str | None = None
    sort: str = "desc"


class _Kind(Enum):
    ORDERED = "ordered"  # a closed set with an order; comparisons allowed
    CHOICE = "choice"  # a closed set
    DATE = "date"
    WORD = "word"  # one word, lowercased (tags, channels)
    TEXT = "text"  # kept as typed: people, groups, names, ids
    RESULT_TYPE = "type"
    ORDER_BY = "order_by"
    SORT = "sort"


@dataclass(frozen=True)
class _Key:
    name: str
    kind: _Kind
    allowed: tuple[str, ...] = ()
    nullable: bool = False  # `none` means "not set"


_KEYS: dict[str, _Key] = {
    "type": _Key("type", _Kind.RESULT_TYPE, ("ticket", "user", "organization", "group")),
    "status": _Key("status", _Kind.ORDERED, tuple(Status)),
    "priority": _Key("priority", _Kind.ORDERED, tuple(Priority)),
    "ticket_type": _Key("ticket_type", _Kind.CHOICE, tuple(TicketType)),
    "assignee": _Key("assignee", _Kind.TEXT, nullable=True),
    "group": _Key("group", _Kind.TEXT, nullable=True),
    "organization": _Key("organization", _Kind.TEXT, nullable=True),
    **{name: _Key(name, _Kind.TEXT) for name in ("requester", "submitter", "commenter", "cc")},
    **{name: _Key(name, _Kind.TEXT) for name in ("form", "subject", "description", "external_id", "fieldvalue")},
    "tags": _Key("tags", _Kind.WORD),
    "tag": _Key("tags", _Kind.WORD),
    "via": _Key("via", _Kind.WORD),
    **{name: _Key(name, _Kind.DATE) for name in ("created", "updated", "solved", "due_date")},
    "order_by": _Key("order_by", _Kind.ORDER_BY, ("created", "updated", "priority", "status", "ticket_type")),
    "sort": _Key("sort", _Kind.SORT, ("asc", "desc")),
}
_ORDER_COLUMNS = {"created": "created_at", "updated": "updated_at", "ticket_type": "type"}  # others keep their name
_SETTINGS = {_Kind.RESULT_TYPE, _Kind.ORDER_BY, _Kind.SORT}  # they shape the result, not filter it
_CUSTOM_FIELD = re.compile(r"custom_field_\d+", re.ASCII)

_UNITS = {
    **dict.fromkeys(("minutes", "minute", "min"), timedelta(minutes=1)),
    **dict.fromkeys(("hours", "hour", "h"), timedelta(hours=1)),
    **dict.fromkeys(("days", "day", "d"), timedelta(days=1)),
    **dict.fromkeys(("weeks", "week", "w"), timedelta(weeks=1)),
    **dict.fromkeys(("months", "month"), timedelta(days=30)),
    **dict.fromkeys(("years", "year", "y"), timedelta(days=365)),
}
_RELATIVE = re.compile(r"(\d{1,9})([a-z]+)", re.IGNORECASE | re.ASCII)
_ABSOLUTE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII)
_DATE_FORMS = "YYYY-MM-DD, an ISO 8601 time such as 2026-01-01T10:00:00Z, or a relative time such as 3days"
_OPERATORS = ("<=", ">=", ":", "<", ">")  # two-character operators first
_STOP = ':<>"'


@dataclass(frozen=True)
class _Value:
    text: str
    position: int
    quoted: bool


def parse_query(text: str, *, now: datetime) -> Query:
    """Parse `text`; raise QueryError naming the first problem and where it is."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH)
    parser = _Parser(text, now.astimezone(UTC))
    parser.run()
    settings = parser.settings
    return Query(
        texts=tuple(parser.texts),
        fields=tuple(parser.fields),
        result_type=settings.get(_Kind.RESULT_TYPE),
        order_by=settings.get(_Kind.ORDER_BY),
        sort=settings.get(_Kind.SORT, "desc"),
    )


class _Parser:
    def __init__(self, text: str, now: datetime) -> None:
        self.text, self.now, self.at = text, now, 0
        self.texts: list[Text] = []
        self.fields: list[Field] = []
        self.settings: dict[_Kind, str] = {}  # type:, order_by:, sort:

    def run(self) -> None:
        while True:
            while self.at < len(self.text) and self.text[self.at].isspace():
                self.at += 1
            if self.at == len(self.text):
                return
            self._term()

    def _term(self) -> None:
        start, negated = self.at, self.text[self.at] == "-"
        if negated:
            self.at += 1
            if self._peek() in {"", "-"} or self._peek().isspace():
                raise QueryError("expected a term after '-'", start)
        if self._peek() == '"':
            opening = self.at
            words = " ".join(self._quoted().split())
            if not words:
                raise QueryError("empty quoted phrase", opening)
            self.texts.append(Text(words, phrase=True, prefix=False, negated=negated))
            return
        key_at = self.at
        word = self._bare(_STOP)
        op_at = self.at
        operator = next((op for op in _OPERATORS if self.text.startswith(op, op_at)), None)
        if operator is None:
            if self._peek() == '"':
                raise QueryError("unexpected quote inside a word", self.at)
            self.texts.append(_free_text(word, key_at, negated))
            return
        if not word:
            raise QueryError(f"missing key before '{operator}'", op_at)
        key = _key(word, key_at)
        self.at += len(operator)
        value_at = self.at
        if self._peek() == "" or self._peek().isspace():
            raise QueryError(f"missing value after '{word}{operator}'", value_at)
        value = _Value(self._quoted(), value_at, quoted=True) if self._peek() == '"' else self._bare_value()
        self._field(key, op=Op(operator), op_at=op_at, value=value, negated_at=start if negated else None)

    def _field(self, key: _Key, *, op: Op, op_at: int, value: _Value, negated_at: int | None) -> None:
        if op is not Op.EQ and key.kind not in {_Kind.ORDERED, _Kind.DATE}:
            raise QueryError(f"{key.name} does not support '{op}'; only status, priority and dates compare", op_at)
        if key.kind not in _SETTINGS:
            self.fields.append(Field(key.name, op, _field_value(key, op, value, self.now), negated_at is not None))
            return
        if negated_at is not None:
            raise QueryError(f"{key.name} cannot be negated", negated_at)
        setting = _choice(key, value)
        setting = _ORDER_COLUMNS.get(setting, setting) if key.kind is _Kind.ORDER_BY else setting
        previous = self.settings.setdefault(key.kind, setting)
        if previous != setting:
            raise QueryError(f"{key.name} given twice: {previous!r} and {setting!r}", value.position)

    def _peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def _bare(self, stop: str) -> str:
        start = self.at
        while self.at < len(self.text) and not self.text[self.at].isspace() and self.text[self.at] not in stop:
            self.at += 1
        return self.text[start : self.at]

    def _bare_value(self) -> _Value:
        start = self.at
        value = _Value(self._bare('"'), start, quoted=False)
        if self._peek() == '"':
            raise QueryError("unexpected quote inside a value", self.at)
        return value

    def _quoted(self) -> str:
        """Read `"…"` at the cursor; what follows the closing quote must be a space or the end."""
        opening = self.at
        closing = self.text.find('"', opening + 1)
        if closing < 0:
            raise QueryError("unbalanced quote", opening)
        self.at = closing + 1
        if self._peek() and not self._peek().isspace():
            raise QueryError("expected a space after the closing quote", self.at)
        return self.text[opening + 1 : closing]


def _free_text(word: str, position: int, negated: bool) -> Text:
    prefix = word.endswith("*")
    stem = word.removesuffix("*")
    if not stem:
        raise QueryError("'*' must follow a word", position)
    for offset, char in enumerate(stem):
        if char == "*":
            raise QueryError("'*' is allowed only at the end of a word", position + offset)
        if not (char in "_-.@" or unicodedata.category(char)[0] in "LNM"):
            raise QueryError(f"unexpected character {char!r}", position + offset)
    return Text(stem, phrase=False, prefix=prefix, negated=negated)


def _key(word: str, position: int) -> _Key:
    name = word.lower()
    if name in _KEYS:
        return _KEYS[name]
    if _CUSTOM_FIELD.fullmatch(name):
        return _Key(name, _Kind.TEXT)
    raise QueryError(f"unknown search key {word!r}", position)


def _field_value(key: _Key, op: Op, value: _Value, now: datetime) -> str | datetime | None:
    if key.kind in {_Kind.ORDERED, _Kind.CHOICE}:
        return _choice(key, value)
    if key.kind is _Kind.DATE:
        return _date(value, op, now)
    if key.nullable and not value.quoted and value.text.lower() == "none":
        return None
    if key.kind is _Kind.WORD:
        if any(char.isspace() for char in value.text):
            raise QueryError(f"a {key.name} value is a single word", value.position)
        return value.text.lower()
    return value.text


def _choice(key: _Key, value: _Value) -> str:
    lowered = value.text.lower()
    if lowered not in key.allowed:
        allowed = ", ".join(key.allowed)
        raise QueryError(f"invalid {key.name} {value.text!r}; expected one of {allowed}", value.position)
    return lowered


def _date(value: _Value, op: Op, now: datetime) -> datetime:
    instant = _absolute_date(value) if _ABSOLUTE.fullmatch(value.text) else _relative_date(value, now)
    if op is Op.EQ:  # the whole UTC day; see the module docstring
        return instant.replace(hour=0, minute=0, second=0, microsecond=0)
    return instant


def _absolute_date(value: _Value) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.text)
    except ValueError:
        raise QueryError(f"invalid date {value.text!r}; expected {_DATE_FORMS}", value.position) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _relative_date(value: _Value, now: datetime) -> datetime:
    match = _RELATIVE.fullmatch(value.text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise QueryError(f"invalid date {value.text!r}; expected {_DATE_FORMS}", value.position)
    try:
        return now - unit * int(match.group(1))
    except OverflowError:
        raise QueryError(f"date {value.text!r} is out of range", value.position) from None
