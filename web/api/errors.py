"""The one shape of every error answer of the order API (docs/api.md):

    {"error": {"code": "invalid_order", "message": "…", "reasons": [{"field": "amount", "reason": "…"}]}}

`reasons` only with 422 (every reason, in the words of the order-file rejection report).
Everything under /api/ answers in this shape, the framework's own errors too (an unknown path, a
method not allowed, a body FastAPI could not read, an unexpected failure): `install(app)`.
No published copy to read (NotPublished) is 503 `unavailable` here and the 503 page elsewhere.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tasks.portal.published import NotPublished

LOG = logging.getLogger("konbini.web")

CODES = {
    400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
    409: "idempotency_conflict", 422: "invalid_order", 500: "internal_error", 503: "unavailable",
}
API_PREFIX = "/api/"


def error(
    status: int, message: str, reasons: list[dict] | None = None, code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict = {"code": code or CODES.get(status, "error"), "message": message}
    if reasons is not None:
        body["reasons"] = reasons
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """The router's 404 and 405 (and any HTTPException): the one shape under /api/, pages elsewhere."""
    if not _is_api(request):
        from web import pages

        return await pages.http_error(request, exc)
    message = {404: f"no route {request.url.path}",
               405: f"method {request.method} not allowed on {request.url.path}"}.get(exc.status_code)
    return error(exc.status_code, message or str(exc.detail), headers=exc.headers)


async def unreadable_request(request: Request, exc: RequestValidationError) -> Response:
    """A request FastAPI could not read into a route's parameters (e.g. a JSON body that is no JSON)."""
    if not _is_api(request):
        from fastapi.exception_handlers import request_validation_exception_handler

        return await request_validation_exception_handler(request, exc)
    where = [".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg", "")) for e in exc.errors()]
    return error(400, "the request could not be read: " + "; ".join(where))


async def unexpected(request: Request, exc: Exception) -> Response:
    """An unexpected failure: no traceback in the answer (the server's log has it)."""
    if _is_api(request):
        return error(500, "internal error; the request may be retried with the same Idempotency-Key")
    return PlainTextResponse("Internal Server Error", status_code=500)  # Starlette's own answer


async def not_published(request: Request, exc: NotPublished) -> Response:
    """No published copy the web can read (tasks/portal/published.py): 503, and one line for
    operations naming the copy (which a writing flow publishes)."""
    LOG.warning("%s %s: 503 not published: %s", request.method, request.url.path, exc)
    if _is_api(request):
        return error(503, "the ledger is not published yet; try again later")
    from web import pages

    return pages.not_published(request)


def install(app: FastAPI) -> None:
    """The error handlers of the whole app (one call in web/app.py); pages keep web/pages.py's."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, unreadable_request)
    app.add_exception_handler(NotPublished, not_published)
    app.add_exception_handler(Exception, unexpected)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "enum": sorted(set(CODES.values()) | {"chain_refused"})},
            "message": {"type": "string"},
            "reasons": {"type": "array", "items": {
                "type": "object", "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}}}},
        },
    }},
}
