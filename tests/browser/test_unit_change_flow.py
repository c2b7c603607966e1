"""A service advisor changes a vehicle from kilometres to miles, in a real browser: the
page says what the change converts, nothing moves until it is confirmed, and then the
odometer, the readings and the contract read in miles at the same point on the road."""

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

QUESTION = (
    "Changing to miles converts 1 reading and 1 contract of this vehicle: "
    "the odometer 2,000 km becomes 1,243 mi."
)


@pytest.fixture
def van(org) -> Vehicle:
    """At 2,000 km, with a service plan from 1,900 km for 150,000 km: until 151,900 km."""
    van = vehicles.vehicle_create(org=org, label="Transit 9", vehicle_key="TR-9", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=2_000)
    contracts.contract_create(
        vehicle=van,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-9",
            provider="Ford Credit",
            start_date="2030-01-01",
            start_odometer=1_900,
            distance_limit=150_000,
        ),
    )
    return van


def test_advisor_converts_a_vehicle_to_miles(page: Page, live_server, advisor, van):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/")
    expect(page.locator("#current-odometer")).to_have_text("2,000 km")

    # 1. Miles chosen on the edit page: the form asks, in place, and saves nothing.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Distance unit").select_option("mi")
    page.get_by_role("button", name="Save changes").click()
    question = page.locator("#unit-conversion")
    expect(question).to_contain_text(QUESTION)
    expect(question).to_contain_text("Nothing is saved until you choose “Convert and save”")
    expect(page.get_by_label("Distance unit")).to_have_value("mi")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    stored = Vehicle.objects.get(pk=van.pk)
    assert (stored.distance_unit, stored.odometer) == ("km", 2_000)
    screenshot(page, "unit-change-question")

    # 2. Confirmed: the vehicle's page shows the converted odometer and readings.
    page.get_by_role("button", name="Convert and save").click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/{van.pk}/")
    expect(page.get_by_role("status").filter(has_text="Vehicle saved.")).to_be_visible()
    expect(page.locator("#current-odometer")).to_have_text("1,243 mi")
    expect(page.locator("#readings tbody")).to_contain_text("1,243 mi")
    assert Reading.objects.get(vehicle=van).odometer == 1_243
    screenshot(page, "unit-change-converted")

    # 3. The contract ends at the same point on the road, now in miles.
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Contracts"
    ).click()
    contract = VehicleContract.objects.get(vehicle=van)
    # 1,900 km is 1,181 mi and 150,000 km is 93,206 mi: until 94,387 mi (151,900 km).
    assert (contract.start_odometer, contract.distance_limit) == (1_181, 93_206)
    expect(page.locator(f"#contract-{contract.pk}")).to_contain_text("until 94,387 mi")
    screenshot(page, "unit-change-contract")
