"""The ticket status transition table, as a support engineer expects it to behave."""

from __future__ import annotations

import pytest

from opsdesk.core.errors import InvalidTransition
from opsdesk.tickets.model import Mover, Status, next_status

A, R, S = Mover.AGENT, Mover.REQUESTER, Mover.SYSTEM


@pytest.mark.parametrize(
    ("current", "mover", "requested", "public", "expected"),
    [
        (Status.NEW, A, None, False, Status.OPEN),  # an agent's first update opens the ticket
        (Status.NEW, A, None, True, Status.OPEN),
        (Status.NEW, A, Status.PENDING, True, Status.PENDING),  # unless it sets another status
        (Status.NEW, A, Status.SOLVED, True, Status.SOLVED),
        (Status.NEW, R, None, True, Status.NEW),  # the requester adding detail keeps it new
        (Status.PENDING, R, None, True, Status.OPEN),  # a requester's public reply reopens
        (Status.HOLD, R, None, True, Status.OPEN),
        (Status.SOLVED, R, None, True, Status.OPEN),
        (Status.PENDING, A, None, False, Status.PENDING),  # an internal note never reopens
        (Status.SOLVED, A, None, False, Status.SOLVED),
        (Status.PENDING, A, None, True, Status.PENDING),  # an agent's reply leaves status alone
        (Status.OPEN, R, Status.SOLVED, True, Status.SOLVED),  # requesters may solve their request
        (Status.SOLVED, S, Status.CLOSED, False, Status.CLOSED),  # only the system closes
        (Status.OPEN, S, Status.CLOSED, False, Status.CLOSED),  # a merge closes from any status
    ],
)
def test_status_after_update(
    current: Status, mover: Mover, requested: Status | None, public: bool, expected: Status
) -> None:
    assert next_status(current, mover=mover, requested=requested, public_comment=public) is expected


@pytest.mark.parametrize(
    ("current", "mover", "requested"),
    [
        (Status.OPEN, A, Status.NEW),  # never back to new
        (Status.SOLVED, A, Status.NEW),
        (Status.OPEN, S, Status.NEW),
        (Status.SOLVED, A, Status.CLOSED),  # agents do not close by hand
        (Status.OPEN, R, Status.PENDING),  # requesters only solve
        (Status.OPEN, R, Status.HOLD),
    ],
)
def test_forbidden_moves_are_refused(current: Status, mover: Mover, requested: Status) -> None:
    with pytest.raises(InvalidTransition) as raised:
        next_status(current, mover=mover, requested=requested, public_comment=False)
    assert "status" in raised.value.details


@pytest.mark.parametrize("mover", list(Mover))
@pytest.mark.parametrize("requested", [None, *Status])
def test_closed_is_final(mover: Mover, requested: Status | None) -> None:
    with pytest.raises(InvalidTransition):
        next_status(Status.CLOSED, mover=mover, requested=requested, public_comment=True)


@pytest.mark.parametrize("current", [s for s in Status if s is not Status.CLOSED])
@pytest.mark.parametrize("mover", list(Mover))
def test_nothing_ever_returns_to_new(current: Status, mover: Mover) -> None:
    for public in (False, True):
        try:
            result = next_status(current, mover=mover, requested=None, public_comment=public)
        except InvalidTransition:  # pragma: no cover - implied moves never raise
            continue
        assert result is not Status.NEW or current is Status.NEW
