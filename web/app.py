"""The one FastAPI application serving every surface of portal.md."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tasks.settings import Settings
from web import activity, api, console, files, login, merchant, pages, pay
from web.headers import SecurityHeaders
from web.session import CsrfRefused, LoginRequired, NotFound


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Before the first request: the objects of the imports and of the app itself (about 200,000,
    alive as long as the process) are moved out of the garbage collector's reach (gc.freeze), so a
    full collection scans only what requests made since. Over them it cost ~130 ms of CPU with the
    GIL held, every few seconds under load: the order API's p99 stall (docs/benchmarks.md).
    Once per process (a second app, as in the tests, finds them frozen already)."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; each surface adds its router here (one line each)."""
    # /openapi.json: the order API's schema (docs/api.md); no interactive docs pages
    app = FastAPI(title="konbini", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=_lifespan)
    app.state.settings = settings or Settings()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")
    app.add_exception_handler(LoginRequired, pages.login_required)
    app.add_exception_handler(CsrfRefused, pages.csrf_refused)
    app.add_exception_handler(NotFound, pages.not_found)
    api.errors.install(app)  # 404, 405, unreadable requests: JSON under /api/, pages elsewhere
    # the order API first: merchants' servers call it most, and routes are matched in order
    app.include_router(api.router)
    app.include_router(login.router)
    app.include_router(merchant.router)
    app.include_router(files.router)
    app.include_router(activity.router)
    app.include_router(console.router)
    app.include_router(pay.router)
    return app
