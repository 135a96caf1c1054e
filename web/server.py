"""Running the web application: in the foreground (`konbini web`) or in a thread beside the
scheduled flows (`konbini serve`)."""

from __future__ import annotations

import threading

import uvicorn

from tasks.settings import Settings
from web.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def server(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> uvicorn.Server:
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                            access_log=False, proxy_headers=False)
    return uvicorn.Server(config)


def run(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted."""
    server(settings, host, port).run()


def start_in_thread(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> uvicorn.Server:
    """Serve in a daemon thread (it ends with the process); returns the server (`should_exit`)."""
    s = server(settings, host, port)
    s.config.install_signal_handlers = False  # the main thread (Prefect's serve) keeps the signals
    threading.Thread(target=s.run, name="konbini-web", daemon=True).start()
    return s
