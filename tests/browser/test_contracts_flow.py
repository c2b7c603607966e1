"""A service advisor keeps a vehicle's contracts on its Contracts tab, in a real browser."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def used_van(org) -> Vehicle:
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=12_000)
    return van


def test_advisor_keeps_a_vehicles_contracts(page: Page, live_server, advisor, org, used_van):
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
    start, end = today - timedelta(days=100), today + timedelta(days=100)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{used_van.pk}/")
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Contracts"
    ).click()
    tab = f"{live_server.url}/vehicles/{used_van.pk}/contracts/"
    expect(page).to_have_url(tab)
    rows = page.locator("#contracts tbody tr[id^=contract-]")
    expect(rows).to_have_count(0)
    expect(page.locator("#contracts")).to_contain_text("No contracts for this vehicle.")
    add_form = page.locator("form", has=page.get_by_role("button", name="Add contract"))
    expect(add_form.get_by_label("Start date")).to_have_value(today.isoformat())
    screenshot(page, "contracts-empty")

    # 1. The end before the start is refused in place, at the end date.
    add_form.get_by_label("Type").select_option("service_plan")
    add_form.get_by_label("Contract number").fill("SP-100")
    add_form.get_by_label("Provider").fill("Ford Credit")
    add_form.get_by_label("Start date").fill(start.isoformat())
    add_form.get_by_label("End date").fill((start - timedelta(days=1)).isoformat())
    add_form.get_by_label("Start odometer").fill("10000")
    add_form.get_by_label("Distance limit").fill("5000")
    add_form.get_by_label("Covered services").fill("oil-change, Wiper blades")
    add_form.get_by_role("button", name="Add contract").click()
    end_field = page.locator(".field", has=page.locator("#id_end_date"))
    expect(end_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(end_field.get_by_role("alert")).to_have_text("The contract cannot end before it starts.")
    expect(page.get_by_label("Contract number")).to_have_value("SP-100")
    assert not VehicleContract.objects.exists()
    screenshot(page, "contracts-form-error")

    # 2. Corrected, it is added; its row shows the time and distance left as bars.
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_role("button", name="Add contract").click()
    expect(page.locator("#messages").get_by_role("status")).to_have_text("Contract saved.")
    contract = VehicleContract.objects.get()
    assert (contract.number, contract.end_date, contract.ends_at_odometer) == (
        "SP-100",
        end,
        15_000,
    )
    row = page.locator(f"#contract-{contract.pk}")
    expect(row).to_contain_text("Service plan")
    expect(row).to_contain_text("SP-100")
    expect(row).to_contain_text("Ford Credit · covers oil-change, Wiper blades")
    expect(row.locator(".badge.ok")).to_have_text("active")
    expect(row).to_contain_text("100 days left")
    expect(row.get_by_role("progressbar", name="Time left")).to_have_attribute(
        "aria-valuenow", "50"
    )
    expect(row).to_contain_text("until 15,000 km")
    expect(row).to_contain_text("3,000 km left")
    expect(row.get_by_role("progressbar", name="Distance left")).to_have_attribute(
        "aria-valuenow", "60"
    )
    time_bar = row.get_by_role("progressbar", name="Time left").locator("rect")
    width = time_bar.evaluate(
        "s => s.getBoundingClientRect().width / s.parentElement.getBoundingClientRect().width"
    )
    assert 0.45 < width < 0.55
    screenshot(page, "contracts-added")

    # 3. Edited in place: the form swaps in with the contract's values.
    page.evaluate("window.__sameDocument = true")
    row.get_by_text("Actions", exact=True).click()
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit SP-100")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the edit form reloaded the page"
    edit_form = page.locator("form", has=page.get_by_role("button", name="Save contract"))
    expect(edit_form.get_by_label("End date")).to_have_value(end.isoformat())
    expect(edit_form.get_by_label("Distance limit")).to_have_value("5000")
    new_end = today + timedelta(days=300)
    edit_form.get_by_label("End date").fill(new_end.isoformat())
    edit_form.get_by_label("Distance limit").fill("8000")
    screenshot(page, "contracts-editing")
    edit_form.get_by_role("button", name="Save contract").click()
    expect(page.locator("#messages").get_by_role("status")).to_have_text("Contract saved.")
    expect(page.get_by_role("heading", name="Add a contract")).to_be_visible()
    expect(row).to_contain_text("300 days left")
    expect(row.get_by_role("progressbar", name="Time left")).to_have_attribute(
        "aria-valuenow", "75"
    )
    expect(row).to_contain_text("6,000 km left")
    expect(row.get_by_role("progressbar", name="Distance left")).to_have_attribute(
        "aria-valuenow", "75"
    )
    contract.refresh_from_db()
    assert (contract.end_date, contract.distance_limit, contract.ends_at_odometer) == (
        new_end,
        8_000,
        18_000,
    )
    expect(rows).to_have_count(1)

    # 4. A document is attached through the row's menu, and can be downloaded.
    row.get_by_text("Actions", exact=True).click()
    row.get_by_label("Attach a document").set_input_files(
        files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    row.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#messages").get_by_role("status")).to_have_text("Attached plan.pdf.")
    link = row.get_by_role("link", name=re.compile("plan.pdf"))
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    # 5. Cancelled with a reason: the row says so and offers no more actions.
    row.get_by_text("Actions", exact=True).click()
    row.get_by_label("Cancel: why?").fill("Vehicle sold")
    screenshot(page, "contracts-cancel-menu")
    row.get_by_role("button", name="Cancel contract").click()
    expect(page.locator("#messages").get_by_role("status")).to_have_text(
        "Contract SP-100 cancelled."
    )
    expect(row.locator(".badge")).to_have_text("cancelled")
    expect(row.get_by_text("Actions", exact=True)).to_have_count(0)
    expect(row).to_contain_text("Cancelled: Vehicle sold")
    expect(row.get_by_role("progressbar")).to_have_count(0)
    contract.refresh_from_db()
    assert (contract.status, contract.cancel_reason) == ("cancelled", "Vehicle sold")
    screenshot(page, "contracts-cancelled")

    # 6. The fleet-wide list shows it, and filters by status in place.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", name="Contracts", level=1)).to_be_visible()
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Transit 4")
    page.get_by_label("Status").select_option("active")
    expect(page).to_have_url(re.compile(r"/contracts/\?(.*&)?status=active(&|$)"))
    expect(results.first).to_contain_text("No contracts match.")
    screenshot(page, "contracts-fleet-list")
