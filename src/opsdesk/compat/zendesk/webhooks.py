"""`/api/v2/webhooks`: Zendesk's webhooks, their signing secrets, invocations and attempts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Row

from opsdesk.compat.zendesk._http import api_base, json_response, read_json
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.delivery import webhooks as service
from opsdesk.delivery.model import Message, MessageState
from opsdesk.delivery.repo import all_webhooks, attempts_of
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: webhooks"])
Body = Annotated[Any, Depends(read_json)]
_INVOCATION_STATUS = {
    MessageState.PENDING: "pending",
    MessageState.DELIVERED: "success",
    MessageState.FAILED: "failed",
    MessageState.HELD: "pending",
}


def webhook_json(base: str, row: Row[Any]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "url": f"{base}/webhooks/{row.id}",
        "name": row.name,
        "status": row.status,
        "endpoint": row.endpoint,
        "http_method": row.http_method,
        "request_format": "json",
        "subscriptions": row.subscriptions,
        "authentication": None,
        "created_by": str(row.created_by) if row.created_by else None,
        "created_at": format_utc(row.created_at),
        "updated_at": format_utc(row.updated_at),
    }


def _id(raw: str) -> int:
    if not raw.isdigit():
        raise NotFound("Webhook", raw)
    return int(raw)


@router.get("/webhooks", summary="List webhooks")
def list_webhooks(request: Request, context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        if not caller.is_admin:
            raise PermissionDenied("Only admins manage webhooks")
        rows = all_webhooks(conn)
    base = api_base(request)
    return json_response(
        {
            "webhooks": [webhook_json(base, r) for r in rows],
            "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
            "links": {"next": None, "prev": None},
        }
    )


@router.post("/webhooks", status_code=201, summary="Create a webhook")
def create_webhook(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    with writing(context.engine) as conn:
        row = service.create_webhook(conn, actor=caller, values=read_envelope(body, "webhook"), now=context.clock.now())
    return json_response({"webhook": webhook_json(api_base(request), row)}, 201)


@router.get("/webhooks/{webhook_id}", summary="Show a webhook")
def show_webhook(request: Request, context: Context, caller: Caller, webhook_id: str) -> Response:
    with reading(context.engine) as conn:
        row = service.get_webhook_or_raise(conn, caller, _id(webhook_id))
    return json_response({"webhook": webhook_json(api_base(request), row)})


@router.put("/webhooks/{webhook_id}", status_code=204, summary="Update a webhook")
def update_webhook(context: Context, caller: Caller, webhook_id: str, body: Body) -> Response:
    return _update(context, caller, webhook_id, body)


@router.patch("/webhooks/{webhook_id}", status_code=204, summary="Update some of a webhook's attributes")
def patch_webhook(context: Context, caller: Caller, webhook_id: str, body: Body) -> Response:
    return _update(context, caller, webhook_id, body)


def _update(context: Context, caller: Caller, webhook_id: str, body: Any) -> Response:  # noqa: ANN401 - raw JSON
    with writing(context.engine) as conn:
        service.update_webhook(
            conn,
            actor=caller,
            webhook_id=_id(webhook_id),
            values=read_envelope(body, "webhook"),
            now=context.clock.now(),
        )
    return Response(status_code=204)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Delete a webhook")
def delete_webhook(context: Context, caller: Caller, webhook_id: str) -> Response:
    with writing(context.engine) as conn:
        service.delete_webhook(conn, actor=caller, webhook_id=_id(webhook_id))
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/signing_secret", summary="Show a webhook's signing secret")
def signing_secret(context: Context, caller: Caller, webhook_id: str) -> Response:
    with reading(context.engine) as conn:
        row = service.get_webhook_or_raise(conn, caller, _id(webhook_id))
    return json_response({"signing_secret": {"algorithm": "SHA256", "secret": row.signing_secret}})


@router.post("/webhooks/{webhook_id}/signing_secret", summary="Reset a webhook's signing secret")
def reset_signing_secret(context: Context, caller: Caller, webhook_id: str) -> Response:
    with writing(context.engine) as conn:
        secret = service.rotate_secret(conn, actor=caller, webhook_id=_id(webhook_id), now=context.clock.now())
    return json_response({"signing_secret": {"algorithm": "SHA256", "secret": secret}})


def _invocation_json(message: Message, latest: Row[Any] | None) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "status": _INVOCATION_STATUS[message.state],
        "latest_status": latest.status_code if latest is not None else None,
        "latest_completed_at": format_utc(latest.attempted_at) if latest is not None else None,
        "attempts": message.attempts,
        "idempotency_key": message.idempotency_key,
        "event_type": message.payload.get("type"),
        "last_error": message.last_error,
    }


@router.get("/webhooks/{webhook_id}/invocations", summary="A webhook's invocations")
def list_invocations(context: Context, caller: Caller, webhook_id: str) -> Response:
    with reading(context.engine) as conn:
        messages = service.invocations(conn, actor=caller, webhook_id=_id(webhook_id))
        tries = attempts_of(conn, [m.id for m in messages])
    body = [_invocation_json(m, tries[m.id][-1] if tries[m.id] else None) for m in reversed(messages)]
    return json_response(
        {
            "invocations": body,
            "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
            "links": {"next": None, "prev": None},
        }
    )


@router.get("/webhooks/{webhook_id}/invocations/{invocation_id:int}/attempts", summary="An invocation's attempts")
def list_attempts(context: Context, caller: Caller, webhook_id: str, invocation_id: int) -> Response:
    with reading(context.engine) as conn:
        rows = service.attempts(conn, actor=caller, webhook_id=_id(webhook_id), invocation_id=invocation_id)
    return json_response(
        {
            "attempts": [
                {
                    "id": str(row.id),
                    "invocation_id": str(invocation_id),
                    "status": "success" if row.success else "failed",
                    "status_code": row.status_code,
                    "error": row.error,
                    "duration": row.duration_ms,
                    "completed_at": format_utc(row.attempted_at),
                }
                for row in rows
            ]
        }
    )
