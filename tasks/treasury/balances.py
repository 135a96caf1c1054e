"""Chain balances (treasury.md) and the REMITTANCE_SHORT / REMITTANCE_OVER exceptions, as known at a time.

Per source, the balance after a covered day d is Σ expected (02 records with transfer date ≤ d, each
counted once however often delivered, voided or not) − Σ received (its transfers with 勘定日 ≤ d),
over the days covered by the BANK_IN files accepted so far. Positive: the chain owes us.

An exception's subject is (source, first day of the run of covered days with a balance of one sign);
it is open while the balance at the last covered day keeps that sign (its amount is that balance),
and clears when it does not. Raised and cleared times are fact times: the sweep below replays the
facts in the order they were ingested (02 records, transfers received, cancelled or claimed, files
covering days), recomputing the balances after each ingestion time, so an earlier as_of sees exactly
what was known then. Numpy keeps a replay over years of days and files in milliseconds.

Steps of the reconciliation (tasks/reconcile/derive.py):

    remittance_exceptions(ctx) -> rc_remittance: code, source, bank_day, amount, raised_at, cleared_at, detail
    chain_balances(ctx)        -> rc_chain_balances: the rows of `chain_balances` (after the step above)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import numpy as np
import polars as pl

from tasks.inbox_kinds import KINDS
from tasks.reconcile.scope import KEYS
from tasks.reconcile.steps import Ctx

SOURCES = ("SEJ", "FM", "CVS")
# each chain's feed (the source that pays its 02 records), from the registry of inbox kinds
_SOURCE_OF_CHAIN = " ".join(sorted({f"when '{c}' then '{k.feed}'" for k in KINDS for c in k.chains}))
SHORT, OVER = "REMITTANCE_SHORT", "REMITTANCE_OVER"
_EPISODES, _BALANCES = "_rc_remittance_rows", "_rc_chain_balance_rows"  # frames registered on the connection
EPISODE_SCHEMA = {"code": pl.String, "source": pl.String, "bank_day": pl.Date, "amount": pl.Int64,
                  "raised_at": pl.Datetime("us"), "cleared_at": pl.Datetime("us"), "detail": pl.String}
BALANCE_SCHEMA = {"source": pl.String, "day": pl.Date, "expected": pl.Int64, "received": pl.Int64,
                  "balance": pl.Int64}


def _confirmed_sql(c: Ctx) -> str:
    """(chain, transfer_date, known_at, amount) of every payment with a 02 known at as_of: each 02 once
    (a payment has one 02 event), from its first ingestion.

    The reconciliation has just grouped the records into payments (rc_pay): a full run has them
    all; a scoped run has its keys, and the others are the `payments` of the previous run, whose
    rows for keys outside the scope are exact (docs/decisions.md, Treasury). Grouping ten million
    02 records again would cost seconds on every run."""
    sql = "select chain, transfer_date, confirmed_at, amount from rc_pay where confirmed_at is not null"
    if c.scoped:
        sql += f""" union all
            select p.chain, p.transfer_date, p.confirmed_ingested_at, p.amount from payments p
            anti join {KEYS} k on k.chain = p.chain and k.reference = p.reference
            where p.confirmed_ingested_at <= {c.at}"""
    return sql


def _facts_sql(c: Ctx) -> str:
    """(source, day, at, expected, received): every change of a chain balance with its fact time.
    Each part is summed on its own first (ten million payments become a few rows per day and
    chain), the chain named by its source after that."""
    return f"""
        select source, day, known_at, sum(expected)::bigint as expected, sum(received)::bigint as received
        from (
            select case chain {_SOURCE_OF_CHAIN} end as source, transfer_date, confirmed_at, expected, 0
            from (select chain, transfer_date, confirmed_at, sum(amount) as expected
                  from ({_confirmed_sql(c)}) p(chain, transfer_date, confirmed_at, amount) group by all)
            union all
            select source, bank_day, first_at, 0, sum(amount)
            from rc_bank_transfers where source is not null group by all
            union all  -- cancelled or claimed as something else: no longer the chain's money
            select source, bank_day, greatest(first_at, least(cancelled_at, claimed_at)), 0, -sum(amount)
            from rc_bank_transfers where source is not null and least(cancelled_at, claimed_at) is not null
            group by all
        ) t(source, day, known_at, expected, received) group by all"""


def _covered_sql(c: Ctx) -> str:
    """(day, at): each day covered by an accepted BANK_IN file, from the file's ingestion."""
    return f"""
        select d::date as day, min(f.received_at) as known_at
        from bank_files b join inbound_files f using (file_id),
             unnest(generate_series(b.from_date::timestamp, b.to_date::timestamp, interval 1 day)) t(d)
        where f.state = 'accepted' and f.received_at <= {c.at}
        group by all"""


@dataclass
class _Open:
    code: str
    source: str
    day: date
    raised_at: datetime
    amount: int = 0
    cleared_at: datetime | None = None


@dataclass
class Sweep:
    """The facts replayed in ingestion order; per source, arrays over every day any fact names."""

    days: list[date]
    expected: dict[str, np.ndarray] = field(default_factory=dict)
    received: dict[str, np.ndarray] = field(default_factory=dict)
    covered: np.ndarray | None = None
    episodes: dict[tuple[str, str, date], _Open] = field(default_factory=dict)
    current: dict[str, tuple[str, str, date] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.days)
        for s in SOURCES:
            self.expected[s] = np.zeros(n, np.int64)
            self.received[s] = np.zeros(n, np.int64)
        self.covered = np.zeros(n, bool)

    def balances(self, source: str) -> np.ndarray:
        """The balance after each covered day (in day order)."""
        net = np.cumsum(self.expected[source] - self.received[source])
        return net[self.covered]

    def observe(self, at: datetime, sources: tuple[str, ...]) -> None:
        """After the facts of time `at`: open, update or clear each source's exception."""
        for s in sources:
            b = self.balances(s)
            key = None
            if len(b) and b[-1] != 0:
                sign = np.sign(b)
                other = np.flatnonzero(sign != sign[-1])
                start = int(other[-1]) + 1 if len(other) else 0
                key = (SHORT if b[-1] > 0 else OVER, s, self.days[int(np.flatnonzero(self.covered)[start])])
            before = self.current.get(s)
            if before is not None and before != key:
                self.episodes[before].cleared_at = at
            if key is not None:
                ep = self.episodes.setdefault(key, _Open(*key, raised_at=at))
                ep.amount, ep.cleared_at = int(b[-1]), None
            self.current[s] = key


def _replay(facts: pl.DataFrame, covered: pl.DataFrame) -> Sweep:
    """The sweep over the facts' ingestion times. A time whose facts name no day (nor cover one)
    changes no balance: skipped. Facts and covered days are a few rows per day and source, read
    once into per-time lists (no frame per time)."""
    facts = facts.filter(pl.col("day").is_not_null())
    days = sorted(set(facts["day"].to_list()) | set(covered["day"].to_list()))
    sweep = Sweep(days)
    index = {d: i for i, d in enumerate(days)}
    changes: dict[datetime, list[tuple[str, int, int, int]]] = {}
    for source, day, at, expected, received in facts.select(
            "source", "day", "known_at", "expected", "received").iter_rows():
        changes.setdefault(at, []).append((source, index[day], expected, received))
    covers: dict[datetime, list[int]] = {}
    for day, at in covered.select("day", "known_at").iter_rows():
        covers.setdefault(at, []).append(index[day])
    for at in sorted(changes.keys() | covers.keys()):
        touched: set[str] = set()
        for source, i, expected, received in changes.get(at, ()):
            sweep.expected[source][i] += expected
            sweep.received[source][i] += received
            touched.add(source)
        cover = covers.get(at)
        if cover is not None:
            sweep.covered[cover] = True
            touched = set(SOURCES)
        if sweep.covered.any():
            sweep.observe(at, tuple(s for s in SOURCES if s in touched))
    return sweep


def _balance_rows(sweep: Sweep) -> pl.DataFrame:
    """Per source and covered day: expected and received since the previous covered day, balance."""
    mask = sweep.covered
    bucket = np.cumsum(mask[::-1])[::-1]  # days up to and including a covered day share its bucket
    rows = []
    covered_days = [d for d, c in zip(sweep.days, mask, strict=True) if c]
    for s in SOURCES:
        n = len(covered_days)
        keep = bucket > 0  # days after the last covered day are not yet due in the covered range
        idx = n - bucket[keep]
        exp, rec = np.zeros(n, np.int64), np.zeros(n, np.int64)  # integer yen: no weighted bincount
        np.add.at(exp, idx, sweep.expected[s][keep])
        np.add.at(rec, idx, sweep.received[s][keep])
        bal = np.cumsum(exp - rec)
        rows += [(s, d, int(e), int(r), int(b))
                 for d, e, r, b in zip(covered_days, exp, rec, bal, strict=True)]
    return pl.DataFrame(rows, schema=BALANCE_SCHEMA, orient="row")


def _episode_rows(sweep: Sweep) -> pl.DataFrame:
    rows = []
    for ep in sweep.episodes.values():
        side = "short" if ep.code == SHORT else "over"
        rows.append((ep.code, ep.source, ep.day, abs(ep.amount), ep.raised_at, ep.cleared_at,
                     f"{ep.source} {side} by {abs(ep.amount):,} yen, since {ep.day}"))
    return pl.DataFrame(rows, schema=EPISODE_SCHEMA, orient="row")


def replay(con: duckdb.DuckDBPyConnection, c: Ctx) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(episodes, balances) as of c.as_of; reads rc_bank_transfers."""
    facts = con.sql(_facts_sql(c)).pl()
    covered = con.sql(_covered_sql(c)).pl()
    sweep = _replay(facts, covered)
    return _episode_rows(sweep), _balance_rows(sweep)


def remittance_exceptions(c: Ctx) -> str:
    if c.gaps:
        episodes, balances = replay(c.con, c)
    else:  # a run limited to one merchant: the treasury is not its business
        episodes, balances = pl.DataFrame(schema=EPISODE_SCHEMA), pl.DataFrame(schema=BALANCE_SCHEMA)
    c.con.register(_EPISODES, episodes)
    c.con.register(_BALANCES, balances)
    return f"select * from {_EPISODES}"


def chain_balances(c: Ctx) -> str:
    return f"select *, {c.at} as as_of from {_BALANCES}"
