"""Who is calling: Zendesk-style Basic (`email/token:TOKEN` or `email:password`) or Bearer tokens.

Password checks cost an argon2 verification (tens of ms by design), so a verified
email+password pair is remembered for a short while, keyed by a digest of both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from opsdesk.core.db.uow import reading
from opsdesk.core.errors import Unauthenticated
from opsdesk.core.security import password_matches
from opsdesk.tickets.access import Viewer
from opsdesk.users import repo as users_repo
from opsdesk.users.service import load_viewer
from opsdesk.web.context import AppContext, app_context

_PASSWORD_MEMORY_SECONDS = 60.0
_PASSWORD_MEMORY_SIZE = 10_000
_password_memory: dict[str, tuple[int, float]] = {}
_memory_lock = threading.Lock()


def _remembered(key: str) -> int | None:
    with _memory_lock:
        found = _password_memory.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]


def _remember(key: str, user_id: int) -> None:
    with _memory_lock:
        if len(_password_memory) > _PASSWORD_MEMORY_SIZE:
            _password_memory.clear()
        _password_memory[key] = (user_id, time.monotonic() + _PASSWORD_MEMORY_SECONDS)


def credentials_user_id(context: AppContext, authorization: str | None) -> int:
    """The id of the user the Authorization header proves; raises Unauthenticated otherwise."""
    if not authorization:
        raise Unauthenticated("Couldn't authenticate you")
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    with reading(context.engine) as conn:
        if scheme == "bearer" or (scheme == "token" and value.startswith("token=")):
            user_id = users_repo.get_user_id_by_token(conn, value.removeprefix("token=").strip())
            if user_id is None:
                raise Unauthenticated("Couldn't authenticate you")
            return user_id
        if scheme != "basic":
            raise Unauthenticated("Couldn't authenticate you")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Couldn't authenticate you") from None
        login, _, secret = decoded.partition(":")
        if login.endswith("/token"):
            email = login.removesuffix("/token").strip().lower()
            user_id = users_repo.get_user_id_by_token(conn, secret)
            user = users_repo.get_user(conn, user_id) if user_id is not None else None
            if user is None or user.email != email:
                raise Unauthenticated("Couldn't authenticate you")
            return user.id
        email = login.strip().lower()
        key = hashlib.sha256(f"{email}\0{secret}".encode()).hexdigest()
        remembered = _remembered(key)
        if remembered is not None:
            return remembered
        found = users_repo.get_password_hash(conn, email)
    if found is None or found[1] is None or not password_matches(found[1], secret):
        raise Unauthenticated("Couldn't authenticate you")
    _remember(key, found[0])
    return found[0]


def authenticate(request: Request) -> Viewer:
    context = app_context(request)
    user_id = credentials_user_id(context, request.headers.get("authorization"))
    with reading(context.engine) as conn:
        viewer = load_viewer(conn, user_id)
    if viewer is None:
        raise Unauthenticated("Couldn't authenticate you")
    return viewer


Caller = Annotated[Viewer, Depends(authenticate)]
Context = Annotated[AppContext, Depends(app_context)]
