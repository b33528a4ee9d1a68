"""`/api/v2/uploads` and `/api/v2/attachments`: files on comments, behind the ticket access check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import PayloadTooLarge
from opsdesk.tickets.attachments import MAX_UPLOAD_BYTES, Attachment, get_readable_attachment_or_raise, upload
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: attachments"])


def attachment_json(base: str, item: Attachment) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/attachments/{item.id}.json",
        "file_name": item.file_name,
        "content_type": item.content_type,
        "size": item.size,
        "content_url": f"{base}/attachments/{item.id}/content",
        "inline": False,
        "deleted": False,
        "thumbnails": [],
    }


@router.post("/uploads", status_code=201, summary="Upload a file to attach to a comment")
async def create_upload(request: Request, context: Context, caller: Caller) -> Response:
    name = request.query_params.get("filename")
    if not name:
        raise BadRequest("filename is required")
    content = await request.body()
    if len(content) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
    with writing(context.engine) as conn:
        item = upload(
            conn,
            actor=caller,
            file_name=name,
            content_type=request.headers.get("content-type", ""),
            content=content,
            now=context.clock.now(),
        )
    shaped = attachment_json(api_base(request), item)
    return json_response({"upload": {"token": item.token, "attachment": shaped, "attachments": [shaped]}}, 201)


@router.get("/attachments/{attachment_id:int}", summary="Show an attachment's metadata")
def show_attachment(request: Request, context: Context, caller: Caller, attachment_id: int) -> Response:
    with reading(context.engine) as conn:
        item = get_readable_attachment_or_raise(conn, caller, attachment_id)
    return json_response({"attachment": attachment_json(api_base(request), item)})


@router.get("/attachments/{attachment_id:int}/content", summary="Download an attachment")
def attachment_content(context: Context, caller: Caller, attachment_id: int) -> Response:
    with reading(context.engine) as conn:
        item = get_readable_attachment_or_raise(conn, caller, attachment_id)
    disposition = f'attachment; filename="{item.file_name.replace(chr(34), "")}"'
    return Response(item.content, media_type=item.content_type, headers={"Content-Disposition": disposition})
