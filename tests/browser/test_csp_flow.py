"""The pages under the strict Content-Security-Policy: nothing refused, every control working.

The ``page`` fixture fails any test whose pages trip the policy; these tests visit
the pages no other flow reaches, and the controls that once were inline handlers.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Role
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications.models import WebhookEndpoint
from tests.browser.conftest import login, screenshot
from tests.reports import factories as make

pytestmark = pytest.mark.browser

POLICY_START = "default-src 'self'; script-src 'self'; style-src 'self';"


def test_the_fixture_catches_what_the_policy_refuses(
    page: Page, live_server, csp_violations: list[str]
):
    response = page.goto(f"{live_server.url}/login/")
    assert response.headers["content-security-policy"].startswith(POLICY_START)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    # Markup that arrives with an inline style and an inline script, as an injected
    # fragment would: the browser refuses both and the test hears of it.
    page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.innerHTML = '<p style="color: red">x</p>';
          document.body.append(box);
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran === undefined")
    assert any("style-src" in v for v in csp_violations), csp_violations
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen; the fixture's own check would fail the test


def test_an_admin_visits_every_kind_of_page(page: Page, live_server, admin_user, org):
    servicer = make.servicer_for(org)
    vans = make.fleet(org, servicer, 2)
    make.interval(vans[0], days=3)
    endpoint = WebhookEndpoint.objects.create(
        org=org, url="https://hooks.example.com/fleet", secret="whsec_x", description="ERP"
    )
    login(page, live_server, "alice")
    for path in (
        "/",
        "/vehicles/",
        f"/vehicles/{vans[0].pk}/",
        f"/vehicles/{vans[0].pk}/schedule/",
        f"/vehicles/{vans[0].pk}/tasks/",
        f"/vehicles/{vans[0].pk}/contracts/",
        "/due/",
        "/schedule/presets/",
        "/tasks/",
        f"/tasks/new/?vehicle={vans[0].pk}",
        "/tasks/batch/",
        "/orders/",
        "/contracts/",
        "/settings/",
        "/settings/servicers/",
        "/notifications/",
        "/notifications/preferences/",
        "/notifications/webhooks/",
        f"/notifications/webhooks/{endpoint.pk}/",
        "/vehicles/new/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, path
        page.wait_for_load_state("networkidle")
    # The bell's panel loads by htmx into the header.
    page.goto(f"{live_server.url}/")
    page.locator("details.notif-menu > summary").click()
    expect(page.locator(".notif-panel")).to_contain_text("notifications")

    # The progress bars draw their share as an SVG attribute, not an inline style.
    page.goto(f"{live_server.url}/due/")
    bar = page.get_by_role("progressbar", name="How far along").first
    expect(bar).to_be_visible()
    ratio = bar.evaluate(
        "b => b.querySelector('rect').getBoundingClientRect().width"
        " / b.getBoundingClientRect().width"
    )
    assert abs(ratio - int(bar.get_attribute("aria-valuenow")) / 100) < 0.02
    screenshot(page, "csp-due")


def test_confirmations_ask_before_a_form_is_sent(page: Page, live_server, admin_user, org):
    make.fleet(org, make.servicer_for(org), 1)
    endpoint = WebhookEndpoint.objects.create(
        org=org, url="https://hooks.example.com/fleet", secret="whsec_x"
    )
    login(page, live_server, "alice")
    questions: list[str] = []

    # Declined: nothing is sent.
    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.goto(f"{live_server.url}/notifications/webhooks/{endpoint.pk}/")
    page.get_by_role("button", name="Delete").click()
    assert questions == ["Delete this endpoint and its delivery log?"]
    expect(page).to_have_url(f"{live_server.url}/notifications/webhooks/{endpoint.pk}/")
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    # Accepted: the form goes.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(f"{live_server.url}/notifications/webhooks/")
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    before = ServiceInterval.objects.count()
    page.goto(f"{live_server.url}/due/")
    page.once("dialog", dismiss)
    page.get_by_role("button", name="Generate presets for the fleet").click()
    assert questions[-1].startswith("Generate the preset intervals for every active vehicle")
    assert ServiceInterval.objects.count() == before
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Generate presets for the fleet").click()
    expect(page.locator("#messages")).to_be_visible()
    assert ServiceInterval.objects.count() > before

    # The calendar feed's address is selected whole on focus, ready to copy.
    page.goto(f"{live_server.url}/settings/")
    address = page.locator("#calendar-url")
    address.focus()
    assert address.evaluate("i => i.selectionStart === 0 && i.selectionEnd === i.value.length")


def test_a_member_of_two_fleets_switches_from_the_header(
    page: Page, live_server, advisor, org, other_org
):
    accounts.membership_set(org=other_org, user=advisor, role=Role.VIEWER)
    login(page, live_server, "bob")
    switch = page.locator("#org-switch")
    expect(switch).to_be_visible()
    switch.select_option(label="Other Fleet")
    expect(page.locator("#org-switch option:checked")).to_have_text("Other Fleet")
    switch.select_option(label="Acme Logistics")
    expect(page.locator("#org-switch option:checked")).to_have_text("Acme Logistics")


def test_the_django_admin_works_under_the_policy(page: Page, live_server, org, admin_user):
    User.objects.create_superuser("root", "root@example.com", "pw")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/accounts/organization/",
        f"/admin/accounts/organization/{org.pk}/change/",
        "/admin/orders/servicer/add/",
        "/admin/vehicles/vehicle/add/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, path
        page.wait_for_load_state("networkidle")
    # The admin's own scripts run: the filter of a many-to-many selector is there.
    page.goto(f"{live_server.url}/admin/auth/user/{admin_user.pk}/change/")
    expect(page.locator("#id_groups_filter, #id_user_permissions_filter").first).to_be_visible()
    screenshot(page, "csp-admin-user")


def test_the_api_docs_work_under_the_policy(page: Page, live_server, db):
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    screenshot(page, "csp-api-docs")
