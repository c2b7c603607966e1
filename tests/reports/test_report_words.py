"""The service works report in people's words: the Tasks page's statuses, the sort as a
sentence, and a dash (not "0.00 EUR") for a task without a cost in the PDF."""

import csv
import io
import re

import openpyxl
import pytest
from pypdf import PdfReader

from fleetmaint.reports import task_report
from fleetmaint.tasks.models import Status
from tests.reports.test_task_report import build, build_fleet, everything

pytestmark = pytest.mark.usefixtures("clock", "media")


@pytest.fixture
def fleet(org, vehicle):
    fleet = build_fleet(org, vehicle)
    fleet["brakes"].status = Status.EXPIRED
    fleet["brakes"].save(update_fields=["status"])
    return fleet


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_downloaded_from_the_tasks_page_speaks_its_words(advisor_client, fleet):
    response = advisor_client.get("/reports/tasks/?format=pdf")
    assert response.status_code == 200
    text = _pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert "Status: Planned, Due soon, Overdue" in text
    assert "Sorted by predicted date, earliest first" in text
    assert "predicted_date" not in text and " asc" not in text
    for old in ("Created", "Expired"):
        assert old not in text
    # One cell a line: description, status, wear, predicted date, cost.
    assert re.search(r"\nInspection\nPlanned\n0%\n[\d-]+\n—\n", text), text
    assert re.search(r"\nBrake pads\nOverdue\n0%\n[\d-]+\n300\.00 EUR\n", text), text
    assert "0.00 EUR" not in text.replace("300.00 EUR", "").replace("800.00 EUR", "")


def test_the_csv_names_statuses_as_the_page_does_and_keeps_0_as_data(advisor_client, fleet):
    response = advisor_client.get("/reports/tasks/?format=csv&status=all")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = {row[2]: row for row in csv.reader(io.StringIO(body.decode("utf-8")))}
    assert rows["Oil change"][3] == "Planned"
    assert rows["Brake pads"][3] == "Overdue"
    assert rows["Wipers"][3] == "Done"
    assert rows["Inspection"][8] == "0.00"  # a data export keeps the number


@pytest.mark.parametrize(
    ("sort", "words"),
    [
        ("predicted_date=asc", "predicted date, earliest first"),
        ("predicted_date=desc", "predicted date, latest first"),
        ("cost=desc", "cost, highest first"),
        ("status=asc", "status, planned first"),
        ("vehicle=asc", "vehicle, A to Z"),
        ("id=desc", "when added, newest first"),
    ],
)
def test_the_sort_is_said_in_words(org, fleet, sort, words):
    request = task_report.report_request(
        task_report.page_filters({"status": "all", "sort": sort}), format="xlsx"
    )
    content, _ = build(org, request)
    about = dict(openpyxl.load_workbook(io.BytesIO(content))["About"].iter_rows(values_only=True))
    assert about["Sorted by"] == words
    assert about["Status"] == "All"


def test_a_page_of_rows_is_said_in_words(org, fleet):
    content, _ = build(org, everything(format="pdf", limit=2, offset=2))
    text = _pdf_text(content)
    assert "Rows: rows 3 to 4" in text
    assert re.search(r"offset|limit", text) is None


# --- the dashboard ----------------------------------------------------------------------


def test_the_cost_chart_names_its_months_with_their_years(advisor_client, fleet):
    html = advisor_client.get("/").content.decode()
    chart = html[html.index('id="cost-chart"') : html.index('id="due-timeline"')]
    # The clock stands in June 2030: the chart runs from July 2029 to June 2030.
    assert '<h2 id="cost-chart-title">Maintenance cost, July 2029 to June 2030</h2>' in chart
    assert "last 12 months" not in chart
    ticks = re.findall(r'<text class="axis-label"[^>]*text-anchor="middle">([^<]+)</text>', chart)
    assert ticks[0] == "Jul \u201929" and ticks[5] == "Dec \u201929"
    assert ticks[6] == "Jan \u201930" and ticks[-1] == "Jun \u201930"
    assert len(ticks) == 12


def test_the_dashboard_counts_and_badges_say_overdue(advisor_client, fleet):
    html = advisor_client.get("/").content.decode()
    assert '<div class="label">Overdue tasks</div>' in html
    assert '<span class="badge danger">overdue</span>' in html
    assert ">All overdue tasks</a>" in html
    assert "xpired" not in re.sub(r"<[^>]+>", " ", html)  # links may say status=expired


def test_an_empty_cost_chart_says_which_months_it_looked_at(advisor_client):
    html = advisor_client.get("/").content.decode()
    assert "No completed orders or done tasks with a cost in July 2029 to June 2030." in html
