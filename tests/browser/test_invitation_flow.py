"""An admin invites a new colleague by e-mail; the colleague joins from the link.

The invitation travels through a real SMTP receiver on loopback: the test
opens the link exactly as it arrived in the e-mail.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.accounts.models import Membership, Role
from tests.browser.conftest import login, screenshot
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

pytestmark = pytest.mark.browser

PASSWORD = "tyre pressure at dawn"


def _link_in(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
            match = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+/", text)
            assert match, f"no invitation link in {text!r}"
            return match.group(0)
    raise AssertionError("no text part in the invitation e-mail")


def test_an_invited_colleague_sets_a_password_and_lands_in_the_fleet(
    page: Page,
    live_server,
    settings,
    smtp,  # noqa: F811
    org,
    admin_user,
):
    settings.SITE_URL = live_server.url
    login(page, live_server, "alice")
    page.goto(f"{live_server.url}/settings/")
    members = page.locator("#members")
    members.get_by_label("E-mail address").fill("carla@example.com")
    members.get_by_label("Role", exact=True).select_option("advisor")
    members.get_by_role("button", name="Send invitation").click()

    expect(page.locator("#members [role=status]")).to_have_text(
        "Invitation sent to carla@example.com. They join when they accept it."
    )
    expect(members.get_by_label("E-mail address")).to_have_value("")
    pending = page.locator("#invitations")
    expect(pending).to_contain_text("carla@example.com")
    expect(pending).to_contain_text("Advisor")
    screenshot(page, "invitation-pending")
    assert not Membership.objects.filter(user__email="carla@example.com").exists()

    [mail] = smtp.to("carla@example.com")
    link = _link_in(mail)
    assert link.startswith(live_server.url)
    page.locator(".userbox").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/"))

    # Carla opens the link from her e-mail: a weak password is refused in plain words.
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Acme Logistics", level=1)).to_be_visible()
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Password again").fill("password")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.locator(".field.has-error")).to_contain_text("This password is too common.")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    screenshot(page, "invitation-accept")
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#messages")).to_contain_text("Welcome to Acme Logistics.")
    expect(page.locator(".userbox")).to_contain_text("carla · Advisor")
    screenshot(page, "invitation-joined")
    membership = Membership.objects.get(user__username="carla")
    assert (membership.org, membership.role) == (org, Role.ADVISOR)

    # Opening the link again while signed in goes to her dashboard; signed out, it is spent.
    page.goto(link)
    expect(page).to_have_url(f"{live_server.url}/")
    page.locator(".userbox").get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This invitation has already been used.")

    # Her own password signs her in next time, into the same fleet.
    login(page, live_server, "carla", PASSWORD)
    expect(page.locator(".userbox")).to_contain_text("carla · Advisor")


def test_a_member_changes_their_password_from_the_header(page: Page, live_server, advisor):
    login(page, live_server, "bob")
    page.locator(".userbox").get_by_role("link", name=re.compile("bob")).click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Old password").fill("pw")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#messages")).to_contain_text("Your password was changed.")
    advisor.refresh_from_db()
    assert advisor.check_password(PASSWORD)
