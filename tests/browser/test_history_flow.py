"""Back and Forward tell the truth: a list's address is its state.

Filters, sorts and pages change a list in place and push its address. Going Back
or Forward must show the rows of that address *and* controls that read the same:
after choosing vehicle A, then B, Back shows A's rows with A in the filter, not
A's rows under a filter still reading B (or "All vehicles").
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.intervals import services as intervals
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _van(org, label: str, key: str) -> Vehicle:
    van = vehicles.vehicle_create(org=org, label=label, vehicle_key=key, make="Ford")
    vehicles.reading_record(vehicle=van, odometer=10_000)
    van.refresh_from_db()
    return van


def _task(van: Vehicle, description: str) -> None:
    tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description=description,
            conditions=Conditions(mileage={"limit": 5_000, "notification_interval": 500}),
        ),
    )


@pytest.fixture
def alpha(org) -> Vehicle:
    van = _van(org, "Alpha van", "AL-1")
    _task(van, "Alpha brakes")
    _task(van, "Alpha wipers")
    return van


@pytest.fixture
def bravo(org) -> Vehicle:
    van = _van(org, "Bravo van", "BR-2")
    _task(van, "Bravo tyres")
    return van


def _choose_vehicle(page: Page, text: str) -> None:
    """Types the vehicle into the filter and leaves the field, which applies it."""
    field = page.locator("form.filters input[name=vehicle]")
    field.fill(text)
    field.press("Tab")


def test_back_and_forward_on_tasks_restore_the_vehicle_filter(
    page: Page, live_server, advisor, alpha, bravo
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/tasks/")
    rows = page.locator("#results tbody tr[id^=task-]")
    field = page.locator("form.filters input[name=vehicle]")
    expect(rows).to_have_count(3)

    _choose_vehicle(page, "Alpha van")
    expect(page).to_have_url(re.compile(r"/tasks/\?.*vehicle=Alpha(\+|%20)van"))
    expect(rows).to_have_count(2)
    _choose_vehicle(page, "Bravo van")
    expect(page).to_have_url(re.compile(r"/tasks/\?.*vehicle=Bravo(\+|%20)van"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bravo tyres")

    # Back: Alpha's rows, and the filter says Alpha.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/tasks/\?.*vehicle=Alpha(\+|%20)van"))
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Alpha brakes")).to_have_count(1)
    expect(field).to_have_value("Alpha van")
    screenshot(page, "history-tasks-back-to-alpha")

    # Back again: the whole fleet, and the filter is empty.
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/tasks/")
    expect(rows).to_have_count(3)
    expect(field).to_have_value("")

    # Forward twice: Alpha, then Bravo, each with its own filter.
    page.go_forward()
    expect(rows).to_have_count(2)
    expect(field).to_have_value("Alpha van")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"/tasks/\?.*vehicle=Bravo(\+|%20)van"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bravo tyres")
    expect(field).to_have_value("Bravo van")
    screenshot(page, "history-tasks-forward-to-bravo")


@pytest.fixture
def schedule(org, alpha, bravo) -> None:
    """Work in each state of the Due page's Show menu: required, due soon, not due."""
    now = timezone.now()
    intervals.interval_create(
        vehicle=alpha, name="Brake check", time=now - timedelta(days=2), already_overdue=True
    )
    intervals.interval_create(vehicle=bravo, name="Coolant", time=now + timedelta(days=5))
    intervals.interval_create(vehicle=bravo, name="Timing belt", time=now + timedelta(days=300))
    intervals.interval_create(vehicle=alpha, name="Gearbox oil", time=now + timedelta(days=400))


def test_back_and_forward_on_due_restore_the_show_menu(page: Page, live_server, advisor, schedule):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/due/")
    rows = page.locator("#results table").first.locator("tbody tr")
    show = page.get_by_label("Show")
    expect(rows).to_have_count(4)

    show.select_option("required")
    expect(page).to_have_url(re.compile(r"/due/\?.*state=required"))
    expect(rows).to_have_count(1)
    show.select_option("ok")
    expect(page).to_have_url(re.compile(r"/due/\?.*state=ok"))
    expect(rows).to_have_count(2)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/due/\?.*state=required"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Brake check")
    expect(show).to_have_value("required")
    screenshot(page, "history-due-back-to-required")

    page.go_back()
    expect(rows).to_have_count(4)
    expect(show).to_have_value("")

    page.go_forward()
    expect(show).to_have_value("required")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"/due/\?.*state=ok"))
    expect(rows).to_have_count(2)
    expect(show).to_have_value("ok")
    screenshot(page, "history-due-forward-to-not-due")


@pytest.fixture
def fleet(org) -> None:
    """Thirty vehicles: two pages of the Vehicles list."""
    for n in range(30):
        vehicles.vehicle_create(org=org, label=f"Unit {n:02d}", vehicle_key=f"U-{n:02d}")


def test_back_and_forward_on_vehicles_restore_the_sort_and_the_page(
    page: Page, live_server, advisor, fleet
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/")
    first_cells = page.locator("#results tbody tr").first
    sort = page.get_by_label("Sort")
    pager = page.locator("#results .pager")
    expect(first_cells).to_contain_text("Unit 00")

    sort.select_option("-label")
    expect(page).to_have_url(re.compile(r"/vehicles/\?.*sort=-label"))
    expect(first_cells).to_contain_text("Unit 29")
    pager.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"/vehicles/\?.*page=2"))
    expect(first_cells).to_contain_text("Unit 04")
    expect(pager).to_contain_text("Page 2 of 2")

    # Back: the first page, still sorted last to first, and the menu says so.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/vehicles/\?(?!.*page=).*sort=-label"))
    expect(first_cells).to_contain_text("Unit 29")
    expect(pager).to_contain_text("Page 1 of 2")
    expect(sort).to_have_value("-label")
    screenshot(page, "history-vehicles-back-to-sorted")

    page.go_back()
    expect(first_cells).to_contain_text("Unit 00")
    expect(sort).to_have_value("label")

    page.go_forward()
    expect(sort).to_have_value("-label")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"/vehicles/\?.*page=2"))
    expect(first_cells).to_contain_text("Unit 04")
    expect(sort).to_have_value("-label")
    expect(pager).to_contain_text("Page 2 of 2")
    screenshot(page, "history-vehicles-forward-to-page-2")
