"""A service advisor's day with vehicles, walked in a real browser.

Each htmx step is checked to stay on the same document: a marker set on
``window`` before the action must still be there after it.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def _dots(page: Page):
    return page.locator("#meters svg.chart circle.dot")


def test_advisor_creates_a_vehicle_and_records_readings(page: Page, live_server, advisor, org):
    login(page, live_server, "bob")

    # 1. Vehicles → New vehicle → the form → the vehicle's page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vehicles").click()
    expect(page.get_by_role("heading", name="Vehicles", level=1)).to_be_visible()
    page.get_by_role("link", name="New vehicle").click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/new/")
    page.get_by_label("Label").fill("Sprinter 7")
    page.get_by_label("Make").fill("Mercedes-Benz")
    page.get_by_label(re.compile(r"^Model\b")).fill("Sprinter")
    page.get_by_label("Distance unit").select_option("km")
    page.get_by_role("button", name="Create vehicle").click()

    expect(page.get_by_role("heading", name="Sprinter 7", level=1)).to_be_visible()
    vehicle = Vehicle.objects.get(org=org, label="Sprinter 7")
    assert (vehicle.make, vehicle.model, vehicle.distance_unit) == (
        "Mercedes-Benz",
        "Sprinter",
        "km",
    )
    expect(page).to_have_url(f"{live_server.url}/vehicles/{vehicle.pk}/")
    expect(
        page.get_by_role("status").filter(has_text="Vehicle Sprinter 7 created.")
    ).to_be_visible()
    expect(page.locator("#current-odometer")).to_have_text("—")
    expect(_dots(page)).to_have_count(0)

    # 2. Readings are added in place: the odometer and the chart follow.
    _mark_document(page)
    two_days_ago = datetime.now(ZoneInfo(org.time_zone)) - timedelta(days=2)
    page.get_by_role("spinbutton", name="Odometer").fill("12000")
    page.get_by_label("Taken at").fill(two_days_ago.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#current-odometer")).to_have_text("12,000 km")
    expect(_dots(page)).to_have_count(1)

    page.get_by_role("spinbutton", name="Odometer").fill("12350")
    page.get_by_label("Note").fill("Tyres checked")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#current-odometer")).to_have_text("12,350 km")
    expect(_dots(page)).to_have_count(2)
    dot_titles = _dots(page).locator("title").all_text_contents()
    assert any("12,350 km" in title for title in dot_titles), dot_titles
    expect(page.get_by_role("status").filter(has_text="Reading saved.")).to_be_visible()
    expect(page.locator("#readings tbody tr")).to_have_count(2)
    expect(page.locator("#readings tbody")).to_contain_text("Tyres checked")
    # The form was reset for the next reading.
    expect(page.get_by_role("spinbutton", name="Odometer")).to_have_value("")
    _assert_same_document(page)
    assert list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at")
        .values_list("odometer", flat=True)
    ) == [12000, 12350]
    screenshot(page, "vehicle-after-reading")

    # 3. A lower odometer is refused next to the field and nothing is stored.
    page.get_by_role("spinbutton", name="Odometer").fill("11000")
    page.get_by_role("button", name="Save reading").click()
    odometer_field = page.locator(".field", has=page.locator("#id_odometer"))
    expect(odometer_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(odometer_field.get_by_role("alert")).to_contain_text(
        "The odometer cannot go down: the previous reading was 12,350 km"
    )
    expect(page.get_by_role("spinbutton", name="Odometer")).to_have_value("11000")
    expect(page.locator("#current-odometer")).to_have_text("12,350 km")
    expect(_dots(page)).to_have_count(2)
    _assert_same_document(page)
    assert Reading.objects.filter(vehicle=vehicle).count() == 2
    vehicle.refresh_from_db()
    assert vehicle.odometer == 12350
    screenshot(page, "vehicle-lower-reading-refused")


def test_vehicle_list_filters_in_place(page: Page, live_server, advisor, org, vehicle):
    vehicles.vehicle_create(org=org, label="Truck 9", vehicle_key="TRK-9", make="Volvo")
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)

    _mark_document(page)
    page.get_by_role("searchbox", name="Search vehicles").fill("truck")
    expect(page).to_have_url(re.compile(r"/vehicles/\?(.*&)?q=truck(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Truck 9")
    expect(page.locator("#results")).not_to_contain_text("Van 1")
    _assert_same_document(page)
    screenshot(page, "vehicle-list-filtered")

    # The pushed URL is a real page: reloading it shows the same filter.
    page.reload()
    expect(page.get_by_role("searchbox", name="Search vehicles")).to_have_value("truck")
    expect(rows).to_have_count(1)

    page.get_by_role("searchbox", name="Search vehicles").fill("nothing like this")
    expect(page.locator("#results")).to_contain_text("No vehicles match these filters.")


def test_viewer_cannot_create_vehicles(page: Page, live_server, viewer, vehicle):
    login(page, live_server, "victor")
    page.goto(f"{live_server.url}/vehicles/")
    expect(page.locator("#results")).to_contain_text("Van 1")
    expect(page.get_by_role("link", name="New vehicle")).to_have_count(0)

    response = page.goto(f"{live_server.url}/vehicles/new/")
    assert response is not None
    assert response.status == 403

    page.goto(f"{live_server.url}/vehicles/{vehicle.pk}/")
    expect(page.get_by_role("heading", name="Van 1", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Save reading")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)


def test_vehicle_form_shows_errors_next_to_the_field(page: Page, live_server, advisor, org):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/new/")
    _mark_document(page)
    page.get_by_label("Label").fill("Crafter 3")
    page.get_by_label("VIN").fill("WVWZZZ1JZ3W38652I")  # 17 characters, one of them an I
    page.get_by_role("button", name="Create vehicle").click()

    vin_field = page.locator(".field", has=page.locator("#id_vin"))
    expect(vin_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(vin_field.get_by_role("alert")).to_contain_text("without I, O or Q")
    # What was typed is kept, and the rest of the form has no errors.
    expect(page.get_by_label("Label")).to_have_value("Crafter 3")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/vehicles/new/")
    _assert_same_document(page)
    assert not Vehicle.objects.filter(org=org).exists()
    screenshot(page, "vehicle-form-errors")

    # A missing label is caught by the form itself, next to the label.
    page.get_by_label("Label").fill("")
    page.get_by_label("VIN").fill("")
    page.get_by_role("button", name="Create vehicle").click()
    label_field = page.locator(".field", has=page.locator("#id_label"))
    expect(label_field.get_by_role("alert")).to_be_visible()
    expect(page.locator(".field.has-error")).to_have_count(1)
    _assert_same_document(page)
    assert not Vehicle.objects.filter(org=org).exists()
