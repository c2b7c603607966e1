"""The service works report from the Tasks page: a direct download, or a job with progress."""

import io

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header

from fleetmaint.accounts.access import get_owned, member_required
from fleetmaint.errors import DomainError
from fleetmaint.reports import delivery, task_report
from fleetmaint.reports.models import JobStatus, ReportJob
from fleetmaint.web import render_page


def _attachment(content, name: str, content_type: str) -> FileResponse:
    return FileResponse(content, as_attachment=True, filename=name, content_type=content_type)


def _streamed_csv(request: HttpRequest, report_request) -> StreamingHttpResponse:
    """The CSV report sent as the database writes it, chunk by chunk, at any size."""
    response = StreamingHttpResponse(
        task_report.csv_chunks(request.org, report_request),
        content_type=task_report.content_type(report_request),
    )
    name = task_report.filename(request.org, report_request)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@member_required
def download(request: HttpRequest) -> HttpResponse:
    """``GET /reports/tasks/`` with the Tasks page's query string plus format, group_by, paper.

    CSV is streamed at any size; other formats up to ``REPORT_SYNC_LIMIT`` rows
    are built during the request, larger ones by a background job
    (``reports.delivery`` decides).
    """
    query = request.GET
    try:
        report_request = task_report.report_request(
            task_report.page_filters(query, zone=request.org.time_zone),
            format=query.get("format"),
            group_by=query.get("group_by"),
            paper=query.get("paper"),
        )
        how, rows = delivery.choose(
            report_request.format,
            lambda: task_report.count_rows(request.org, report_request),
            can_wait=True,
        )
        if how is delivery.Delivery.STREAM:
            return _streamed_csv(request, report_request)
        if how is delivery.Delivery.JOB:
            job = task_report.job_create(
                org=request.org, actor=request.user, request=report_request, total_rows=rows
            )
            return redirect("task-reports:job", pk=job.pk)
        out = io.BytesIO()
        task_report.write_report(request.org, report_request, out, total_rows=rows)
    except DomainError as error:
        messages.error(request, error.message)
        back = query.copy()
        for name in ("format", "group_by", "paper"):
            back.pop(name, None)
        return redirect(f"{reverse('tasks:list')}?{back.urlencode()}")
    out.seek(0)
    return _attachment(
        out,
        task_report.filename(request.org, report_request),
        task_report.content_type(report_request),
    )


@member_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_owned(request, ReportJob.objects.all(), pk=pk)
    return render_page(
        request, "reports/job.html", {"job": job, "JobStatus": JobStatus}, partial="progress"
    )


@member_required
def job_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_owned(request, ReportJob.objects.all(), pk=pk)
    if job.status != JobStatus.READY or not job.file:
        raise Http404("This report is not ready, or it has been removed.")
    request_ = task_report.ReportRequest.from_json(job.parameters)
    return _attachment(
        job.file.open("rb"),
        job.filename or task_report.filename(request.org, request_),
        task_report.content_type(request_),
    )
