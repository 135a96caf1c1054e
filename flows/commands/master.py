"""`konbini master …`: load the merchant master set, show the current one.

Area modules are imported inside each command, not at the top: every command module is imported
for `konbini --help`, which must not pay for DuckDB, Polars or Pandera (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import as_of_option as _as_of
from flows.commands.options import group, print_table
from tasks.errors import KonbiniError
from tasks.render.labels import mask_account

out = Console()
err = Console(stderr=True)


def _load(directory: Path, as_of: str | None, dry_run: bool) -> None:
    from tasks.master import MasterRejected, load_master
    from tasks.warehouse import open_warehouse

    if not directory.is_dir():
        raise KonbiniError(f"master folder {directory} does not exist or is not a folder")
    when = _as_of(as_of)
    warehouse = open_warehouse()
    try:
        result = load_master(warehouse, directory, when, dry_run=dry_run)
    except MasterRejected as e:
        table = Table(title="why the master data was rejected")
        for c in ("file", "line", "field", "value", "reason"):
            table.add_column(c, no_wrap=c in ("file", "line", "field"))
        for r in e.reasons:
            table.add_row(r.file, "" if r.line_no is None else str(r.line_no), r.field or "",
                          "" if r.value is None else r.value, r.reason)
        print_table(err, table)
        err.print(f"master data in {directory} rejected: {len(e.reasons)} reason(s); nothing was loaded",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if dry_run:
        verdict = (f"would become master load {result.load_id}" if result.new_load
                   else f"equals the current master load {result.load_id}")
        out.print(f"valid: {result.merchants} merchants, {result.sites} sites, {result.fee_plans} fee plans;"
                  f" {verdict}; nothing loaded")
    elif result.new_load:
        warehouse.publish()
        out.print(f"master load {result.load_id}: {result.merchants} merchants, {result.sites} sites, "
                  f"{result.fee_plans} fee plans")
    else:
        out.print(f"unchanged: the set equals the current master load {result.load_id}; nothing loaded")


def register(app: typer.Typer) -> None:
    master = group(app, "master", "Merchant master data (加盟店マスタ): merchants, sites, fee plans.")

    @master.command("load")
    def load_cmd(
        directory: Annotated[Path, typer.Argument(help="Folder of merchants.csv, sites.csv, fee_plans.csv")],
        as_of: Annotated[str | None, typer.Option(help="Time of the load (default: now, JST).")] = None,
    ) -> None:
        """Validate the three files and load them whole as the new current master data.

        A set with any error is rejected with every reason (exit code 2) and changes nothing.
        """
        _load(directory, as_of, dry_run=False)

    @master.command("check")
    def check_cmd(
        directory: Annotated[Path, typer.Argument(help="Folder of merchants.csv, sites.csv, fee_plans.csv")],
    ) -> None:
        """Check a master set exactly as `load` would, and load nothing."""
        _load(directory, None, dry_run=True)

    @master.command("show")
    def show_cmd() -> None:
        """Show the current merchants, sites and fee plans (no notification secrets)."""
        from tasks.master_store import current_master
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            load, frames = current_master(con)
        if load is None:
            raise KonbiniError("no master data loaded yet: run `konbini master load DIR`")
        out.print(f"master load {load['load_id']} of {load['loaded_at']:%Y-%m-%d %H:%M:%S}"
                  f" from {load['source']}")
        m = frames["merchants"].with_columns(
            (frames["merchants"]["notify_url"].is_not_null()).alias("notify"),
        )
        tables = {
            "merchants": (m, ("merchant_id", "name", "name_kana", "status", "contract_start",
                              "settlement_cycle", "fee_plan", "bank_code", "branch_code", "account_type",
                              "account_number", "notify", "email")),
            "sites": (frames["sites"], ("site_id", "merchant_id", "url", "chains", "status")),
            "fee_plans": (frames["fee_plans"], tuple(frames["fee_plans"].columns)),
        }
        for title, (frame, columns) in tables.items():
            table = Table(title=f"{title} ({frame.height})")
            for c in columns:
                table.add_column(c.replace("_", " "), no_wrap=c.endswith(("_id", "_code", "_number")))
            for row in frame.iter_rows(named=True):
                cells = []
                for c in columns:
                    v = row[c]
                    if c == "account_number":
                        v = mask_account(v)
                    elif isinstance(v, list):
                        v = "|".join(v)
                    elif isinstance(v, bool):
                        v = "yes" if v else ""
                    cells.append("" if v is None else str(v))
                table.add_row(*cells)
            print_table(out, table)
