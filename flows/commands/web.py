"""`konbini web`: the merchants' 管理画面 and the operators' console (portal.md), in the foreground.

uvicorn and FastAPI are imported inside the command: `konbini --help` must not pay for them.
"""

from __future__ import annotations

import typer
from rich.console import Console

from tasks.errors import KonbiniError

out = Console()


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise KonbiniError(f"--port {port}: must be between 1 and 65535")
    return port


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web_cmd(
        host: str = typer.Option("127.0.0.1", help="Address to listen on (behind the TLS proxy)."),
        port: int = typer.Option(8000, help="Port to listen on."),
    ) -> None:
        """Serve the web 管理画面 and operators' console until interrupted."""
        from tasks.settings import get_settings
        from web.server import run

        check_port(port)
        out.print(f"konbini web on http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
        run(get_settings(), host, port)
