"""`konbini deploy`: the scheduled deployments on Prefect work pools, for workers (docs/scaling.md).

Prefect is imported inside the command: every command module is imported for `konbini --help`.
"""

from __future__ import annotations

import typer
from rich.console import Console

from tasks.errors import KonbiniError

out = Console()


def register(app: typer.Typer) -> None:
    @app.command("deploy")
    def deploy_cmd(
        work_pool: str = typer.Option(
            ..., help="The writer pool (concurrency limit 1): every flow that writes the warehouse."
        ),
        parse_pool: str = typer.Option(
            None, help="The pool of the flows that do not write the warehouse (default: --work-pool)."
        ),
    ) -> None:
        """Register every scheduled deployment (`konbini deployments`) on work pools, without serving.

        Same table, same Japan-time schedules as `konbini serve`; the runs execute on the pools'
        workers (`prefect worker start --pool NAME` where konbini is installed). Needs the Prefect
        server in PREFECT_API_URL and the pools created first (docs/scaling.md).
        """
        from prefect.settings import get_current_settings

        from flows import serve
        from flows.commands.service import _check_api

        if not get_current_settings().api.url:
            raise KonbiniError("PREFECT_API_URL is not set: deploy to the Prefect server whose workers "
                               "will run the flows (docs/scaling.md)")
        _check_api()
        ids = serve.deploy(work_pool, parse_pool)
        pools = sorted({serve.pool_of(s, work_pool, parse_pool) for s in serve.SCHEDULE})
        out.print(f"registered {len(ids)} deployments on work pool {', '.join(pools)}", highlight=False)
