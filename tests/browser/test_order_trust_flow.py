"""An advisor cannot order the same work twice, and the Due page says what is already quoted.

Two tabs of the advisor's browser ask for a quote for the same oil change: the
first gets its quote, the second is refused with a link to the first. The Due
page then marks the oil change "on quote N", linking to it, and its box can no
longer be ticked.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import servicers
from fleetmaint.orders.models import CatalogItem, Quote, Servicer
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def van(org) -> Vehicle:
    """At 20,000 km, past its oil change."""
    van = vehicles.vehicle_create(org=org, label="Transit 7", vehicle_key="TR-7", make="Ford")
    now = timezone.now()
    vehicles.reading_record(vehicle=van, odometer=19_000, recorded_at=now - timedelta(days=30))
    intervals.interval_create(vehicle=van, odometer=19_500, name="Oil Change")
    intervals.interval_create(vehicle=van, odometer=29_000, name="Brake check")
    vehicles.reading_record(vehicle=van, odometer=20_000, recorded_at=now - timedelta(minutes=5))
    intervals.intervals_evaluate(vehicle_ids=[van.pk])
    return van


@pytest.fixture
def northside(org) -> Servicer:
    servicer = Servicer.objects.create(
        name="Northside", email="desk@northside.example", service_types=["scheduled_maintenance"]
    )
    CatalogItem.objects.create(
        servicer=servicer, code="oil-change", name="Oil Change", price=Decimal("89.00")
    )
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


def _ask_for_a_quote(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/due/")
    page.get_by_label("Select Oil Change on Transit 7").check()
    page.get_by_role("button", name="Ask for a quote").click()
    expect(page).to_have_url(re.compile(r"/quotes/new/\?"))
    expect(page.locator("#quote-error")).to_have_count(0)


def test_the_same_work_cannot_be_quoted_twice_and_the_due_page_says_so(
    page: Page, live_server, advisor, van, northside
):
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    login(page, live_server, "bob")

    # Two tabs open the quote form for the same oil change.
    other_tab = page.context.new_page()
    _ask_for_a_quote(page, live_server)
    _ask_for_a_quote(other_tab, live_server)

    # The first asks: the quote is made.
    page.get_by_role("button", name="Ask for the quote").click()
    expect(page).to_have_url(re.compile(r"/quotes/\d+/$"))
    quote = Quote.objects.get(vehicle=van)

    # The second is refused, naming and linking the first.
    other_tab.get_by_role("button", name="Ask for the quote").click()
    refusal = other_tab.locator("#quote-error")
    expect(refusal).to_contain_text(
        f"Oil Change is already on quote {quote.pk}; accept or decline that quote "
        "(or let it expire) before asking again."
    )
    link = refusal.get_by_role("link", name=f"Open quote {quote.pk}")
    expect(link).to_have_attribute("href", f"/quotes/{quote.pk}/")
    screenshot(other_tab, "order-trust-second-quote-refused")
    assert Quote.objects.count() == 1
    link.click()
    expect(other_tab).to_have_url(f"{live_server.url}/quotes/{quote.pk}/")
    other_tab.close()

    # The Due page marks the oil change as quoted, with a link to the quote, and its
    # box cannot be ticked again; the box says why. Other work can still be ticked.
    page.goto(f"{live_server.url}/due/")
    row = page.locator("#results tbody tr", has_text="Oil Change")
    marker = row.get_by_role("link", name=f"on quote {quote.pk}")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute("href", f"/quotes/{quote.pk}/")
    box = page.get_by_role("checkbox", name="Select Oil Change on Transit 7")
    expect(box).to_be_disabled()
    expect(box).to_have_accessible_description(f"on quote {quote.pk}")
    expect(box).to_have_attribute(
        "title", f"Already on quote {quote.pk}: a new quote for it is refused"
    )
    expect(page.get_by_role("checkbox", name="Select Brake check on Transit 7")).to_be_enabled()
    screenshot(page, "order-trust-due-marker")
    marker.click()
    expect(page).to_have_url(f"{live_server.url}/quotes/{quote.pk}/")
    assert set(Quote.objects.get().intervals.all()) == {oil}
