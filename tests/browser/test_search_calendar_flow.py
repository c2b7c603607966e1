"""An advisor searches from the header, reads the month calendar and moves around by keyboard,
at 1366 px and on a 390 px phone."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from fleetmaint import days
from fleetmaint.vehicles import services as vehicles
from tests.browser.conftest import login, screenshot
from tests.reports import factories as make
from tests.search import rows

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fleet(org):
    van = vehicles.vehicle_create(
        org=org,
        label="Sprinter Blue",
        vehicle_key="FLEET-0042",
        plate="B-XY 4711",
        vin="WDB9066331S123456",
        make="Mercedes-Benz",
        model="Sprinter",
    )
    other = vehicles.vehicle_create(org=org, label="Sprinter Long", vehicle_key="FLEET-0043")
    vehicles.vehicle_create(org=org, label="Transit Custom", vehicle_key="FLEET-0044")
    servicer = make.servicer_for(org)
    make.open_task(van, days=2, description="Replace clutch")
    make.open_task(other, days=2, description="Sprinter wipers")
    make.open_task(other, days=-3, description="Check tyre pressure")
    make.interval(van, days=2, name="Brake check")
    make.interval(other, days=9, name="Annual inspection")
    make.order(van, servicer, eta_days=5)
    today = days.today(org)
    # A busy day in the next month: more than a cell shows.
    busy = (today.replace(day=1) + timedelta(days=32)).replace(day=6)
    for number in range(5):
        make.open_task(other, days=(busy - today).days, description=f"Check lights {number}")
    rows.contract(van, number="SP-2030-7", provider="RoadCare", ends=today + timedelta(days=12))
    return van


def _month_heading(day: date) -> str:
    return day.strftime("%B %Y")


def test_search_calendar_and_shortcuts(page: Page, live_server, advisor, org, fleet):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "bob")
    today = days.today(org)

    # The header's search suggests as one types; a suggestion opens its page.
    search = page.get_by_role("searchbox", name="Search the fleet")
    search.click()
    search.press_sequentially("sprinter", delay=30)
    panel = page.locator("#search-suggestions .suggest-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".suggest-kind")).to_have_text(["Vehicles", "Tasks"])
    expect(page.locator("#topsearch-status")).to_contain_text("suggestions")
    screenshot(page, "search-suggestions-1366")
    # The arrow keys walk the suggestions; Escape closes them.
    search.press("ArrowDown")
    expect(panel.locator("[data-suggestion]").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(panel.locator("[data-suggestion]").nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(search).to_be_focused()
    search.press_sequentially(" blue", delay=30)
    expect(panel.locator(".suggest-hits a", has_text="Sprinter Blue")).to_be_visible()
    panel.locator(".suggest-hits a", has_text="Sprinter Blue").click()
    expect(page).to_have_url(re.compile(rf"/vehicles/{fleet.pk}/$"))

    # Enter opens the results page, the query in its address, grouped by kind.
    search = page.get_by_role("searchbox", name="Search the fleet")
    search.fill("clutch")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=clutch$"))
    results = page.locator("#search-results")
    expect(results.locator("h2")).to_have_text(["Vehicles", "Tasks", "Orders", "Contracts"])
    expect(results.get_by_role("link", name="Replace clutch")).to_be_visible()
    # The page's own field updates the results in place and the address with them.
    field = page.locator("#search-page-q")
    field.fill("")
    field.press_sequentially("roadcare", delay=30)
    expect(results.get_by_role("link", name="Service plan SP-2030-7")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search/\?q=roadcare$"))
    screenshot(page, "search-results-1366")

    # The month calendar: today marked, what is due on its day, overdue marked.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.locator("h1")).to_have_text(_month_heading(today))
    grid = page.locator(".cal-grid")
    today_cell = grid.locator("td[aria-current=date]")
    expect(today_cell.locator("time")).to_have_attribute("datetime", today.isoformat())
    in_two_days = today + timedelta(days=2)
    if in_two_days.month == today.month:
        cell = grid.locator(f"td:has(time[datetime='{in_two_days.isoformat()}'])")
        expect(cell.get_by_role("link", name=re.compile("Replace clutch"))).to_be_visible()
    three_ago = today - timedelta(days=3)
    if three_ago.month == today.month:
        late = grid.locator(f"td:has(time[datetime='{three_ago.isoformat()}']) .cal-item")
        expect(late).to_have_class(re.compile("is-overdue"))
        expect(late).to_contain_text("overdue")
    screenshot(page, "calendar-month-1366")

    # Next and previous months, in place, the address following.
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    page.get_by_role("link", name=re.compile("Next month")).click()
    expect(page.locator("h1")).to_have_text(_month_heading(next_month))
    expect(page).to_have_url(re.compile(rf"\?month={next_month:%Y-%m}$"))
    expect(page.locator(".cal-grid td[aria-current=date]")).to_have_count(0)
    busy = next_month.replace(day=6)
    busy_cell = page.locator(f".cal-grid td:has(time[datetime='{busy.isoformat()}'])")
    expect(busy_cell.locator(".cal-item")).to_have_count(3)
    screenshot(page, "calendar-next-month-1366")
    # A busy day opens in full above the month.
    busy_cell.get_by_role("link", name=re.compile(r"\+2 more")).click()
    day_panel = page.locator("#day")
    expect(day_panel.locator("h2")).to_have_text(busy.strftime("%A %-d %B %Y"))
    expect(day_panel.locator(".cal-item")).to_have_count(5)
    expect(page).to_have_url(re.compile(rf"day={busy.isoformat()}"))
    screenshot(page, "calendar-day-1366")
    day_panel.get_by_role("link", name="Close the day").click()
    expect(page.locator("#day")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Previous month")).click()
    expect(page.locator("h1")).to_have_text(_month_heading(today))
    page.go_back()
    expect(page.locator("h1")).to_have_text(_month_heading(next_month))

    # Keyboard: ? shows the shortcuts, Escape closes them, "/" goes to the search.
    page.locator("h1").click()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close keyboard shortcuts")).to_be_focused()
    screenshot(page, "shortcuts-1366")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search the fleet")
    expect(search).to_be_focused()
    # Letters typed into a field are the field's.
    page.keyboard.type("gt")
    expect(search).to_have_value("gt")
    expect(page.locator("h1")).to_have_text(_month_heading(next_month))
    search.fill("")
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("g")
    page.keyboard.press("t")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    page.keyboard.press("g")
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(r"/calendar/$"))

    # A phone: the calendar as a list of days, the search beside the menu button.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator(".cal-grid")).to_be_hidden()
    days_list = page.locator(".cal-list")
    expect(days_list).to_be_visible()
    expect(days_list.locator("section").first).to_be_visible()
    screenshot(page, "calendar-month-390")
    search = page.get_by_role("searchbox", name="Search the fleet")
    expect(search).to_be_visible()
    search.click()
    search.press_sequentially("sprinter", delay=30)
    expect(page.locator("#search-suggestions .suggest-panel")).to_be_visible()
    screenshot(page, "search-suggestions-390")
    search.press("Enter")
    expect(page.locator("#search-results h2").first).to_have_text("Vehicles")
    screenshot(page, "search-results-390")
    # Nothing runs past the phone's edge.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
