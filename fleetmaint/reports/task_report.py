"""The service works report (seed 004 ``download``): its parameters, its rows and its groups.

Every face (the Tasks page's Download menu, the report job, the JSON API and
the vendor-compatible endpoint) turns its input into a :class:`ReportRequest`
here and hands it to :func:`write_report`. The rows come from
``tasks.queries.task_list``, so the report holds the same tasks in the same
order as the Tasks list with the same filters; grouping only puts the group
key in front of the list's own ordering. Rows are read from the database in
chunks (``iterator(chunk_size=2000)``) with their vehicle joined in, so a
report of any size runs a handful of queries and keeps only one chunk in
memory; the builders in :mod:`fleetmaint.reports.builders` stream them out.
"""

import logging
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import DomainError, NotFound, ValidationFailed
from fleetmaint.reports import builders
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

FORMATS = ("pdf", "xlsx", "xls", "csv")
GROUPS = ("vehicle", "status")
PAPERS = ("a4", "letter")
CHUNK_SIZE = 2000
MAX_PAGE_VALUE = 2**31 - 1
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}
# How often the progress callback hears about rows written.
PROGRESS_EVERY = 1000

log = logging.getLogger(__name__)


def sync_limit() -> int:
    """Reports with more rows than this are built by a background job."""
    return getattr(settings, "REPORT_SYNC_LIMIT", 5000)


def keep_hours() -> int:
    """How long a finished report file is kept for download."""
    return getattr(settings, "REPORT_KEEP_HOURS", 24)


# --- parameters -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequest:
    """What to report: the Tasks list's filters and sort, a page of it, and how to lay it out."""

    filters: queries.TaskFilters = field(default_factory=queries.TaskFilters)
    format: str = "pdf"
    group_by: str | None = None
    paper: str = "a4"
    limit: int | None = None
    offset: int = 0

    def to_json(self) -> dict:
        """The parameters as a report job stores them."""
        filters = asdict(self.filters)
        filters.pop("extra", None)
        return {
            "filters": filters,
            "format": self.format,
            "group_by": self.group_by,
            "paper": self.paper,
            "limit": self.limit,
            "offset": self.offset,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ReportRequest":
        given = data.get("filters") or {}
        return report_request(
            queries.TaskFilters(
                statuses=tuple(given.get("statuses") or ()),
                vehicle_ids=tuple(given.get("vehicle_ids") or ()),
                unplanned=given.get("unplanned"),
                search=given.get("search") or "",
                sort=tuple(tuple(pair) for pair in given.get("sort") or ()) or queries.DEFAULT_SORT,
            ),
            format=data.get("format"),
            group_by=data.get("group_by"),
            paper=data.get("paper"),
            limit=data.get("limit"),
            offset=data.get("offset"),
        )


def report_request(
    filters: queries.TaskFilters,
    *,
    format: str | None = None,
    group_by: str | None = None,
    paper: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> ReportRequest:
    """Checks the layout parameters; empty values take their defaults."""
    format = (format or "pdf").strip().lower()
    if format not in FORMATS:
        raise ValidationFailed(
            f"Unknown format {format!r}; use one of {', '.join(FORMATS)}.", field="format"
        )
    group_by = (group_by or "").strip().lower() or None
    if group_by is not None and group_by not in GROUPS:
        raise ValidationFailed(
            f"Unknown group_by {group_by!r}; use {' or '.join(GROUPS)}.", field="group_by"
        )
    paper = (paper or "a4").strip().lower()
    if paper not in PAPERS:
        raise ValidationFailed(f"Unknown paper {paper!r}; use a4 or letter.", field="paper")
    offset = offset or 0
    for name, value in (("limit", limit), ("offset", offset)):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is not None and not (whole and 0 <= value <= MAX_PAGE_VALUE):
            raise ValidationFailed(
                f"{name} must be a whole number between 0 and {MAX_PAGE_VALUE}.", field=name
            )
    return ReportRequest(
        filters=filters, format=format, group_by=group_by, paper=paper, limit=limit, offset=offset
    )


def page_filters(query) -> queries.TaskFilters:
    """The Tasks page's query string, read exactly as the Tasks list reads it."""
    return queries.filters_from_query(query)


def strict_filters(
    org: Organization,
    *,
    only_unplanned: bool = False,
    vehicle_ids: list[int] | None = None,
    statuses: list[str] | None = None,
    sort: list[str] | None = None,
) -> queries.TaskFilters:
    """The vendor's filter parameters; unknown statuses, sorts or vehicles are refused."""
    vehicle_ids = list(vehicle_ids or [])
    if vehicle_ids:
        known = Vehicle.objects.for_org(org).filter(pk__in=vehicle_ids).count()
        if known != len(set(vehicle_ids)):
            raise NotFound("One of vehicle_ids was not found.", field="vehicle_ids")
    statuses = list(statuses or [])
    for status in statuses:
        if status not in Status.values:
            raise ValidationFailed(
                f"Unknown status {status!r}; use {', '.join(Status.values)}.", field="statuses"
            )
    pairs = []
    for option in sort or []:
        name, _, direction = str(option).partition("=")
        name, direction = name.strip(), (direction.strip().lower() or "asc")
        if name not in queries.SORT_FIELDS or direction not in ("asc", "desc"):
            raise ValidationFailed(
                f"Unknown sort option {option!r}; use one of "
                f"{', '.join(queries.SORT_FIELDS)} with =asc or =desc.",
                field="sort",
            )
        pairs.append((name, direction))
    return queries.TaskFilters(
        statuses=tuple(statuses),
        vehicle_ids=tuple(vehicle_ids),
        unplanned=True if only_unplanned else None,
        sort=tuple(pairs) or queries.DEFAULT_SORT,
    )


# --- rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    id: int
    vehicle: str
    description: str
    status: str
    status_label: str
    unplanned: bool
    wear: int
    predicted_date: date | None
    completion_date: date | None
    cost: Decimal


class Group:
    """One group of rows; its count and cost add up as its rows are read."""

    def __init__(self, title: str | None, rows: Iterator[ReportRow], report: "Report"):
        self.title = title
        self.count = 0
        self.cost = Decimal(0)
        self._rows = rows
        self._report = report

    def __iter__(self) -> Iterator[ReportRow]:
        for row in self._rows:
            self.count += 1
            self.cost += row.cost
            self._report._counted(row)
            yield row


@dataclass
class Report:
    """The report being written: what it is about, and its groups as an iterator."""

    org: Organization
    request: ReportRequest
    generated_at: datetime
    total_rows: int
    filters_text: list[tuple[str, str]]
    count: int = 0
    cost: Decimal = Decimal(0)
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
        return self._groups

    def _counted(self, row: ReportRow) -> None:
        self.count += 1
        self.cost += row.cost
        if self.on_progress and self.count % PROGRESS_EVERY == 0:
            self.on_progress(self.count, self.total_rows)


def report_queryset(org: Organization, request: ReportRequest) -> QuerySet[ServiceTask]:
    """The Tasks list's query, group key first, sliced to the requested page.

    The files the list prefetches are not part of the report, so they are not loaded.
    """
    tasks = queries.task_list(org, request.filters).prefetch_related(None)
    if request.group_by == "vehicle":
        tasks = tasks.order_by(
            Lower("vehicle__label").asc(), F("vehicle_id").asc(), *tasks.query.order_by
        )
    elif request.group_by == "status":
        tasks = tasks.order_by(queries.SORT_FIELDS["status"][0].asc(), *tasks.query.order_by)
    start = request.offset
    stop = None if request.limit is None else start + request.limit
    if start or stop is not None:
        tasks = tasks[start:stop]
    return tasks


def count_rows(org: Organization, request: ReportRequest) -> int:
    return report_queryset(org, request).count()


def _local_date(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> date | None:
    return None if moment is None else moment.astimezone(zone).date()


def _row(task: ServiceTask, zone: zoneinfo.ZoneInfo) -> ReportRow:
    return ReportRow(
        id=task.pk,
        vehicle=task.vehicle.label,
        description=task.description,
        status=task.status,
        status_label=Status(task.status).label,
        unplanned=task.unplanned,
        wear=services.wear(task),
        predicted_date=_local_date(task.predicted_end_date, zone),
        completion_date=_local_date(task.completion_date, zone),
        cost=task.cost,
    )


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
        text.append(("Kind", "Unplanned only" if filters.unplanned else "Planned only"))
    if filters.search:
        text.append(("Search", filters.search))
    text.append(("Sort", ", ".join(f"{name} {direction}" for name, direction in filters.sort)))
    if request.group_by:
        text.append(("Grouped by", request.group_by))
    if request.limit is not None or request.offset:
        text.append(("Rows", f"offset {request.offset}, limit {request.limit or 'none'}"))
    return text


def _group_key(request: ReportRequest, task: ServiceTask):
    if request.group_by == "vehicle":
        return task.vehicle_id
    if request.group_by == "status":
        return task.status
    return None


def _group_title(request: ReportRequest, task: ServiceTask) -> str | None:
    if request.group_by == "vehicle":
        return task.vehicle.label
    if request.group_by == "status":
        return Status(task.status).label
    return None


def prepare(
    org: Organization,
    request: ReportRequest,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    total_rows: int | None = None,
) -> Report:
    """The report with its groups ready to be read, once, by a builder."""
    total = count_rows(org, request) if total_rows is None else total_rows
    if request.format == "xls" and total > builders.XLS_MAX_ROWS:
        raise ValidationFailed(builders.xls_too_many(total), field="format")
    report = Report(
        org=org,
        request=request,
        generated_at=timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)),
        total_rows=total,
        filters_text=_describe(org, request),
        on_progress=on_progress,
    )
    zone = report.zone
    tasks = report_queryset(org, request).iterator(chunk_size=CHUNK_SIZE)

    def groups() -> Iterator[Group]:
        if not request.group_by:
            yield Group(None, (_row(task, zone) for task in tasks), report)
            return
        for _, members in groupby(tasks, key=lambda task: _group_key(request, task)):
            first = next(members)
            rows = (_row(task, zone) for task in _chain_first(first, members))
            yield Group(_group_title(request, first), rows, report)

    report._groups = groups()
    return report


def _chain_first(first, rest):
    yield first
    yield from rest


def write_report(org: Organization, request: ReportRequest, out, **options) -> Report:
    """Writes the report to the binary file ``out``; returns it, with its totals."""
    report = prepare(org, request, **options)
    builders.BUILDERS[request.format](report, out)
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


def filename(org: Organization, request: ReportRequest, today: date | None = None) -> str:
    """A name that says what the file is: ``service-works-<org>-<YYYY-MM-DD>.<format>``."""
    today = today or timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
    slug = slugify(org.slug or org.name) or "fleet"
    return f"service-works-{slug}-{today.isoformat()}.{request.format}"


def content_type(request: ReportRequest) -> str:
    return CONTENT_TYPES[request.format]


# --- background jobs --------------------------------------------------------------------


def needs_job(total_rows: int) -> bool:
    return total_rows > sync_limit()


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
