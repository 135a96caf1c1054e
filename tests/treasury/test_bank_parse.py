"""The BANK_IN reader on its own (tasks/feeds/bank.parse): the checks within one file that the usual
file skips once a single pass has shown they cannot fail, worded in full when they can."""

from __future__ import annotations

from datetime import date, datetime

from tasks.feeds import bank
from tasks.inbox import InboundFile, parse_name

from .bank_support import FM, SEJ

D1, D2 = date(2026, 11, 13), date(2026, 11, 16)


def parsed(settings, records: list[dict], from_date: date = D1, to_date: date = D2) -> bank.BankParsed:
    created = datetime(2026, 11, 16, 18)
    name = f"BANK_IN_{created:%Y%m%d%H%M%S}_000001.dat"
    content = bank.build_file(created, from_date, to_date, records, settings.payout_account)
    return bank.parse(InboundFile(parse_name("bank", name), content), settings)


def test_a_valid_file_gives_its_transfers_and_booked_days(settings):
    p = parsed(settings, [{"inquiry_no": 1, "booking_date": D2, "amount": 500, "remitter_name": SEJ},
                          {"inquiry_no": 2, "booking_date": D1, "amount": 700, "remitter_name": FM},
                          {"inquiry_no": 2, "booking_date": D1, "amount": 700, "remitter_name": FM,
                           "cancel": True}])
    assert p.reasons == []
    assert (p.created_date, p.from_date, p.to_date, p.booked) == (D2, D1, D2, (D1, D2))
    assert p.transfers.select("record_no", "inquiry_no", "amount", "is_cancellation").rows() == [
        (2, "000001", 500, False), (3, "000002", 700, False), (4, "000002", 700, True)]


def test_repeated_inquiry_numbers_and_a_cancellation_of_another_amount(settings):
    p = parsed(settings, [{"inquiry_no": 1, "booking_date": D1, "amount": 100, "remitter_name": SEJ},
                          {"inquiry_no": 1, "booking_date": D1, "amount": 200, "remitter_name": FM},
                          {"inquiry_no": 2, "booking_date": D2, "amount": 300, "remitter_name": FM},
                          {"inquiry_no": 2, "booking_date": D2, "amount": 299, "remitter_name": FM,
                           "cancel": True}])
    assert [str(r) for r in p.reasons] == [
        "line 3, inquiry_no = '000001': 照会番号 000001 again (record 2): unique within the file",
        "line 5, amount = '299': cancels record 4 of 300 yen with another amount"]


def test_no_data_record_books_no_day(settings):
    p = parsed(settings, [])
    assert p.reasons == [] and p.transfers.height == 0 and p.booked == (None, None)


def test_wareki_dates_of_the_reiwa_era_only():
    import polars as pl

    from schemas.bank import wareki_date

    texts = ["081113", "010501", "010430", "100229", "110229", "081131", "081300", "08113 ", "+81113",
             "0811a3", "0811130", "", None, "991231"]
    got = pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(wareki_date(pl.col("t")))["t"].to_list()
    assert got == [date(2026, 11, 13), date(2019, 5, 1), None, date(2028, 2, 29), None, None, None, None,
                   None, None, None, None, None, date(2117, 12, 31)]
