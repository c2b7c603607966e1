"""The vehicle history report: one vehicle's whole story as PDF and XLSX."""

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import OrderStatus
from fleetmaint.reports import history
from fleetmaint.vehicles import services as vehicles
from tests.reports.history_support import (
    NOW,
    done_task,
    garage,
    open_task,
    order,
    pdf_pages,
    pdf_text,
    sheet_rows,
    workbook,
)

pytestmark = pytest.mark.usefixtures("clock")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = [
    "Vehicle",
    "Readings",
    "Service intervals",
    "Service tasks",
    "Service orders",
    "Order items",
    "Order timeline",
    "Found issues",
    "Contracts",
    "Costs",
]


@pytest.fixture
def van(vehicle, clock):
    """Van 1 with two readings, its preset schedule, a service plan, orders and tasks.

    Costs: April 260.50 (tires and brakes), May 45.50 (brake fluid task),
    June 40.00 (the oil change is covered by the service plan).
    """
    clock.move_to(datetime(2030, 3, 1, 10, 0, tzinfo=UTC))
    vehicles.reading_record(vehicle=vehicle, odometer=9_000, note="Bought")
    clock.move_to(datetime(2030, 6, 14, 10, 0, tzinfo=UTC))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    intervals.presets_ensure(vehicle.org)
    intervals.intervals_generate(org=vehicle.org, vehicles=[vehicle])
    contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            **{
                "contract_type": "service_plan",
                "number": "SP-1",
                "provider": "Ford Credit",
                "start_date": "2030-01-01",
                "end_date": "2031-12-31",
                "covered_services": ["oil-change"],
            }
        ),
    )
    shop = garage(vehicle.org)
    order(
        clock, vehicle, shop, "tire-rotation", "brake-pads", on=datetime(2030, 4, 10, 9, tzinfo=UTC)
    )
    done_task(clock, vehicle, "Brake fluid", "45.50", on=datetime(2030, 5, 20, 9, tzinfo=UTC))
    oil = ServiceInterval.objects.get(vehicle=vehicle, name="Oil Change", serviced_at=None)
    order(
        clock,
        vehicle,
        shop,
        "oil-change",
        "tire-rotation",
        on=datetime(2030, 6, 12, 9, tzinfo=UTC),
        intervals=[oil],
    )
    order(clock, vehicle, shop, "brake-pads", on=NOW, status=OrderStatus.PENDING)
    order(clock, vehicle, shop, "brake-pads", on=NOW, status=OrderStatus.CANCELED)
    open_task(vehicle, "Replace wipers", "12.00")
    vehicle.refresh_from_db()
    return vehicle


def pdf_url(vehicle) -> str:
    return reverse("history-reports:vehicle-pdf", args=[vehicle.pk])


def xlsx_url(vehicle) -> str:
    return reverse("history-reports:vehicle-xlsx", args=[vehicle.pk])


def test_costs_per_month_are_completed_orders_payable_plus_done_tasks(van):
    report = history.vehicle_history(van)
    assert [(f"{m:%Y-%m}", c.orders, c.tasks, c.total) for m, c in report.costs] == [
        ("2030-04", Decimal("260.50"), Decimal("0.00"), Decimal("260.50")),
        ("2030-05", Decimal("0.00"), Decimal("45.50"), Decimal("45.50")),
        ("2030-06", Decimal("40.00"), Decimal("0.00"), Decimal("40.00")),
    ]
    assert report.costs_total.total == Decimal("346.00")


def test_the_pdf_tells_the_whole_story(advisor_client, van):
    response = advisor_client.get(pdf_url(van))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="vehicle-history-van-1-2030-06-15.pdf"'
    )
    text = pdf_text(response)
    assert "Vehicle history — Van 1" in text
    assert "Acme Logistics" in text
    assert "generated 2030-06-15 12:00 (Europe/Berlin)" in text
    for title in [
        "Readings (2)",
        "Service intervals",
        "Service tasks (2)",
        "Service orders (4)",
        "Order items",
        "Order timeline",
        "Contracts (1)",
        "Costs by month (3)",
    ]:
        assert title in text
    assert "10,000" in text and "9,000" in text
    assert "Brake fluid" in text and "Replace wipers" in text
    assert "Serviced" in text  # the oil change interval
    assert "SP-1" in text and "Ford Credit" in text
    assert "Tire rotation" in text and "Order placed" in text
    assert "260.50 EUR" in text and "346.00 EUR" in text
    assert f"Page 1 of {pdf_pages(response)}" in text


def test_the_pdf_repeats_table_headers_on_every_page(advisor_client, vehicle, clock):
    clock.move_to(datetime(2030, 1, 1, 8, tzinfo=UTC))
    for day in range(120):
        clock.shift(timedelta(days=1))
        vehicles.reading_record(vehicle=vehicle, odometer=1_000 + day * 10)
    clock.move_to(NOW)

    response = advisor_client.get(pdf_url(vehicle))

    pages = pdf_pages(response)
    assert pages >= 3
    text = pdf_text(response)
    assert text.count("Recorded at") >= pages - 1
    assert f"Page {pages} of {pages}" in text


def test_the_xlsx_has_a_typed_sheet_per_section(advisor_client, van):
    response = advisor_client.get(xlsx_url(van))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="vehicle-history-van-1-2030-06-15.xlsx"'
    )
    book = workbook(response)
    assert book.sheetnames == SHEETS

    readings = book["Readings"]
    assert readings.freeze_panes == "A2"
    assert readings.auto_filter.ref == "A1:F3"
    rows = sheet_rows(readings)
    assert rows[0][:3] == ("Recorded at", "Odometer (km)", "Engine hours")
    # Shown in Berlin time: CET in March, CEST in June.
    assert rows[1][:2] == (datetime(2030, 3, 1, 11, 0), 9_000)
    assert rows[2][:2] == (datetime(2030, 6, 14, 12, 0), 10_000)
    assert readings["A2"].number_format == "yyyy-mm-dd hh:mm"

    tasks = {row[0]: row for row in sheet_rows(book["Service tasks"])[1:]}
    assert tasks["Brake fluid"][1] == "Done"
    assert tasks["Brake fluid"][6] == datetime(2030, 5, 20)
    assert tasks["Brake fluid"][8] == 45.5
    assert tasks["Replace wipers"][1] == "Planned"
    assert isinstance(tasks["Replace wipers"][2], int | float)
    cost_cell = book["Service tasks"]["I2"]
    assert "EUR" in cost_cell.number_format

    orders = sheet_rows(book["Service orders"])[1:]
    assert [(r[4], r[6], r[7], r[8]) for r in orders] == [
        ("Completed", 260.5, 0, 260.5),
        ("Completed", 129, 89, 40),
        ("Pending", 220.5, 0, 220.5),
        ("Canceled", 220.5, 0, 220.5),
    ]
    items = sheet_rows(book["Order items"])[1:]
    assert ("oil-change", "SP-1") in [(r[1], r[7]) for r in items]
    events = [r[2] for r in sheet_rows(book["Order timeline"])[1:]]
    assert events.count("Completed") == 2 and "Order placed" in events

    intervals_rows = sheet_rows(book["Service intervals"])[1:]
    oil = [r for r in intervals_rows if r[0] == "Oil Change"]
    assert sorted(r[1] for r in oil) == ["Open", "Serviced"]
    assert [r[0] for r in sheet_rows(book["Contracts"])[1:]] == ["SP-1"]

    vehicle_sheet = dict((r[0], r[1]) for r in sheet_rows(book["Vehicle"])[3:])
    assert vehicle_sheet["Key"] == "VAN-1"
    assert vehicle_sheet["Organization"] == "Acme Logistics"


def test_the_costs_sheet_has_months_totals_and_a_column_chart(advisor_client, van):
    response = advisor_client.get(xlsx_url(van))

    values = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)["Costs"]
    assert sheet_rows(values) == [
        ("Month", "Orders", "Tasks", "Total"),
        (datetime(2030, 4, 1), 260.5, 0, 260.5),
        (datetime(2030, 5, 1), 0, 45.5, 45.5),
        (datetime(2030, 6, 1), 40, 0, 40),
        ("Total", 300.5, 45.5, 346),
    ]
    formulas = workbook(response)["Costs"]
    assert formulas["D5"].value == "=SUM(D2:D4)"
    assert "EUR" in formulas["B2"].number_format
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and '<c:barDir val="col"/>' in chart
    assert "Costs" in chart


def test_a_vehicle_without_history_still_gets_valid_files(advisor_client, vehicle):
    pdf = advisor_client.get(pdf_url(vehicle))
    text = pdf_text(pdf)
    assert "No readings recorded." in text
    assert "No service orders." in text
    assert "No costs yet" in text

    book = workbook(advisor_client.get(xlsx_url(vehicle)))
    assert book.sheetnames == SHEETS
    assert sheet_rows(book["Costs"])[0] == ("Month", "Orders", "Tasks", "Total")
    assert sheet_rows(book["Readings"])[1][0] == "No readings recorded."


def test_a_viewer_may_download(viewer_client, van):
    assert viewer_client.get(pdf_url(van)).status_code == 200
    assert viewer_client.get(xlsx_url(van)).status_code == 200


def test_it_checks_ownership(outsider_client, van):
    assert outsider_client.get(pdf_url(van)).status_code == 404
    assert outsider_client.get(xlsx_url(van)).status_code == 404


def test_it_asks_strangers_to_sign_in(client, vehicle):
    response = client.get(pdf_url(vehicle))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_vehicle_page_links_to_the_reports(advisor_client, viewer_client, vehicle):
    for who in (advisor_client, viewer_client):
        page = who.get(reverse("vehicles:detail", args=[vehicle.pk])).content.decode()
        assert "History report:" in page
        assert f'href="{pdf_url(vehicle)}"' in page
        assert f'href="{xlsx_url(vehicle)}"' in page


def test_the_api_returns_the_files(api, other_api, van):
    url = f"/api/v1/vehicles/{van.pk}/history"

    pdf = api.get(url, {"format": "pdf"})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "Vehicle history — Van 1" in pdf_text(pdf)

    xlsx = api.get(url, {"format": "xlsx"})
    assert xlsx["Content-Type"] == XLSX
    assert "attachment" in xlsx["Content-Disposition"]
    assert workbook(xlsx).sheetnames == SHEETS

    assert api.get(url).status_code == 200  # PDF by default
    assert api.get(url, {"format": "doc"}).json()["code"] == "invalid"
    assert other_api.get(url).status_code == 404
    assert api.get("/api/v1/vehicles/999999/history").status_code == 404


def test_the_report_reads_a_fixed_number_of_queries(van, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        history.vehicle_history(van)


def test_the_api_documents_the_downloads(api):
    schema = api.get("/api/v1/openapi.json").json()
    answer = schema["paths"]["/api/v1/vehicles/{vehicle_id}/history"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {"application/pdf", XLSX}
