"""The one shape of every error answer of the order API (docs/api.md):

    {"error": {"code": "invalid_order", "message": "…", "reasons": [{"field": "amount", "reason": "…"}]}}

`reasons` only with 422 (every reason, in the words of the order-file rejection report).
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

CODES = {
    400: "bad_request", 401: "unauthorized", 404: "not_found", 409: "idempotency_conflict",
    422: "invalid_order", 503: "unavailable",
}


def error(
    status: int, message: str, reasons: list[dict] | None = None, code: str | None = None
) -> JSONResponse:
    body: dict = {"code": code or CODES[status], "message": message}
    if reasons is not None:
        body["reasons"] = reasons
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


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
