"""Property: a corrupted feed file is rejected with a reason, or, when the corruption still yields a
valid file, its records are exactly what its bytes say (rebuilt by the writers, byte for byte)."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.feeds import cvs, famima, sej
from tasks.inbox import InboundFile
from tasks.inbox_kinds import BY_KIND
from tasks.settings import Settings
from tests.feeds.conftest import sample_files

FILES = sample_files()
SETTINGS = Settings()


def _rebuild(f: InboundFile, events: pl.DataFrame) -> bytes:
    """The file the writers make from the parsed records: equal to the input iff nothing was lost."""
    rows = events.sort("record_no").to_dicts()
    meta = f.meta
    if meta.kind.startswith("SEJ"):
        recs = [dict(r, paid_time=r["paid_time"][:4]) for r in rows]
        return sej.build_file(
            meta.kind[-2:], meta.created_at, meta.sequence_no, recs, SETTINGS.sej_company_code
        )
    if meta.kind.startswith("FM"):
        return famima.build_file(
            meta.kind[-1], meta.created_at, meta.sequence_no, rows, SETTINGS.fm_company_code
        )
    raise AssertionError(meta.kind)


def _cvs_oracle(content: bytes) -> list[tuple]:
    """A second, naive reading of a CVS file: one tuple per data line."""
    lines = content.decode("cp932").split("\r\n")[:-2]
    out = []
    for no, line in enumerate(lines, start=1):
        k, d, t, code, stamp, amount, hq, _, store, transfer, _ = line.split(",")
        out.append(
            (
                no,
                k,
                cvs.CHAINS[hq][0],
                code[8:19],
                d,
                t + "00",
                store,
                int(amount),
                stamp == "1",
                transfer if k == "02" else None,
            )
        )
    return out


def _cvs_events(events: pl.DataFrame) -> list[tuple]:
    return [
        (
            r["record_no"],
            r["kind"],
            r["chain"],
            r["reference"],
            f"{r['paid_date']:%Y%m%d}",
            r["paid_time"],
            r["store_code"],
            r["amount"],
            r["stamp_flag"],
            f"{r['transfer_date']:%Y%m%d}" if r["transfer_date"] else None,
        )
        for r in events.sort("record_no").to_dicts()
    ]


def _lines(content: bytes, f: InboundFile) -> tuple[list[bytes], bytes]:
    if f.meta.kind.startswith("FM"):
        return [content[i : i + 128] for i in range(0, len(content), 128)], b""
    sep = b"\r\n"
    return content.split(sep)[:-1], sep


@st.composite
def corrupted(draw):
    f = draw(st.sampled_from(FILES))
    content = f.content
    how = draw(st.sampled_from(["truncate", "flip", "encoding", "totals", "extra", "missing"]))
    records, sep = _lines(content, f)
    if how == "truncate":
        content = content[: draw(st.integers(0, len(content) - 1))]
    elif how == "flip":
        i = draw(st.integers(0, len(content) - 1))
        content = content[:i] + bytes([draw(st.integers(0, 255))]) + content[i + 1 :]
    elif how == "encoding":
        codec = draw(st.sampled_from(["utf-8", "utf-16", "euc_jp"]))
        content = content.decode("cp932").encode(codec)
    elif how == "totals":
        trailer_at = len(records) - (2 if f.meta.kind.startswith("SEJ") else 1)
        t = records[trailer_at]
        pos = draw(st.integers(1, len(t) - 1))
        digit = draw(st.sampled_from(b"0123456789"))
        records[trailer_at] = t[:pos] + bytes([digit]) + t[pos + 1 :]
        content = b"".join(r + sep for r in records)
    elif how == "extra":
        i = draw(st.integers(0, len(records) - 1))
        j = draw(st.integers(0, len(records)))
        records.insert(j, records[i])
        content = b"".join(r + sep for r in records)
    else:
        del records[draw(st.integers(0, len(records) - 1))]
        content = b"".join(r + sep for r in records)
    return InboundFile(f.meta, content), how


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_files_are_rejected_with_reasons_or_read_exactly(case):
    f, how = case
    parsed = BY_KIND[f.meta.kind].parser.parse(f, SETTINGS)
    if parsed.reasons:
        assert all(r.reason for r in parsed.reasons)
        return
    assert parsed.events is not None
    if f.meta.kind == "CVS":
        assert _cvs_events(parsed.events) == _cvs_oracle(f.content), how
    else:
        assert _rebuild(f, parsed.events) == f.content, how


def test_unchanged_files_pass_the_oracles():
    for f in FILES:
        parsed = BY_KIND[f.meta.kind].parser.parse(f, SETTINGS)
        assert parsed.ok
        if f.meta.kind == "CVS":
            assert _cvs_events(parsed.events) == _cvs_oracle(f.content)
        else:
            assert _rebuild(f, parsed.events) == f.content
