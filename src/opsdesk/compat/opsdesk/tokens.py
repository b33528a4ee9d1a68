"""`/api/opsdesk/users/{id}/tokens` and `/api/opsdesk/tokens/{id}`: API tokens, issued and revoked.

A token is shown once, when it is issued; afterwards only its first four characters are.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from opsdesk.compat.zendesk._http import json_response, read_json
from opsdesk.compat.zendesk.fields import read_object, text
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import PermissionDenied
from opsdesk.users import repo, service
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/opsdesk", tags=["opsdesk: API tokens"])
Body = Annotated[Any, Depends(read_json)]


def _may_manage(caller: Caller, user_id: int) -> None:
    if not caller.is_admin and caller.user_id != user_id:
        raise PermissionDenied("Only admins can manage other users' tokens")


@router.get("/users/{user_id:int}/tokens", summary="List a user's API tokens (hints only)")
def list_tokens(context: Context, caller: Caller, user_id: int) -> Response:
    _may_manage(caller, user_id)
    with reading(context.engine) as conn:
        service.get_user_or_raise(conn, user_id)
        rows = repo.list_tokens(conn, user_id)
    return json_response(
        {
            "tokens": [
                {
                    "id": row.id,
                    "hint": row.token_hint,
                    "description": row.description,
                    "created_at": format_utc(row.created_at),
                    "revoked_at": format_utc(row.revoked_at) if row.revoked_at else None,
                }
                for row in rows
            ]
        }
    )


@router.post("/users/{user_id:int}/tokens", status_code=201, summary="Issue an API token (shown once)")
def issue_token(context: Context, caller: Caller, user_id: int, body: Body) -> Response:
    _may_manage(caller, user_id)
    values = read_object(body, {"description": text(255)}, where="token")
    with writing(context.engine) as conn:
        service.get_user_or_raise(conn, user_id)
        token = service.issue_token(
            conn, user_id=user_id, now=context.clock.now(), description=values.get("description") or ""
        )
        token_id = repo.list_tokens(conn, user_id)[-1].id
    return json_response({"token": {"id": token_id, "value": token}}, 201)


@router.delete("/tokens/{token_id:int}", status_code=204, summary="Revoke an API token")
def revoke_token(context: Context, caller: Caller, token_id: int) -> Response:
    with writing(context.engine) as conn:
        service.revoke_token(conn, actor=caller, token_id=token_id, now=context.clock.now())
    return Response(status_code=204)
