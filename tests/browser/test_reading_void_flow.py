"""An advisor voids a mistyped reading, and the schedule it had made due goes back to waiting."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.intervals import services as intervals
from fleetmaint.vehicles import readings
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_advisor_voids_a_wrong_reading_and_the_schedule_settles(
    page: Page, live_server, advisor, org
):
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4")
    readings.reading_record(
        vehicle=van, odometer=18_200, recorded_at=timezone.now() - timedelta(days=20)
    )
    oil = intervals.interval_create(vehicle=van, odometer=20_000, name="Oil Change")
    # A zero too many, confirmed in a hurry: the oil change is suddenly due.
    readings.reading_record(vehicle=van, odometer=182_000, confirm_jump=True, note="from the app")
    oil.refresh_from_db()
    assert oil.due_at is not None

    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/")
    expect(page.locator("#current-odometer")).to_have_text("182,000 km")
    wrong = Reading.objects.get(vehicle=van, odometer=182_000)
    row = page.locator(f"#reading-{wrong.pk}")
    row.get_by_role("link", name=re.compile("^Void the reading of")).click()

    expect(page.get_by_role("heading", name="Void a reading")).to_be_visible()
    expect(page.locator("#reading-void")).to_contain_text("182,000 km")
    page.get_by_role("button", name="Void this reading").click()
    expect(page.get_by_role("alert")).to_have_text("Say why the reading is void.")
    screenshot(page, "reading-void-needs-a-reason")

    page.get_by_label("Reason").fill("A zero too many")
    page.get_by_role("button", name="Void this reading").click()

    expect(
        page.get_by_role("status").filter(has_text="The odometer now reads 18,200 km")
    ).to_be_visible()
    expect(page.locator("#current-odometer")).to_have_text("18,200 km")
    voided = page.locator(f"#reading-{wrong.pk}")
    expect(voided).to_have_class("voided")
    expect(voided).to_contain_text("voided A zero too many")
    expect(voided.get_by_role("link")).to_have_count(0)
    screenshot(page, "reading-voided")

    page.get_by_role("link", name="Schedule").click()
    expect(page.get_by_text("Oil Change").first).to_be_visible()
    oil.refresh_from_db()
    assert (oil.due_at, oil.serviced_at) == (None, None)

    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/vehicles/{van.pk}/")
    screenshot(page, "reading-voided-320")
