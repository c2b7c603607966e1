"""The API's documentation page, the "API" menu item: it reads the OpenAPI document
and lists the operations, under the site's strict Content-Security-Policy."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_the_api_menu_item_opens_docs_that_list_the_operations(page: Page, live_server, admin_user):
    login(page, live_server, "alice")
    page.get_by_role("link", name="API", exact=True).click()
    page.wait_for_url("**/api/v1/docs")

    # Swagger UI shows a parser error in place of the operations when the document
    # cannot be read (as with a duplicated key).
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(page.locator(".errors-wrapper")).to_have_count(0)
    expect(page.get_by_text("fleetmaint API")).to_be_visible()
    summaries = page.locator(".opblock-summary-path")
    expect(summaries.filter(has_text="/api/v1/vehicles/{vehicle_id}/history")).to_have_count(1)
    expect(summaries.filter(has_text="/api/v1/reports/costs")).to_have_count(1)
    assert operations.count() > 40

    # An operation opens to show its answers, the errors among them.
    page.locator(".opblock-get").filter(
        has_text="/api/v1/vehicles/{vehicle_id}/history"
    ).first.locator(".opblock-summary").click()
    responses = page.locator(".responses-table .response-col_status")
    expect(responses.filter(has_text="404")).to_have_count(1)
    expect(responses.filter(has_text="401")).to_have_count(1)
    screenshot(page, "api-docs")
