"""Every kind of file the inbox takes, declared once: its folder, file-name pattern, handler, feed,
whether it carries a file sequence number, and the chains it reports on.

    KINDS: tuple[InboxKind, ...]          # in the spec's order
    BY_KIND[kind] -> InboxKind
    FOLDERS                               # the inbox's folders, in the spec's order
    SEQUENCED                             # kinds with one sequence of file numbers each (feeds.md)
    match(folder, name) -> (InboxKind, created "YYYYMMDDhhmmss", sequence "NNNNNN") | None

A handler is `handler(con, f: InboundFile, as_of, settings) -> FileOutcome`; it runs inside the
pull's transaction for the file (tasks/ingest.py). A feed kind also names its feed module, whose
`parse(f, settings)` checks the file on its own (tasks/feeds/merge.py merges what it gives); a kind
with `prepare(f, settings)` has that work done ahead by the pull, while the file before is written.
A new kind of file is one handler module and one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from tasks import orders
from tasks.cancellations import ingest_cancellations_file
from tasks.feeds import bank, cvs, famima, merge, sej
from tasks.orders import ingest_orders_file
from tasks.treasury import bank_file


@dataclass(frozen=True)
class InboxKind:
    kind: str  # inbound_files.kind; the file name is {kind}_{YYYYMMDDhhmmss}_{seq:06}{suffix}
    folder: str
    suffix: str
    handler: Callable
    feed: str | None = None  # the result feed (SEJ, FM, CVS); None for the order feed
    parser: ModuleType | None = None  # the feed's module (layout and parse)
    sequenced: bool = False  # one sequence of file numbers, gaps alert (FILE_SEQUENCE_GAP)
    chains: tuple[str, ...] = ()  # chain codes whose payments the kind reports
    prepare: Callable | None = None  # prepare(f, settings): the checks needing no warehouse, run ahead
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # ASCII digits only: `\d` would also take full-width ones (２０２６…)
        name = rf"{re.escape(self.kind)}_(?P<ts>[0-9]{{14}})_(?P<seq>[0-9]{{6}}){re.escape(self.suffix)}"
        object.__setattr__(self, "pattern", re.compile(name, re.ASCII))


def _feed(kind: str, folder: str, suffix: str, feed: str, parser: ModuleType, chains: tuple[str, ...]):
    """A chain's result file: merged by the feed merge, parsed ahead, numbered in sequence."""
    return InboxKind(kind, folder, suffix, merge.ingest_feed_file, feed, parser, sequenced=True,
                     chains=chains, prepare=merge.prepare)


_CVS_CHAINS = ("lawson", "ministop", "daily", "seicomart")
KINDS: tuple[InboxKind, ...] = (
    InboxKind("ORDERS", "orders", ".csv", ingest_orders_file, prepare=orders.prepare),
    InboxKind("ORDER_CANCELS", "orders", ".csv", ingest_cancellations_file),
    InboxKind("API_ORDERS", "orders", ".csv", ingest_orders_file, prepare=orders.prepare),  # the order API
    InboxKind("API_CANCELS", "orders", ".csv", ingest_cancellations_file),  # its cancellations
    _feed("SEJ_01", "sej", ".dat", "SEJ", sej, ("seven",)),
    _feed("SEJ_02", "sej", ".dat", "SEJ", sej, ("seven",)),
    _feed("FM_S", "famima", ".dat", "FM", famima, ("famima",)),
    _feed("FM_K", "famima", ".dat", "FM", famima, ("famima",)),
    _feed("CVS", "cvs", ".csv", "CVS", cvs, _CVS_CHAINS),
    InboxKind("BANK_IN", "bank", ".dat", bank_file.ingest_bank_file, parser=bank, sequenced=True,
              prepare=bank_file.prepare),  # treasury.md
)
BY_KIND: dict[str, InboxKind] = {k.kind: k for k in KINDS}
FOLDERS: tuple[str, ...] = tuple(dict.fromkeys(k.folder for k in KINDS))
SEQUENCED: tuple[str, ...] = tuple(k.kind for k in KINDS if k.sequenced)


def match(folder: str, name: str) -> tuple[InboxKind, str, str] | None:
    """The kind whose pattern `name` matches in `folder`, with the name's creation time and sequence."""
    for k in KINDS:
        if k.folder == folder:
            m = k.pattern.fullmatch(name)
            if m:
                return k, m["ts"], m["seq"]
    return None
