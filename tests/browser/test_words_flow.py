"""Words for people, in a real browser: an advisor reads the task list, a quote, the
notification settings and the dashboard's cost chart, and an admin the webhook page,
and meets names where codes were (Planned, Overdue, "Task overdue", the quote line's
name), a dash where a task has no cost, drawn icons where emoji were, and the chart's
months with their years."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.orders import quotes
from fleetmaint.orders.models import CatalogItem, Partnership, Servicer, ServiceType
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from tests.browser.conftest import login, screenshot
from tests.reports import factories as make

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def fleet(org):
    van = vehicles.vehicle_create(org=org, label="Transit 9", vehicle_key="TR-9")
    vehicles.reading_record(vehicle=van, odometer=20_000)
    van.refresh_from_db()
    end = (timezone.localdate() + timedelta(days=60)).strftime("%Y-%m-%d 23:59:59")
    wipers = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Replace wipers",
            repeat=True,
            conditions=Conditions(date={"end": end, "repeat_interval": 180}),
        ),
    )
    sheet = SimpleUploadedFile("wiper-sheet.pdf", PDF, content_type="application/pdf")
    tasks.task_attach(task=wipers, files=[tasks.file_upload(org=org, upload=sheet)])
    brakes = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Brake pads",
            cost=Decimal("120.50"),
            conditions=Conditions(mileage={"limit": 5_000}),
        ),
    )
    ServiceTask.objects.filter(pk=brakes.pk).update(status=Status.EXPIRED)
    # Costs eleven months apart: the first and the last month of the chart.
    now = timezone.now()
    for days_ago, cost in ((20, "300"), (330, "180")):
        make.done_task(van, cost=cost, completed_at=now - timedelta(days=days_ago))
    garage = Servicer.objects.create(
        name="Northside", service_types=["scheduled_maintenance", "repair_depot"]
    )
    Partnership.objects.create(org=org, servicer=garage)
    CatalogItem.objects.create(
        servicer=garage, code="oil-change", name="Oil change, 5W-30", price=Decimal("89")
    )
    CatalogItem.objects.create(
        servicer=garage, code="cabin-filter", name="Cabin filter", price=Decimal("35")
    )
    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code="oil-change"), quotes.ItemRequest(code="cabin-filter")],
    )
    empty = vehicles.vehicle_create(org=org, label="Sprinter 2", vehicle_key="SP-2")
    return {"van": van, "wipers": wipers, "quote": quote, "empty": empty}


def _words(page: Page, selector: str = "main") -> str:
    return page.locator(selector).inner_text()


def test_people_read_words_not_codes(page: Page, live_server, advisor, admin_user, org, fleet):
    login(page, live_server, "bob")

    # The task list: one vocabulary in the filter, the counts and the rows.
    page.goto(f"{live_server.url}/tasks/")
    status = page.locator("form.filters select[name=status]")
    options = [o.strip() for o in status.locator("option").all_inner_texts()]
    assert options == ["Open", "Planned", "Due soon", "Overdue", "Done", "All"]
    expect(page.locator("#task-stats")).to_contain_text("Overdue")
    wipers = page.locator(f"#task-{fleet['wipers'].pk}")
    expect(wipers.locator("td[data-label=Status] .badge")).to_have_text("planned")
    expect(wipers.locator("td[data-label=Cost]")).to_have_text("—")
    expect(wipers.get_by_text("repeats")).to_be_visible()
    clip = wipers.get_by_role("link", name="wiper-sheet.pdf").locator("svg.icon")
    box = clip.bounding_box()
    assert box and 8 <= box["width"] <= 24, box  # drawn, about one letter wide
    brakes = page.locator("tr", has_text="Brake pads")
    expect(brakes.locator(".badge.danger")).to_have_text("overdue")
    expect(brakes.locator("td[data-label=Cost]")).to_have_text("120.50 EUR")
    text = _words(page)
    for code in ("Created", "Expired", "📎", "↻", "0.00 EUR"):
        assert code not in text, code
    screenshot(page, "words-task-list")

    # A vehicle without tasks says so, and offers to add the first one.
    page.goto(f"{live_server.url}/vehicles/{fleet['empty'].pk}/tasks/")
    empty = page.locator("#tasks-empty")
    expect(empty).to_contain_text("No tasks yet for this vehicle.")
    screenshot(page, "words-no-tasks-yet")
    empty.get_by_role("link", name="Add the first one").click()
    dialog = page.locator("dialog#task-dialog")
    expect(dialog.get_by_role("heading", name="New task for Sprinter 2")).to_be_visible()
    screenshot(page, "words-first-task-dialog")
    page.keyboard.press("Escape")

    # A task's own page names itself once.
    page.goto(f"{live_server.url}/tasks/{fleet['wipers'].pk}/edit/")
    expect(page.get_by_role("heading", name="Edit “Replace wipers”")).to_have_count(1)

    # The quote: each line by its name; the catalogue codes stay the servicer's.
    page.goto(f"{live_server.url}/quotes/{fleet['quote'].pk}/")
    lines = page.locator("table.list tbody tr")
    expect(lines.nth(0)).to_contain_text("Oil change, 5W-30")
    expect(lines.nth(1)).to_contain_text("Cabin filter")
    quote_text = _words(page)
    assert "oil-change" not in quote_text and "cabin-filter" not in quote_text
    assert "Scheduled maintenance" in quote_text and "scheduled_maintenance" not in quote_text
    expect(lines.nth(3).locator("td.num")).to_have_text("none")  # nothing pre-authorised
    screenshot(page, "words-quote")

    # The notification settings: each event by its name in words.
    page.goto(f"{live_server.url}/notifications/preferences/")
    expect(page.locator("main")).to_contain_text("Task overdue")
    expect(page.locator("main")).to_contain_text("Task due soon")
    assert "task.expired" not in _words(page)
    page.get_by_label("SMS: Task overdue").check()
    screenshot(page, "words-notification-preferences")

    # The dashboard: the chart's title says its months, its axis their years.
    page.goto(f"{live_server.url}/")
    first = timezone.localdate().replace(day=1)
    back = first.year * 12 + first.month - 1 - 11  # eleven months before this one
    start = first.replace(year=back // 12, month=back % 12 + 1)
    title = page.locator("#cost-chart-title")
    # "July 2029 to June 2030"; within one calendar year (in December) the year is named once.
    span = (
        f"{start:%B} to {first:%B %Y}"
        if start.year == first.year
        else f"{start:%B %Y} to {first:%B %Y}"
    )
    expect(title).to_have_text(f"Maintenance cost, {span}")
    assert "last 12 months" not in _words(page, "#cost-chart")
    ticks = page.locator("#cost-chart text.axis-label").all_text_contents()
    months = [t for t in ticks if re.fullmatch(r"[A-Z][a-z]{2} \u2019\d\d", t)]
    assert len(months) == 12, ticks
    assert months[0] == f"{start:%b} \u2019{start:%y}"
    assert months[-1] == f"{first:%b} \u2019{first:%y}"
    assert {m[-2:] for m in months} == {f"{start:%y}", f"{first:%y}"}
    expect(page.locator(".stats")).to_contain_text("Overdue tasks")
    screenshot(page, "words-dashboard-chart")


def test_an_admin_ticks_webhook_events_beside_their_words(page: Page, live_server, admin_user):
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/notifications/webhooks/")
    events = page.locator("#webhook-events")
    expect(events.locator("legend")).to_have_text("Events")
    box = events.get_by_role("checkbox", name=re.compile("^Task overdue"))
    expect(box).to_be_visible()
    # Where the words "Task overdue" are drawn, beside the box.
    gap, rise = box.evaluate(
        """(input) => {
          const node = [...input.closest("label").childNodes]
            .find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
          const range = document.createRange();
          range.selectNodeContents(node);
          const words = range.getBoundingClientRect(), check = input.getBoundingClientRect();
          const middle = (r) => (r.top + r.bottom) / 2;
          return [words.left - check.right, Math.abs(middle(words) - middle(check))];
        }"""
    )
    assert 0 <= gap <= 16, gap  # the box sits right beside its words
    assert rise < 8, rise
    box.check()
    page.get_by_label("URL").fill("https://hooks.example.com/fleet")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#endpoints table")).to_contain_text("Task overdue")
    assert "task.expired" not in page.locator("#endpoints table").inner_text()
    screenshot(page, "words-webhooks")
