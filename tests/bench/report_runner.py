"""One report run in a process of its own, for tests/bench/test_reports_bench.py.

``python -m tests.bench.report_runner '<json job>'`` runs one job and prints
one JSON line: ``seconds`` (the work alone, from before the database
connection opens; imports and Django's set-up are not timed),
``peak_rss_mb`` (the process's high-water mark, VmHWM, start-up included),
``bytes`` written and ``rows``.

Jobs:

- ``{"kind": "product", "org": id, "format": ..., "limit": n|null, "out": path}``:
  Django set up with the environment's DATABASE_URL, then
  ``task_report.write_report`` of the organization's whole task list;
- ``{"kind": "xlsx" | "xls", "sql": statement, "dsn": ..., "currency": ..., "out": path}``:
  the floor, no Django: one psycopg cursor over the statement feeding the raw
  writer (XlsxWriter in ``constant_memory`` mode, or xlwt), one typed call per
  cell, dates and money formatted as the report formats them.
"""

import json
import os
import sys
import time
from pathlib import Path

CHUNK = 2000


def peak_rss_mb() -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def product(job: dict) -> tuple[int, float]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from fleetmaint.accounts.models import Organization
    from fleetmaint.reports import task_report

    started = time.perf_counter()  # the connection is opened by the first query, timed
    org = Organization.objects.get(pk=job["org"])
    request = task_report.report_request(
        task_report.page_filters({"status": "all"}),
        format=job["format"],
        group_by=job.get("group_by"),
        limit=job.get("limit"),
    )
    with open(job["out"], "wb") as out:
        rows = task_report.write_report(org, request, out).count
    return rows, time.perf_counter() - started


def _rows(job: dict):
    import psycopg

    with psycopg.connect(job["dsn"]) as connection, connection.cursor(name="floor") as cursor:
        cursor.execute(job["sql"])
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk


def floor_xlsx(job: dict) -> tuple[int, float]:
    import xlsxwriter

    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(job["out"], {"constant_memory": True})
    sheet = workbook.add_worksheet("Service works")
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money = workbook.add_format({"num_format": f'#,##0.00 "{job["currency"]}"'})
    r = 0
    for r, (pk, vehicle, text, status, unplanned, wear, predicted, done, cost) in enumerate(
        _rows(job), start=1
    ):
        sheet.write_number(r, 0, pk)
        sheet.write_string(r, 1, vehicle)
        sheet.write_string(r, 2, text)
        sheet.write_string(r, 3, status)
        sheet.write_string(r, 4, "Yes" if unplanned else "No")
        sheet.write_number(r, 5, wear)
        if predicted:
            sheet.write_datetime(r, 6, predicted, date)
        if done:
            sheet.write_datetime(r, 7, done, date)
        sheet.write_number(r, 8, float(cost), money)
    workbook.close()
    return r, time.perf_counter() - started


def floor_xls(job: dict) -> tuple[int, float]:
    import xlwt

    started = time.perf_counter()
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Service works")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    money = xlwt.easyxf(num_format_str=f'#,##0.00 "{job["currency"]}"')
    r = 0
    for r, (pk, vehicle, text, status, unplanned, wear, predicted, done, cost) in enumerate(
        _rows(job), start=1
    ):
        sheet.write(r, 0, pk)
        sheet.write(r, 1, vehicle)
        sheet.write(r, 2, text)
        sheet.write(r, 3, status)
        sheet.write(r, 4, "Yes" if unplanned else "No")
        sheet.write(r, 5, wear)
        if predicted is not None:
            sheet.write(r, 6, predicted, date)
        if done is not None:
            sheet.write(r, 7, done, date)
        sheet.write(r, 8, float(cost), money)
        if r % 1000 == 0:
            sheet.flush_row_data()
    book.save(job["out"])
    return r, time.perf_counter() - started


KINDS = {"product": product, "xlsx": floor_xlsx, "xls": floor_xls}


def main() -> None:
    job = json.loads(sys.argv[1])
    rows, elapsed = KINDS[job["kind"]](job)
    result = {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "bytes": Path(job["out"]).stat().st_size,
        "rows": rows,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
