"""The order API (portal.md, Order API): `POST /api/v1/orders`, `GET /api/v1/orders/{order_id}`,
`POST /api/v1/orders/{order_id}/cancel`. Bearer keys per merchant; `Idempotency-Key`; errors in one
shape (web/api/errors.py). Every rule lives in tasks/api_orders and the order-file rule set."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from tasks import clock
from tasks.api_orders import idempotency, intake, keys
from tasks.api_orders.cancel import cancelled_before_choice, request_cancel
from tasks.api_orders.intake import Registered
from tasks.api_orders.pipeline import Remember
from web.api.context import ledger, pipeline, store
from web.api.errors import ERROR_SCHEMA, error
from web.api.models import OrderIn, OrderOut

# every route: `Authorization: Bearer <key>` (konbini api-keys create M…); 401 without a valid one
router = APIRouter(prefix="/api/v1", tags=["orders"])
_ERR = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
_IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string"},
                    "description": "the same key and body within 24 h: the first answer; another body: 409"}
_BODY = {
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": OrderIn.model_json_schema()}}},
    "parameters": [_IDEMPOTENCY_KEY],
}


def _merchant(request: Request) -> str | None:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    return keys.merchant_of(store(request), secret.strip())


def _answer(request: Request, order: dict, status: str | None) -> dict:
    out = {k: order.get(k) for k in OrderOut.model_fields if k not in ("status", "payment_url")}
    token = order.get("token")
    out["status"] = status or ("registered" if order.get("chain") else "awaiting_chain")
    # the page's route is /pay/{token} (web/pay): joined by hand, a route lookup per answer costs more
    out["payment_url"] = f"{str(request.base_url).rstrip('/')}/pay/{token}" if token else None
    return out


@router.post("/orders", status_code=201, openapi_extra=_BODY,
             responses={201: {"model": OrderOut},
                        200: {"model": OrderOut, "description": "already registered, same content"},
                        401: _ERR, 409: _ERR, 422: _ERR, 400: _ERR, 503: _ERR})
async def create_order(request: Request) -> Response:
    """Register an order; the answer carries its payment reference (when the chain is given) and
    the customer's payment page. With `Idempotency-Key`, a retry gets the first answer."""
    merchant_id = _merchant(request)
    if merchant_id is None:
        return error(401, "missing, unknown or revoked API key")
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    if key:
        recalled = idempotency.recall(store(request), merchant_id, key, raw)
        if recalled:
            return _kept(recalled)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return await _keep(request, merchant_id, key, raw, error(400, "the body is not JSON"))
    if not isinstance(body, dict):
        return await _keep(request, merchant_id, key, raw, error(400, "the body must be a JSON object"))
    remember = Remember(key, raw, lambda result: _rendered(request, result)) if key else None
    outcome = await pipeline(request).submit(merchant_id, body, remember)  # NotPublished: 503
    if outcome.answer is not None:  # the answer kept for the key, in the order's own transaction
        return _kept(outcome.answer)
    status, text = _rendered(request, outcome.registered)
    return Response(text, status_code=status, media_type="application/json")


def _rendered(request: Request, result: Registered) -> tuple[int, str]:
    """The answer to a registration, as it is sent and kept for an Idempotency-Key."""
    if result.reasons:
        answer = error(422, "the order breaks the order rules", result.reasons)
    else:
        answer = JSONResponse(_answer(request, result.order, None),
                              status_code=201 if result.created else 200)
    return answer.status_code, answer.body.decode()


def _kept(kept) -> Response:
    if kept == idempotency.CONFLICT:
        return error(409, "Idempotency-Key already used with another body")
    return Response(kept[1], status_code=kept[0], media_type="application/json")


async def _keep(request: Request, merchant_id: str, key: str | None, raw: bytes,
                answer: Response) -> Response:
    """A request refused before the pipeline (400): its answer kept for its key, if any."""
    if not key:
        return answer
    kept = await asyncio.to_thread(idempotency.remember, store(request), merchant_id, key, raw,
                                   answer.status_code, answer.body.decode())
    return _kept(kept)


@router.get("/orders/{order_id}", responses={200: {"model": OrderOut}, 401: _ERR, 404: _ERR, 503: _ERR})
async def get_order(request: Request, order_id: str) -> Response:
    """An order of the key's merchant with its status (v_order_status of the published ledger)."""
    merchant_id = _merchant(request)
    if merchant_id is None:
        return error(401, "missing, unknown or revoked API key")
    order = intake.find(store(request), merchant_id, order_id)
    status = ledger(request).status(merchant_id, order_id)  # NotPublished: 503 (web/api/errors.py)
    if status is None and cancelled_before_choice(store(request), merchant_id, order_id):
        status = "cancelled"
    if order is None:
        row = ledger(request).order_row(merchant_id, order_id) if status else None
        if row is None:
            return error(404, f"no order {order_id} of merchant {merchant_id}")
        order = row
    return JSONResponse(_answer(request, order, status))



@router.post("/orders/{order_id}/cancel", status_code=202,
             responses={202: {"description": "cancel_requested: decided when merged, as a cancellation file"},
                        200: {"description": "cancelled: the customer had not chosen a chain yet"},
                        401: _ERR, 404: _ERR, 503: _ERR})
async def cancel_order(request: Request, order_id: str) -> Response:
    """Cancel an order not paid yet, by the rule of a cancellation file (decided once, when merged:
    refused if a 01 or 02 was ingested by then); GET shows `cancelled` once it is."""
    merchant_id = _merchant(request)
    if merchant_id is None:
        return error(401, "missing, unknown or revoked API key")
    state = request_cancel(store(request), ledger(request), merchant_id, order_id, clock.now())
    if state is None:
        return error(404, f"no order {order_id} of merchant {merchant_id}")
    return JSONResponse({"merchant_id": merchant_id, "order_id": order_id, "status": state},
                        status_code=200 if state == "cancelled" else 202)
