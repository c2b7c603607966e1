"""How a report reaches its reader, decided in one place for every face."""

import pytest

from fleetmaint.errors import ValidationFailed
from fleetmaint.reports import delivery
from fleetmaint.reports.delivery import Delivery


def counted(rows: int):
    calls = []

    def count() -> int:
        calls.append(rows)
        return rows

    return count, calls


def test_csv_is_streamed_without_counting_its_rows():
    count, calls = counted(10**6)
    assert delivery.choose("csv", count, can_wait=True) == (Delivery.STREAM, None)
    assert calls == []


@pytest.mark.parametrize("format", ["pdf", "xlsx", "xls"])
def test_a_report_up_to_the_limit_is_written_now(format, settings):
    settings.REPORT_SYNC_LIMIT = 100
    assert delivery.choose(format, counted(100)[0], can_wait=True) == (Delivery.FILE, 100)


@pytest.mark.parametrize("format", ["pdf", "xlsx", "xls"])
def test_a_larger_report_goes_to_a_job_where_the_caller_can_wait(format, settings):
    settings.REPORT_SYNC_LIMIT = 100
    assert delivery.choose(format, counted(101)[0], can_wait=True) == (Delivery.JOB, 101)
    assert delivery.choose(format, counted(101)[0], can_wait=False) == (Delivery.FILE, 101)


def test_the_sync_limit_defaults_to_five_thousand_rows(settings):
    del settings.REPORT_SYNC_LIMIT
    assert delivery.sync_limit() == 5000


def test_an_xls_holds_one_sheet_of_rows_and_the_refusal_offers_xlsx():
    assert delivery.fits("xls", delivery.XLS_MAX_ROWS)
    assert not delivery.fits("xls", delivery.XLS_MAX_ROWS + 1)
    assert delivery.fits("xlsx", 10**7) and delivery.fits("pdf", 10**7)
    with pytest.raises(ValidationFailed, match="Choose XLSX") as refused:
        delivery.choose("xls", counted(70_000)[0], can_wait=True)
    assert refused.value.field == "format"
    message = refused.value.message
    assert "at most 65,535 rows" in message and "needs 70,000" in message


def test_the_xls_limit_is_the_sheets_last_row():
    # 65,536 rows in an XLS sheet, one of them the header.
    assert delivery.XLS_MAX_ROWS == 65_536 - 1
