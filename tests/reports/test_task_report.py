"""The service works report (seed 004 download): parameters, rows, groups and every format.

Each generated file is read back with a real reader (openpyxl, xlrd, pypdf,
csv) and checked against ``tasks.queries.task_list``, the query behind the
Tasks list, so the report holds the same tasks in the same order.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import xlrd
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.reports import delivery, task_report
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock", "media")


def make_task(vehicle, description: str, *, days: int, cost: str, **fields) -> ServiceTask:
    end = (NOW + timedelta(days=days)).strftime("%Y-%m-%d 23:59:59")
    data = TaskInput(
        description=description,
        cost=cost,
        conditions=Conditions(date={"end": end, "notification_interval": 7}),
        **fields,
    )
    return services.task_create(vehicle=vehicle, data=data)


@pytest.fixture
def fleet(org, vehicle):
    return build_fleet(org, vehicle)


def build_fleet(org, vehicle) -> dict:
    """Two vehicles, five tasks: planned, due soon, unplanned, done; costs add to 1,235.75."""
    truck = vehicles.vehicle_create(org=org, label="Actros 7", vehicle_key="ACT-7")
    tasks = {
        "oil": make_task(vehicle, "Oil change", days=20, cost="120.50"),
        "brakes": make_task(vehicle, "Brake pads", days=3, cost="300"),
        "tyres": make_task(truck, "Tyres", days=30, cost="800", unplanned=True),
        "wipers": make_task(truck, "Wipers", days=60, cost="15.25"),
        "inspection": make_task(vehicle, "Inspection", days=100, cost="0"),
    }
    services.task_mark_done(task=tasks["wipers"])
    return {
        "van": vehicle,
        "truck": truck,
        **{k: ServiceTask.objects.get(pk=t.pk) for k, t in tasks.items()},
    }


def everything(**layout) -> task_report.ReportRequest:
    return task_report.report_request(task_report.page_filters({"status": "all"}), **layout)


def build(org, request: task_report.ReportRequest) -> tuple[bytes, task_report.Report]:
    out = io.BytesIO()
    report = task_report.write_report(org, request, out)
    return out.getvalue(), report


def list_ids(org, filters: queries.TaskFilters) -> list[int]:
    return [task.pk for task in queries.task_list(org, filters)]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


# --- XLSX -------------------------------------------------------------------------------


def test_xlsx_has_typed_cells_groups_subtotals_and_a_total(org, fleet):
    content, report = build(org, everything(format="xlsx", group_by="vehicle"))

    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Service works"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == task_report.Report.columns
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:I")
    # Vehicles by label: Actros 7 first, then Van 1; each heading, its tasks, a subtotal.
    assert rows[1][0] == "Actros 7"
    truck_ids = list_ids(
        org, task_report.page_filters({"status": "all", "vehicle": str(fleet["truck"].pk)})
    )
    assert [r[0] for r in rows[2:4]] == truck_ids
    assert rows[4][2] == "Subtotal Actros 7 (2 tasks)" and rows[4][8] == 815.25
    assert rows[5][0] == "Van 1"
    van_ids = list_ids(
        org, task_report.page_filters({"status": "all", "vehicle": str(fleet["van"].pk)})
    )
    assert [r[0] for r in rows[6:9]] == van_ids
    assert rows[9][2] == "Subtotal Van 1 (3 tasks)" and rows[9][8] == 420.5
    assert rows[10][2] == "Total (5 tasks)" and rows[10][8] == 1235.75
    assert len(rows) == 11
    assert report.count == 5 and report.cost == Decimal("1235.75")

    oil = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == fleet["oil"].pk)
    assert isinstance(oil[0].value, int)
    assert oil[2].value == "Oil change" and oil[3].value == "Planned"
    assert isinstance(oil[6].value, datetime) and oil[6].number_format == "yyyy-mm-dd"
    assert oil[6].value.date() == fleet["oil"].predicted_end_date.astimezone(report.zone).date()
    assert oil[8].value == 120.5 and "EUR" in oil[8].number_format
    assert isinstance(oil[5].value, int)
    wipers = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == fleet["wipers"].pk)
    assert wipers[3].value == "Done" and wipers[7].value.date() == date(2030, 6, 15)
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Organization"] == "Acme Logistics" and about["Status"] == "All"


def test_xlsx_grouped_by_status_follows_the_status_order(org, fleet):
    content, _ = build(org, everything(format="xlsx", group_by="status"))

    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    headings = [r[0] for r in rows[1:] if isinstance(r[0], str)]
    assert headings == ["Planned", "Due soon", "Done"]
    subtotals = {r[2]: r[8] for r in rows if r[2] and str(r[2]).startswith("Subtotal")}
    assert subtotals == {
        "Subtotal Planned (3 tasks)": 920.5,
        "Subtotal Due soon (1 tasks)": 300.0,
        "Subtotal Done (1 tasks)": 15.25,
    }


# --- XLS --------------------------------------------------------------------------------


def test_xls_reads_back_with_dates_numbers_and_totals(org, fleet):
    content, _ = build(org, everything(format="xls", group_by="vehicle"))

    book = xlrd.open_workbook(file_contents=content)
    sheet = book.sheet_by_index(0)
    assert sheet.row_values(0) == list(task_report.Report.columns)
    assert sheet.cell_value(1, 0) == "Actros 7"
    tyres_row = next(r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == fleet["tyres"].pk)
    assert sheet.cell_type(tyres_row, 6) == xlrd.XL_CELL_DATE
    assert sheet.cell(tyres_row, 8).value == 800.0
    assert sheet.cell_value(tyres_row, 4) == "Yes"
    last = sheet.nrows - 1
    assert sheet.cell_value(last, 2) == "Total (5 tasks)" and sheet.cell_value(last, 8) == 1235.75
    assert (
        sheet.cell_value(4, 2) == "Subtotal Actros 7 (2 tasks)" and sheet.cell_value(4, 8) == 815.25
    )


def test_xls_refuses_more_rows_than_a_sheet_holds_and_suggests_xlsx(org, fleet, monkeypatch):
    monkeypatch.setattr(delivery, "XLS_MAX_ROWS", 4)

    with pytest.raises(ValidationFailed, match="XLSX") as refused:
        build(org, everything(format="xls"))
    assert "at most 4 rows" in refused.value.message and "needs 5" in refused.value.message

    # Five tasks fit, but group headings and subtotals would not: refused while writing.
    monkeypatch.setattr(delivery, "XLS_MAX_ROWS", 6)
    with pytest.raises(ValidationFailed, match="XLSX"):
        build(org, everything(format="xls", group_by="status"))
    # The same report as XLSX is fine.
    content, report = build(org, everything(format="xlsx", group_by="status"))
    assert report.count == 5 and content.startswith(b"PK")


# --- CSV --------------------------------------------------------------------------------


def test_csv_is_utf8_with_one_header_and_the_list_order(org, fleet):
    fleet["oil"].description = "Ölwechsel für Straße"
    fleet["oil"].save()
    content, _ = build(org, everything(format="csv"))

    rows = csv_rows(content)
    assert rows[0] == list(task_report.Report.columns)
    assert [int(r[0]) for r in rows[1:]] == list_ids(
        org, task_report.page_filters({"status": "all"})
    )
    oil = next(r for r in rows if r[0] == str(fleet["oil"].pk))
    assert oil[2] == "Ölwechsel für Straße" and oil[8] == "120.50" and oil[3] == "Planned"
    assert oil[6] == fleet["oil"].predicted_end_date.astimezone(UTC).date().isoformat()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t=", "\r="])
def test_csv_text_that_could_start_a_formula_is_written_as_plain_text(org, fleet, start):
    fleet["oil"].description = f"{start}1+1"
    fleet["oil"].save()
    content, _ = build(org, everything(format="csv", group_by="vehicle"))

    oil = next(r for r in csv_rows(content) if r[1] == str(fleet["oil"].pk))
    assert oil[3] == f"'{start}1+1"
    assert oil[9] == "120.50"  # numbers stay numbers


def test_grouped_csv_names_the_group_in_a_first_column(org, fleet):
    content, _ = build(org, everything(format="csv", group_by="vehicle"))

    rows = csv_rows(content)
    assert rows[0][0] == "Group" and len(rows) == 6
    assert [r[0] for r in rows[1:]] == ["Actros 7"] * 2 + ["Van 1"] * 3


# --- PDF --------------------------------------------------------------------------------


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_the_header_groups_subtotals_total_and_page_numbers(org, fleet):
    content, _ = build(org, everything(group_by="vehicle"))

    reader, text = pdf_text(content)
    assert content.startswith(b"%PDF")
    assert "Service works — Acme Logistics" in text
    assert "Generated 2030-06-15 12:00 CEST (Europe/Berlin)" in text
    assert "Status: All" in text and "Grouped by vehicle" in text
    assert "Subtotal Actros 7 (2 tasks)" in text and "815.25 EUR" in text
    assert "Subtotal Van 1 (3 tasks)" in text and "420.50 EUR" in text
    assert "Total (5 tasks)" in text and "1,235.75 EUR" in text
    assert "Due soon" in text and "Oil change" in text and "Page 1" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == (842, 595)  # A4, landscape


def test_pdf_on_letter_paper_repeats_its_header_on_every_page(org, vehicle, monkeypatch):
    for n in range(120):
        make_task(vehicle, f"Job {n:03d}", days=10 + n, cost="10")
    content, _ = build(org, everything(paper="letter", group_by="status"))

    reader, _ = pdf_text(content)
    assert (round(reader.pages[0].mediabox.width), round(reader.pages[0].mediabox.height)) == (
        792,
        612,
    )
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "Description" in text and "Predicted date" in text
        assert f"Page {number}" in text
    last = reader.pages[-1].extract_text()
    assert "Total (120 tasks)" in last and "1,200.00 EUR" in last


# --- filters, sorts, pages --------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=all",
        "status=all&sort=cost%3Ddesc",
        "status=all&sort=description%3Dasc",
        "status=all&sort=vehicle%3Dasc",
        "status=created&sort=id%3Ddesc",
        "status=all&unplanned=yes",
        "status=all&unplanned=no&sort=status%3Ddesc",
        "status=all&q=oil",
        "status=done",
    ],
)
def test_the_report_holds_the_tasks_list_rows_in_its_order(org, fleet, query):
    params = QueryDict(query)
    filters = task_report.page_filters(params)
    content, _ = build(org, task_report.report_request(filters, format="csv"))

    assert [int(r[0]) for r in csv_rows(content)[1:]] == list_ids(org, filters)


def test_the_vehicle_filter_and_grouping_keep_the_list_order_within_groups(org, fleet):
    filters = task_report.page_filters(QueryDict("status=all&sort=cost%3Ddesc"))
    content, _ = build(org, task_report.report_request(filters, format="csv", group_by="vehicle"))

    listed = list_ids(org, filters)
    rows = csv_rows(content)[1:]
    for label in ("Actros 7", "Van 1"):
        ids = [int(r[1]) for r in rows if r[0] == label]
        assert ids == [pk for pk in listed if pk in ids]


def test_limit_and_offset_take_a_page_of_the_list(org, fleet):
    filters = task_report.page_filters({"status": "all"})
    content, report = build(
        org, task_report.report_request(filters, format="csv", limit=2, offset=1)
    )

    assert [int(r[0]) for r in csv_rows(content)[1:]] == list_ids(org, filters)[1:3]
    assert report.total_rows == 2


def test_strict_filters_take_the_vendor_parameters(org, fleet):
    filters = task_report.strict_filters(
        org,
        only_unplanned=True,
        vehicle_ids=[fleet["truck"].pk],
        statuses=["created"],
        sort=["cost=desc", "id"],
    )
    assert filters.sort == (("cost", "desc"), ("id", "asc"))
    content, _ = build(org, task_report.report_request(filters, format="csv"))
    assert [int(r[0]) for r in csv_rows(content)[1:]] == [fleet["tyres"].pk]


def test_strict_filters_refuse_what_they_do_not_know(org, other_org, fleet):
    stranger = vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="T-1")
    with pytest.raises(NotFound):
        task_report.strict_filters(org, vehicle_ids=[stranger.pk])
    with pytest.raises(ValidationFailed, match="status"):
        task_report.strict_filters(org, statuses=["lost"])
    with pytest.raises(ValidationFailed, match="sort"):
        task_report.strict_filters(org, sort=["price=asc"])


@pytest.mark.parametrize(
    ("layout", "field"),
    [
        ({"format": "docx"}, "format"),
        ({"group_by": "colour"}, "group_by"),
        ({"paper": "a3"}, "paper"),
        ({"limit": -1}, "limit"),
        ({"offset": 2**31}, "offset"),
    ],
)
def test_layout_parameters_are_checked(layout, field):
    with pytest.raises(ValidationFailed) as refused:
        task_report.report_request(queries.TaskFilters(), **layout)
    assert refused.value.field == field


def test_the_request_survives_a_round_trip_through_json(org):
    request = task_report.report_request(
        queries.TaskFilters(statuses=("done",), vehicle_ids=(3,), unplanned=True, search="oil"),
        format="xlsx",
        group_by="status",
        paper="letter",
        limit=10,
        offset=5,
    )
    assert task_report.ReportRequest.from_json(request.to_json()) == request


def test_rows_are_read_in_a_fixed_number_of_queries(org, vehicle, fleet):
    def queries_for_report() -> int:
        with CaptureQueriesContext(connection) as captured:
            build(org, everything(format="xlsx", group_by="vehicle"))
        return len(captured)

    before = queries_for_report()
    truck = fleet["truck"]
    for n in range(20):
        make_task(truck if n % 2 else vehicle, f"More {n}", days=5 + n, cost="1")
    assert queries_for_report() == before


def test_the_file_name_says_what_and_when(org):
    assert (
        task_report.filename(org, everything(format="xlsx"))
        == "service-works-acme-logistics-2030-06-15.xlsx"
    )


def test_finished_files_are_removed_after_the_keep_time(org, advisor, settings, clock):
    from fleetmaint.reports.models import JobStatus, ReportJob

    settings.REPORT_KEEP_HOURS = 24
    job = ReportJob.objects.create(org=org, parameters=everything(format="csv").to_json())
    task_report.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.file.storage.exists(job.file.name)
    path = job.file.name

    clock.move_to(NOW + timedelta(hours=23))
    assert task_report.jobs_cleanup() == 0
    clock.move_to(NOW + timedelta(hours=25))
    assert task_report.jobs_cleanup() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED and not job.file
    assert not job.file.storage.exists(path)
