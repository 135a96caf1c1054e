"""The order API's and payment page's handles on the app: the intake store, the published ledger,
and the pipeline that judges concurrent requests together and commits them in groups
(tasks/api_orders/pipeline.py)."""

from __future__ import annotations

from fastapi import Request

from tasks.api_orders.ledger import Ledger
from tasks.api_orders.pipeline import Pipeline
from tasks.api_orders.store import Store, open_store


def _state(request: Request):
    app = request.app
    if getattr(app.state, "api_store", None) is None:
        settings = app.state.settings
        app.state.api_store = open_store(settings)
        app.state.api_ledger = Ledger(settings)
        app.state.api_pipeline = Pipeline(app.state.api_store, app.state.api_ledger)
    return app.state


def store(request: Request) -> Store:
    return _state(request).api_store


def ledger(request: Request) -> Ledger:
    return _state(request).api_ledger


def pipeline(request: Request) -> Pipeline:
    return _state(request).api_pipeline
