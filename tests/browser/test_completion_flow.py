"""A service advisor records what was done, finds it in the vehicle's history, takes it
back, and removes an attachment, in a real browser at desktop width and at 320 px."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NARROW = {"width": 320, "height": 720}
DESKTOP = {"width": 1280, "height": 900}


def _fits(page: Page, selector: str) -> bool:
    """The card shows all it holds: nothing is cut off at its right edge."""
    return page.evaluate(
        "s => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth + 1 }",
        selector,
    )


@pytest.fixture
def van(org) -> Vehicle:
    vehicle = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4")
    vehicles.reading_record(
        vehicle=vehicle, odometer=11_000, recorded_at=timezone.now() - timedelta(days=3)
    )
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(van) -> ServiceTask:
    task = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Oil change",
            cost="120",
            conditions=Conditions(mileage={"limit": 5_000}),
        ),
    )
    stored = tasks.file_upload(
        org=van.org, upload=SimpleUploadedFile("invoice.pdf", PDF, "application/pdf")
    )
    tasks.task_attach(task=task, files=[stored])
    return task


def test_advisor_records_a_completion_reopens_it_and_removes_a_file(
    page: Page, live_server, advisor, van, oil
):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/tasks/")
    row = page.locator(f"#task-{oil.pk}")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    # 1. Mark done from the row: the date, the odometer, what it cost, who and notes.
    row.get_by_text("Actions").click()
    row.get_by_label("Done on").fill(yesterday)
    row.get_by_label("Odometer").fill("11250")
    row.get_by_label("Cost").fill("95.40")
    row.get_by_label("Done by").fill("Quick Lube")
    row.get_by_label("Notes").fill("Filter changed too.")
    screenshot(page, "completion-row-form")
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator("#live-notice")).to_have_text("“Oil change” is done.")
    expect(page.locator(f"#task-{oil.pk}")).to_have_count(0)
    completion = TaskCompletion.objects.get(task=oil)
    assert (completion.odometer, str(completion.cost), completion.servicer) == (
        11_250,
        "95.40",
        "Quick Lube",
    )
    van.refresh_from_db()
    assert van.odometer == 11_250  # recorded as a reading

    # 2. The vehicle's History tab shows it.
    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="History"
    ).click()
    work = page.locator("#work-history tbody tr").first
    expect(work).to_contain_text(yesterday)
    expect(work).to_contain_text("Oil change")
    expect(work).to_contain_text("11,250 km")
    expect(work).to_contain_text("95.40 EUR")
    expect(work).to_contain_text("Quick Lube")
    expect(work).to_contain_text("Filter changed too.")
    screenshot(page, "completion-history-desktop")
    page.set_viewport_size(NARROW)
    screenshot(page, "completion-history-320")
    assert _fits(page, "#work-history")

    # 3. On the task's page, reopen it: the browser asks first.
    page.set_viewport_size(DESKTOP)
    work.get_by_role("link", name="Oil change").click()
    expect(page.get_by_role("heading", name="Oil change", level=1)).to_be_visible()
    expect(page.locator("#task-history")).to_contain_text("by Quick Lube")
    questions: list[str] = []

    def accept(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#messages")).to_contain_text("“Oil change” is open again.")
    expect(page.locator("#task-history .completion")).to_contain_text("reopened")
    assert questions and questions[0].startswith("Reopen “Oil change”?")
    oil.refresh_from_db()
    assert oil.status == Status.CREATED
    screenshot(page, "completion-reopened-desktop")

    # 4. Remove the attached file, at 320 px: asked first, then gone.
    page.set_viewport_size(NARROW)
    files = page.locator("#task-files")
    expect(files).to_contain_text("invoice.pdf")
    screenshot(page, "completion-task-page-320")
    files.get_by_role("button", name="Remove invoice.pdf").click()
    expect(page.locator("#messages")).to_contain_text("Removed invoice.pdf.")
    expect(page.locator("#task-files")).to_contain_text("No files.")
    assert questions[-1] == "Remove invoice.pdf from this task?"
    assert not oil.files.exists()
    assert _fits(page, "#task-files") and _fits(page, "#task-history")
    screenshot(page, "completion-file-removed-320")
