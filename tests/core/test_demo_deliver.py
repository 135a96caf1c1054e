"""The demo's delivery into the inbox (flows/demo.py `deliver`): files appear with their bytes, a
redelivery replaces a file of that name still waiting, and the simulated originals never change."""

from __future__ import annotations

from datetime import datetime

from flows.demo import Arrival, deliver


def test_delivery_puts_the_files_of_the_window_and_leaves_the_originals_alone(tmp_path):
    sim, inbox = tmp_path / "sim", tmp_path / "inbox"
    (sim / "inbox" / "sej").mkdir(parents=True)
    (sim / "redeliver" / "sej").mkdir(parents=True)
    first = sim / "inbox" / "sej" / "A.dat"
    again = sim / "redeliver" / "sej" / "A.dat"
    later = sim / "inbox" / "sej" / "B.dat"
    first.write_bytes(b"first")
    again.write_bytes(b"again")
    later.write_bytes(b"later")
    files = [Arrival(datetime(2026, 10, 1, 6), first, first.relative_to(sim / "inbox")),
             Arrival(datetime(2026, 10, 2, 6), again, again.relative_to(sim / "redeliver")),
             Arrival(datetime(2026, 10, 3, 6), later, later.relative_to(sim / "inbox"))]

    assert deliver(files, inbox, None, datetime(2026, 10, 1, 7)) == 1
    assert (inbox / "sej" / "A.dat").read_bytes() == b"first"
    # not pulled yet: the redelivery of the same name replaces it, the original stays as it was
    assert deliver(files, inbox, datetime(2026, 10, 1, 7), datetime(2026, 10, 2, 7)) == 1
    assert (inbox / "sej" / "A.dat").read_bytes() == b"again"
    assert first.read_bytes() == b"first" and again.read_bytes() == b"again"
    # the pull moves a file aside; the next delivery only adds what arrived in its window
    (inbox / "sej" / "A.dat").rename(tmp_path / "moved.dat")
    assert deliver(files, inbox, datetime(2026, 10, 2, 7), datetime(2026, 10, 3, 7)) == 1
    assert sorted(p.name for p in (inbox / "sej").iterdir()) == ["B.dat"]
    assert later.read_bytes() == b"later"
