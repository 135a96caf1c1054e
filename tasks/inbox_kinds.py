"""Every kind of file the inbox takes, declared once: its folder, file-name pattern, handler, feed,
whether it carries a file sequence number, and the chains it reports on.

    KINDS: tuple[InboxKind, ...]          # in the spec's order
    BY_KIND[kind] -> InboxKind
    FOLDERS                               # the inbox's folders, in the spec's order
    SEQUENCED                             # kinds with one sequence of file numbers each (feeds.md)
    match(folder, name) -> (InboxKind, created "YYYYMMDDhhmmss", sequence "NNNNNN") | None

A handler is `handler(con, f: InboundFile, as_of, settings) -> FileOutcome`; it runs inside the
pull's transaction for the file (tasks/ingest.py). A feed kind also names its feed module, whose
`parse(f, settings)` checks the file on its own (tasks/feeds/merge.py merges what it gives).
A new kind of file is one handler module and one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from tasks.cancellations import ingest_cancellations_file
from tasks.feeds import bank, cvs, famima, sej
from tasks.feeds.merge import ingest_feed_file
from tasks.orders import ingest_orders_file
from tasks.treasury.bank_file import ingest_bank_file


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
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # ASCII digits only: `\d` would also take full-width ones (２０２６…)
        name = rf"{re.escape(self.kind)}_(?P<ts>[0-9]{{14}})_(?P<seq>[0-9]{{6}}){re.escape(self.suffix)}"
        object.__setattr__(self, "pattern", re.compile(name, re.ASCII))


_CVS_CHAINS = ("lawson", "ministop", "daily", "seicomart")
KINDS: tuple[InboxKind, ...] = (
    InboxKind("ORDERS", "orders", ".csv", ingest_orders_file),
    InboxKind("ORDER_CANCELS", "orders", ".csv", ingest_cancellations_file),
    InboxKind("API_ORDERS", "orders", ".csv", ingest_orders_file),  # the order API (tasks/api_orders)
    InboxKind("API_CANCELS", "orders", ".csv", ingest_cancellations_file),  # its cancellations
    InboxKind("SEJ_01", "sej", ".dat", ingest_feed_file, "SEJ", sej, sequenced=True, chains=("seven",)),
    InboxKind("SEJ_02", "sej", ".dat", ingest_feed_file, "SEJ", sej, sequenced=True, chains=("seven",)),
    InboxKind("FM_S", "famima", ".dat", ingest_feed_file, "FM", famima, sequenced=True, chains=("famima",)),
    InboxKind("FM_K", "famima", ".dat", ingest_feed_file, "FM", famima, sequenced=True, chains=("famima",)),
    InboxKind("CVS", "cvs", ".csv", ingest_feed_file, "CVS", cvs, sequenced=True, chains=_CVS_CHAINS),
    InboxKind("BANK_IN", "bank", ".dat", ingest_bank_file, parser=bank, sequenced=True),  # treasury.md
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
