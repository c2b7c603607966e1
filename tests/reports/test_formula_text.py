"""Text people typed is never a formula in any report file (OWASP's CSV injection advice).

Every text a user controls that lands in a spreadsheet cell (vehicle label and
key, task description, servicer name, contract provider, reading note, the
filters on the About sheet) starts with a dangerous character here, and every
report file is read back with a real reader: csv, openpyxl, xlrd. The cell
holds the text behind an apostrophe, as plain text (never a formula cell or a
link), and the amounts next to it stay numbers, negative ones included.
"""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
import xlrd
from django.urls import reverse
from openpyxl.utils.escape import unescape

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.orders.models import Servicer
from fleetmaint.reports import costs, task_report
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from tests.reports.history_support import done_task, garage, order

pytestmark = pytest.mark.usefixtures("clock")

# The starts OWASP names, the line feed, and the full-width signs some spreadsheets read.
STARTS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
FORMULA = 'HYPERLINK("http://evil.example","x")'


@pytest.fixture(params=STARTS, ids=[f"U+{ord(s):04X}" for s in STARTS])
def start(request) -> str:
    return request.param


def typed(start: str, what: str) -> str:
    """What a user typed into ``what``: a formula behind a dangerous start."""
    return f"{start}{FORMULA[:9]}{what}{FORMULA[9:]}"


def shown(text: str) -> str:
    return "'" + text


@pytest.fixture
def evil(org, clock, start) -> dict:
    """A vehicle whose every typed text starts with ``start``, with a task done in June for 10.00.

    The texts are stored directly, as an older release or an import may have
    stored them, whatever the forms accept today.
    """
    van = vehicles.vehicle_create(org=org, label="Van", vehicle_key="VAN-1")
    vehicles.reading_record(vehicle=van, odometer=10_000, note="Bought")
    shop = garage(org)
    order(clock, van, shop, "oil-change", on=datetime(2030, 5, 10, 9, tzinfo=UTC))
    task = done_task(clock, van, "Refund", "10.00", on=datetime(2030, 6, 2, 9, tzinfo=UTC))
    contracts.contract_create(
        vehicle=van,
        data=ContractInput(
            **{
                "contract_type": "service_plan",
                "number": "SP-1",
                "provider": "Ford Credit",
                "start_date": "2030-01-01",
                "end_date": "2031-12-31",
                "covered_services": [],
            }
        ),
    )
    texts = {
        "label": typed(start, "label"),
        "key": f"{start}KEY-1",
        "description": typed(start, "task"),
        "servicer": typed(start, "shop"),
        "provider": typed(start, "provider"),
        "note": typed(start, "note"),
    }
    Vehicle.objects.filter(pk=van.pk).update(label=texts["label"], vehicle_key=texts["key"])
    ServiceTask.objects.filter(pk=task.pk).update(description=texts["description"])
    Servicer.objects.filter(pk=shop.pk).update(name=texts["servicer"])
    VehicleContract.objects.filter(vehicle=van).update(provider=texts["provider"])
    Reading.objects.filter(vehicle=van).update(note=texts["note"])
    van.refresh_from_db()
    return {"vehicle": van, "task": task, **texts}


def assert_plain_xlsx(cell, text: str) -> None:
    assert unescape(cell.value) == shown(text)  # XLSX spells a carriage return _x000D_
    assert cell.data_type == "s"  # not "f", a formula
    assert cell.hyperlink is None


def assert_plain_xls(sheet, row: int, col: int, text: str) -> None:
    assert sheet.cell_type(row, col) == xlrd.XL_CELL_TEXT
    assert sheet.cell_value(row, col) == shown(text)


# --- the service works report -----------------------------------------------------------


def task_file(org, evil, fmt: str) -> bytes:
    query = {"status": "all", "vehicle": str(evil["vehicle"].pk)}
    request = task_report.report_request(
        task_report.page_filters(query), format=fmt, group_by="vehicle"
    )
    out = io.BytesIO()
    task_report.write_report(org, request, out)
    return out.getvalue()


def test_the_tasks_csv_writes_typed_text_as_plain_text(org, evil):
    rows = list(csv.reader(io.StringIO(task_file(org, evil, "csv").decode())))

    [task] = [r for r in rows[1:] if r[1] == str(evil["task"].pk)]
    assert task[0] == shown(evil["label"])  # the group
    assert task[2] == shown(evil["label"])
    assert task[3] == shown(evil["description"])
    assert task[9] == "10.00"  # an amount, not text to neutralise


def test_the_tasks_xlsx_writes_typed_text_as_plain_text_cells(org, evil):
    book = openpyxl.load_workbook(io.BytesIO(task_file(org, evil, "xlsx")))

    sheet = book["Service works"]
    assert_plain_xlsx(sheet["A2"], evil["label"])  # the group's heading
    [row] = [r for r in sheet.iter_rows(min_row=3) if r[0].value == evil["task"].pk]
    assert_plain_xlsx(row[1], evil["label"])
    assert_plain_xlsx(row[2], evil["description"])
    assert row[8].value == 10.0 and row[8].data_type == "n"
    about = {r[0].value: r[1] for r in book["About"].iter_rows()}
    assert_plain_xlsx(about["Vehicles"], evil["label"])


def test_the_tasks_xls_writes_typed_text_as_plain_text_cells(org, evil):
    sheet = xlrd.open_workbook(file_contents=task_file(org, evil, "xls")).sheet_by_index(0)

    assert_plain_xls(sheet, 1, 0, evil["label"])  # the group's heading
    [row] = [r for r in range(2, sheet.nrows) if sheet.cell_value(r, 0) == evil["task"].pk]
    assert_plain_xls(sheet, row, 1, evil["label"])
    assert_plain_xls(sheet, row, 2, evil["description"])
    assert sheet.cell_type(row, 8) == xlrd.XL_CELL_NUMBER
    assert sheet.cell_value(row, 8) == 10.0


# --- maintenance costs --------------------------------------------------------------------


def credited(org, evil) -> costs.CostReport:
    """The last three months' costs, June's tasks a credit of 12.50 (a negative amount)."""
    report = costs.cost_report(org, months=3)
    report.cells[(evil["vehicle"].pk, date(2030, 6, 1))] = costs.MonthCost(tasks=Decimal("-12.50"))
    return report


def test_the_costs_csv_writes_typed_text_as_plain_text(advisor_client, evil):
    response = advisor_client.get(reverse("history-reports:costs-csv"), {"months": "3"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["vehicle_key"] for r in rows} == {shown(evil["key"])}
    assert {r["vehicle"] for r in rows} == {shown(evil["label"])}
    assert next(r for r in rows if r["month"] == "2030-06")["tasks_cost"] == "10.00"


def test_the_costs_csv_keeps_negative_amounts_as_numbers(org, evil):
    rows = list(csv.DictReader(io.StringIO(costs.costs_csv(credited(org, evil)))))

    june = next(r for r in rows if r["month"] == "2030-06")
    assert june["vehicle"] == shown(evil["label"])
    assert june["tasks_cost"] == "-12.50" and june["total"] == "-12.50"


def test_the_costs_xlsx_writes_typed_text_as_plain_text_cells(advisor_client, evil):
    response = advisor_client.get(reverse("history-reports:costs-xlsx"), {"months": "3"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Costs by month"]
    assert_plain_xlsx(sheet["A5"], evil["key"])
    assert_plain_xlsx(sheet["B5"], evil["label"])
    june = sheet["E5"]  # April, May, June
    assert june.value == 10.0 and june.data_type == "n"


def test_the_costs_xlsx_keeps_negative_amounts_as_numbers(org, evil):
    content = costs.costs_xlsx(credited(org, evil))

    sheet = openpyxl.load_workbook(io.BytesIO(content))["Costs by month"]
    assert_plain_xlsx(sheet["B5"], evil["label"])
    for june in (sheet["E5"], sheet["E6"], sheet["F5"]):  # the cell, its month and vehicle totals
        assert june.data_type == "n"
    assert sheet["E5"].value == -12.5


# --- vehicle history --------------------------------------------------------------------


def test_the_history_xlsx_writes_typed_text_as_plain_text_cells(advisor_client, evil):
    url = reverse("history-reports:vehicle-xlsx", args=[evil["vehicle"].pk])
    book = openpyxl.load_workbook(io.BytesIO(advisor_client.get(url).content))

    facts = {r[0].value: r[1] for r in book["Vehicle"].iter_rows(min_row=4)}
    assert_plain_xlsx(facts["Vehicle"], evil["label"])
    assert_plain_xlsx(facts["Key"], evil["key"])

    def column(sheet: str, title: str) -> list:
        rows = list(book[sheet].iter_rows())
        col = [c.value for c in rows[0]].index(title)
        return [r[col] for r in rows[1:] if r[col].value is not None]

    [note] = [c for c in column("Readings", "Note") if c.value != "Bought"]
    assert_plain_xlsx(note, evil["note"])
    [task] = column("Service tasks", "Task")
    assert_plain_xlsx(task, evil["description"])
    [cost] = column("Service tasks", "Cost")
    assert cost.value == 10.0 and cost.data_type == "n"
    [servicer] = column("Service orders", "Servicer")
    assert_plain_xlsx(servicer, evil["servicer"])
    [provider] = column("Contracts", "Provider")
    assert_plain_xlsx(provider, evil["provider"])
    for sheet in book.worksheets:
        assert not sheet._hyperlinks
        formulas = [c.value for r in sheet.iter_rows() for c in r if c.data_type == "f"]
        if sheet.title == "Costs":  # the report's own totals
            assert formulas == ["=SUM(B2:B3)", "=SUM(C2:C3)", "=SUM(D2:D3)"]
        else:
            assert formulas == []
