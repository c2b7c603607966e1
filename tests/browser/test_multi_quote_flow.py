"""An advisor asks for quotes for the due work of two vehicles in one step.

The Due page's ticks lead to one page listing the work by vehicle with one
servicer choice. A colleague quotes one of the items meanwhile, so the first
try is refused: the page comes back with every tick kept and the reason beside
that vehicle, linking to the colleague's quote. Unticking the held item and
asking again makes both quotes, listed with links.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import quotes, servicers
from fleetmaint.orders.models import CatalogItem, Quote, Servicer, ServiceType
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _van(org, label: str, key: str, *names: str) -> Vehicle:
    """A vehicle whose named services fell due two days ago."""
    van = vehicles.vehicle_create(org=org, label=label, vehicle_key=key, make="Ford")
    vehicles.reading_record(vehicle=van, odometer=20_000)
    due = timezone.now() - timedelta(days=2)
    for name in names:
        intervals.interval_create(vehicle=van, name=name, time=due, already_overdue=True)
    return van


@pytest.fixture
def transit(org) -> Vehicle:
    return _van(org, "Transit 7", "TR-7", "Oil Change", "Brake inspection")


@pytest.fixture
def crafter(org) -> Vehicle:
    return _van(org, "Crafter 3", "CR-3", "Brake inspection", "Coolant")


@pytest.fixture
def northside(org) -> Servicer:
    servicer = Servicer.objects.create(
        name="Northside", email="desk@northside.example", service_types=["scheduled_maintenance"]
    )
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(servicer=servicer, code="oil-change", name="Oil Change", price=89),
            CatalogItem(servicer=servicer, code="brake-inspection", name="Brakes", price=45),
        ]
    )
    servicers.partnership_link(org=org, servicer=servicer)
    other = Servicer.objects.create(name="Eastgate Tyres", service_types=["scheduled_maintenance"])
    servicers.partnership_link(org=org, servicer=other)
    return servicer


def _colleague_quotes(org, van: Vehicle, servicer: Servicer, name: str) -> Quote:
    interval = ServiceInterval.objects.get(vehicle=van, name=name)
    return quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=servicer,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=quotes.items_for_due_work([interval], []),
        interval_ids=[interval.pk],
    )


def test_advisor_asks_quotes_for_two_vehicles_in_one_step(
    page: Page, live_server, advisor, org, transit, crafter, northside
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/due/")
    expect(page.locator(".quote-bar")).to_contain_text("Tick due work of one or more vehicles")
    for label in (
        "Select Oil Change on Transit 7",
        "Select Brake inspection on Transit 7",
        "Select Brake inspection on Crafter 3",
        "Select Coolant on Crafter 3",
    ):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Ask for a quote").click()

    # One page for both vehicles, their work ticked, one servicer to choose.
    expect(page).to_have_url(re.compile(r"/quotes/new/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for quotes · 2 vehicles")
    expect(page.locator("#quote-summary")).to_have_text(
        "One quote for each vehicle: Crafter 3 (2 items), Transit 7 (2 items)."
    )
    crafter_work = page.locator(f"#quote-vehicle-{crafter.pk}")
    transit_work = page.locator(f"#quote-vehicle-{transit.pk}")
    boxes = page.locator("form[method=post] input[type=checkbox]")
    expect(boxes).to_have_count(4)
    for n in range(4):
        expect(boxes.nth(n)).to_be_checked()
    page.get_by_label("Servicer").select_option(label="Northside")
    page.get_by_label("Pre-authorise up to").fill("60")
    screenshot(page, "multi-quote-choice")

    # A colleague quotes Crafter's brake inspection meanwhile: nothing is made, the
    # ticks and the choices stay, and the reason sits beside Crafter with a link.
    held = _colleague_quotes(org, crafter, northside, "Brake inspection")
    page.get_by_role("button", name="Ask for the quotes").click()
    expect(page.locator("#quote-error")).to_contain_text(
        "No quote was made: the work of Crafter 3 cannot be quoted as it stands"
    )
    refusal = crafter_work.get_by_role("alert")
    expect(refusal).to_contain_text(f"Brake inspection is already on quote {held.pk}")
    expect(refusal.get_by_role("link", name=f"Open quote {held.pk}")).to_have_attribute(
        "href", f"/quotes/{held.pk}/"
    )
    expect(transit_work.get_by_role("alert")).to_have_count(0)
    expect(boxes).to_have_count(4)
    for n in range(4):
        expect(boxes.nth(n)).to_be_checked()
    expect(page.get_by_label("Servicer")).to_have_value(str(northside.pk))
    expect(page.get_by_label("Pre-authorise up to")).to_have_value("60")
    assert list(Quote.objects.all()) == [held]
    screenshot(page, "multi-quote-refused-beside-vehicle")

    # Untick the held item and ask again: a quote for each vehicle.
    crafter_work.get_by_label("Brake inspection").uncheck()
    page.get_by_role("button", name="Ask for the quotes").click()
    expect(page).to_have_url(re.compile(r"/quotes/made/\?quote=\d+&quote=\d+$"))
    expect(page.locator("#messages")).to_contain_text("2 quotes from Northside are ready.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quotes asked · 2 vehicles")
    made = Quote.objects.exclude(pk=held.pk).order_by("vehicle__label")
    crafter_quote, transit_quote = made
    assert (crafter_quote.vehicle, transit_quote.vehicle) == (crafter, transit)
    assert [i.name for i in crafter_quote.intervals.all()] == ["Coolant"]
    assert {i.name for i in transit_quote.intervals.all()} == {"Oil Change", "Brake inspection"}
    assert {q.pre_authorized for q in made} == {Decimal("60.00")}
    rows = page.locator("#quotes-made tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Crafter 3")
    expect(rows.nth(1)).to_contain_text("Transit 7")
    expect(rows.nth(1)).to_contain_text("134.00")
    screenshot(page, "multi-quote-made")

    rows.nth(1).get_by_role("link", name=f"Quote {transit_quote.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/quotes/{transit_quote.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Quote {transit_quote.pk} · Transit 7"
    )
