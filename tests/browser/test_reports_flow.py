"""An advisor downloads the Tasks list as a spreadsheet, with the filters on screen."""

import openpyxl
import pytest
from playwright.sync_api import Page

from fleetmaint.tasks import services as tasks
from fleetmaint.vehicles import services as vehicles
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def two_tasks(org):
    van = vehicles.vehicle_create(org=org, label="Van 9", vehicle_key="VAN-9")
    vehicles.reading_record(vehicle=van, odometer=10_000)
    van.refresh_from_db()
    for description, unplanned in (("Replace wipers", True), ("Oil change", False)):
        tasks.task_create(
            vehicle=van,
            data=tasks.TaskInput(
                description=description,
                cost=40,
                unplanned=unplanned,
                conditions=tasks.Conditions(mileage={"limit": 5_000}),
            ),
        )


def test_the_download_menu_gives_the_list_on_screen_as_xlsx(
    page: Page, live_server, advisor, two_tasks, tmp_path
):
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/tasks/?unplanned=yes")
    page.click("#task-download summary")
    screenshot(page, "tasks-download-menu")

    with page.expect_download() as download_info:
        page.click("#task-download >> text=Excel (XLSX)")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value}
    assert "Replace wipers" in cells
    assert "Oil change" not in cells  # filtered out on screen, so not in the file
