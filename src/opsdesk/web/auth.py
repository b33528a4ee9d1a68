"""Who is calling: Zendesk-style Basic (`email/token:TOKEN` or `email:password`) or Bearer tokens.

A verified Authorization header is remembered with the caller's `Viewer` for a few seconds, so
that a busy script does not pay for token lookups (and argon2, for passwords) on every request.
Any change to users, tokens or memberships in this process forgets every entry at once
(`core.generation`); other processes see such a change within `CALLER_MEMORY_SECONDS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from opsdesk.core.db.uow import reading
from opsdesk.core.errors import Unauthenticated
from opsdesk.core.generation import access_generation
from opsdesk.core.security import password_matches
from opsdesk.tickets.access import Viewer
from opsdesk.users import repo as users_repo
from opsdesk.users.service import load_viewer
from opsdesk.web.context import AppContext, app_context, context_of

CALLER_MEMORY_SECONDS = 5.0
_CALLER_MEMORY_SIZE = 10_000
_callers: dict[str, tuple[Viewer, int, float]] = {}
_callers_lock = threading.Lock()


def _remembered(key: str) -> Viewer | None:
    found = _callers.get(key)
    if found is None or found[1] != access_generation() or found[2] < time.monotonic():
        return None
    return found[0]


def _remember(key: str, viewer: Viewer, generation: int) -> None:
    with _callers_lock:
        if len(_callers) > _CALLER_MEMORY_SIZE:
            _callers.clear()
        _callers[key] = (viewer, generation, time.monotonic() + CALLER_MEMORY_SECONDS)


def _refused() -> Unauthenticated:
    return Unauthenticated("Couldn't authenticate you")


def credentials_viewer(context: AppContext, authorization: str | None) -> Viewer:
    """The caller the Authorization header proves; raises Unauthenticated otherwise."""
    if not authorization:
        raise _refused()
    key = hashlib.sha256(authorization.encode()).hexdigest()
    remembered = _remembered(key)
    if remembered is not None:
        return remembered
    generation = access_generation()
    scheme, _, value = authorization.partition(" ")
    with reading(context.engine) as conn:
        user_id = _user_id(conn, scheme.lower(), value.strip())
        viewer = load_viewer(conn, user_id) if user_id is not None else None
    if viewer is None:
        raise _refused()
    _remember(key, viewer, generation)
    return viewer


def remembered_viewer(authorization: str) -> Viewer | None:
    """The caller this header proved within the last few seconds, if any; never touches the database."""
    return _remembered(hashlib.sha256(authorization.encode()).hexdigest())


def peek_viewer(context: AppContext, authorization: str) -> Viewer | None:
    """`credentials_viewer` that answers None instead of raising (it may look the caller up)."""
    try:
        return credentials_viewer(context, authorization)
    except Unauthenticated:
        return None


def _user_id(conn: Connection, scheme: str, value: str) -> int | None:
    if scheme == "bearer" or (scheme == "token" and value.startswith("token=")):
        return users_repo.get_user_id_by_token(conn, value.removeprefix("token=").strip())
    if scheme != "basic":
        return None
    try:
        login, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if login.endswith("/token"):
        user_id = users_repo.get_user_id_by_token(conn, secret)
        user = users_repo.get_user(conn, user_id) if user_id is not None else None
        email = login.removesuffix("/token").strip().lower()
        return user.id if user is not None and user.email == email else None
    found = users_repo.get_password_hash(conn, login.strip().lower())
    if found is None or found[1] is None or not password_matches(found[1], secret):
        return None
    return found[0]


def authenticate(request: Request) -> Viewer:
    return credentials_viewer(context_of(request), request.headers.get("authorization"))


Caller = Annotated[Viewer, Depends(authenticate)]
Context = Annotated[AppContext, Depends(app_context)]
