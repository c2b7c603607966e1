"""An advisor's day and a servicer's on a phone and on a laptop.

At 390 px (a phone) and 1366 px (a laptop) no page scrolls sideways, each page's
main links are on the screen, and on the phone what a finger taps is 44 px high.
On a phone the main menu folds behind a Menu button that opens with a tap, Enter
or Space and closes with Escape, giving focus back; at 320 px the header (the
organization, the bell, the user, Sign out) still fits; without JavaScript the
menu shows open.
"""

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.notifications import delivery
from fleetmaint.notifications import services as notifications
from fleetmaint.notifications.services import Recipients
from fleetmaint.orders.models import OrderStatus, ServicerStaff
from fleetmaint.vehicles import services as vehicles
from tests.browser.conftest import login, screenshot
from tests.reports import factories as make

pytestmark = pytest.mark.browser

PHONE, SMALL_PHONE, LAPTOP = 390, 320, 1366
TOUCH = 44  # px: the least height of anything a finger taps on a narrow screen
VOID = re.compile("^Void the reading")

# What a finger taps: buttons, links styled as buttons, the user box, pager links,
# tabs, form controls and the labels that hold bare checkboxes.
TAPPABLE = (
    ".topbar button, .userbox > a, .notif-menu > summary, .topbar .nav a, "
    "main .btn, main button, .pager a, .tabs a, .check-target, "
    "main .filters input, main .filters select"
)


@pytest.fixture
def fleet(org, advisor):
    """Some of everything: due services, open tasks, orders, a contract, a notification."""
    servicer = make.servicer_for(org)
    vans = make.fleet(org, servicer, 3)
    # A vehicle with long names, the kind that once pushed tables past the screen.
    transit = vehicles.vehicle_create(
        org=org,
        label="Transit Custom 2.0 EcoBlue Refrigerated",
        vehicle_key="TRANSIT-CUSTOM-REFRIGERATED-0042",
        make="Ford",
        model="Transit Custom",
        year=2022,
        plate="B-FM-4242",
    )
    now = timezone.now()
    vehicles.reading_record(vehicle=transit, odometer=41_250, recorded_at=now - timedelta(days=9))
    vehicles.reading_record(vehicle=transit, odometer=42_080, recorded_at=now - timedelta(days=2))
    make.interval(transit, days=-3, name="Refrigeration unit inspection")
    make.open_task(transit, days=4, description="Replace the cargo door seals and recalibrate")
    pending = make.order(
        transit, servicer, status=OrderStatus.PENDING, eta_days=6, items=("240.00",)
    )
    contracts.contract_create(
        vehicle=transit,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-2022-000042",
            start_date=date.today() - timedelta(days=300),
            end_date=date.today() + timedelta(days=60),
            start_odometer=0,
            distance_limit=60_000,
        ),
    )
    notifications.notify(
        org=org,
        event="interval.due",
        dedupe_key=f"responsive:{transit.pk}",
        subject="Refrigeration unit inspection is required on Transit Custom 2.0 EcoBlue",
        text="It was due three days ago.",
        link=f"/vehicles/{transit.pk}/schedule/",
        recipients=Recipients(users=[advisor]),
    )
    delivery.deliver_due()
    nina = User.objects.create_user(username="nina", email="nina@example.com", password="pw")
    ServicerStaff.objects.create(user=nina, servicer=servicer)
    return {"vans": vans, "transit": transit, "order": pending, "servicer": servicer}


def _at_width(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


def _no_sideways_scroll(page: Page) -> None:
    wide, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} scrolls sideways: {wide} px wide in a {window} px window"


def _on_screen(locator: Locator) -> None:
    """Visible, and wholly between the window's left and right edges."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    window = locator.page.evaluate("window.innerWidth")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= window + 0.5, (
        f"{locator} is not within the {window} px window: {box}"
    )


def _too_small_to_tap(page: Page) -> list[str]:
    """The visible tappable things under 44 px high, described."""
    return page.evaluate(
        """([selector, least]) => [...document.querySelectorAll(selector)]
          .filter((el) => el.checkVisibility({ visibilityProperty: true }))
          .filter((el) => el.getBoundingClientRect().height < least)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`
            + ` "${el.textContent.trim().slice(0, 30)}"`
            + ` ${Math.round(el.getBoundingClientRect().height)} px`)""",
        [TAPPABLE, TOUCH],
    )


def _check(page: Page, width: int, name: str, links: list[Locator]) -> None:
    """The page fits the window, its main links are on the screen, a finger can tap it."""
    _no_sideways_scroll(page)
    for link in links:
        _on_screen(link)
    if width < 900:
        assert not _too_small_to_tap(page), f"{page.url}: {_too_small_to_tap(page)}"
    screenshot(page, f"responsive-{width}-{name}")


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_an_advisors_pages_fit_the_screen(page: Page, live_server, org, advisor, fleet, width):
    transit, order = fleet["transit"], fleet["order"]
    _at_width(page, width)
    login(page, live_server, "bob")
    main = page.locator("main")

    page.goto(f"{live_server.url}/")
    _check(
        page,
        width,
        "dashboard",
        [
            main.locator("a.stat", has_text="Services required"),
            page.locator("#coming-up").get_by_role("link").first,
            page.locator("#due-timeline td.week-tasks a").first,
        ],
    )

    page.goto(f"{live_server.url}/tasks/")
    seals = page.locator("#results tbody tr", has_text="cargo door seals")
    _check(
        page,
        width,
        "tasks",
        [
            seals.get_by_role("link", name="Open “Replace the cargo door seals and recalibrate”"),
            seals.get_by_role("link", name=transit.label),
            seals.locator("summary", has_text="Actions"),
            main.get_by_role("link", name="+ New task for vehicles"),
            main.locator("#task-download > summary"),
        ],
    )
    # The row's menu opens where the finger is, inside the screen.
    seals.locator("summary", has_text="Actions").click()
    _on_screen(seals.get_by_role("button", name="Mark done"))
    _no_sideways_scroll(page)
    screenshot(page, f"responsive-{width}-tasks-row-menu")

    page.goto(f"{live_server.url}/due/")
    inspection = page.locator("#results tbody tr", has_text="Refrigeration unit inspection")
    _check(
        page,
        width,
        "due",
        [
            inspection.get_by_role("link", name=transit.label),
            main.get_by_role("button", name="Ask for a quote"),
        ],
    )
    # The checkbox's whole label takes the tap.
    inspection.locator(".check-target").click()
    expect(
        page.get_by_label(f"Select Refrigeration unit inspection on {transit.label}")
    ).to_be_checked()

    page.goto(f"{live_server.url}/vehicles/{transit.pk}/")
    tabs = page.get_by_role("navigation", name="Vehicle sections")
    _check(
        page,
        width,
        "vehicle",
        [
            tabs.get_by_role("link", name="Schedule"),
            tabs.get_by_role("link", name="Contracts"),
            main.get_by_role("link", name="Edit"),
            main.get_by_role("button", name="Save reading"),
            page.locator("#readings").get_by_role("link", name=VOID).first,
        ],
    )

    tabs.get_by_role("link", name="Schedule").click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/{transit.pk}/schedule/")
    _check(
        page,
        width,
        "schedule",
        [page.locator("#intervals summary", has_text="Actions").first],
    )

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    _check(
        page,
        width,
        "order",
        [main.get_by_role("link", name=transit.label)],
    )

    # The other lists fit too, each with the way into its rows on the screen.
    for name, path, link in (
        ("vehicles", "/vehicles/", transit.label),
        ("orders", "/orders/", f"Order {order.pk}"),
        ("contracts", "/contracts/", transit.label),
        ("notifications", "/notifications/", "Refrigeration unit inspection is required"),
    ):
        page.goto(f"{live_server.url}{path}")
        _check(page, width, name, [main.get_by_role("link", name=link).first])


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_a_servicers_portal_fits_the_screen(page: Page, live_server, org, fleet, width):
    order = fleet["order"]
    _at_width(page, width)
    login(page, live_server, "nina")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    _check(
        page,
        width,
        "portal",
        [page.locator("#results").get_by_role("link", name=f"Order {order.pk}")],
    )
    page.locator("#results").get_by_role("link", name=f"Order {order.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/portal/orders/{order.pk}/")
    main = page.locator("main")
    _check(
        page,
        width,
        "portal-order",
        [
            main.get_by_role("link", name="← Orders"),
            main.get_by_role("button", name="Accept the order"),
            main.locator("summary", has_text="Decline…"),
        ],
    )
    # A menu of the actions bar opens inside the screen.
    main.locator("summary", has_text="Decline…").click()
    _on_screen(main.get_by_role("button", name="Decline the order"))
    _no_sideways_scroll(page)

    # The servicer's menu folds on a phone as the advisor's does.
    menu = page.get_by_role("button", name="Menu")
    if width < 900:
        menu.click()
    else:
        expect(menu).to_be_hidden()
    _on_screen(page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders"))


def _focused_is(page: Page, locator: Locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


@pytest.mark.parametrize("width", [SMALL_PHONE, PHONE])
def test_the_menu_opens_with_its_button_and_the_keyboard(
    page: Page, live_server, org, advisor, width
):
    _at_width(page, width)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/")
    button = page.get_by_role("button", name="Menu")
    # Folded, the menu is out of the accessibility tree: find it by the id the button names.
    nav = page.locator("nav#main-nav")
    expect(button).to_have_attribute("aria-controls", "main-nav")
    expect(nav).to_have_attribute("aria-label", "Main")

    # Folded: the header holds the brand, the button and the user box, all on the screen.
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    userbox = page.locator(".userbox")
    for part in (
        page.get_by_role("link", name="fleetmaint"),
        button,
        userbox.get_by_text("Acme Logistics"),
        userbox.locator("summary[aria-label=Notifications]"),
        userbox.get_by_role("link", name="bob · Advisor"),
        userbox.get_by_role("button", name="Sign out"),
    ):
        _on_screen(part)
    _no_sideways_scroll(page)
    assert not _too_small_to_tap(page), _too_small_to_tap(page)
    screenshot(page, f"responsive-{width}-menu-closed")

    # A tap opens it: every section on the screen, each link big enough to tap.
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    for section in ("Dashboard", "Vehicles", "Due", "Tasks", "Orders", "Contracts", "API"):
        _on_screen(nav.get_by_role("link", name=section))
    expect(nav.get_by_role("link", name="Vehicles")).to_have_class("active")
    _no_sideways_scroll(page)
    assert not _too_small_to_tap(page), _too_small_to_tap(page)
    screenshot(page, f"responsive-{width}-menu-open")
    button.click()
    expect(nav).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    # By keyboard: Enter opens, Tab walks into the menu, Escape closes it and
    # gives focus back to the button; Space opens it again.
    button.focus()
    page.keyboard.press("Enter")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    assert _focused_is(page, nav.get_by_role("link", name="Dashboard"))
    page.keyboard.press("Tab")
    assert _focused_is(page, nav.get_by_role("link", name="Vehicles"))
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert _focused_is(page, button)
    page.keyboard.press(" ")
    expect(nav).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")

    # A tap elsewhere on the page closes it too.
    page.locator("h1").click()
    expect(nav).to_be_hidden()

    # Its links lead where they say; the next page starts with the menu folded.
    button.click()
    nav.get_by_role("link", name="Tasks").click()
    expect(page).to_have_url(f"{live_server.url}/tasks/")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    # The bell's panel stays inside the screen.
    page.locator("details.notif-menu > summary").click()
    _on_screen(page.locator(".notif-panel"))
    _no_sideways_scroll(page)
    screenshot(page, f"responsive-{width}-notifications-panel")


def test_on_a_laptop_the_menu_is_always_open(page: Page, live_server, org, advisor):
    _at_width(page, LAPTOP)
    login(page, live_server, "bob")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for section in ("Dashboard", "Vehicles", "Due", "Tasks", "Orders", "Contracts"):
        _on_screen(nav.get_by_role("link", name=section))


@pytest.fixture
def no_script_page(browser: Browser) -> Iterator[Page]:
    """A phone-sized browser with JavaScript switched off."""
    context = browser.new_context(
        viewport={"width": PHONE, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_without_javascript_the_menu_shows_open(no_script_page: Page, live_server, org, advisor):
    page = no_script_page
    login(page, live_server, "bob")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for section in ("Dashboard", "Vehicles", "Due", "Tasks", "Orders", "Contracts"):
        _on_screen(nav.get_by_role("link", name=section))
    _no_sideways_scroll(page)
    screenshot(page, "responsive-390-menu-without-javascript")
    nav.get_by_role("link", name="Due").click()
    expect(page).to_have_url(f"{live_server.url}/due/")
    _no_sideways_scroll(page)
