"""Nobody is stranded on an error page: refusals explain themselves and lead back.

A viewer following a link to a change they may not make lands on a page inside
the site's layout, menu included, that says why and leads back to the list. An
advisor demoted while a page is open sees the refusal of their next click in
place, above the page they were on. An advisor opens Settings and copies the
fleet's calendar feed, without meeting the admins' parts.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Role
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

VIEWER_REASON = (
    "Your role is Viewer: you can see this fleet but not change it. "
    "Ask an admin of Acme Logistics to change your role."
)


@pytest.fixture
def van(org) -> Vehicle:
    van = vehicles.vehicle_create(org=org, label="Transit 7", vehicle_key="TR-7", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=12_000)
    van.refresh_from_db()
    return van


@pytest.fixture
def oil(van) -> ServiceInterval:
    return intervals.interval_create(vehicle=van, name="Oil Change", odometer=12_000)


def test_a_viewer_sent_to_a_quote_request_is_told_why_and_led_back(
    page: Page, live_server, viewer, admin_user, oil
):
    login(page, live_server, "victor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Due").click()
    expect(page.locator("body")).to_contain_text("Oil Change")
    expect(page.get_by_role("button", name="Ask for a quote")).to_have_count(0)

    # A colleague's link to ask for a quote for the oil change.
    page.goto(f"{live_server.url}/quotes/new/?interval={oil.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this here")
    expect(page.locator(".error-reason")).to_have_text(VIEWER_REASON)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("form[method=post] button", has_text="Ask for the quote")).to_have_count(0)
    screenshot(page, "error-403-viewer-quote")

    page.get_by_role("link", name="Back to Due").click()
    expect(page).to_have_url(f"{live_server.url}/due/")
    expect(page.locator("body")).to_contain_text("Oil Change")


def test_a_missing_vehicle_leads_back_to_the_vehicles(page: Page, live_server, viewer, van):
    login(page, live_server, "victor")
    response = page.goto(f"{live_server.url}/vehicles/{van.pk + 1000}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshot(page, "error-404-vehicle")
    page.get_by_role("link", name="Back to Vehicles").click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/")
    expect(page.locator("body")).to_contain_text("Transit 7")


def test_an_advisor_demoted_while_the_page_is_open_sees_the_refusal_in_place(
    page: Page, live_server, org, advisor, admin_user, van
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/schedule/")
    page.evaluate("window.__sameDocument = true")
    accounts.membership_set(org=org, user=advisor, role=Role.VIEWER)

    page.get_by_role("button", name="Generate preset intervals").click()
    alert = page.locator("#page-alert [role=alert]")
    expect(alert).to_contain_text(VIEWER_REASON)
    # The schedule is still there, under the explanation, in the same document.
    expect(page.locator("#schedule")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    assert not ServiceInterval.objects.filter(vehicle=van).exists()
    screenshot(page, "error-403-htmx-in-place")


def test_an_advisor_copies_the_calendar_feed_from_settings(
    page: Page, live_server, org, advisor, admin_user
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, live_server, "bob")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(f"{live_server.url}/settings/")
    feed = page.locator("#calendar-feed")
    address = feed.get_by_label("Feed address")
    expect(address).to_have_value(re.compile(rf"/calendar/{org.calendar_token}\.ics$"))
    for admin_part in ("#org-form", "#members", "#api-keys"):
        expect(page.locator(admin_part)).to_have_count(0)
    expect(feed.get_by_role("button", name="Rotate address")).to_have_count(0)
    expect(page.locator("#admin-only")).to_contain_text("alice")

    feed.get_by_role("button", name="Copy address").click()
    expect(feed.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address.input_value()
    screenshot(page, "settings-advisor-feed")


def test_a_form_sent_after_the_session_ended_says_to_sign_in_again(
    page: Page, live_server, advisor, van
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/edit/")
    page.get_by_label("Make").fill("Renault")
    # The session ends while the form is open (its cookies are gone).
    page.context.clear_cookies()
    page.get_by_role("button", name="Save changes").click()
    alert = page.locator("#page-alert [role=alert]")
    expect(alert).to_contain_text("The form could not be sent.")
    expect(alert).to_contain_text("Sign in again, then send the form once more.")
    # In place: the form and what was typed in it are still there.
    expect(page.get_by_label("Make")).to_have_value("Renault")
    van.refresh_from_db()
    assert van.make == "Ford"
    screenshot(page, "error-csrf-in-place")
    alert.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/"))


@pytest.mark.urls("tests.accounts.failing_urls")
def test_a_fault_shows_a_page_that_leads_home(page: Page, live_server, advisor):
    login(page, live_server, "bob")
    response = page.goto(f"{live_server.url}/failing/")
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    screenshot(page, "error-500")
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.locator(".userbox")).to_contain_text("bob")
