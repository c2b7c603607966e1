"""An advisor opens the dashboard: the cost chart, what falls due, and the numbers' lists."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.orders.models import OrderStatus
from fleetmaint.tasks.models import Status
from tests.browser.conftest import login, screenshot
from tests.reports import factories as make

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_fleet(org):
    servicer = make.servicer_for(org)
    vans = make.fleet(org, servicer, 3)
    now = timezone.now()
    # A few months of history so the chart has a shape.
    for months_ago, amount in ((2, "420.00"), (4, "180.00"), (7, "950.00")):
        make.order(
            vans[0],
            servicer,
            status=OrderStatus.COMPLETED,
            completed_at=now - timedelta(days=30 * months_ago),
            items=(amount,),
        )
    make.order(vans[1], servicer, status=OrderStatus.DELAYED, eta_days=5)
    # Overdue already, both predicted today: a task past its end, a service past its date.
    late = make.open_task(vans[2], days=0, description="Replace mirror")
    late.status = Status.EXPIRED
    late.save()
    make.interval(vans[2], days=0, name="Brake check")
    return vans


def test_advisor_reads_the_dashboard(page: Page, live_server, advisor, org, busy_fleet):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/")

    chart = page.locator("#cost-chart svg[role=img]")
    expect(chart).to_be_visible()
    label = chart.get_attribute("aria-label")
    assert label and label.startswith("Maintenance cost per month:")
    bars = chart.locator("rect.column")
    expect(bars).to_have_count(12)
    this_month = timezone.localdate().strftime("%B %Y")
    expect(bars.last.locator("title")).to_have_text(f"{this_month}: 300 EUR")
    heights = [float(bars.nth(i).get_attribute("height")) for i in range(12)]
    assert max(heights) > 0 and heights.count(0) >= 6
    expect(chart.locator("text.axis-label").first).to_be_visible()

    # What falls due: counts per week, as a chart and a table.
    timeline = page.locator("#due-timeline")
    expect(timeline.locator("svg[role=img]")).to_be_visible()

    def column_total(name: str) -> int:
        weeks = timeline.locator(f"tr:not(.overdue) td.{name}")
        return sum(int(text) for text in weeks.all_inner_texts())

    # What is overdue comes first, on its own line and bar, and not in this week.
    overdue = timeline.locator("tbody tr").first
    expect(overdue).to_have_class("overdue")
    expect(overdue.locator("td").first).to_have_text("Overdue")
    expect(overdue.locator("td.week-tasks")).to_have_text("1")
    expect(overdue.locator("td.week-services")).to_have_text("1")
    expect(timeline.locator("svg rect.column.danger")).to_have_count(1)
    assert (column_total("week-tasks"), column_total("week-services")) == (3, 3)
    assert column_total("week-orders") == 4
    # The first of what is coming, soonest first: at most eight.
    coming = page.locator("#coming-up")
    # The delayed order (5 days), the services (10), the tasks (20), then the
    # first of the orders due in 30 days fills the eighth line.
    expect(coming.locator("tbody tr")).to_have_count(8)
    expect(coming.locator("tr.coming-order").first).to_contain_text("Order")
    expect(coming.locator("tr.coming-interval")).to_have_count(3)
    expect(coming.locator("tr.coming-task")).to_have_count(3)
    expect(coming.locator("tr.coming-order")).to_have_count(2)
    screenshot(page, "dashboard")

    # A number leads to the list behind it.
    page.locator("a.stat", has_text="Orders delayed").click()
    expect(page).to_have_url(f"{live_server.url}/orders/?status=delayed")
    expect(page.locator("main")).to_contain_text("Van 1")

    # The overdue services lead to the Due page's required ones.
    page.go_back()
    overdue.locator("td.week-services a").click()
    expect(page).to_have_url(f"{live_server.url}/due/?state=required")
    required = page.locator("#results table").first.locator("tbody tr")
    expect(required).to_have_count(1)
    expect(required).to_contain_text("Brake check")

    # A week's tasks lead to the Tasks page showing just those.
    page.go_back()
    timeline.locator("tr:not(.overdue) td.week-tasks a").first.click()
    expect(page).to_have_url(re.compile(r"/tasks/\?due_from=\d{4}-\d\d-\d\d&due_to="))
    expect(page.locator("#results tbody tr")).to_have_count(3)

    # An entry coming up leads to its page.
    page.go_back()
    coming.locator("tr.coming-interval a").first.click()
    expect(page).to_have_url(re.compile(r"/vehicles/\d+/schedule/$"))


def test_admin_rotates_the_calendar_feed_address(page: Page, live_server, admin_user, org):
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/settings/")
    card = page.locator("#calendar-feed")
    address = card.get_by_label("Feed address")
    old = address.input_value()
    assert old.endswith(f"/calendar/{org.calendar_token}.ics")
    screenshot(page, "settings-calendar-feed")

    page.on("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Rotate address").click()
    expect(page.locator("#calendar-feed [role=status]")).to_contain_text("new address")
    new = page.locator("#calendar-feed").get_by_label("Feed address").input_value()
    assert new != old
    org.refresh_from_db()
    assert new.endswith(f"/calendar/{org.calendar_token}.ics")
    assert page.request.get(f"{live_server.url}/calendar/{org.calendar_token}.ics").ok
    assert page.request.get(old.replace(old.split("/calendar/")[0], live_server.url)).status == 404
