"""The one FastAPI application serving every surface of portal.md."""

from __future__ import annotations

from fastapi import FastAPI

from tasks.settings import Settings
from web import api, pay
from web.headers import SecurityHeaders


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; each surface adds its router here (one line each)."""
    app = FastAPI(title="konbini", docs_url=None, redoc_url=None)
    app.state.settings = settings or Settings()
    app.add_middleware(SecurityHeaders)
    app.include_router(api.router)
    app.include_router(pay.router)
    return app
