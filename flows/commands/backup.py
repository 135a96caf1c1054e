"""`konbini backup` and `konbini restore`: the warehouse's safety copy (docs/operations.md, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_cmd(
        to: Annotated[Path | None, typer.Option(help="Folder (default <data>/backups).")] = None,
    ) -> None:
        """Copy the warehouse, online (writers wait), checked table by table, with a manifest."""
        from tasks import clock
        from tasks.backup import backup
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        settings = get_settings()
        taken = backup(open_warehouse(settings), to or settings.data_dir / "backups", clock.now())
        schema = taken.migrations[-1] if taken.migrations else "empty"
        out.print(f"backup {taken.path} ({len(taken.tables)} tables, {sum(taken.tables.values())} rows,"
                  f" schema {schema}); manifest {taken.manifest}")

    @app.command("restore")
    def restore_cmd(
        backup_file: Annotated[Path, typer.Argument(help="A warehouse-<time>.duckdb of `konbini backup`.")],
        replace: Annotated[bool, typer.Option("--replace", help="Replace an existing warehouse.")] = False,
    ) -> None:
        """Put a backup in place of the warehouse (a replaced one is kept beside) and republish the
        analysts' copy."""
        from tasks import clock
        from tasks.backup import restore
        from tasks.warehouse import open_warehouse

        warehouse = open_warehouse()
        kept = restore(warehouse, backup_file, clock.now(), replace=replace)
        warehouse.publish()
        out.print(f"restored {backup_file} as {warehouse.path}"
                  + (f"; the replaced warehouse is kept as {kept}" if kept else ""))
