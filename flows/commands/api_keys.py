"""`konbini api-keys create|list|revoke`: merchants' keys for the order API (docs/api.md). A new
key is printed once and never again: only its digest is kept."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

out = Console()


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="Merchants' keys for the order API.", no_args_is_help=True)
    app.add_typer(keys_app, name="api-keys")

    @keys_app.command("create")
    def create_cmd(merchant: Annotated[str, typer.Argument(help="The merchant, M + 6 digits.")]) -> None:
        """Create a key for a merchant and print it (the only time it is shown)."""
        from tasks import clock
        from tasks.api_orders.keys import create_for
        from tasks.settings import get_settings

        key_id, secret = create_for(get_settings(), merchant, clock.now())
        out.print(f"key {key_id} for {merchant} (shown once, keep it now):", highlight=False)
        print(secret)

    @keys_app.command("list")
    def list_cmd(
        merchant: Annotated[str | None, typer.Option(help="Only this merchant's keys.")] = None,
    ) -> None:
        """Every key: id, merchant, created, revoked (never the key itself)."""
        from tasks.api_orders.keys import list_keys
        from tasks.api_orders.store import open_store
        from tasks.errors import KonbiniError
        from tasks.lookups import MERCHANT_ID
        from tasks.settings import get_settings

        if merchant is not None and not MERCHANT_ID.fullmatch(merchant):
            raise KonbiniError(f"--merchant {merchant!r} is not a merchant id (M + 6 digits)")
        for k in list_keys(open_store(get_settings()), merchant):
            out.print(f"{k['key_id']}  {k['merchant_id']}  created {k['created_at']}  "
                      f"{'revoked ' + k['revoked_at'] if k['revoked_at'] else 'active'}", highlight=False)

    @keys_app.command("revoke")
    def revoke_cmd(
        key_id: Annotated[str, typer.Argument(help="The key's id (K…), from `api-keys list`.")],
    ) -> None:
        """Revoke a key: the API refuses it (401) from now on."""
        from tasks import clock
        from tasks.api_orders.keys import revoke_by_id
        from tasks.settings import get_settings

        revoke_by_id(get_settings(), key_id, clock.now())
        out.print(f"key {key_id} revoked", highlight=False)
