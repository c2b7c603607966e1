"""Presets know the vehicle, in a real browser.

An advisor adds an electric van, generates its schedule and finds no oil
change in it; then changes which vehicles a preset applies to on the presets
page, and sees an empty choice refused next to the field.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.intervals.models import IntervalPreset, ServiceInterval
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

ROAD_PRESETS_FOR_ELECTRIC = [
    "Tire Rotation",
    "Replace Cabin Air Filter",
    "Replace Brake Pads",
    "Replace Brake Fluid",
    "Battery Coolant Check",
]


def preset_row(page: Page, name: str):
    return page.locator("#presets tr.preset-row").filter(has=page.get_by_text(name, exact=True))


def test_advisor_schedules_an_electric_van_and_edits_a_presets_kinds(
    page: Page, live_server, advisor, org
):
    login(page, live_server, "bob")

    # 1. A new vehicle says what drives it.
    page.goto(f"{live_server.url}/vehicles/new/")
    page.get_by_label("Label").fill("e-Van 1")
    page.get_by_label("Make").fill("Nissan")
    page.get_by_label(re.compile(r"^Model\b")).fill("e-NV200")
    page.get_by_label("Distance unit").select_option("km")
    page.get_by_label("Powertrain").select_option("electric")
    screenshot(page, "presets-new-electric-van")
    page.get_by_role("button", name="Create vehicle").click()
    expect(page.get_by_role("heading", name="e-Van 1", level=1)).to_be_visible()
    van = Vehicle.objects.get(org=org, label="e-Van 1")
    assert van.powertrain == "electric"
    expect(page.locator("#vehicle-powertrain")).to_have_text("Electric")

    # 2. Its first odometer reading, then its schedule: only what an electric van needs.
    page.get_by_label("Odometer").fill("12000")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#current-odometer")).to_have_text("12,000 km")
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Schedule"
    ).click()
    fitting = page.locator("#fitting-presets")
    expect(fitting).to_contain_text("Tire Rotation")
    expect(fitting).to_contain_text("every 10,000 km / 6 months")
    expect(fitting).not_to_contain_text("Oil Change")
    page.get_by_role("button", name="Generate preset intervals").click()
    notice = page.locator("#schedule-notice")
    expect(notice).to_have_text("Generated 5 intervals from the presets.")
    rows = page.locator("#intervals tbody tr.interval-row")
    expect(rows).to_have_count(5)
    expect(page.locator("#intervals")).not_to_contain_text("Oil Change")
    expect(page.locator("#intervals")).not_to_contain_text("Spark Plugs")
    expect(page.locator("#intervals")).not_to_contain_text("Transmission Fluid")
    expect(rows.filter(has_text="Tire Rotation")).to_contain_text("at 22,000 km")
    names = set(ServiceInterval.objects.filter(vehicle=van).values_list("name", flat=True))
    assert names == set(ROAD_PRESETS_FOR_ELECTRIC)
    screenshot(page, "presets-electric-van-schedule")

    # 3. On the presets page, brake pads stop applying to electric vehicles.
    page.get_by_role("link", name="Edit the presets").click()
    expect(page.get_by_role("heading", name="Service presets", level=1)).to_be_visible()
    pads = preset_row(page, "Replace Brake Pads")
    expect(pads.get_by_label("Electric")).to_be_checked()
    expect(preset_row(page, "Oil Change").get_by_label("Electric")).not_to_be_checked()
    expect(
        preset_row(page, "Engine Oil and Filter").get_by_label("What Engine Oil and Filter counts")
    ).to_have_value("hours")
    pads.get_by_label("Electric").uncheck()
    page.get_by_role("button", name="Save presets").click()
    expect(page.get_by_text("Presets saved.")).to_be_visible()
    expect(preset_row(page, "Replace Brake Pads").get_by_label("Electric")).not_to_be_checked()
    pads_preset = IntervalPreset.objects.get(org=org, name="Replace Brake Pads")
    assert pads_preset.kinds == ["combustion", "diesel", "hybrid"]
    screenshot(page, "presets-after-kinds-edit")

    # 4. A preset that applies to nothing is refused next to its kinds; nothing changes.
    coolant = preset_row(page, "Battery Coolant Check")
    coolant.get_by_label("Electric").uncheck()
    page.get_by_role("button", name="Save presets").click()
    coolant = preset_row(page, "Battery Coolant Check")
    expect(coolant.get_by_role("alert")).to_have_text(
        "Choose at least one kind of vehicle it applies to."
    )
    expect(page.get_by_text("Some presets need fixing")).to_be_visible()
    assert IntervalPreset.objects.get(org=org, name="Battery Coolant Check").kinds == ["electric"]
    coolant.scroll_into_view_if_needed()
    screenshot(page, "presets-empty-kinds-refused")
