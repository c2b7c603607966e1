"""The service works report's parameters: the Tasks list's filters, a page of it, a layout.

Every face (the Tasks page's Download menu, the report job, the JSON API and
the vendor-compatible endpoint) turns its input into a :class:`ReportRequest`
here; :mod:`fleetmaint.reports.task_report` writes it.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from fleetmaint.errors import ValidationFailed
from fleetmaint.tasks import queries

FORMATS = ("pdf", "xlsx", "xls", "csv")
GROUPS = ("vehicle", "status")
PAPERS = ("a4", "letter")
MAX_PAGE_VALUE = 2**31 - 1
# The filters' moments (the due range), kept as ISO text in a job's parameters.
_MOMENTS = ("due_from", "due_until")


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


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
        for name in _MOMENTS:
            moment = filters.get(name)
            filters[name] = moment.isoformat() if moment is not None else None
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
                **{name: _moment(given.get(name)) for name in _MOMENTS},
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


def page_filters(query, *, zone: str = "UTC") -> queries.TaskFilters:
    """The Tasks page's query string, read exactly as the Tasks list reads it.

    ``zone`` is the organization's: the due range names its local days.
    """
    return queries.filters_from_query(query, zone=zone)


# The vendor's filter parameters (the reports API and /v2 lists share them).
strict_filters = queries.strict_filters
