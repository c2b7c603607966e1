"""A servicer posts events and completes orders in the portal, in a real browser, and
meets the rules every face follows: nothing that happened may be dated in the future,
an event without its time is taken at the moment it arrives, a canceled order still
takes the events of handing the vehicle back, and a completion cannot wind the
odometer back. Then the advisor, approving a found issue, clears the question from the
inbox.

Time stands still at ``NOW`` (12:00 in Berlin, where the fleet is).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from fleetmaint.intervals import queries as schedule
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications import queries as inbox
from fleetmaint.orders import quotes, servicers, services
from fleetmaint.orders.models import (
    CatalogItem,
    IssueStatus,
    OrderStatus,
    ServiceOrder,
    Servicer,
    ServicerStaff,
    ServiceType,
    Side,
)
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot
from tests.clock import NOW

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 720}
TOO_LATE = (
    "Repair started at is 2030-06-15 12:30 CEST, which has not happened yet: a date of "
    "something that happened may be at most 15 minutes ahead of the current time."
)
ODOMETER_DOWN = (
    "The odometer cannot go down: the previous reading was 20,000 km on 2030-06-15. "
    "Give 20,000 or more, or leave it empty to use that reading."
)


@pytest.fixture
def van(org, clock) -> Vehicle:
    """At 20,000 km, read five minutes ago; its oil change (a preset's) came due at 19,000."""
    van = vehicles.vehicle_create(org=org, label="Transit 7", vehicle_key="TR-7", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=19_000, recorded_at=NOW - timedelta(days=30))
    vehicles.reading_record(vehicle=van, odometer=20_000, recorded_at=NOW - timedelta(minutes=5))
    van.refresh_from_db()
    oil = next(p for p in intervals.presets_ensure(org) if p.name == "Oil Change")
    intervals.preset_interval(
        van, oil, base_mileage=4_000, base_date=NOW - timedelta(days=90), now=NOW
    ).save()
    intervals.intervals_evaluate(vehicle_ids=[van.pk])
    return van


@pytest.fixture
def northside(org) -> Servicer:
    servicer = Servicer.objects.create(
        name="Northside",
        email="desk@northside.example",
        service_types=["scheduled_maintenance", "repair_depot"],
    )
    for code, name, price in (
        ("oil-change", "Oil Change", "89.00"),
        ("brake-repair", "Brake repair", "240.00"),
    ):
        CatalogItem.objects.create(servicer=servicer, code=code, name=name, price=Decimal(price))
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


@pytest.fixture
def nina(northside) -> User:
    user = User.objects.create_user(username="nina", email="nina@example.com", password="pw")
    ServicerStaff.objects.create(user=user, servicer=northside)
    return user


def _accepted_order(
    org,
    van: Vehicle,
    servicer: Servicer,
    *,
    service_type: ServiceType = ServiceType.REPAIR_DEPOT,
    code: str = "brake-repair",
    work: tuple[ServiceInterval, ...] = (),
) -> ServiceOrder:
    """An order placed from an accepted quote, accepted by the servicer."""
    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=servicer,
        service_type=service_type,
        items=[quotes.ItemRequest(code=code)],
        interval_ids=[i.pk for i in work],
    )
    order = quotes.quote_accept(quote=quote)
    return services.order_accept(order=order)


def _open_in_portal(page: Page, live_server, order: ServiceOrder) -> None:
    login(page, live_server, "nina")
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.pk} · Transit 7")


def _event_form(page: Page, summary: str):
    form = page.locator("details.event-form", has=page.locator("summary", has_text=summary))
    form.locator("summary").click()
    return form


def test_an_event_dated_past_the_tolerance_is_refused_and_nothing_is_stored(
    page: Page, live_server, org, van, northside, nina
):
    order = _accepted_order(org, van, northside)
    _open_in_portal(page, live_server, order)
    messages = page.locator("#messages")

    # Half an hour ahead of the fleet's clock: refused, saying how far ahead may be.
    started = _event_form(page, "Repair started")
    started.get_by_label("Repair started at").fill("2030-06-15T12:30")
    started.get_by_role("button", name="Post repair started").click()
    expect(messages.locator("li.error")).to_have_text(TOO_LATE)
    expect(page.locator("#order h2 .badge")).to_have_text("accepted")
    assert not order.events.filter(event="repair_started").exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    screenshot(page, "servicer-event-in-the-future")
    page.set_viewport_size(NARROW)
    expect(messages.locator("li.error")).to_be_in_viewport()
    screenshot(page, "servicer-event-in-the-future-320")
    page.set_viewport_size({"width": 1366, "height": 900})

    # The refused form is open again with what was typed, to correct rather than retype.
    started = page.locator(
        "details.event-form[open]", has=page.locator("summary", has_text="Repair started")
    )
    expect(started.get_by_label("Repair started at")).to_have_value("2030-06-15T12:30")
    # Ten minutes ahead is a clock running fast: taken, at the time given.
    started.get_by_label("Repair started at").fill("2030-06-15T12:10")
    started.get_by_role("button", name="Post repair started").click()
    expect(messages).to_contain_text("Posted repair started.")
    expect(page.locator("#order h2 .badge")).to_have_text("in progress")
    entry = page.locator("ol.timeline > li", has_text="Repair started")
    expect(entry).to_contain_text("at 2030-06-15 12:10")
    expect(entry).not_to_contain_text("received at")
    assert order.events.filter(event="repair_started").count() == 1


def test_repair_started_without_a_time_is_taken_when_it_was_received_and_says_so(
    page: Page, live_server, org, van, northside, nina
):
    order = _accepted_order(org, van, northside)
    _open_in_portal(page, live_server, order)

    started = _event_form(page, "Repair started")
    expect(started.get_by_label("Repair started at")).to_have_value("")
    started.get_by_role("button", name="Post repair started").click()
    expect(page.locator("#messages")).to_contain_text("Posted repair started.")
    expect(page.locator("#order h2 .badge")).to_have_text("in progress")
    entry = page.locator("ol.timeline > li", has_text="Repair started")
    expect(entry).to_contain_text("received at 2030-06-15 12:00")
    screenshot(page, "servicer-event-received-at")

    event = order.events.get(event="repair_started")
    assert (event.event_date, event.date_received) == (NOW, True)
    assert "repairStartedAt" not in event.body


def test_an_order_canceled_after_it_was_accepted_still_takes_the_hand_back_and_stays_canceled(
    page: Page, live_server, org, van, northside, nina
):
    order = _accepted_order(org, van, northside)
    services.order_set_status(
        order=order, status=OrderStatus.CANCELED, by=Side.FLEET, reason="Van sold"
    )
    _open_in_portal(page, live_server, order)
    badge = page.locator("#order h2 .badge")
    expect(badge).to_have_text("canceled")
    expect(page.locator(".portal-actions")).to_have_count(0)  # nothing left to move
    expect(page.locator(".card", has_text="Post an event")).to_contain_text(
        "The order is canceled: events are still recorded until the fleet closes it, "
        "and change nothing about it."
    )

    delivered = _event_form(page, "Product delivered")
    delivered.get_by_label("Delivered to").fill("Fleet yard, gate 2")
    delivered.get_by_label("Notes").fill("Keys handed to the driver")
    delivered.get_by_role("button", name="Post product delivered").click()
    expect(page.locator("#messages")).to_contain_text("Posted product delivered.")
    expect(badge).to_have_text("canceled")
    entry = page.locator("ol.timeline > li", has_text="Product delivered")
    expect(entry).to_contain_text("Delivered to: Fleet yard, gate 2")
    expect(entry).to_contain_text("Keys handed to the driver")
    expect(entry).to_contain_text("→ canceled")
    screenshot(page, "servicer-event-on-canceled-order")

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    event = order.events.get(event="product_delivered")
    assert (event.status_after, event.body["deliveredTo"]) == ("canceled", "Fleet yard, gate 2")


def _required(van: Vehicle) -> dict[str, bool]:
    """The van's open intervals by name, and whether each is required."""
    return {i.name: i.is_required for i in schedule.vehicle_schedule(van)}


def _complete(page: Page, odometer: str) -> None:
    complete = page.locator("details.row-actions", has=page.locator("summary", has_text="Complete"))
    complete.locator("summary").click()
    field = complete.get_by_label("Odometer (km)")
    expect(field).to_have_value("20000")  # the van's reading, offered
    field.fill(odometer)
    complete.get_by_role("button", name="Mark completed").click()


def test_a_completion_below_the_vehicles_odometer_is_refused_and_the_schedule_stays_put(
    page: Page, live_server, org, van, northside, nina
):
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    assert _required(van) == {"Oil Change": True}
    order = _accepted_order(
        org,
        van,
        northside,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        code="oil-change",
        work=(oil,),
    )
    _open_in_portal(page, live_server, order)
    badge = page.locator("#order h2 .badge")

    _complete(page, "19000")
    expect(page.locator("#messages li.error")).to_have_text(ODOMETER_DOWN)
    expect(badge).to_have_text("accepted")
    screenshot(page, "servicer-completion-odometer-down")
    order.refresh_from_db()
    assert (order.status, order.completion_odometer) == (OrderStatus.ACCEPTED, None)
    # The oil change was not serviced at 19,000 and followed by another: it is as it was.
    assert list(ServiceInterval.objects.filter(vehicle=van)) == [oil]
    assert _required(van) == {"Oil Change": True}

    # At the reading or above, the order completes and the schedule moves on, on track.
    _complete(page, "20150")
    expect(page.locator("#messages")).to_contain_text(f"Order {order.pk} is now completed.")
    expect(badge).to_have_text("completed")
    oil.refresh_from_db()
    assert oil.serviced_odometer == 20_150
    following = ServiceInterval.objects.get(vehicle=van, serviced_at=None)
    assert following.service_at_mileage == 35_150
    assert _required(van) == {"Oil Change": False}


def test_an_order_without_scheduled_work_refuses_an_odometer_gone_down_too(
    page: Page, live_server, org, van, northside, nina
):
    order = _accepted_order(org, van, northside)
    assert not order.intervals.exists() and not order.tasks.exists()
    _open_in_portal(page, live_server, order)
    _complete(page, "19000")
    expect(page.locator("#messages li.error")).to_have_text(ODOMETER_DOWN)
    expect(page.locator("#order h2 .badge")).to_have_text("accepted")
    order.refresh_from_db()
    assert (order.status, order.completion_odometer) == (OrderStatus.ACCEPTED, None)


def test_approving_a_found_issue_clears_its_question_from_the_advisors_inbox(
    page: Page, live_server, advisor, org, van, northside
):
    order = _accepted_order(org, van, northside)
    services.order_set_status(order=order, status=OrderStatus.IN_PROGRESS, by=Side.SERVICER)
    issue = services.issue_report(
        order=order, description="Cracked front brake disc", cost=Decimal("180")
    )
    assert issue.status == IssueStatus.AWAITING
    question = f"Order {order.pk} for Transit 7: an issue needs your approval"
    # The van's oil change, required, told the advisor too; that notice is not answered.
    assert inbox.unread_count(advisor, org) == 2

    login(page, live_server, "bob")
    count = page.locator("#notif-badge .count")
    expect(count).to_have_text("2")
    page.goto(f"{live_server.url}/notifications/?show=unread")
    unread = page.locator("#notif-list tr.unread")
    expect(unread).to_have_count(2)
    expect(unread.filter(has_text=question)).to_have_count(1)
    screenshot(page, "servicer-issue-question-unread")

    # The advisor goes to the order the usual way, not through the notification.
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    awaiting = page.locator("#order .issue", has_text="Cracked front brake disc")
    expect(awaiting.locator(".badge")).to_have_text("awaiting approval")
    awaiting.get_by_role("button", name="Approve").click()
    expect(page.locator("#messages")).to_contain_text("Issue approved.")
    expect(awaiting.locator(".badge")).to_have_text("approved")
    expect(count).to_have_text("1")

    page.goto(f"{live_server.url}/notifications/?show=unread")
    expect(unread).to_have_count(1)
    expect(unread).not_to_contain_text(question)
    all_link = page.get_by_role("link", name="All", exact=True)
    all_link.click()
    # The filter marked chosen follows the list shown, in place.
    expect(all_link).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Unread (1)")).not_to_have_attribute(
        "aria-current", "page"
    )
    answered = page.locator("#notif-list tr", has_text=question)
    expect(answered).to_have_count(1)
    expect(answered).not_to_have_class(re.compile(r"\bunread\b"))
    expect(answered.get_by_role("button", name="Mark read")).to_have_count(0)
    screenshot(page, "servicer-issue-question-read")
    assert inbox.unread_count(advisor, org) == 1
