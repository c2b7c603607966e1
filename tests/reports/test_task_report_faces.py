"""The service works report's faces: the Tasks page's Download menu and the report page,
the background job with its progress, the JSON API and the vendor-compatible endpoint."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
import xlrd
from pypdf import PdfReader

from fleetmaint.reports import delivery, task_report
from fleetmaint.reports.models import JobStatus, ReportJob
from fleetmaint.tasks import queries
from tests.clock import NOW
from tests.reports.test_task_report import build_fleet, make_task

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def fleet(org, vehicle):
    return build_fleet(org, vehicle)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_ids(content: bytes) -> list[int]:
    return [int(r[0]) for r in list(csv.reader(io.StringIO(content.decode())))[1:]]


def list_ids(org, query: dict) -> list[int]:
    return [t.pk for t in queries.task_list(org, task_report.page_filters(query))]


# --- the Tasks page and /reports/tasks/ -------------------------------------------------


def test_the_tasks_page_offers_downloads_carrying_its_filters(advisor_client, fleet):
    page = advisor_client.get("/tasks/?status=all&sort=cost%3Ddesc&q=o").content.decode()
    fragment = advisor_client.get("/tasks/?status=done", **HTMX).content.decode()

    assert 'id="task-download"' in page
    for fmt in ("pdf", "xlsx", "xls", "csv"):
        assert (
            f'href="/reports/tasks/?status=all&amp;sort=cost%3Ddesc&amp;q=o&amp;format={fmt}"'
            in page
        )
    # The menu is part of the list's fragment, so it follows the filters as they change.
    assert 'href="/reports/tasks/?status=done&amp;format=csv"' in fragment


def test_a_vehicles_tasks_tab_downloads_that_vehicles_tasks(advisor_client, fleet):
    van = fleet["van"]
    page = advisor_client.get(f"/vehicles/{van.pk}/tasks/?status=all").content.decode()
    link = re.search(r'href="(/reports/tasks/\?[^"]*format=csv)"', page).group(1)

    response = advisor_client.get(link.replace("&amp;", "&"))
    assert sorted(csv_ids(body(response))) == sorted(
        t.pk for t in (fleet["oil"], fleet["brakes"], fleet["inspection"])
    )


@pytest.mark.parametrize(
    "query",
    ["", "status=all&sort=cost%3Ddesc", "status=all&unplanned=no&sort=vehicle%3Dasc", "q=brake"],
)
def test_the_download_holds_the_lists_rows_in_its_order(org, advisor_client, fleet, query):
    from django.http import QueryDict

    response = advisor_client.get(f"/reports/tasks/?{query}&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_ids(body(response)) == list_ids(org, QueryDict(query))


def test_the_download_is_an_xlsx_attachment_with_a_meaningful_name(advisor_client, fleet):
    response = advisor_client.get("/reports/tasks/?status=all&format=xlsx&group_by=status")

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="service-works-acme-logistics-2030-06-15.xlsx"'
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True)
    )
    assert rows[-1][2] == "Total (5 tasks)" and rows[-1][8] == 1235.75


def test_a_viewer_downloads_a_pdf_by_default(viewer_client, fleet):
    response = viewer_client.get("/reports/tasks/?status=all")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(body(response))).pages[0].extract_text()
    assert "Acme Logistics" in text and "Total (5 tasks)" in text


def test_an_xls_too_large_goes_back_to_the_list_with_the_reason(advisor_client, fleet, monkeypatch):
    monkeypatch.setattr(delivery, "XLS_MAX_ROWS", 2)

    response = advisor_client.get("/reports/tasks/?status=all&format=xls", follow=True)

    assert response.redirect_chain[-1][0] == "/tasks/?status=all"
    assert "Choose XLSX" in response.content.decode()


def test_an_unknown_format_is_explained(advisor_client, fleet):
    response = advisor_client.get("/reports/tasks/?format=docx", follow=True)
    assert "Unknown format" in response.content.decode()


def test_signed_out_visitors_are_sent_to_login(client, fleet):
    response = client.get("/reports/tasks/?format=csv")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the background job -----------------------------------------------------------------


def test_a_large_report_is_built_in_the_background_with_progress(
    advisor_client, advisor, fleet, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_SYNC_LIMIT = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.get("/reports/tasks/?status=all&format=xlsx&group_by=vehicle")

    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/jobs/{job.pk}/"
    assert job.status == JobStatus.READY and job.progress == 100
    assert job.rows_done == job.rows_total == 5 and job.requested_by == advisor
    assert job.finished_at is not None
    assert job.filename == "service-works-acme-logistics-2030-06-15.xlsx"

    page = advisor_client.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert "Your report is ready" in page and f"/reports/jobs/{job.pk}/file" in page
    fragment = advisor_client.get(f"/reports/jobs/{job.pk}/", **HTMX).content.decode()
    assert "every 1s" not in fragment and "<html" not in fragment

    download = advisor_client.get(f"/reports/jobs/{job.pk}/file")
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    assert (
        'filename="service-works-acme-logistics-2030-06-15.xlsx"'
        in (download["Content-Disposition"])
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(body(download))).active.iter_rows(values_only=True)
    )
    assert rows[1][0] == "Actros 7" and rows[-1][8] == 1235.75


def test_the_job_page_polls_while_the_report_is_being_built(advisor_client, org):
    job = ReportJob.objects.create(
        org=org,
        parameters=task_report.report_request(queries.TaskFilters()).to_json(),
        status=JobStatus.RUNNING,
        progress=40,
        rows_done=4000,
        rows_total=10000,
    )

    page = advisor_client.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert '<progress id="report-progress" max="100" value="40"' in page
    assert "4000 of 10000 tasks" in page
    fragment = advisor_client.get(f"/reports/jobs/{job.pk}/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="report-job"') and "every 1s" in fragment
    assert advisor_client.get(f"/reports/jobs/{job.pk}/file").status_code == 404


def test_the_report_tells_its_progress_as_rows_are_written(org, fleet, monkeypatch):
    monkeypatch.setattr(task_report, "PROGRESS_EVERY", 2)
    seen = []
    request = task_report.report_request(queries.TaskFilters(), format="csv")

    task_report.write_report(org, request, io.BytesIO(), on_progress=lambda *n: seen.append(n))

    assert seen == [(2, 5), (4, 5)]
    job = ReportJob.objects.create(org=org, parameters=request.to_json())
    task_report.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.progress == 100 and job.rows_done == 5


def test_a_failed_job_says_why(advisor_client, org, fleet, monkeypatch):
    monkeypatch.setattr(delivery, "XLS_MAX_ROWS", 1)
    job = ReportJob.objects.create(
        org=org,
        parameters=task_report.report_request(
            task_report.page_filters({"status": "all"}), format="xls"
        ).to_json(),
    )
    task_report.job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "Choose XLSX" in advisor_client.get(f"/reports/jobs/{job.pk}/").content.decode()


def test_another_fleets_job_is_not_found(outsider_client, viewer_client, org, fleet):
    job = ReportJob.objects.create(org=org, parameters=task_report.ReportRequest().to_json())
    task_report.job_run(job.pk)

    assert outsider_client.get(f"/reports/jobs/{job.pk}/").status_code == 404
    assert outsider_client.get(f"/reports/jobs/{job.pk}/file").status_code == 404
    # A viewer of the fleet reads and downloads reports.
    assert viewer_client.get(f"/reports/jobs/{job.pk}/").status_code == 200
    download = viewer_client.get(f"/reports/jobs/{job.pk}/file")
    assert download.status_code == 200 and body(download).startswith(b"%PDF")


def test_an_expired_report_is_gone(advisor_client, org, fleet, clock):
    job = ReportJob.objects.create(org=org, parameters=task_report.ReportRequest().to_json())
    task_report.job_run(job.pk)
    clock.move_to(NOW + timedelta(hours=25))
    task_report.jobs_cleanup()

    assert advisor_client.get(f"/reports/jobs/{job.pk}/file").status_code == 404
    assert "has been removed" in advisor_client.get(f"/reports/jobs/{job.pk}/").content.decode()


def test_the_cleanup_is_scheduled():
    from fleetmaint.notifications.management.commands.setup_schedules import SCHEDULES

    assert ("fleetmaint.reports.jobs.cleanup_reports", 60) in SCHEDULES.values()


# --- JSON API ---------------------------------------------------------------------------


def test_the_api_answers_the_report_with_the_vendor_filters(org, api, fleet):
    response = api.get(
        "/api/v1/reports/tasks",
        {"format": "csv", "statuses": ["created", "notified"], "sort": ["cost=desc"]},
    )

    assert response.status_code == 200 and "Content-Disposition" not in response
    expected = queries.task_list(
        org,
        queries.TaskFilters(statuses=("created", "notified"), sort=(("cost", "desc"),)),
    )
    assert csv_ids(body(response)) == [t.pk for t in expected]


def test_the_api_names_the_file_when_asked(api, fleet):
    response = api.get(
        "/api/v1/reports/tasks",
        {"format": "xls", "group_by": "vehicle", "add_filename_header": "true", "limit": 2},
    )

    assert response["Content-Type"] == "application/vnd.ms-excel"
    assert response["Content-Disposition"] == (
        'attachment; filename="service-works-acme-logistics-2030-06-15.xls"'
    )
    sheet = xlrd.open_workbook(file_contents=body(response)).sheet_by_index(0)
    assert sheet.cell_value(sheet.nrows - 1, 2) == "Total (2 tasks)"


def test_the_api_filters_by_vehicle_and_unplanned(api, fleet):
    response = api.get(
        "/api/v1/reports/tasks",
        {"format": "csv", "vehicle_ids": [fleet["truck"].pk], "only_unplanned": "true"},
    )
    assert csv_ids(body(response)) == [fleet["tyres"].pk]


def test_the_api_refuses_bad_parameters(api, other_api, fleet):
    bad_sort = api.get("/api/v1/reports/tasks", {"sort": ["price=asc"]})
    bad_format = api.get("/api/v1/reports/tasks", {"format": "docx"})
    foreign = other_api.get("/api/v1/reports/tasks", {"vehicle_ids": [fleet["van"].pk]})

    assert bad_sort.status_code == 400 and bad_sort.json()["field"] == "sort"
    assert bad_format.status_code == 400 and bad_format.json()["code"] == "invalid"
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    assert api.get("/api/v1/openapi.json").json()["paths"]["/api/v1/reports/tasks"]


# --- vendor-compatible endpoint (seed 004 download) -------------------------------------


def test_compat_download_by_query_string(api_key, client, org, fleet):
    response = client.get(
        "/v2/vehicle/service_task/download",
        {"hash": api_key, "group_by": "status", "format": "xlsx"},
    )

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "Content-Disposition" not in response
    rows = list(
        openpyxl.load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True)
    )
    assert [r[0] for r in rows if isinstance(r[0], str)][1:] == ["Planned", "Due soon", "Done"]


def test_compat_download_by_json_body_with_the_vendor_parameters(api_key, client, org, fleet):
    response = client.post(
        "/v2/vehicle/service_task/download",
        {
            "hash": api_key,
            "statuses": ["created", "notified"],
            "sort": ["cost=asc"],
            "limit": 2,
            "offset": 1,
            "format": "csv",
            "add_filename_header": True,
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="service-works-acme-logistics-2030-06-15.csv"'
    )
    expected = queries.task_list(
        org, queries.TaskFilters(statuses=("created", "notified"), sort=(("cost", "asc"),))
    )
    assert csv_ids(body(response)) == [t.pk for t in expected][1:3]


def test_compat_download_defaults_to_pdf_and_form_fields(api_key, client, fleet):
    response = client.post(
        "/v2/vehicle/service_task/download",
        {"hash": api_key, "only_unplanned": "true", "vehicle_ids": f"[{fleet['truck'].pk}]"},
    )

    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(body(response))).pages[0].extract_text()
    assert "Tyres" in text and "Wipers" not in text and "Total (1 tasks)" in text


def test_compat_download_errors_use_the_vendor_envelope(api_key, client, fleet):
    no_hash = client.get("/v2/vehicle/service_task/download")
    bad_status = client.get(
        "/v2/vehicle/service_task/download", {"hash": api_key, "statuses": '["lost"]'}
    )
    bad_format = client.get("/v2/vehicle/service_task/download", {"hash": api_key, "format": "doc"})
    unknown_vehicle = client.get(
        "/v2/vehicle/service_task/download", {"hash": api_key, "vehicle_ids": "[999999]"}
    )

    assert no_hash.status_code == 400 and no_hash.json()["status"]["code"] == 3
    assert bad_status.json() == {
        "success": False,
        "status": {"code": 7, "description": bad_status.json()["status"]["description"]},
    }
    assert bad_format.json()["status"]["code"] == 7
    assert "format" in bad_format.json()["status"]["description"]
    assert unknown_vehicle.json()["status"]["code"] == 201


def test_a_task_added_later_appears_in_the_next_report(advisor_client, fleet):
    make_task(fleet["van"], "Late addition", days=1, cost="5")
    response = advisor_client.get("/reports/tasks/?q=late&format=csv")
    assert len(csv_ids(body(response))) == 1
