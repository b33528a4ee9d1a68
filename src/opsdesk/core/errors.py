"""The exceptions the domain raises, mapped to HTTP in one place (`compat/zendesk/errors.py`).

OpsdeskError
 ├── NotFound                 the record does not exist, or the caller may not know it does
 ├── Unauthenticated          no credentials, or wrong ones
 ├── PermissionDenied         known caller, forbidden action
 ├── InvalidInput             the request names bad values; `details` says which, per field
 │    └── InvalidTransition   a status move the ticket rules forbid
 ├── Conflict                 the change clashes with existing state (duplicate email, ...)
 └── PayloadTooLarge          the request body is over the configured limit
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class OpsdeskError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class NotFound(OpsdeskError):
    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class Unauthenticated(OpsdeskError):
    pass


class PermissionDenied(OpsdeskError):
    pass


class InvalidInput(OpsdeskError):
    """`details` maps a field name to the reasons it was refused."""

    def __init__(self, description: str, details: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(description)
        self.details: dict[str, list[str]] = {k: list(v) for k, v in (details or {}).items()}

    @classmethod
    def field(cls, name: str, reason: str) -> InvalidInput:
        return cls("Record validation errors", {name: [reason]})


class InvalidTransition(InvalidInput):
    pass


class Conflict(OpsdeskError):
    def __init__(self, description: str, field: str | None = None) -> None:
        super().__init__(description)
        self.field = field


class PayloadTooLarge(OpsdeskError):
    pass
