"""The published copies as a FastAPI dependency, and the merchant a page is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from tasks.portal.accounts import User
from tasks.portal.merchants import visible
from tasks.portal.published import Reader
from web.session import NotFound, UserDep


def reader(request: Request) -> Reader:
    app = request.app
    if getattr(app.state, "reader", None) is None:
        app.state.reader = Reader(app.state.settings)
    return app.state.reader


def published(request: Request, user: UserDep) -> duckdb.DuckDBPyConnection:
    cur = reader(request).cursor()
    try:
        yield cur
    finally:
        cur.close()


PublishedDep = Annotated[duckdb.DuckDBPyConnection, Depends(published)]


@dataclass(frozen=True)
class Scope:
    """A page about one merchant, seen by `user` (its own user or an operator)."""

    user: User
    merchant_id: str
    merchant_name: str
    con: duckdb.DuckDBPyConnection


def merchant_scope(merchant_id: str, user: UserDep, con: PublishedDep) -> Scope:
    name = visible(con, user, merchant_id)
    if name is None:
        raise NotFound()
    return Scope(user, merchant_id, name, con)


ScopeDep = Annotated[Scope, Depends(merchant_scope)]
