"""A service advisor plans service tasks in a real browser.

The task dialog, the list's refresh and the filters are htmx swaps: a marker
set on ``window`` before the actions must still be there after them.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NEGATIVE_ERROR = "Ensure this value is greater than or equal to 0."


def _mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def _driven(org, label: str, key: str) -> Vehicle:
    """A vehicle driven 1,000 km over the last month, so it has a usage rate."""
    vehicle = vehicles.vehicle_create(org=org, label=label, vehicle_key=key, make="Ford")
    now = timezone.now()
    vehicles.reading_record(vehicle=vehicle, odometer=10_000, recorded_at=now - timedelta(days=30))
    vehicles.reading_record(
        vehicle=vehicle, odometer=11_000, recorded_at=now - timedelta(minutes=5)
    )
    vehicle.refresh_from_db()
    assert vehicle.odometer == 11_000
    assert vehicle.daily_distance
    return vehicle


@pytest.fixture
def used_van(org) -> Vehicle:
    return _driven(org, "Transit 4", "TR-4")


@pytest.fixture
def crafter(org) -> Vehicle:
    return _driven(org, "Crafter 2", "CR-2")


def test_advisor_plans_service_tasks(page: Page, live_server, advisor, org, used_van, crafter):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{used_van.pk}/")
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="Tasks"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/vehicles/{used_van.pk}/tasks/")
    rows = page.locator("#results tbody tr[id^=task-]")
    expect(rows).to_have_count(0)
    expect(page.locator("#results")).to_contain_text("No tasks yet for this vehicle.")
    notice = page.locator("#live-notice")
    dialog = page.locator("dialog#task-dialog")
    _mark_document(page)

    # 1. "+ New task" opens the dialog.
    expect(dialog).not_to_have_attribute("open", "")
    page.get_by_role("link", name="+ New task").click()
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    expect(dialog.get_by_role("heading", name="New task for Transit 4")).to_be_visible()
    expect(dialog.get_by_label("Engine-hours limit")).to_have_count(0)

    # 2. A negative distance: the error shows in the dialog, which stays open.
    dialog.get_by_label("Description").fill("Oil change")
    dialog.get_by_label("Distance limit").fill("-500")
    dialog.get_by_role("button", name="Create task").click()
    limit_field = dialog.locator(".field", has=page.locator("#id_mileage_limit"))
    expect(limit_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(limit_field.get_by_role("alert")).to_have_text(NEGATIVE_ERROR)
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    expect(dialog.get_by_label("Description")).to_have_value("Oil change")
    expect(notice).to_be_hidden()
    assert not ServiceTask.objects.filter(vehicle=used_van).exists()
    _assert_same_document(page)
    screenshot(page, "tasks-dialog-error")

    # 3. Fixed and saved: the dialog closes and the list shows the task in place.
    dialog.get_by_label("Distance limit").fill("500")
    dialog.get_by_label("Remind before (distance)").fill("100")
    dialog.get_by_role("button", name="Create task").click()
    expect(dialog).not_to_have_attribute("open", "")
    expect(dialog).to_be_hidden()
    expect(notice).to_have_text("Created “Oil change”.")
    expect(rows).to_have_count(1)
    task = ServiceTask.objects.get(vehicle=used_van)
    assert (task.mileage_notify_at, task.mileage_expire_at) == (11_400, 11_500)
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_contain_text("Oil change")
    expect(row.locator(".badge")).to_have_text("planned")
    expect(row.get_by_role("progressbar", name="Distance used")).to_have_attribute(
        "aria-valuenow", "0"
    )
    _assert_same_document(page)

    # 4. A reading past the reminder point: after a reload the row is due soon.
    vehicles.reading_record(vehicle=used_van, odometer=11_450, confirm_jump=True)
    task.refresh_from_db()
    assert task.status == Status.NOTIFIED
    page.reload()
    expect(row.locator(".badge.warn")).to_have_text("due soon")
    expect(row).to_contain_text("by mileage")
    expect(row.get_by_role("progressbar", name="Distance used")).to_have_attribute(
        "aria-valuenow", "90"
    )
    expect(row.locator(".wear .bar.warn")).to_have_count(1)
    screenshot(page, "tasks-due-soon-row")

    # 5. Actions → Mark done: the row leaves the open list.
    _mark_document(page)
    row.get_by_text("Actions", exact=True).click()
    row.get_by_role("button", name="Mark done").click()
    expect(notice).to_have_text("“Oil change” is done.")
    expect(row).to_have_count(0)
    expect(rows).to_have_count(0)
    task.refresh_from_db()
    assert (task.status, task.completion_mileage) == (Status.DONE, 11_450)
    _assert_same_document(page)

    # 6. The fleet-wide page: one task for two vehicles through the batch dialog.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", name="Service tasks", level=1)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/tasks/")
    expect(rows).to_have_count(0)
    planned = page.locator("#task-stats .stat", has_text="Planned").locator(".value")
    done = page.locator("#task-stats .stat", has_text="Done").locator(".value")
    expect(planned).to_have_text("0")
    expect(done).to_have_text("1")
    _mark_document(page)
    page.get_by_role("link", name="+ New task for vehicles").click()
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    expect(dialog.get_by_role("heading", name="New task for several vehicles")).to_be_visible()
    dialog.get_by_label("Transit 4 (TR-4)").check()
    dialog.get_by_label("Crafter 2 (CR-2)").check()
    dialog.get_by_label("Description").fill("Tyre check")
    dialog.get_by_label("Distance limit").fill("5000")
    dialog.get_by_label("Remind before (distance)").fill("500")
    screenshot(page, "tasks-batch-dialog")
    dialog.get_by_role("button", name="Create task").click()
    expect(dialog).to_be_hidden()
    expect(notice).to_have_text("Created “Tyre check” for 2 vehicles.")
    tyre_rows = rows.filter(has_text="Tyre check")
    expect(tyre_rows).to_have_count(2)
    expect(tyre_rows.filter(has_text="Transit 4")).to_have_count(1)
    expect(tyre_rows.filter(has_text="Crafter 2")).to_have_count(1)
    assert ServiceTask.objects.filter(description="Tyre check").count() == 2
    expect(planned).to_have_text("2")  # the counters follow the change
    expect(done).to_have_text("1")
    _assert_same_document(page)
    screenshot(page, "tasks-fleet-after-batch")

    # 7. A file that is not a PDF or image is refused, and the page says why; a PDF is kept.
    tyre = ServiceTask.objects.get(description="Tyre check", vehicle=crafter)
    tyre_row = page.locator(f"#task-{tyre.pk}")
    tyre_row.get_by_text("Actions", exact=True).click()
    tyre_row.get_by_label("Attach a file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a pdf"}]
    )
    tyre_row.get_by_role("button", name="Attach", exact=True).click()
    refusal = page.get_by_role("alert").filter(has_text="notes.txt is not a PDF")
    expect(refusal).to_be_visible()
    expect(notice).to_be_hidden()
    assert not tyre.files.exists()
    screenshot(page, "tasks-attach-refused")
    expect(tyre_row.locator("details.row-actions")).to_have_attribute("open", "")  # still open
    tyre_row.get_by_label("Attach a file").set_input_files(
        files=[{"name": "sheet.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    tyre_row.get_by_role("button", name="Attach", exact=True).click()
    expect(notice).to_have_text("Attached sheet.pdf.")
    expect(refusal).to_have_count(0)
    expect(tyre_row.get_by_role("link", name="sheet.pdf")).to_be_visible()
    assert [f.name for f in tyre.files.all()] == ["sheet.pdf"]
    _assert_same_document(page)

    # 8. The Status filter shows what is done, and the URL follows.
    status = page.get_by_role("combobox", name=re.compile(r"^Status"))
    status.select_option("done")
    expect(page).to_have_url(re.compile(r"/tasks/\?(.*&)?status=done(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class(re.compile(r"\bstatus-done\b"))
    expect(rows.first).to_contain_text("Oil change")
    expect(rows.first).to_contain_text("Transit 4")
    expect(rows.first.locator(".badge.ok")).to_have_text("done")
    _assert_same_document(page)
    screenshot(page, "tasks-filtered-done")

    # The pushed URL is a real page.
    page.reload()
    expect(status).to_have_value("done")
    expect(rows).to_have_count(1)
