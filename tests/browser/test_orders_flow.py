"""A service advisor orders due work and a servicer carries it out, in two browsers.

The advisor asks for a quote from the Due page, accepts it and so places the
order; the servicer, signed in to the portal in a browser of its own, accepts
the order, posts its events, reports found issues and completes it; the advisor
then sees it all on the order's timeline and the schedule moved on.
"""

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import servicers
from fleetmaint.orders.models import (
    CatalogItem,
    FoundIssue,
    IssueStatus,
    OrderStatus,
    Quote,
    ServiceOrder,
    Servicer,
    ServicerStaff,
)
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

RECEPTION = "2026-03-02T09:30"  # what the servicer types into the datetime-local field


@pytest.fixture
def servicer_page(browser: Browser) -> Iterator[Page]:
    """A second browser, with cookies of its own, for the servicer's staff."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    context.close()
    assert not js_errors, f"JavaScript errors on the portal: {js_errors}"


@pytest.fixture
def van(org) -> Vehicle:
    """Driven to 20,000 km, past its oil change (a preset's) and its brake inspection."""
    van = vehicles.vehicle_create(org=org, label="Transit 7", vehicle_key="TR-7", make="Ford")
    now = timezone.now()
    vehicles.reading_record(vehicle=van, odometer=19_000, recorded_at=now - timedelta(days=30))
    # Planned at 19,500 km while the van was at 19,000; it has driven past it since.
    intervals.interval_create(vehicle=van, odometer=19_500, name="Brake inspection")
    vehicles.reading_record(vehicle=van, odometer=20_000, recorded_at=now - timedelta(minutes=5))
    van.refresh_from_db()
    oil_preset = next(p for p in intervals.presets_ensure(org) if p.name == "Oil Change")
    # Last changed at 4,000 km: due at 19,000 km, 1,000 km ago.
    intervals.preset_interval(
        van, oil_preset, base_mileage=4_000, base_date=now - timedelta(days=90), now=now
    ).save()
    intervals.intervals_evaluate(vehicle_ids=[van.pk])
    assert van.odometer == 20_000
    return van


@pytest.fixture
def northside(org) -> Servicer:
    servicer = Servicer.objects.create(
        name="Northside",
        email="desk@northside.example",
        service_types=["scheduled_maintenance", "repair_depot"],
    )
    CatalogItem.objects.create(
        servicer=servicer,
        code="oil-change",
        name="Oil Change",
        price=Decimal("89.00"),
        duration_minutes=45,
    )
    CatalogItem.objects.create(
        servicer=servicer,
        code="brake-inspection",
        name="Brake Inspection",
        price=Decimal("45.00"),
        duration_minutes=30,
    )
    servicers.partnership_link(org=org, servicer=servicer)
    # Another partner listed first, so choosing Northside is a real choice.
    other = Servicer.objects.create(name="Eastgate Tyres", service_types=["scheduled_maintenance"])
    servicers.partnership_link(org=org, servicer=other)
    return servicer


@pytest.fixture
def nina(northside) -> User:
    user = User.objects.create_user(username="nina", email="nina@example.com", password="pw")
    ServicerStaff.objects.create(user=user, servicer=northside)
    return user


def _timeline(page: Page) -> list[str]:
    return page.locator("ol.timeline > li .tl-what > strong").all_inner_texts()


def test_advisor_orders_due_work_and_servicer_carries_it_out(
    page: Page, servicer_page: Page, live_server, advisor, org, van, northside, nina
):
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change", serviced_at=None)
    brake = ServiceInterval.objects.get(vehicle=van, name="Brake inspection", serviced_at=None)

    # 1. The advisor asks for a quote for the required work from the Due page...
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/due/")
    due_rows = page.locator("#results tbody tr")
    expect(due_rows).to_have_count(2)
    oil_row = due_rows.filter(has_text="Oil Change")
    expect(oil_row.locator(".badge.danger")).to_have_text("required")
    expect(oil_row).to_contain_text("1,000 over")
    page.get_by_label("Select Oil Change on Transit 7").check()
    page.get_by_label("Select Brake inspection on Transit 7").check()
    page.get_by_role("button", name="Ask for a quote").click()
    expect(page).to_have_url(re.compile(r"/quotes/new/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for a quote · Transit 7")
    work = page.locator(".card", has=page.get_by_role("heading", name="Work"))
    expect(work.locator("li")).to_have_text(["Oil Change", "Brake inspection"])
    servicer_select = page.get_by_label("Servicer")
    expect(servicer_select).to_have_value(str(Servicer.objects.get(name="Eastgate Tyres").pk))
    servicer_select.select_option(label="Northside")
    expect(page.get_by_label("Type")).to_have_value("scheduled_maintenance")
    page.get_by_label("Pre-authorise up to").fill("100")
    page.get_by_role("button", name="Ask for the quote").click()

    # ... and gets it priced from Northside's list.
    expect(page).to_have_url(re.compile(r"/quotes/\d+/$"))
    quote = Quote.objects.get(vehicle=van)
    expect(page).to_have_url(f"{live_server.url}/quotes/{quote.pk}/")
    expect(page.locator("#messages")).to_contain_text(f"Quote {quote.pk} from Northside is ready.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quote {quote.pk} · Transit 7")
    items = page.locator("table.list tbody tr")
    expect(items.nth(0)).to_contain_text("Oil Change")
    expect(items.nth(0)).not_to_contain_text("oil-change")
    expect(items.nth(0).locator("td.num").last).to_have_text("89.00")
    expect(items.nth(1)).to_contain_text("Brake Inspection")
    expect(items.nth(1).locator("td.num").last).to_have_text("45.00")
    expect(items.nth(2)).to_contain_text("Total")
    expect(items.nth(2)).to_contain_text("about 75 minutes of work")
    expect(items.nth(2).locator("td.num")).to_have_text("134.00 EUR")
    expect(items.nth(3).locator("td.num")).to_have_text("100.00 EUR")
    assert quote.total == Decimal("134.00")
    assert quote.pre_authorized == Decimal("100.00")
    assert set(quote.intervals.all()) == {oil, brake}
    screenshot(page, "orders-quote")

    page.get_by_role("button", name="Accept and place the order").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = ServiceOrder.objects.get(quote=quote)
    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator("#messages")).to_contain_text(f"Order {order.pk} placed with Northside.")
    fleet_card = page.locator("#order .card", has=page.get_by_role("heading", name="Order"))
    expect(fleet_card.locator("h2 .badge")).to_have_text("pending")
    expect(page.locator("ol.timeline")).to_contain_text("Order placed")
    assert order.status == OrderStatus.PENDING

    # 2. The servicer signs in and lands on the portal; fleet pages are not for it.
    login(servicer_page, live_server, "nina")
    expect(servicer_page).to_have_url(f"{live_server.url}/portal/")
    expect(servicer_page.get_by_role("heading", level=1)).to_have_text("Northside")
    for fleet_page in ("/due/", f"/orders/{order.pk}/", f"/vehicles/{van.pk}/"):
        servicer_page.goto(f"{live_server.url}{fleet_page}")
        expect(servicer_page).to_have_url(f"{live_server.url}/portal/")
    portal_row = servicer_page.locator("#results tbody tr", has_text=f"Order {order.pk}")
    expect(portal_row).to_contain_text("Acme Logistics")
    expect(portal_row).to_contain_text("Transit 7")
    expect(portal_row.locator(".badge")).to_have_text("pending")
    portal_row.get_by_role("link", name=f"Order {order.pk}").click()
    expect(servicer_page).to_have_url(f"{live_server.url}/portal/orders/{order.pk}/")
    status_badge = servicer_page.locator("#order h2 .badge")
    portal_messages = servicer_page.locator("#messages")

    servicer_page.get_by_role("button", name="Accept the order").click()
    expect(portal_messages).to_contain_text("Order accepted.")
    expect(status_badge).to_have_text("accepted")

    expect(servicer_page.locator(".card", has_text="Post an event")).to_contain_text(
        "Dates and times are in Europe/Berlin, where Acme Logistics is."
    )
    received = servicer_page.locator("details.event-form", has_text="Product received")
    received.locator("summary").click()
    received.get_by_label("Received by").fill("Front desk")
    received.get_by_label("Reception date").fill(RECEPTION)
    received.get_by_label("Notes").fill("Keys in the box")
    received.get_by_role("button", name="Post product received").click()
    expect(portal_messages).to_contain_text("Posted product received.")
    expect(status_badge).to_have_text("accepted")

    started = servicer_page.locator("details.event-form", has_text="Repair started")
    started.locator("summary").click()
    started.get_by_role("button", name="Post repair started").click()
    expect(portal_messages).to_contain_text("Posted repair started.")
    expect(status_badge).to_have_text("in progress")

    issue_form = servicer_page.locator(
        "form", has=servicer_page.get_by_role("button", name="Report the issue")
    )
    issue_form.get_by_label("What did you find?").fill("Worn wiper blades")
    issue_form.get_by_label("Cost (EUR)").fill("40")
    issue_form.get_by_role("button", name="Report the issue").click()
    expect(portal_messages).to_contain_text("it fits the pre-authorised amount")
    issue_form.get_by_label("What did you find?").fill("Cracked front brake disc")
    issue_form.get_by_label("Cost (EUR)").fill("180")
    issue_form.get_by_role("button", name="Report the issue").click()
    expect(portal_messages).to_contain_text("it waits for the fleet's approval")
    issues = servicer_page.locator("#order .issue")
    expect(issues.nth(0)).to_contain_text("Worn wiper blades")
    expect(issues.nth(0).locator(".badge")).to_have_text("authorized in advance")
    expect(issues.nth(1)).to_contain_text("Cracked front brake disc")
    expect(issues.nth(1).locator(".badge")).to_have_text("awaiting approval")
    expect(issues.get_by_role("button", name="Approve")).to_have_count(0)

    complete = servicer_page.locator("details.row-actions", has_text="Complete…")
    complete.locator("summary").click()
    odometer = complete.get_by_label("Odometer (km)")
    expect(odometer).to_have_value("20000")
    odometer.fill("20150")
    complete.get_by_role("button", name="Mark completed").click()
    expect(portal_messages).to_contain_text(f"Order {order.pk} is now completed.")
    expect(status_badge).to_have_text("completed")
    expect(servicer_page.locator("ol.timeline")).to_contain_text("Received by: Front desk")
    # The reception date reads as typed, in the fleet's time zone.
    expect(servicer_page.locator("ol.timeline")).to_contain_text("at 2026-03-02 09:30")
    # Nothing is left to do on a completed order: no empty actions bar.
    expect(servicer_page.locator(".portal-actions")).to_have_count(0)
    screenshot(servicer_page, "orders-portal-order")

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completion_odometer == 20_150
    received_event = order.events.get(event="product_received")
    assert received_event.body["receivedBy"] == "Front desk"
    assert received_event.event_date is not None

    # 3. The advisor sees the servicer's work on the order, and approves the extra.
    page.reload()
    expect(fleet_card.locator("h2 .badge")).to_have_text("completed")
    assert _timeline(page) == [
        "Order placed",
        "Accepted",
        "Product received",
        "Repair started",
        "In progress",
        "Issue found",
        "Issue found",
        "Completed",
    ]
    entries = page.locator("ol.timeline > li")
    expect(entries.nth(2)).to_contain_text("Received by: Front desk")
    expect(entries.nth(2)).not_to_contain_text("receptionDate")
    expect(entries.nth(2)).to_contain_text("Keys in the box")
    expect(entries.nth(2)).to_contain_text("at 2026-03-02 09:30")
    fleet_issues = page.locator("#order .issue")
    expect(fleet_issues.nth(0).get_by_role("button", name="Approve")).to_have_count(0)
    awaiting = fleet_issues.filter(has_text="Cracked front brake disc")
    expect(awaiting.locator(".badge")).to_have_text("awaiting approval")
    expect(awaiting.get_by_role("button", name="Decline")).to_be_visible()
    awaiting.get_by_role("button", name="Approve").click()
    expect(page.locator("#messages")).to_contain_text("Issue approved.")
    expect(awaiting.locator(".badge")).to_have_text("approved")
    expect(page.locator("#order").get_by_role("button", name="Approve")).to_have_count(0)
    expect(entries.last).to_contain_text("Issue approved")
    ordered_for = page.locator(".card", has=page.get_by_role("heading", name="Ordered for"))
    expect(ordered_for.locator("li .badge.ok")).to_have_count(2)
    fleet_items = page.locator("#order table.list tbody tr")
    expect(fleet_items.filter(has_text="found issue")).to_have_count(2)
    expect(fleet_items.last).to_contain_text("Total")
    expect(fleet_items.last.locator("td.num")).to_have_text("354.00 EUR")
    expect(page.locator("#order dl.facts")).to_contain_text("20,150 km")
    screenshot(page, "orders-fleet-order")

    assert [i.status for i in FoundIssue.objects.filter(order=order)] == [
        IssueStatus.AUTHORIZED,
        IssueStatus.APPROVED,
    ]
    oil.refresh_from_db()
    brake.refresh_from_db()
    assert oil.serviced_odometer == 20_150
    assert brake.serviced_at is not None

    # The schedule moved on: the next oil change follows, the brake inspection is gone.
    page.get_by_role("link", name="Transit 7").first.click()
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Schedule"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/{van.pk}/schedule/")
    schedule_rows = page.locator("#intervals tbody tr.interval-row")
    expect(schedule_rows).to_have_count(1)
    expect(schedule_rows.first).to_contain_text("Oil Change")
    expect(schedule_rows.first).to_contain_text("at 35,150 km")
    expect(page.locator("#intervals")).not_to_contain_text("Brake inspection")
    next_oil = ServiceInterval.objects.get(vehicle=van, serviced_at=None)
    assert next_oil.preset_id == oil.preset_id
    assert next_oil.pk != oil.pk
