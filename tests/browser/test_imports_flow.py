"""An advisor brings a fleet in from files: vehicles, then readings, then past services.

Each import goes through its pages as a person uses them: upload, check the guessed
columns, preview, import, read the counts. The import job runs in-process in the
tests (``Q_CLUSTER["sync"]``), so the page polls to the finished counts at once.
"""

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from playwright.sync_api import Locator, Page, expect

from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

VEHICLE_ROWS = [
    ["Key", "Name", "Plate", "Make", "Model", "Year"],
    ["VAN-1", "Sprinter 1", "B-FM 101", "Mercedes-Benz", "Sprinter 316 CDI", 2021],
    ["VAN-2", "Transit 2", "B-FM 102", "Ford", "Transit Custom 2.0 EcoBlue", 2022],
    ["VAN-3", "Crafter 3", "B-FM 103", "Volkswagen", "Crafter 35", 1850],
    ["TRK-4", "Actros 4", "B-FM 104", "Mercedes-Benz", "Actros 1845", 2019],
]

# As Excel writes a CSV in much of Europe: a byte-order mark, semicolons, spaces in
# thousands, and a date cell that lost its format and shows its day number (47178 is
# 1 March 2029). "Date" is no field's name, so the advisor picks it.
READINGS_CSV = (
    "\ufeffVehicle;Date;Odometer;Note\r\n"
    "VAN-1;47178;18 250;bought used\r\n"
    "VAN-1;01.03.2030;24 900;\r\n"
    "VAN-2;15.01.2030;31 000;\r\n"
    "TRK-4;02.05.2030;120 400;after the winter\r\n"
).encode()

SERVICES_CSV = (
    b"vehicle;date;description;mileage;cost;shop\r\n"
    b"VAN-1;12.03.2030;Oil and filter change;25 100;189,90;Autohaus Nord\r\n"
    b"VAN-2;20.01.2030;Front brake pads;31 200;340,00;Bremsen Schmidt\r\n"
)


PHONE = {"width": 320, "height": 800}


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _upload(page: Page, live_server, kind: str, path: Path) -> None:
    """From the index to the mapping page of a freshly uploaded file."""
    page.goto(f"{live_server.url}/imports/")
    page.get_by_role("link", name=f"Import {kind}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Import {kind}")).to_be_visible()
    page.set_input_files("input[type=file][name=file]", str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("button", name=re.compile(r"^Check (all|the first) "))).to_be_visible()


def _chosen(page: Page, field: str) -> Locator:
    return page.locator(f"select[name={field}]")


def _preview_rows(page: Page) -> Locator:
    return page.locator("#preview tbody tr")


def _import(page: Page, rows: int) -> Locator:
    """Imports the mapped file; its counts, once the job has run."""
    page.get_by_role("button", name=f"Import {rows} rows").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text("imported.")
    return status


def _no_sideways_scroll(page: Page) -> None:
    wide, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} scrolls sideways: {wide} px wide in a {window} px window"


def _within_window(locator: Locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    window = locator.page.evaluate("window.innerWidth")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= window + 0.5, (
        f"{locator} is not within the {window} px window: {box}"
    )


def test_an_advisor_imports_vehicles_readings_and_services(
    page: Page, live_server, advisor, org, clock, tmp_path
):
    vehicles_xlsx = _file(tmp_path, "fleet.xlsx", _workbook(VEHICLE_ROWS))
    login(page, live_server, "bob")

    # 1. Vehicles from a workbook: the columns are guessed from their names.
    _upload(page, live_server, "vehicles", vehicles_xlsx)
    expect(page.locator("main")).to_contain_text("fleet.xlsx: 4 rows")
    for field, column in {
        "vehicle_key": "Key",
        "label": "Name",
        "plate": "Plate",
        "make": "Make",
        "model": "Model",
        "year": "Year",
        "vin": "",
        "distance_unit": "",
    }.items():
        expect(_chosen(page, field)).to_have_value(column)
    screenshot(page, "imports-vehicles-map")

    page.get_by_role("button", name=re.compile(r"^Check (all|the first) ")).click()
    rows = _preview_rows(page)
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("ok")
    expect(rows.nth(2)).to_contain_text("VAN-3")
    expect(rows.nth(2)).to_contain_text("refused")
    expect(rows.nth(2)).to_contain_text("The year must be between")
    expect(rows.nth(3)).to_contain_text("ok")
    expect(page.locator("#preview-summary")).to_contain_text(
        "All 4 rows checked: 3 would be stored, 0 already stored (skipped), 1 refused."
    )
    # The preview kept the mapping it was asked about.
    expect(_chosen(page, "vehicle_key")).to_have_value("Key")
    screenshot(page, "imports-vehicles-preview")
    assert not Vehicle.objects.filter(org=org).exists()  # a preview stores nothing

    status = _import(page, 4)
    expect(status).to_contain_text("3 stored, 0 already stored (skipped), 1 refused.")
    expect(status.locator("table")).to_contain_text("The year must be between")
    refused_link = page.get_by_role("link", name="Download the refused rows (CSV)")
    expect(refused_link).to_be_visible()
    screenshot(page, "imports-vehicles-done")
    with page.expect_download() as download_info:
        refused_link.click()
    refused = download_info.value.path().read_text(encoding="utf-8-sig")
    refused_rows = list(csv.reader(io.StringIO(refused)))
    assert any("VAN-3" in row and "1850" in row for row in refused_rows), refused_rows

    page.get_by_role("link", name="Back to the vehicles").click()
    for name in ("Sprinter 1", "Transit 2", "Actros 4"):
        expect(page.locator("main")).to_contain_text(name)
    expect(page.locator("main")).not_to_contain_text("Crafter 3")
    screenshot(page, "imports-vehicles-list")

    # 2. Readings from a semicolon CSV with a byte-order mark and an Excel day number.
    readings_csv = _file(tmp_path, "readings.csv", READINGS_CSV)
    _upload(page, live_server, "readings", readings_csv)
    expect(_chosen(page, "vehicle_key")).to_have_value("Vehicle")  # the BOM is no part of it
    expect(_chosen(page, "odometer")).to_have_value("Odometer")
    expect(_chosen(page, "note")).to_have_value("Note")
    expect(_chosen(page, "taken_at")).to_have_value("")
    _chosen(page, "taken_at").select_option("Date")
    page.get_by_role("button", name=re.compile(r"^Check (all|the first) ")).click()
    rows = _preview_rows(page)
    expect(rows).to_have_count(4)
    for number in range(4):
        expect(rows.nth(number).locator("td").last).to_have_text("ok")
    status = _import(page, 4)
    expect(status).to_contain_text("4 stored, 0 already stored (skipped), 0 refused.")
    expect(page.get_by_role("link", name="Download the refused rows (CSV)")).to_have_count(0)
    screenshot(page, "imports-readings-done")
    van_1 = Vehicle.objects.get(org=org, vehicle_key="VAN-1")
    first = van_1.readings.order_by("recorded_at").first()
    assert first.recorded_at == datetime(2029, 3, 1, tzinfo=ZoneInfo(org.time_zone))
    assert first.odometer == 18_250

    # The same file again: the last mapping comes back, and nothing would be stored twice.
    _upload(page, live_server, "readings", readings_csv)
    expect(_chosen(page, "taken_at")).to_have_value("Date")
    page.get_by_role("button", name=re.compile(r"^Check (all|the first) ")).click()
    rows = _preview_rows(page)
    expect(rows).to_have_count(4)
    for number in range(4):
        expect(rows.nth(number)).to_contain_text("already stored: skipped")
    screenshot(page, "imports-readings-again-preview")

    # 3. Past service records, every column named as the import reads it.
    services_csv = _file(tmp_path, "services.csv", SERVICES_CSV)
    _upload(page, live_server, "service records", services_csv)
    for field, column in {
        "vehicle_key": "vehicle",
        "done_at": "date",
        "service": "description",
        "odometer": "mileage",
        "cost": "cost",
        "servicer": "shop",
    }.items():
        expect(_chosen(page, field)).to_have_value(column)
    status = _import(page, 2)
    expect(status).to_contain_text("2 stored, 0 already stored (skipped), 0 refused.")
    screenshot(page, "imports-services-done")

    page.goto(f"{live_server.url}/vehicles/{van_1.pk}/history/")
    history = page.locator("#history")
    expect(history).to_contain_text("Oil and filter change")
    expect(history).to_contain_text("by Autohaus Nord")
    expect(history).to_contain_text("189.90")
    expect(history).not_to_contain_text("Front brake pads")  # Transit 2's, not this van's
    screenshot(page, "imports-services-history")

    # 4. On a 320 px phone: the wide preview scrolls inside its card, not the page.
    page.set_viewport_size(PHONE)
    _upload(page, live_server, "vehicles", vehicles_xlsx)
    _within_window(_chosen(page, "distance_unit"))
    _within_window(page.get_by_role("button", name="Import 4 rows"))
    screenshot(page, "imports-vehicles-map-320")
    _no_sideways_scroll(page)
    page.get_by_role("button", name=re.compile(r"^Check (all|the first) ")).click()
    rows = _preview_rows(page)
    expect(rows.nth(0)).to_contain_text("already stored: skipped")
    expect(rows.nth(2)).to_contain_text("The year must be between")
    screenshot(page, "imports-vehicles-preview-320")
    _no_sideways_scroll(page)
    box = page.locator("#preview .table-scroll")
    inner, outer = box.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert inner > outer, "the preview is expected to be wider than a phone"
    box.scroll_into_view_if_needed()
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    _within_window(box.locator("thead th").last)
    screenshot(page, "imports-vehicles-preview-320-scrolled")


def test_the_imports_index_fits_a_320_px_phone(page: Page, live_server, advisor):
    login(page, live_server, "bob")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/imports/")
    for kind in ("vehicles", "readings", "service records"):
        _within_window(page.get_by_role("link", name=f"Import {kind}", exact=True))
        _within_window(page.get_by_role("link", name=f"Export {kind} (CSV)"))
    screenshot(page, "imports-index-320")
    _no_sideways_scroll(page)
