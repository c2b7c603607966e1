"""The service works report (seed 004 ``download``) over the JSON API; rules in task_report."""

from typing import Annotated, Literal

from django.http import FileResponse, HttpRequest
from ninja import Query, Router

from fleetmaint.api.common import SortOption
from fleetmaint.reports import task_report

router = Router(tags=["reports"])

StatusName = Literal["created", "notified", "expired", "done"]
SORT_HELP = (
    "Repeatable 'field=asc|desc' over id, vehicle, description, status, cost, "
    "predicted_date. Default: predicted_date=asc."
)


def report_response(org, request: task_report.ReportRequest, *, filename_header: bool):
    """The file, with a Content-Disposition naming it when asked."""
    response = FileResponse(
        task_report.report_file(org, request), content_type=task_report.content_type(request)
    )
    if filename_header:
        response["Content-Disposition"] = (
            f'attachment; filename="{task_report.filename(org, request)}"'
        )
    return response


@router.get(
    "/reports/tasks",
    response={200: None},
    summary="Service works report",
    description="The tasks matching the filters as a PDF, XLSX, XLS or CSV file.",
)
def task_report_download(
    request: HttpRequest,
    only_unplanned: bool = False,
    vehicle_ids: Annotated[list[int] | None, Query(description="Repeatable.")] = None,
    statuses: Annotated[list[StatusName] | None, Query(description="Repeatable.")] = None,
    sort: Annotated[list[SortOption] | None, Query(description=SORT_HELP)] = None,
    limit: int | None = Query(None, ge=0, le=task_report.MAX_PAGE_VALUE),
    offset: int = Query(0, ge=0, le=task_report.MAX_PAGE_VALUE),
    format: Literal["pdf", "xlsx", "xls", "csv"] = "pdf",
    group_by: Literal["vehicle", "status"] | None = None,
    paper: Literal["a4", "letter"] = "a4",
    add_filename_header: bool = False,
):
    filters = task_report.strict_filters(
        request.org,
        only_unplanned=only_unplanned,
        vehicle_ids=vehicle_ids,
        statuses=statuses,
        sort=sort,
    )
    report = task_report.report_request(
        filters, format=format, group_by=group_by, paper=paper, limit=limit, offset=offset
    )
    return report_response(request.org, report, filename_header=add_filename_header)
