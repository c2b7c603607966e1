"""The service works report read as SQL rows: the cells a user sees, the CSV bytes, the PDF parts.

The rows come from the database with their wear, dates and labels computed
there; these tests hold the files to what the report showed when it read
tasks one by one (``tasks.services.wear``, local dates, Python's csv module),
and to a fixed number of queries whatever the number of rows.
"""

import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import xlrd
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from fleetmaint.reports import pdf_builder, task_csv, task_report, task_rows
from fleetmaint.reports.models import ReportJob
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW
from tests.reports.test_task_report import make_task

pytestmark = pytest.mark.usefixtures("clock", "media")

BERLIN_DAY = datetime(2030, 6, 15)  # NOW is 12:00 in Berlin


def meter_task(vehicle, description: str, *, km: int, cost: str, **fields) -> ServiceTask:
    data = TaskInput(
        description=description, cost=cost, conditions=Conditions(mileage={"limit": km}), **fields
    )
    return services.task_create(vehicle=vehicle, data=data)


@pytest.fixture
def worn(org, vehicle):
    """A van at 10,000 km with three mileage tasks, then driven 250 km; a truck with one."""
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=10_000)
    vehicle.refresh_from_db()
    truck = vehicles.vehicle_create(org=org, label="=Truck", vehicle_key="T-1")
    made = {
        "oil": meter_task(vehicle, "Oil change", km=1_000, cost="120.50"),
        "belt": meter_task(vehicle, 'Belt, "V" type', km=200, cost="80"),
        "note": meter_task(vehicle, "Line one\nline two", km=5_000, cost="0", unplanned=True),
        "mirror": make_task(truck, "-Mirror", days=10, cost="15.25"),
    }
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=10_250)
    return {"van": vehicle, "truck": truck, **made}


def build(org, query: str = "status=all", **layout) -> tuple[bytes, task_report.Report]:
    request = task_report.report_request(task_report.page_filters(QueryDict(query)), **layout)
    out = io.BytesIO()
    report = task_report.write_report(org, request, out)
    return out.getvalue(), report


def by_id(rows) -> dict:
    return {row[0]: row for row in rows if isinstance(row[0], int)}


# --- the cells ----------------------------------------------------------------------------


def test_xlsx_rows_hold_wear_dates_and_labels_as_the_user_expects(org, worn):
    content, report = build(org, "status=all&sort=id%3Dasc", format="xlsx")

    rows = by_id(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    mirror = ServiceTask.objects.get(pk=worn["mirror"].pk)
    assert rows[worn["oil"].pk] == (
        worn["oil"].pk, "Van 1", "Oil change", "Planned", "No", 25, None, None, 120.5
    )  # fmt: skip
    # 250 of 200 km: overdue, past 100%.
    assert rows[worn["belt"].pk][3:6] == ("Planned", "No", 125)
    assert rows[worn["note"].pk][2:6] == ("Line one\nline two", "Planned", "Yes", 5)
    predicted = mirror.predicted_end_date.astimezone(report.zone).replace(tzinfo=None)
    assert rows[worn["mirror"].pk][1:7] == (
        "'=Truck", "'-Mirror", "Planned", "No", 0,  # typed text is never a formula
        datetime.combine(predicted.date(), datetime.min.time()),
    )  # fmt: skip


def test_every_format_shows_each_tasks_own_wear(org, worn):
    expected = {
        task.pk: services.wear(task)
        for task in ServiceTask.objects.select_related("vehicle").filter(org=org)
    }
    xlsx, _ = build(org, format="xlsx")
    xls, _ = build(org, format="xls")
    text, _ = build(org, format="csv")

    from_xlsx = by_id(openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    sheet = xlrd.open_workbook(file_contents=xls).sheet_by_index(0)
    from_xls = {int(sheet.cell_value(r, 0)): sheet.cell_value(r, 5) for r in range(1, sheet.nrows - 1)}  # fmt: skip  # noqa: E501
    from_csv = {int(r[0]): int(r[5]) for r in list(csv.reader(io.StringIO(text.decode())))[1:]}
    assert {pk: row[5] for pk, row in from_xlsx.items()} == expected
    assert from_xls == expected
    assert from_csv == expected


def test_a_done_task_shows_its_local_completion_day(org, worn):
    services.task_mark_done(task=worn["oil"])
    content, _ = build(org, format="xlsx")

    row = by_id(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))[
        worn["oil"].pk
    ]
    assert row[3] == "Done" and row[7] == BERLIN_DAY and row[5] == 25


def test_rows_have_the_same_types_on_every_database(org, worn):
    request = task_report.report_request(task_report.page_filters({"status": "all"}))
    rows = list(task_rows.report_rows(org, request, NOW))

    assert len(rows) == 4
    for row in rows:
        assert isinstance(row[task_rows.COST], Decimal)
        assert isinstance(row[task_rows.UNPLANNED], bool)
        assert isinstance(row[task_rows.WEAR], int)
    mirror = next(r for r in rows if r[task_rows.ID] == worn["mirror"].pk)
    assert mirror[task_rows.PREDICTED] == BERLIN_DAY.date() + timedelta(days=10)


def test_search_sort_and_grouping_by_vehicle_together(org, worn):
    # "i": Oil change and Line one on the van, -Mirror on the truck; not the belt.
    content, _ = build(org, "status=all&q=i&sort=vehicle%3Ddesc", format="xlsx", group_by="vehicle")

    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows if isinstance(r[0], str)][1:] == ["'=Truck", "Van 1"]
    assert rows[-1][2] == "Total (3 tasks)" and rows[-1][8] == 135.75


# --- CSV ----------------------------------------------------------------------------------


def test_csv_bytes_are_what_pythons_csv_wrote(org, worn):
    ServiceTask.objects.filter(pk=worn["oil"].pk).update(description="")
    content, report = build(org, "status=all&sort=id%3Dasc", format="csv", group_by="vehicle")

    oil, belt, note, mirror = (worn[k].pk for k in ("oil", "belt", "note", "mirror"))
    day = (BERLIN_DAY.date() + timedelta(days=10)).isoformat()
    assert content.decode() == (
        "Group,ID,Vehicle,Description,Status,Unplanned,Wear %,Predicted date,Completed,Cost\r\n"
        f"'=Truck,{mirror},'=Truck,'-Mirror,Planned,No,0,{day},,15.25\r\n"
        f"Van 1,{oil},Van 1,,Planned,No,25,,,120.50\r\n"
        f'Van 1,{belt},Van 1,"Belt, ""V"" type",Planned,No,125,,,80.00\r\n'
        f'Van 1,{note},Van 1,"Line one\nline two",Planned,Yes,5,,,0.00\r\n'
    )
    assert report.count == 4 and report.total_rows == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_what_the_python_writer_writes(org, worn):
    request = task_report.report_request(task_report.page_filters({"status": "all"}))
    statement, params = task_rows.csv_select(org, request, NOW)

    copied = list(task_csv._copied(statement, params))
    written = list(task_csv._written(statement, params))
    assert b"".join(d for d, _ in copied) == b"".join(d for d, _ in written)
    assert sum(n for _, n in copied) == sum(n for _, n in written) == 4


def test_record_ends_follow_quotes_across_chunk_boundaries():
    data = b'1,"a\nb",x\n2,"say ""hi""\n",y\n3,plain,z\n'
    expected = data.replace(b"x\n", b"x\r\n").replace(b"y\n", b"y\r\n").replace(b"z\n", b"z\r\n")
    for cut in range(len(data) + 1):
        ends = task_csv.RecordEnds()
        first, second = ends.convert(data[:cut]), ends.convert(data[cut:])
        assert first[0] + second[0] == expected
        assert first[1] + second[1] == 3


def test_the_download_streams_csv_of_any_size_without_a_job(advisor_client, worn, settings):
    settings.REPORT_SYNC_LIMIT = 1
    response = advisor_client.get("/reports/tasks/?status=all&format=csv")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == (
        'attachment; filename="service-works-acme-logistics-2030-06-15.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5 and not ReportJob.objects.exists()


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "group_by"), [("csv", None), ("pdf", "status"), ("xls", None)])
def test_each_format_costs_the_same_queries_at_any_size(org, worn, fmt, group_by):
    def captured() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            build(org, format=fmt, group_by=group_by)
        return [q["sql"] for q in queries.captured_queries]

    before = captured()
    for n in range(30):
        meter_task(worn["van"], f"More {n}", km=1_000 + n, cost="1")
    after = captured()

    assert len(after) == len(before) <= 3
    if fmt == "csv" and connection.vendor == "postgresql":
        assert any(q.startswith("COPY (") for q in after)


# --- PDF ------------------------------------------------------------------------------------


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_pdf_built_in_parts_reads_as_one_document(org, vehicle, monkeypatch):
    for n in range(150):
        make_task(vehicle, f"Job {n:03d}", days=10 + n, cost="10")
    monkeypatch.setattr(pdf_builder, "PART_PAGES", 10_000)
    whole, _ = build(org, paper="letter", group_by="status")
    monkeypatch.setattr(pdf_builder, "PART_PAGES", 2)
    in_parts, _ = build(org, paper="letter", group_by="status")

    pages = pages_text(in_parts)
    assert len(pages) >= 5
    assert pages == pages_text(whole)
    numbers = [int(re.search(r"^Page (\d+)$", text, re.MULTILINE).group(1)) for text in pages]
    assert numbers == list(range(1, len(pages) + 1))
    assert "Total (150 tasks)" in pages[-1] and "1,500.00 EUR" in pages[-1]
    reader = PdfReader(io.BytesIO(in_parts))
    assert reader.metadata.title == "Service works · Acme Logistics"


def test_a_pdf_ends_cleanly_when_a_part_fills_its_last_page(org, vehicle, monkeypatch):
    monkeypatch.setattr(pdf_builder, "PART_PAGES", 1)
    for n in range(60):
        make_task(vehicle, f"Job {n:03d}", days=10 + n, cost="1")

    pages = pages_text(build(org)[0])

    assert all(text.strip() for text in pages)
    assert f"Page {len(pages)}" in pages[-1] and "Total (60 tasks)" in pages[-1]


def test_the_wear_is_measured_at_the_moment_the_report_is_written(org, worn, clock):
    clock.move_to(NOW + timedelta(days=5))
    mirror = ServiceTask.objects.select_related("vehicle").get(pk=worn["mirror"].pk)
    content, _ = build(org, "status=all&sort=id%3Dasc", format="csv")

    row = next(r for r in csv.reader(io.StringIO(content.decode())) if r[0] == str(mirror.pk))
    assert int(row[5]) == services.wear(mirror) > 40


# --- the due range from the dashboard's weeks ---------------------------------------------------


def test_a_due_week_download_holds_the_lists_tasks_of_those_local_days(org, advisor_client, worn):
    day = (BERLIN_DAY.date() + timedelta(days=10)).isoformat()  # the mirror's predicted day
    query = f"status=all&due_from={day}&due_to={day}"
    filters = task_report.page_filters(QueryDict(query), zone=org.time_zone)
    listed = [t.pk for t in queries.task_list(org, filters)]
    response = advisor_client.get(f"/reports/tasks/?{query}&format=csv")

    text = b"".join(response.streaming_content).decode()
    ids = [int(r[0]) for r in list(csv.reader(io.StringIO(text)))[1:]]
    assert ids == listed == [worn["mirror"].pk]


def test_a_due_range_survives_a_jobs_parameters(org, worn):
    filters = task_report.page_filters(
        QueryDict("status=all&due_from=2030-06-01&due_to=2030-06-30"), zone=org.time_zone
    )
    request = task_report.report_request(filters, format="xlsx")
    job = ReportJob.objects.create(org=org, parameters=request.to_json())

    job.refresh_from_db()
    assert task_report.ReportRequest.from_json(job.parameters) == request
    assert request.filters.due_from is not None


def test_a_download_stopped_halfway_leaves_the_connection_usable(org, worn, monkeypatch):
    monkeypatch.setattr(task_csv, "CHUNK_BYTES", 1)  # a chunk per record: stop inside COPY
    request = task_report.report_request(task_report.page_filters({"status": "all"}), format="csv")
    chunks = task_report.csv_chunks(org, request)
    assert next(chunks).startswith(b"ID,")
    assert next(chunks)

    chunks.close()  # the client went away

    assert ServiceTask.objects.filter(org=org).count() == 4
