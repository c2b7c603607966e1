"""Reads of service tasks shared by the Tasks pages, the JSON API and the compat endpoints."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.tasks import tally
from fleetmaint.tasks.models import OPEN_STATUSES, ServiceTask, Status

# Statuses in the order a task lives them (created, notified, expired, done), not by name.
_STATUS_ORDER = Case(
    *[When(status=status, then=Value(rank)) for rank, status in enumerate(Status.values)],
    output_field=IntegerField(),
)
# The vendor's sort keys (seed 004) and what they order by.
SORT_FIELDS = {
    "id": ("id",),
    "vehicle": (Lower("vehicle__label"),),
    "description": (Lower("description"),),
    "status": (_STATUS_ORDER,),
    "cost": ("cost",),
    "predicted_date": ("predicted_end_date",),
}
DEFAULT_SORT = (("predicted_date", "asc"),)


@dataclass(frozen=True)
class TaskFilters:
    statuses: tuple[str, ...] = ()
    vehicle_ids: tuple[int, ...] = ()
    unplanned: bool | None = None
    search: str = ""
    sort: tuple[tuple[str, str], ...] = DEFAULT_SORT
    extra: dict = field(default_factory=dict, compare=False)


def parse_sort(options: list[str]) -> tuple[tuple[str, str], ...]:
    """``["status=asc", "cost=desc"]`` as pairs; unknown fields or directions are dropped."""
    pairs = []
    for option in options:
        name, _, direction = str(option).partition("=")
        name, direction = name.strip(), (direction.strip() or "asc").lower()
        if name in SORT_FIELDS and direction in ("asc", "desc"):
            pairs.append((name, direction))
    return tuple(pairs) or DEFAULT_SORT


def _ordering(sort: tuple[tuple[str, str], ...]) -> list:
    ordering = []
    for name, direction in sort:
        for expression in SORT_FIELDS[name]:
            target = F(expression) if isinstance(expression, str) else expression
            ordering.append(
                target.desc(nulls_last=True) if direction == "desc" else target.asc(nulls_last=True)
            )
    ordering.append(F("id").asc())
    return ordering


def filters_from_query(query, *, vehicle_id: int | None = None) -> TaskFilters:
    """The Tasks page's query string (status, vehicle, unplanned, q, sort) as filters.

    No status means the open tasks; ``status=all`` means every status. The
    Tasks pages and the report read their parameters here, so a download
    always matches the list on screen.
    """
    status = query.get("status", "")
    statuses = () if status == "all" else (status,) if status in Status.values else OPEN_STATUSES
    if vehicle_id is None:
        raw = str(query.get("vehicle") or "").strip()
        vehicle_id = int(raw) if raw.isdecimal() and len(raw) <= 12 else None
    return TaskFilters(
        statuses=tuple(str(s) for s in statuses),
        vehicle_ids=(vehicle_id,) if vehicle_id is not None else (),
        unplanned={"yes": True, "no": False}.get(query.get("unplanned", "")),
        search=query.get("q", "").replace("\x00", "").strip()[:100],
        sort=parse_sort([query.get("sort", "")]),
    )


def task_list(org: Organization, filters: TaskFilters) -> QuerySet[ServiceTask]:
    """The organization's tasks matching the filters, with vehicles and files loaded."""
    tasks = ServiceTask.objects.filter(org=org)
    if filters.statuses:
        tasks = tasks.filter(status__in=[s for s in filters.statuses if s in Status.values])
    if filters.vehicle_ids:
        tasks = tasks.filter(vehicle_id__in=filters.vehicle_ids)
    if filters.unplanned is not None:
        tasks = tasks.filter(unplanned=filters.unplanned)
    if filters.search:
        term = filters.search.replace("\x00", "").strip()
        tasks = tasks.filter(
            Q(description__icontains=term)
            | Q(comment__icontains=term)
            | Q(vehicle__label__icontains=term)
            | Q(vehicle__vehicle_key__icontains=term)
        )
    return (
        tasks.select_related("vehicle").prefetch_related("files").order_by(*_ordering(filters.sort))
    )


def status_counts(org: Organization) -> dict[str, int]:
    """How many tasks are in each status, for badges and the dashboard (from the tally)."""
    return tally.status_counts(org)
