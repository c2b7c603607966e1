"""An advisor opens a vehicle with a history: the header says what is due next, the
History tab pages through the timeline in place and filters it, the Costs tab draws
what the vehicle cost, and the printable record leaves the clicking out; at desktop
width and on a 390 px phone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.intervals import services as intervals
from fleetmaint.orders import quotes, servicers
from fleetmaint.orders import services as orders
from fleetmaint.orders.models import CatalogItem, OrderStatus, Servicer, ServiceType
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> bool:
    """Nothing makes the page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _order(van: Vehicle) -> None:
    shop = Servicer.objects.create(name="Bay Garage", service_types=["scheduled_maintenance"])
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(servicer=shop, code="tire-rotation", name="Tire rotation", price=40),
            CatalogItem(servicer=shop, code="brake-pads", name="Brake pads", price="220.50"),
        ]
    )
    servicers.partnership_link(org=van.org, servicer=shop)
    quote = quotes.quote_create(
        org=van.org,
        vehicle=van,
        servicer=shop,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code="tire-rotation"), quotes.ItemRequest(code="brake-pads")],
    )
    placed = quotes.quote_accept(quote=quote)
    for step in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED):
        placed = orders.order_set_status(order=placed, status=step, reason="Test")


@pytest.fixture
def van(org, advisor) -> Vehicle:
    """Transit 4: thirty readings over four months, a brake job with its invoice, an oil
    change serviced, an order of tyres and pads, a service plan with its terms, and a
    tachograph check still to come."""
    now = timezone.now()
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4", make="Ford")
    start = now - timedelta(days=120)
    for n in range(30):
        vehicles.reading_record(
            vehicle=van, odometer=40_000 + n * 300, recorded_at=start + timedelta(days=4 * n)
        )
    plan = contracts.contract_create(
        vehicle=van,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-1",
            provider="Ford Credit",
            start_date=(now - timedelta(days=150)).date(),
            end_date=(now + timedelta(days=400)).date(),
        ),
    )
    contracts.document_attach(
        contract=plan, upload=SimpleUploadedFile("terms.pdf", PDF, "application/pdf")
    )
    van.refresh_from_db()
    brakes = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Bleed the brakes", conditions=Conditions(mileage={"limit": 5_000})
        ),
    )
    tasks.task_mark_done(
        task=brakes,
        completion=CompletionInput(
            # After the last reading: at its odometer, 48,700 km.
            done_at=now - timedelta(days=2),
            cost=Decimal("145.50"),
            servicer="Quick Lube",
            notes="Fluid was dark.",
        ),
        actor=advisor,
    )
    invoice = tasks.file_upload(
        org=org, upload=SimpleUploadedFile("invoice.pdf", PDF, "application/pdf")
    )
    tasks.task_attach(task=brakes, files=[invoice])
    van.refresh_from_db()
    oil = intervals.interval_create(vehicle=van, name="Oil change", odometer=van.odometer + 2_000)
    intervals.interval_mark_serviced(
        interval=oil,
        completion=CompletionInput(
            done_at=now - timedelta(days=61),
            odometer=44_400,
            cost=Decimal("80"),
            servicer="Depot North",
        ),
        actor=advisor,
    )
    _order(van)
    intervals.interval_create(vehicle=van, name="Tachograph check", time=now + timedelta(days=20))
    van.refresh_from_db()
    return van


def test_advisor_reads_a_vehicles_record(page: Page, live_server, advisor, van):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/")

    # 1. The header: meters, unit, status and the next thing due; the Overview lists it.
    glance = page.locator("#vehicle-glance")
    expect(glance).to_contain_text("48,700 km")
    expect(glance).to_contain_text("Kilometres")
    expect(glance).to_contain_text("active")
    expect(page.locator("#next-due")).to_contain_text("Tachograph check")
    expect(page.locator("#next-due")).to_contain_text("(by date)")
    expect(page.locator("#coming-up")).to_contain_text("Tachograph check")
    screenshot(page, "vehicle-record-overview-1366")

    # 2. History: the newest first, twenty to a page.
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="History"
    ).click()
    history = page.locator("#history")
    expect(history.locator(".pager")).to_contain_text("1\u201320 of 34")
    first = history.locator("tbody tr").first
    expect(first).to_contain_text("Order")
    expect(first).to_contain_text("260.50 EUR")
    expect(history).to_contain_text("invoice.pdf")
    screenshot(page, "vehicle-record-history-1366")

    # 3. The next page comes in place: the page stays, its address says which page.
    page.evaluate("window.__samePage = true")
    history.get_by_role("link", name="Next →").click()
    expect(history.locator(".pager")).to_contain_text("21\u201334 of 34")
    assert page.url.endswith("/history/?page=2")
    assert page.evaluate("window.__samePage === true")
    expect(history).to_contain_text("Service plan SP-1")
    expect(history.get_by_role("link", name="terms.pdf")).to_be_visible()

    # 4. Only the work done, still in place.
    history.get_by_role("link", name="Work done").click()
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").first).to_contain_text("Bleed the brakes")
    expect(history.locator("tbody tr").nth(1)).to_contain_text("by Depot North")
    assert page.url.endswith("/history/?kind=work")
    assert page.evaluate("window.__samePage === true")

    # 5. Costs: the month chart, the categories and the cost per km.
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Costs"
    ).click()
    expect(page.locator("#cost-months svg.bar-chart")).to_be_visible()
    expect(page.locator("#cost-total")).to_have_text("486.00 EUR")
    expect(page.locator("#cost-categories")).to_contain_text("Orders: scheduled maintenance")
    expect(page.locator("#cost-per-distance")).not_to_have_text("—")
    screenshot(page, "vehicle-record-costs-1366")
    page.get_by_role("link", name="3 months").click()
    expect(page.locator("#cost-months svg .column")).to_have_count(3)
    assert page.url.endswith("/costs/?months=3")

    # 6. On a phone: nothing runs off the side.
    page.set_viewport_size(PHONE)
    screenshot(page, "vehicle-record-costs-390")
    assert _fits(page)
    page.goto(f"{live_server.url}/vehicles/{van.pk}/history/")
    screenshot(page, "vehicle-record-history-390")
    assert _fits(page)
    page.goto(f"{live_server.url}/vehicles/{van.pk}/")
    screenshot(page, "vehicle-record-overview-390")
    assert _fits(page)

    # 7. The printable record: every entry, and no menus, tabs or buttons on paper.
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/vehicles/{van.pk}/history/")
    page.get_by_role("link", name="Printable record").click()
    expect(page.locator("#history tbody tr")).to_have_count(34)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".tabs")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("#history")).to_be_visible()
    screenshot(page, "vehicle-record-print")
