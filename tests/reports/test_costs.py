"""Maintenance costs by vehicle and month, fleet-wide, as XLSX and CSV."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.orders.models import OrderItem, OrderStatus, ServiceOrder
from fleetmaint.reports import costs
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from tests.reports.history_support import NOW, done_task, garage, order, sheet_rows, workbook

pytestmark = pytest.mark.usefixtures("clock")

XLSX_URL = reverse("history-reports:costs-xlsx")
CSV_URL = reverse("history-reports:costs-csv")


@pytest.fixture
def fleet(org, other_org, vehicle, clock):
    """Van 1 and Truck 2 with costs, an idle Bus 3, an archived car, and another fleet's van.

    Van 1: April 260.50 (order), May 45.50 (task), and an order 13 months ago (outside).
    Truck 2: an 89.00 order completed 30 April 22:30 UTC, already 1 May in Berlin.
    """
    shop = garage(org)
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    truck = vehicles.vehicle_create(org=org, label="Truck 2", vehicle_key="TRK-2")
    vehicles.vehicle_create(org=org, label="Bus 3", vehicle_key="BUS-3")
    car = vehicles.vehicle_create(org=org, label="Old car", vehicle_key="CAR-0")
    vehicles.vehicle_set_archived(vehicle=car, archived=True)

    order(clock, vehicle, shop, "tire-rotation", "brake-pads", on=datetime(2030, 4, 10, tzinfo=UTC))
    order(clock, vehicle, shop, "brake-pads", on=datetime(2029, 5, 20, tzinfo=UTC))
    order(clock, vehicle, shop, "oil-change", on=NOW, status=OrderStatus.IN_PROGRESS)
    done_task(clock, vehicle, "Brake fluid", "45.50", on=datetime(2030, 5, 20, tzinfo=UTC))
    order(clock, truck, shop, "oil-change", on=datetime(2030, 4, 30, 22, 30, tzinfo=UTC))

    stranger = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="VAN-1")
    other_shop = garage(other_org)
    order(clock, stranger, other_shop, "brake-pads", on=datetime(2030, 5, 2, tzinfo=UTC))
    return {"van": vehicle, "truck": truck}


def test_costs_are_grouped_by_vehicle_and_month_in_the_fleets_time_zone(org, fleet):
    report = costs.cost_report(org, months=12)

    assert len(report.months) == 12
    assert (f"{report.months[0]:%Y-%m}", f"{report.months[-1]:%Y-%m}") == ("2029-07", "2030-06")
    assert [v.label for v in report.vehicles] == ["Bus 3", "Truck 2", "Van 1"]
    van, truck = fleet["van"], fleet["truck"]
    april, may = report.months[9], report.months[10]
    assert report.cell(van, april).orders == Decimal("260.50")
    assert report.cell(van, may).tasks == Decimal("45.50")
    assert report.cell(truck, may).orders == Decimal("89.00")
    assert report.cell(truck, april).total == 0
    assert report.vehicle_total(van).total == Decimal("306.00")
    assert report.month_total(may).total == Decimal("134.50")
    assert report.grand_total.total == Decimal("395.00")


def test_the_xlsx_is_a_vehicle_by_month_matrix_with_totals(advisor_client, fleet):
    response = advisor_client.get(XLSX_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="maintenance-costs-acme-logistics-2029-07_2030-06.xlsx"'
    )
    sheet = workbook(response).active
    rows = sheet_rows(sheet)
    header = rows[3]
    assert header[:3] == ("Vehicle key", "Vehicle", datetime(2029, 7, 1))
    assert header[-2:] == (datetime(2030, 6, 1), "Total")
    body = {row[0]: row[2:] for row in rows[4:]}
    assert list(body) == ["BUS-3", "TRK-2", "VAN-1", "Total"]
    assert body["BUS-3"] == (0,) * 13
    assert body["VAN-1"][9:] == (260.5, 45.5, 0, 306)
    assert body["TRK-2"][9:] == (0, 89, 0, 89)
    assert body["Total"][9:] == (260.5, 134.5, 0, 395)
    assert "EUR" in sheet["C5"].number_format
    assert sheet.freeze_panes == "C5"
    assert sheet.auto_filter.ref == "A4:O7"


def test_the_csv_writes_a_formula_like_label_as_plain_text(advisor_client, fleet, vehicle):
    vehicle.label = '=HYPERLINK("http://evil.example","x")'
    vehicle.save()

    response = advisor_client.get(CSV_URL, {"months": "3"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    labels = {r["vehicle"] for r in rows if r["vehicle_key"] == "VAN-1"}
    assert labels == {'\'=HYPERLINK("http://evil.example","x")'}
    assert {r["vehicle"] for r in rows if r["vehicle_key"] == "TRK-2"} == {"Truck 2"}


def test_the_csv_has_one_row_per_vehicle_and_month(advisor_client, fleet):
    response = advisor_client.get(CSV_URL, {"months": "3"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="maintenance-costs-acme-logistics-2030-04_2030-06.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == costs.CSV_COLUMNS
    assert len(rows) == 3 * 3
    by_key = {(r["vehicle_key"], r["month"]): r for r in rows}
    assert by_key[("VAN-1", "2030-04")] == {
        "vehicle_key": "VAN-1",
        "vehicle": "Van 1",
        "month": "2030-04",
        "orders_cost": "260.50",
        "tasks_cost": "0.00",
        "total": "260.50",
    }
    assert by_key[("VAN-1", "2030-05")]["tasks_cost"] == "45.50"
    assert by_key[("TRK-2", "2030-05")]["orders_cost"] == "89.00"
    assert sum(Decimal(r["total"]) for r in rows) == Decimal("395.00")


def test_months_reach_back_up_to_three_years(advisor_client, fleet):
    rows = list(csv.DictReader(io.StringIO(advisor_client.get(CSV_URL, {"months": 36}).text)))
    assert len({r["month"] for r in rows}) == 36
    assert Decimal(
        next(r for r in rows if (r["vehicle_key"], r["month"]) == ("VAN-1", "2029-05"))["total"]
    ) == Decimal("220.50")
    for bad in ("0", "37", "twelve"):
        assert advisor_client.get(CSV_URL, {"months": bad}).status_code == 400


def test_other_fleets_costs_stay_out(outsider_client, fleet):
    rows = list(csv.DictReader(io.StringIO(outsider_client.get(CSV_URL).text)))
    assert {r["vehicle"] for r in rows} == {"Their van"}
    assert sum(Decimal(r["total"]) for r in rows) == Decimal("220.50")


def test_a_viewer_may_download(viewer_client, fleet):
    assert viewer_client.get(XLSX_URL).status_code == 200
    assert viewer_client.get(CSV_URL).status_code == 200


def test_a_fleet_without_costs_still_gets_valid_files(advisor_client, org):
    book = openpyxl.load_workbook(io.BytesIO(advisor_client.get(XLSX_URL).content))
    rows = sheet_rows(book.active)
    assert rows[3][0] == "Vehicle key"
    assert rows[4][:2] == ("Total", None)
    assert advisor_client.get(CSV_URL).text.strip() == ",".join(costs.CSV_COLUMNS)


def _spend(org, count: int, *, start: int = 0) -> None:
    """``count`` vehicles, each with a completed order and a done task this month."""
    shop = garage(org) if not org.servicers.exists() else org.servicers.first()
    for n in range(start, start + count):
        car = vehicles.vehicle_create(org=org, label=f"Car {n:02}", vehicle_key=f"C-{n:02}")
        done = ServiceOrder.objects.create(
            org=org,
            vehicle=car,
            servicer=shop,
            service_type="scheduled_maintenance",
            status=OrderStatus.COMPLETED,
            completed_at=NOW,
        )
        OrderItem.objects.create(order=done, code="x", name="X", unit_price=10, total=10)
        ServiceTask.objects.create(
            org=org,
            vehicle=car,
            description="Y",
            cost=5,
            date_end=NOW,
            start_date=NOW,
            status=Status.DONE,
            completion_date=NOW,
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_fleet(advisor_client, org):
    _spend(org, 3)
    small = (_queries(advisor_client, XLSX_URL), _queries(advisor_client, CSV_URL))
    _spend(org, 27, start=3)
    large = (_queries(advisor_client, XLSX_URL), _queries(advisor_client, CSV_URL))
    assert small == large
    rows = list(csv.DictReader(io.StringIO(advisor_client.get(CSV_URL).text)))
    assert sum(Decimal(r["total"]) for r in rows) == Decimal("450.00")


def test_the_api_returns_the_files(api, other_api, fleet):
    xlsx = api.get("/api/v1/reports/costs", {"format": "xlsx", "months": 12})
    assert xlsx.status_code == 200
    assert "attachment" in xlsx["Content-Disposition"]
    assert sheet_rows(workbook(xlsx).active)[-1][-1] == 395

    rows = list(csv.DictReader(io.StringIO(api.get("/api/v1/reports/costs?format=csv").text)))
    assert len(rows) == 3 * 12
    assert api.get("/api/v1/reports/costs", {"months": 37}).json()["field"] == "months"
    assert api.get("/api/v1/reports/costs", {"format": "pdf"}).status_code == 400
    other = list(
        csv.DictReader(io.StringIO(other_api.get("/api/v1/reports/costs?format=csv").text))
    )
    assert {r["vehicle"] for r in other} == {"Their van"}


# --- month arithmetic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [
        (date(2030, 1, 1), 1, date(2030, 2, 1)),
        (date(2030, 12, 1), 1, date(2031, 1, 1)),
        (date(2030, 1, 1), -1, date(2029, 12, 1)),
        (date(2030, 3, 31), -1, date(2030, 2, 1)),  # any day stands for its month
        (date(2030, 5, 15), -119, date(2020, 6, 1)),
        (date(2030, 5, 1), 0, date(2030, 5, 1)),
    ],
)
def test_add_months_moves_between_first_days_of_months(month, count, expected):
    assert costs.add_months(month, count) == expected


def test_month_range_lists_the_first_days_from_first_to_last():
    assert costs.month_range(date(2029, 11, 20), date(2030, 2, 3)) == [
        date(2029, 11, 1),
        date(2029, 12, 1),
        date(2030, 1, 1),
        date(2030, 2, 1),
    ]
    assert costs.month_range(date(2030, 2, 1), date(2030, 1, 31)) == []
