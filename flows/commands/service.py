"""Running konbini as a service: `konbini serve` and `konbini deployments`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from tasks.errors import KonbiniError

out = Console(width=120)
err = Console(stderr=True)


def _check_api() -> None:
    """A clear error when PREFECT_API_URL names a server that does not answer; a warning without it."""
    import httpx
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        err.print("[yellow]PREFECT_API_URL is not set: serving on a temporary Prefect server that keeps "
                  "no history and stops with this process (docs/operations.md).[/]", highlight=False)
        return
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as e:
        raise KonbiniError(
            f"the Prefect API at {url} (PREFECT_API_URL) does not answer ({type(e).__name__}): "
            "start it with `prefect server start` (docs/operations.md)"
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        limit: int = typer.Option(
            None, help="At most this many flow runs at once in this process (default: no limit)."
        ),
        register_only: bool = typer.Option(
            False, "--register-only",
            help="Create or update the deployments on the Prefect API and exit, without serving.",
        ),
        work_pool: str = typer.Option(
            None, help="With --register-only: run the deployments on this work pool's workers."
        ),
    ) -> None:
        """Serve every scheduled deployment (Japan-time cron) on the Prefect API in PREFECT_API_URL.

        Runs until interrupted; each flow run executes in its own subprocess. Without
        PREFECT_API_URL Prefect starts a temporary server that dies with this process: for
        operations start `prefect server start` first (docs/operations.md).
        """
        from flows import serve

        if work_pool and not register_only:
            raise KonbiniError("--work-pool needs --register-only (served deployments use no pool)")
        _check_api()
        if register_only:
            ids = serve.register(work_pool)
            out.print(f"registered {len(ids)} deployments")
            return
        serve.serve(limit=limit)

    @app.command("deployments")
    def deployments_cmd() -> None:
        """List the scheduled deployments: flow, cron lines (Asia/Tokyo), what a run does on overlap."""
        from flows import serve

        table = Table(title=f"konbini deployments (cron in {serve.TIMEZONE})")
        for col in ("deployment", "flow", "cron", "on overlap"):
            table.add_column(col)
        for s in serve.SCHEDULE:
            table.add_row(s.name, s.flow, "\n".join(s.crons), s.on_collision.value.lower())
        out.print(table)
