"""The one place domain errors become HTTP responses, in Zendesk's error shapes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from opsdesk.compat.zendesk._http import BadRequest, json_response
from opsdesk.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OpsdeskError,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
)

log = logging.getLogger("opsdesk.api")


def error_response(exc: OpsdeskError) -> Response:  # noqa: PLR0911 - one answer per error kind
    if isinstance(exc, NotFound):
        return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
    if isinstance(exc, Unauthenticated):
        response = json_response({"error": "Couldn't authenticate you", "description": exc.description}, 401)
        response.headers["WWW-Authenticate"] = 'Basic realm="opsdesk"'
        return response
    if isinstance(exc, PermissionDenied):
        return json_response({"error": "Forbidden", "description": exc.description}, 403)
    if isinstance(exc, BadRequest):
        return json_response({"error": "InvalidRequest", "description": exc.description, "details": _details(exc)}, 400)
    if isinstance(exc, InvalidInput):
        body = {"error": "RecordInvalid", "description": exc.description, "details": _details(exc)}
        return json_response(body, 422)
    if isinstance(exc, Conflict):
        details = {exc.field or "base": [{"description": exc.description, "error": "DuplicateValue"}]}
        return json_response(
            {"error": "RecordInvalid", "description": "Record validation errors", "details": details}, 422
        )
    if isinstance(exc, PayloadTooLarge):
        return json_response({"error": "PayloadTooLarge", "description": exc.description}, 413)
    return json_response({"error": "InvalidRequest", "description": exc.description}, 400)


def _details(exc: InvalidInput) -> dict[str, list[dict[str, str]]]:
    return {
        field: [
            {
                "description": f"{field.rsplit('.', 1)[-1].replace('_', ' ').capitalize()}: {reason}",
                "error": "InvalidValue",
            }
            for reason in reasons
        ]
        for field, reasons in exc.details.items()
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(OpsdeskError)
    async def _domain(_request: Request, exc: OpsdeskError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
        return json_response({"error": "InvalidRequest", "description": "Invalid query parameters"}, 400)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:  # noqa: PLR2004 - the route does not exist
            return json_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)
        if exc.status_code == 405:  # noqa: PLR2004
            return json_response({"error": "MethodNotAllowed", "description": "Method not allowed"}, 405)
        return json_response({"error": "InvalidRequest", "description": str(exc.detail)}, exc.status_code)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # The services check uniqueness first; this answers a race between two requests.
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        details = {"base": [{"description": "The change clashes with an existing record", "error": "DuplicateValue"}]}
        return json_response(
            {"error": "RecordInvalid", "description": "Record validation errors", "details": details}, 422
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return json_response({"error": "InternalError", "description": "Something went wrong on our side"}, 500)
