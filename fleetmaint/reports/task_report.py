"""The service works report (seed 004 ``download``): its rows, its groups, its file.

Every face (the Tasks page's Download menu, the report job, the JSON API and
the vendor-compatible endpoint) turns its input into a :class:`ReportRequest`
(:mod:`fleetmaint.reports.task_params`) and hands it to :func:`write_report`.
The rows come from ``tasks.queries.task_list`` (:mod:`fleetmaint.reports.task_rows`),
so the report holds the same tasks in the same order as the Tasks list with
the same filters; grouping only puts the group key in front of the list's own
ordering. The database computes each row's cells (wear, local dates, labels)
and the report reads plain tuples from a server-side cursor in chunks: a
report of any size costs a fixed number of queries and keeps one chunk in
memory; the builders in :mod:`fleetmaint.reports.builders` stream them out.
"""

import logging
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import DomainError
from fleetmaint.reports import builders, delivery, task_csv, task_rows
from fleetmaint.reports.task_params import (
    FORMATS,
    GROUPS,
    MAX_PAGE_VALUE,
    PAPERS,
    ReportRequest,
    page_filters,
    report_request,
    strict_filters,
)
from fleetmaint.tasks.models import Status
from fleetmaint.vehicles.models import Vehicle

__all__ = [
    "FORMATS",
    "GROUPS",
    "MAX_PAGE_VALUE",
    "PAPERS",
    "Report",
    "ReportRequest",
    "page_filters",
    "report_request",
    "strict_filters",
    "write_report",
]

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}
# How often the progress callback hears about rows written.
PROGRESS_EVERY = 1000

log = logging.getLogger(__name__)


def keep_hours() -> int:
    """How long a finished report file is kept for download."""
    return getattr(settings, "REPORT_KEEP_HOURS", 24)


# --- the report being written -----------------------------------------------------------


class Group:
    """One group of rows; its count and cost add up as its rows are read."""

    def __init__(self, title: str | None, rows: Iterator[tuple], report: "Report"):
        self.title = title
        self.count = 0
        self.cost = Decimal(0)
        self._rows = rows
        self._report = report

    def __iter__(self) -> Iterator[tuple]:
        advance = self._report.advance
        cost = task_rows.COST
        for row in self._rows:
            self.count += 1
            self.cost += row[cost]
            advance(1, row[cost])
            yield row


@dataclass
class Report:
    """The report being written: what it is about, and its groups as an iterator.

    ``count`` and ``cost`` add up as the rows are written. The CSV file has no
    totals, and its rows pass as text: ``cost`` stays None for it.
    """

    org: Organization
    request: ReportRequest
    now: datetime
    generated_at: datetime
    total_rows: int | None
    filters_text: list[tuple[str, str]]
    count: int = 0
    cost: Decimal | None = None
    on_progress: Callable[[int, int], None] | None = None
    _groups: Iterator[Group] | None = None

    columns = (
        "ID",
        "Vehicle",
        "Description",
        "Status",
        "Unplanned",
        "Wear %",
        "Predicted date",
        "Completed",
        "Cost",
    )

    @property
    def currency(self) -> str:
        return self.org.currency

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.org.time_zone)

    @property
    def grouped(self) -> bool:
        return self.request.group_by is not None

    @property
    def title(self) -> str:
        return "Service works"

    def groups(self) -> Iterator[Group]:
        """The rows in their groups (one untitled group when not grouped); read once."""
        if self._groups is None:
            self.cost = Decimal(0)
            self._groups = _groups(self)
        return self._groups

    def advance(self, rows: int, cost: Decimal | None = None) -> None:
        """Counts rows written; tells the progress callback at every PROGRESS_EVERY rows."""
        before = self.count
        self.count += rows
        if cost is not None:
            self.cost += cost
        if self.on_progress:
            every = PROGRESS_EVERY
            for done in range((before // every + 1) * every, self.count + 1, every):
                self.on_progress(done, self.total_rows)


def _groups(report: Report) -> Iterator[Group]:
    rows = task_rows.report_rows(report.org, report.request, report.now)
    group_by = report.request.group_by
    if not group_by:
        yield Group(None, rows, report)
        return
    key = itemgetter(task_rows.VEHICLE_ID if group_by == "vehicle" else task_rows.STATUS)
    title = task_rows.VEHICLE if group_by == "vehicle" else task_rows.STATUS_LABEL
    # Each group is read to its end before the next is asked for, as groupby needs.
    for _, members in groupby(rows, key=key):
        first = next(members)
        yield Group(first[title], _chain_first(first, members), report)  # noqa: B031


def _chain_first(first, rest):
    yield first
    yield from rest


def count_rows(org: Organization, request: ReportRequest) -> int:
    return task_rows.report_queryset(org, request).count()


def _describe(org: Organization, request: ReportRequest) -> list[tuple[str, str]]:
    """The filters in words, for the PDF's header."""
    filters = request.filters
    labels = dict(Status.choices)
    text = [
        (
            "Status",
            ", ".join(labels[s] for s in filters.statuses if s in labels) or "All",
        )
    ]
    if filters.vehicle_ids:
        names = Vehicle.objects.for_org(org).filter(pk__in=filters.vehicle_ids)
        text.append(("Vehicles", ", ".join(v.label for v in names.order_by("label")) or "—"))
    if filters.unplanned is not None:
        # "Planned" is a status; the kind is maintenance or an unplanned repair.
        text.append(("Kind", "Unplanned repairs only" if filters.unplanned else "Maintenance only"))
    if filters.search:
        text.append(("Search", filters.search))
    text.append(("Sorted by", "; then ".join(sort_words(name, d) for name, d in filters.sort)))
    if request.group_by:
        text.append(("Grouped by", request.group_by))
    if request.limit is not None or request.offset:
        text.append(("Rows", _rows_words(request.offset, request.limit)))
    return text


# The list's sort options as people say them: (what, ascending, descending). Statuses
# rank in the order a task lives them: planned, due soon, overdue, done.
SORT_WORDS = {
    "predicted_date": ("predicted date", "earliest first", "latest first"),
    "status": ("status", "planned first", "done first"),
    "vehicle": ("vehicle", "A to Z", "Z to A"),
    "description": ("description", "A to Z", "Z to A"),
    "cost": ("cost", "lowest first", "highest first"),
    "id": ("when added", "oldest first", "newest first"),
}


def sort_words(name: str, direction: str) -> str:
    """``predicted_date asc`` as "predicted date, earliest first"."""
    what, ascending, descending = SORT_WORDS.get(name, (name.replace("_", " "), "", ""))
    order = descending if direction == "desc" else ascending
    return f"{what}, {order}" if order else what


def _rows_words(offset: int, limit: int | None) -> str:
    if limit is None:
        return f"from row {offset + 1:,} on"
    if limit == 0:
        return "none"
    return f"rows {offset + 1:,} to {offset + limit:,}"


def prepare(
    org: Organization,
    request: ReportRequest,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    total_rows: int | None = None,
) -> Report:
    """The report, ready to be written once by a builder.

    Rows are counted beforehand only where that count is needed before the
    first row: for the progress callback, and to refuse an XLS too large for
    its sheet. Otherwise ``total_rows`` is the number written.
    """
    if total_rows is None and (on_progress is not None or delivery.limited(request.format)):
        total_rows = count_rows(org, request)
    if total_rows is not None:
        delivery.check_rows(request.format, total_rows)
    now = timezone.now()
    return Report(
        org=org,
        request=request,
        now=now,
        generated_at=now.astimezone(zoneinfo.ZoneInfo(org.time_zone)),
        total_rows=total_rows,
        filters_text=_describe(org, request),
        on_progress=on_progress,
    )


def write_report(org: Organization, request: ReportRequest, out, **options) -> Report:
    """Writes the report to the binary file ``out``; returns it, with its totals."""
    report = prepare(org, request, **options)
    builders.BUILDERS[request.format](report, out)
    if report.total_rows is None:
        report.total_rows = report.count
    return report


def report_file(org: Organization, request: ReportRequest):
    """The report in a temporary file (in memory up to a few MB), rewound, for a response.

    The response closes it, which removes it.
    """
    out = tempfile.SpooledTemporaryFile(max_size=8_000_000)  # noqa: SIM115
    try:
        write_report(org, request, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def csv_chunks(org: Organization, request: ReportRequest) -> Iterator[bytes]:
    """The CSV report in chunks, for a streaming response: nothing is kept in between."""
    return task_csv.chunks(prepare(org, request))


def filename(org: Organization, request: ReportRequest, today: date | None = None) -> str:
    """A name that says what the file is: ``service-works-<org>-<YYYY-MM-DD>.<format>``."""
    today = today or timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
    slug = slugify(org.slug or org.name) or "fleet"
    return f"service-works-{slug}-{today.isoformat()}.{request.format}"


def content_type(request: ReportRequest) -> str:
    return CONTENT_TYPES[request.format]


# --- background jobs --------------------------------------------------------------------


def job_create(*, org: Organization, actor, request: ReportRequest, total_rows: int = 0):
    """Records a report job and queues it once the transaction commits."""
    from fleetmaint.reports.models import ReportJob

    with transaction.atomic():
        job = ReportJob.objects.create(
            org=org,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            parameters=request.to_json(),
            rows_total=total_rows,
        )
        job_id = job.pk
        transaction.on_commit(lambda: enqueue_job(job_id))
    return job


def enqueue_job(job_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("fleetmaint.reports.jobs.build_task_report", job_id, group="reports")
    except Exception:  # the job stays queued and visible; the request must not fail
        log.exception("Could not queue report job %s", job_id)


def job_run(job_id: int) -> None:
    """Builds a queued report job's file, telling its progress as rows are written."""
    from fleetmaint.reports.models import JobStatus, ReportJob

    job = ReportJob.objects.select_related("org").filter(pk=job_id).first()
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    def progress(done: int, total: int) -> None:
        percent = min(99, done * 100 // total) if total else 0
        ReportJob.objects.filter(pk=job.pk).update(rows_done=done, progress=percent)

    try:
        request = ReportRequest.from_json(job.parameters)
        name = filename(job.org, request)
        with tempfile.TemporaryFile() as out:
            report = write_report(job.org, request, out, on_progress=progress)
            out.seek(0)
            job.file.save(name, File(out), save=False)
    except DomainError as error:
        _job_failed(job, error.message)
        return
    except Exception:
        log.exception("Report job %s failed", job.pk)
        _job_failed(job, "The report could not be built; please try again.")
        return
    job.status = JobStatus.READY
    job.progress = 100
    job.rows_done = report.count
    job.rows_total = report.total_rows
    job.filename = name
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "progress",
            "rows_done",
            "rows_total",
            "filename",
            "file",
            "finished_at",
        ]
    )


def _job_failed(job, message: str) -> None:
    from fleetmaint.reports.models import JobStatus, ReportJob

    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=message, finished_at=timezone.now()
    )


def jobs_cleanup(*, now: datetime | None = None) -> int:
    """Removes the files of reports finished more than REPORT_KEEP_HOURS ago."""
    from fleetmaint.reports.models import JobStatus, ReportJob

    cutoff = (now or timezone.now()) - timedelta(hours=keep_hours())
    old = ReportJob.objects.filter(
        status__in=[JobStatus.READY, JobStatus.FAILED], finished_at__lt=cutoff
    )
    removed = 0
    for job in old:
        if job.file:
            job.file.delete(save=False)
        job.status = JobStatus.EXPIRED
        job.save(update_fields=["file", "status"])
        removed += 1
    return removed
