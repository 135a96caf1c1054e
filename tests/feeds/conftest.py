"""Helpers of the feed tests: inbound files from bytes, one-file ingestion in its own transaction."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.inbox import InboundFile, is_duplicate, parse_name

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
AS_OF = datetime(2026, 11, 20, tzinfo=JST)


def inbound(folder: str, name: str, content: bytes) -> InboundFile:
    meta = parse_name(folder, name)
    assert meta is not None, name
    return InboundFile(meta, content)


def sample(kind: str, folder: str, name: str) -> InboundFile:
    return inbound(folder, name, (SAMPLES / kind / folder / name).read_bytes())


def sample_files(kind: str = "inbox", folders=("sej", "famima", "cvs")) -> list[InboundFile]:
    files = [sample(kind, folder, p.name) for folder in folders for p in (SAMPLES / kind / folder).iterdir()]
    return sorted(files, key=lambda f: f.meta.sort_key)


def seven_record(
    kind="01",
    ref="1000000000001",
    paid=date(2026, 11, 3),
    hhmm="1230",
    store="1234567",
    amount=3980,
    stamp=False,
    transfer=None,
    cancelled=None,
) -> dict:
    return {
        "kind": kind,
        "reference": ref,
        "paid_date": paid,
        "paid_time": hhmm,
        "store_code": store,
        "amount": amount,
        "stamp_flag": stamp,
        "transfer_date": transfer,
        "cancelled_at": cancelled,
    }


@pytest.fixture
def ingest(warehouse, settings):
    """ingest(f, as_of=AS_OF) -> FileOutcome | None (None: a duplicate), one transaction per file."""
    from tasks.feeds import ingest_feed_file

    def run(f: InboundFile, as_of: datetime = AS_OF):
        with warehouse.write() as con:
            if is_duplicate(con, f):
                return None
            return ingest_feed_file(con, f, as_of, settings)

    return run
