"""Reads of the schedule: one vehicle's intervals and the fleet-wide Due list."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from fleetmaint import days
from fleetmaint.accounts.models import Organization
from fleetmaint.intervals.evaluation import DUE_SOON_DISTANCE
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.intervals.refusals import Reason, ScheduleNotFound
from fleetmaint.intervals.services import DUE_SOON_DAYS, required_q
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

STATES = ("required", "soon", "ok")
SORTS = {
    "soon": ("-is_required", F("predicted_due_at").asc(nulls_last=True), "id"),
    "vehicle": (Lower("vehicle__label"), F("predicted_due_at").asc(nulls_last=True), "id"),
    "name": (Lower("name"), Lower("vehicle__label"), "id"),
    "created": ("-created_at", "-id"),
}


def soon_q(now: datetime) -> Q:
    horizon = now + timedelta(days=DUE_SOON_DAYS)
    return (
        Q(service_at_date__lte=horizon)
        | Q(service_at_mileage__lte=F("vehicle__odometer") + DUE_SOON_DISTANCE)
        | Q(predicted_due_at__lte=horizon)
    )


def _with_state(intervals: QuerySet, now: datetime) -> QuerySet:
    return intervals.annotate(
        is_required=Case(
            When(required_q(now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        is_soon=Case(
            When(soon_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )


@dataclass(frozen=True)
class DueFilters:
    state: str = ""
    search: str = ""
    vehicle_id: int | None = None
    sort: str = "soon"


def open_intervals(org: Organization, filters: DueFilters) -> QuerySet[ServiceInterval]:
    """Open intervals of the organization with ``is_required`` and ``is_soon`` annotated."""
    now = timezone.now()
    intervals = _with_state(
        ServiceInterval.objects.open().filter(org=org, vehicle__archived=False),
        now,
    ).select_related("vehicle")
    if filters.vehicle_id:
        intervals = intervals.filter(vehicle_id=filters.vehicle_id)
    if filters.search:
        term = filters.search.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
        intervals = intervals.filter(
            Q(name__icontains=term)
            | Q(vehicle__label__icontains=term)
            | Q(vehicle__vehicle_key__icontains=term)
            | Q(vehicle__plate__icontains=term)
        )
    if filters.state == "required":
        intervals = intervals.filter(is_required=True)
    elif filters.state == "soon":
        intervals = intervals.filter(is_required=False, is_soon=True)
    elif filters.state == "ok":
        intervals = intervals.filter(is_required=False, is_soon=False)
    order = SORTS.get(filters.sort, SORTS["soon"])
    if filters.state and order[0] == "-is_required":
        # Within one state every row is required or none is: the index gives the rest.
        order = order[1:]
    return intervals.order_by(*order)


class RequiredFirst:
    """The Due list in its default order, for a paginator: required intervals, then the
    others, each by expected date.

    Sorting every open interval by "is it required" reads them all to show 25. Here
    one aggregate counts both groups (the pager needs the total anyway), and each
    page reads its rows from the ``interval_open_due_idx`` index in order, from the
    group or the two groups it spans.
    """

    def __init__(self, intervals: QuerySet[ServiceInterval]):
        order = SORTS["soon"][1:]
        self._intervals = intervals
        self._required = intervals.filter(is_required=True).order_by(*order)
        self._others = intervals.filter(is_required=False).order_by(*order)
        self._tally: tuple[int, int] | None = None

    def _counts(self) -> tuple[int, int]:
        if self._tally is None:
            counts = self._intervals.order_by().aggregate(
                total=Count("pk"), required=Count("pk", filter=Q(is_required=True))
            )
            self._tally = (counts["total"], counts["required"])
        return self._tally

    def count(self) -> int:
        return self._counts()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[ServiceInterval]:
        required = self._counts()[1]
        start, stop = window.start or 0, window.stop if window.stop is not None else self.count()
        rows: list[ServiceInterval] = []
        if start < required:
            rows += self._required[start : min(stop, required)]
        if stop > required:
            rows += self._others[max(start - required, 0) : stop - required]
        return rows


def due_list(org: Organization, filters: DueFilters) -> "QuerySet[ServiceInterval] | RequiredFirst":
    """The Due page's intervals, for a paginator."""
    intervals = open_intervals(org, filters)
    if filters.sort == "soon" and not filters.state:
        return RequiredFirst(intervals)
    return intervals


DUE_TASK_ROWS = 50
DUE_TASK_STATUSES = (Status.EXPIRED, Status.NOTIFIED)
_DUE_TASK_ORDER = (F("predicted_end_date").asc(nulls_last=True), "id")


def due_tasks(
    org: Organization,
    *,
    search: str = "",
    vehicle_id: int | None = None,
    limit: int = DUE_TASK_ROWS,
) -> list[ServiceTask]:
    """The first ``limit`` expired and due-soon tasks of active vehicles, soonest first.

    One query per status: each reads its first rows from the ``(org, status,
    predicted_end_date)`` index and stops, where one query over both statuses
    would sort every expired and due-soon task of the fleet to show fifty.
    """
    found: list[ServiceTask] = []
    for status in DUE_TASK_STATUSES:
        tasks = ServiceTask.objects.filter(org=org, status=status, vehicle__archived=False)
        if vehicle_id:
            tasks = tasks.filter(vehicle_id=vehicle_id)
        if search:
            tasks = tasks.filter(
                Q(description__icontains=search) | Q(vehicle__label__icontains=search)
            )
        found += tasks.select_related("vehicle").order_by(*_DUE_TASK_ORDER)[:limit]
    found.sort(key=lambda t: (t.predicted_end_date is None, t.predicted_end_date, t.pk))
    return found[:limit]


def vehicle_schedule(vehicle) -> QuerySet[ServiceInterval]:
    return open_intervals(vehicle.org, DueFilters(vehicle_id=vehicle.pk)).select_related("preset")


def maintenance_required(org: Organization, required: bool | None) -> QuerySet[ServiceInterval]:
    """For the API: every open interval, or only those (not) requiring maintenance."""
    intervals = open_intervals(org, DueFilters(sort="created")).order_by("id")
    if required is None:
        return intervals
    return intervals.filter(is_required=required)


@dataclass(frozen=True)
class Progress:
    """How far an interval is along, for bars and labels; computed without queries."""

    distance_left: int | None
    days_left: int | None
    mileage_percent: int | None
    time_percent: int | None
    state: str

    @property
    def distance_over(self) -> int:
        return -self.distance_left if self.distance_left else 0

    @property
    def days_over(self) -> int:
        return -self.days_left if self.days_left else 0

    @property
    def days_text(self) -> str:
        """In words: today, 3 days left, 1 day overdue; empty without a date."""
        return days.days_text(self.days_left)

    @property
    def percent(self) -> int:
        return max(p for p in (self.mileage_percent, self.time_percent, 0) if p is not None)


def progress(
    interval: ServiceInterval, now: datetime | None = None, zone: object = None
) -> Progress:
    """``zone``: the organization (or its zone) whose calendar days are counted; by
    default the active time zone, which is the organization's on every page."""
    now = now or timezone.now()
    vehicle = interval.vehicle
    distance_left = mileage_percent = days_left = time_percent = None
    if interval.service_at_mileage is not None and vehicle.odometer is not None:
        distance_left = interval.service_at_mileage - vehicle.odometer
        start = interval.start_odometer if interval.start_odometer is not None else vehicle.odometer
        span = interval.service_at_mileage - start
        used = vehicle.odometer - start
        mileage_percent = 100 if span <= 0 else _clamp(round(used / span * 100))
    if interval.service_at_date is not None:
        days_left = days.days_until(
            interval.service_at_date, zone or timezone.get_current_timezone(), now
        )
        span = (interval.service_at_date - interval.created_at).total_seconds()
        used = (now - interval.created_at).total_seconds()
        time_percent = 100 if span <= 0 else _clamp(round(used / span * 100))
    required = getattr(interval, "is_required", None)
    soon = getattr(interval, "is_soon", False)
    state = "required" if required else "soon" if soon else "ok"
    return Progress(distance_left, days_left, mileage_percent, time_percent, state)


def _clamp(percent: int) -> int:
    return max(0, min(percent, 100))


# --- one row, for the faces that name it --------------------------------------------


def vehicle_by_key(org: Organization, vehicle_key: str) -> Vehicle:
    """The fleet's vehicle with this key, or ScheduleNotFound."""
    key = (vehicle_key or "").strip()
    # A NUL cannot be stored, so no vehicle has it (and PostgreSQL cannot compare it).
    vehicle = None
    if key and "\x00" not in key:
        vehicle = Vehicle.objects.for_org(org).select_related("org").filter(vehicle_key=key).first()
    if vehicle is None:
        raise ScheduleNotFound(Reason.VEHICLE_UNKNOWN, field="vehicle_key")
    return vehicle


def _open() -> QuerySet[ServiceInterval]:
    return ServiceInterval.objects.open().select_related("vehicle", "vehicle__org", "preset")


def open_interval(vehicle: Vehicle, interval_id: int) -> ServiceInterval:
    """An open interval of the vehicle, by id, or ScheduleNotFound."""
    interval = _open().filter(vehicle=vehicle, pk=interval_id).first()
    if interval is None:
        raise ScheduleNotFound(Reason.INTERVAL_UNKNOWN, field="id")
    return interval


def open_interval_in(org: Organization, interval_id: int) -> ServiceInterval:
    """An open interval of the fleet, by id, or ScheduleNotFound."""
    interval = _open().filter(org=org, pk=interval_id).first()
    if interval is None:
        raise ScheduleNotFound(Reason.INTERVAL_UNKNOWN, field="id")
    return interval


# --- the API's reads: open, serviced or every interval ---------------------------------

INTERVAL_STATUSES = ("open", "serviced", "all")
# An order's completion marks its intervals serviced a moment after it records its own
# completion, in the same transaction; a later servicing by hand is not the order's.
ORDER_SERVICING_WINDOW = timedelta(minutes=1)


def _serviced_by_order() -> Subquery:
    """The completed order whose completion serviced the interval, or null."""
    through = ServiceInterval.orders.through
    return Subquery(
        through.objects.filter(
            serviceinterval_id=OuterRef("pk"),
            serviceorder__completed_at__lte=OuterRef("serviced_at"),
            serviceorder__completed_at__gt=OuterRef("serviced_at") - ORDER_SERVICING_WINDOW,
        )
        .order_by("-serviceorder__completed_at")
        .values("serviceorder_id")[:1],
        output_field=IntegerField(),
    )


def _with_api_state(intervals: QuerySet, now: datetime) -> QuerySet:
    """``is_required`` (never for a serviced interval) and ``serviced_order_id``."""
    return intervals.annotate(
        is_required=Case(
            When(serviced_at__isnull=False, then=Value(False)),
            When(required_q(now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        serviced_order_id=Case(
            When(serviced_at__isnull=True, then=Value(None)),
            default=_serviced_by_order(),
            output_field=IntegerField(),
        ),
    )


def open_rows(intervals: QuerySet[ServiceInterval]) -> QuerySet[ServiceInterval]:
    """Open intervals in the API's shape: no order serviced them (yet)."""
    return intervals.annotate(serviced_order_id=Value(None, output_field=IntegerField()))


def api_intervals(
    org: Organization, status: str = "open", required: bool | None = None
) -> QuerySet[ServiceInterval]:
    """The API's list: open intervals (as ``maintenance_required``), serviced ones, or both.

    Every row carries ``is_required`` and ``serviced_order_id``; by id, oldest first.
    """
    if status == "open":
        return open_rows(maintenance_required(org, required))
    intervals = ServiceInterval.objects.filter(org=org, vehicle__archived=False)
    if status == "serviced":
        intervals = intervals.exclude(serviced_at=None)
    rows = _with_api_state(intervals, timezone.now())
    if required is not None:
        rows = rows.filter(is_required=required)
    return rows.order_by("id")


def interval_in(org: Organization, interval_id: int) -> ServiceInterval:
    """An interval of the fleet by id, open or serviced, with its state, or ScheduleNotFound."""
    intervals = ServiceInterval.objects.filter(org=org, pk=interval_id)
    found = (
        _with_api_state(intervals, timezone.now())
        .select_related("vehicle", "vehicle__org", "preset")
        .first()
    )
    if found is None:
        raise ScheduleNotFound(Reason.INTERVAL_UNKNOWN, field="id")
    return found
