"""In-app notifications reach the header bell without a reload."""

import re

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.notifications import delivery, queries
from fleetmaint.notifications import services as notifications
from fleetmaint.notifications.services import Recipients
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_notification_appears_in_the_header_without_a_reload(
    page: Page, live_server, settings, advisor, org, vehicle
):
    settings.NOTIFICATION_POLL_SECONDS = 1
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/")
    count = page.locator("#notif-badge .count")
    expect(count).to_have_count(0)
    page.evaluate("window.__sameDocument = true")

    subject = "Oil Change is due on Van 1"
    link = f"/vehicles/{vehicle.pk}/schedule/"
    event = notifications.notify(
        org=org,
        event="interval.due",
        dedupe_key=f"browser-test:{vehicle.pk}:oil",
        subject=subject,
        text="Oil Change on Van 1 needs doing.",
        link=link,
        recipients=Recipients(users=[advisor]),
    )
    assert event is not None
    delivery.deliver_due()
    assert queries.unread_count(advisor, org) == 1

    # The badge polls every second: the count shows up on the same document.
    expect(count).to_have_text("1", timeout=5_000)
    expect(count).to_have_attribute("aria-label", "1 unread")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"

    # The bell opens a panel listing it.
    page.locator("details.notif-menu > summary").click()
    panel = page.locator(".notif-panel")
    item = panel.locator(".notif-items li", has_text=subject)
    expect(item).to_be_visible()
    expect(item).to_have_class(re.compile(r"\bunread\b"))
    screenshot(page, "notifications-panel-open")

    # Opening it goes to what it is about and marks it read.
    item.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}{link}")
    expect(page.get_by_role("heading", name="Van 1", level=1)).to_be_visible()
    expect(count).to_have_count(0)
    assert queries.unread_count(advisor, org) == 0
