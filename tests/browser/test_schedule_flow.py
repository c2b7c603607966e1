"""A service advisor keeps a vehicle's maintenance schedule, in a real browser.

Every step on the Schedule tab is an htmx swap: a marker set on ``window``
before the actions must still be there after them.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

BASIS_ERROR = "Give a mileage, a date or both."
REQUIRED_BACKGROUND = "rgb(255, 246, 245)"  # tr.state-required td in app.css


def _mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def _open(vehicle: Vehicle):
    return ServiceInterval.objects.filter(vehicle=vehicle, serviced_at=None)


@pytest.fixture
def used_van(org) -> Vehicle:
    """A van driven 1,000 km over the last month, so it has a usage rate."""
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4", make="Ford")
    now = timezone.now()
    vehicles.reading_record(vehicle=van, odometer=10_000, recorded_at=now - timedelta(days=30))
    vehicles.reading_record(vehicle=van, odometer=11_000, recorded_at=now - timedelta(minutes=1))
    van.refresh_from_db()
    assert van.odometer == 11_000
    assert van.daily_distance
    return van


def test_advisor_keeps_a_vehicles_schedule(page: Page, live_server, advisor, org, used_van):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{used_van.pk}/")
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Schedule"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/{used_van.pk}/schedule/")
    rows = page.locator("#intervals tbody tr.interval-row")
    expect(rows).to_have_count(0)
    expect(page.locator("#intervals")).to_contain_text("No service intervals yet.")
    notice = page.locator("#schedule-notice")
    _mark_document(page)

    # 1. The presets are generated in place.
    page.get_by_role("button", name="Generate preset intervals").click()
    expect(rows).to_have_count(8)
    expect(notice).to_have_text("Generated 8 intervals from the presets.")
    oil = rows.filter(has_text="Oil Change")
    expect(oil).to_have_count(1)
    expect(oil).to_contain_text("at 26,000 km")
    expect(oil).to_contain_text("15,000 km left")
    expect(oil).to_contain_text("expected")
    expect(page.locator("#intervals .badge.danger")).to_have_count(0)
    _assert_same_document(page)
    assert _open(used_van).count() == 8
    screenshot(page, "schedule-after-generate")

    # 2. A mileage the van has already passed is refused, naming the odometer; one at the
    #    odometer is required at once, and stands out.
    add_form = page.locator("form", has=page.get_by_role("button", name="Add interval"))
    add_form.get_by_label("Name").fill("Brake inspection")
    add_form.get_by_label("Due at odometer").fill("10500")
    add_form.get_by_label("Notes").fill("Squeak from the front left")
    add_form.get_by_role("button", name="Add interval").click()
    expect(page.get_by_text("Give 11,000 or more.")).to_be_visible()
    assert _open(used_van).count() == 8
    screenshot(page, "schedule-mileage-below-odometer")
    add_form = page.locator("form", has=page.get_by_role("button", name="Add interval"))
    add_form.get_by_label("Due at odometer").fill("11000")
    add_form.get_by_role("button", name="Add interval").click()
    expect(notice).to_have_text("Added Brake inspection.")
    expect(rows).to_have_count(9)
    brake = _open(used_van).get(name="Brake inspection")
    assert brake.service_at_mileage == 11_000
    brake_row = page.locator(f"#interval-{brake.pk}")
    expect(brake_row).to_have_class(re.compile(r"\bstate-required\b"))
    expect(brake_row.locator(".badge.danger")).to_have_text("required")
    expect(brake_row.get_by_role("progressbar", name="Distance used")).to_have_attribute(
        "aria-valuenow", "100"
    )
    first_cell = brake_row.locator("td").first
    background = first_cell.evaluate("td => getComputedStyle(td).backgroundColor")
    assert background == REQUIRED_BACKGROUND
    # Soonest first: the required interval heads the list.
    expect(rows.first).to_have_id(f"interval-{brake.pk}")
    # The form was reset for the next interval.
    expect(add_form.get_by_label("Name")).to_have_value("")
    _assert_same_document(page)
    screenshot(page, "schedule-required-row")

    # 3. A note through the row's Actions menu.
    brake_row.get_by_text("Actions", exact=True).click()
    brake_row.get_by_role("textbox", name="Add a note").fill("Pads at 3 mm")
    brake_row.get_by_role("button", name="Add note").click()
    expect(notice).to_have_text("Note added to Brake inspection.")
    brake_row.locator("summary", has_text="Notes").click()
    expect(brake_row.locator(".notes")).to_contain_text("Squeak from the front left")
    expect(brake_row.locator(".notes")).to_contain_text("Pads at 3 mm")
    brake.refresh_from_db()
    assert brake.notes == "Squeak from the front left\nPads at 3 mm"
    _assert_same_document(page)

    # 4. A preset's interval marked serviced makes way for the next one.
    first_oil = _open(used_van).get(name="Oil Change")
    oil_row = page.locator(f"#interval-{first_oil.pk}")
    oil_row.get_by_text("Actions", exact=True).click()
    expect(oil_row.get_by_role("spinbutton", name="Odometer")).to_have_value("11000")
    oil_row.get_by_role("button", name="Serviced").click()
    expect(notice).to_have_text("Oil Change marked serviced. The next one is scheduled.")
    expect(oil_row).to_have_count(0)
    expect(rows).to_have_count(9)
    next_oil = _open(used_van).get(name="Oil Change")
    assert next_oil.pk != first_oil.pk
    assert next_oil.service_at_mileage == 26_000
    expect(page.locator(f"#interval-{next_oil.pk}")).to_contain_text("Oil Change")
    first_oil.refresh_from_db()
    assert first_oil.serviced_at is not None
    assert first_oil.serviced_odometer == 11_000
    _assert_same_document(page)

    # 5. Removing one asks first. The last row's menu opens below the table, unclipped.
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    transmission = _open(used_van).get(name="Replace Transmission Fluid")
    last_row = page.locator(f"#interval-{transmission.pk}")
    expect(rows.last).to_have_id(f"interval-{transmission.pk}")
    last_row.get_by_text("Actions", exact=True).click()
    remove = last_row.get_by_role("button", name="Remove")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(remove).to_be_in_viewport()
    remove.click()
    expect(notice).to_have_text("Removed Replace Transmission Fluid.")
    expect(last_row).to_have_count(0)
    expect(rows).to_have_count(8)
    assert dialogs == ["Remove Replace Transmission Fluid? It will stop notifying."]
    assert not ServiceInterval.objects.filter(pk=transmission.pk).exists()
    _assert_same_document(page)

    # 6. Neither a distance nor a date: the error shows next to the field, nothing is added.
    add_form.get_by_label("Name").fill("Wiper blades")
    add_form.get_by_role("button", name="Add interval").click()
    odometer_field = add_form.locator(".field", has=page.locator("#id_odometer"))
    expect(odometer_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(odometer_field.get_by_role("alert")).to_have_text(BASIS_ERROR)
    expect(add_form.get_by_label("Name")).to_have_value("Wiper blades")
    expect(rows).to_have_count(8)
    expect(notice).to_have_count(0)
    _assert_same_document(page)
    assert not ServiceInterval.objects.filter(vehicle=used_van, name="Wiper blades").exists()
    assert _open(used_van).count() == 8
    screenshot(page, "schedule-form-error")

    # 7. The fleet-wide Due page filters to what is required, in place.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Due").click()
    expect(page.get_by_role("heading", name="Due", level=1)).to_be_visible()
    due_rows = page.locator("#results tbody tr")
    expect(due_rows).to_have_count(8)
    _mark_document(page)
    page.get_by_label("Show").select_option("required")
    expect(page).to_have_url(re.compile(r"/due/\?(.*&)?state=required(&|$)"))
    expect(due_rows).to_have_count(1)
    expect(due_rows.first).to_have_class(re.compile(r"\bstate-required\b"))
    expect(due_rows.first).to_contain_text("Brake inspection")
    expect(due_rows.first).to_contain_text("Transit 4")
    expect(due_rows.first).to_contain_text("0 over")
    _assert_same_document(page)
    screenshot(page, "due-filtered-required")

    # The pushed URL is a real page.
    page.reload()
    expect(page.get_by_label("Show")).to_have_value("required")
    expect(due_rows).to_have_count(1)
