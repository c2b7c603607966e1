"""Reads of the schedule: one vehicle's intervals and the fleet-wide Due list."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.intervals.services import DUE_SOON_DAYS, required_q

DUE_SOON_DISTANCE = 1_000
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
        ServiceInterval.objects.filter(org=org, serviced_at=None, vehicle__archived=False),
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
    return intervals.order_by(*SORTS.get(filters.sort, SORTS["soon"]))


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
    def percent(self) -> int:
        return max(p for p in (self.mileage_percent, self.time_percent, 0) if p is not None)


def progress(interval: ServiceInterval, now: datetime | None = None) -> Progress:
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
        days_left = (interval.service_at_date - now).days
        span = (interval.service_at_date - interval.created_at).total_seconds()
        used = (now - interval.created_at).total_seconds()
        time_percent = 100 if span <= 0 else _clamp(round(used / span * 100))
    required = getattr(interval, "is_required", None)
    soon = getattr(interval, "is_soon", False)
    state = "required" if required else "soon" if soon else "ok"
    return Progress(distance_left, days_left, mileage_percent, time_percent, state)


def _clamp(percent: int) -> int:
    return max(0, min(percent, 100))
