"""What was done to a vehicle: intervals serviced and tasks done, as recorded.

Two queries, whatever the history holds: one per kind of record, each cut at
``limit`` rows, merged newest first. Reopened records stay, marked as such.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.urls import reverse

from fleetmaint.intervals.models import IntervalService
from fleetmaint.tasks.models import TaskCompletion
from fleetmaint.vehicles.models import Vehicle

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class WorkDone:
    kind: str  # "interval" or "task"
    name: str
    done_at: datetime
    odometer: int | None
    engine_hours: Decimal | None
    cost: Decimal
    servicer: str
    notes: str
    reopened_at: datetime | None
    url: str


def recent_services(vehicle: Vehicle, limit: int = 20) -> list[IntervalService]:
    """The vehicle's latest interval services; ``can_reopen`` on those that may be reopened.

    Only an interval's own latest service, while the interval is still closed by it,
    can be taken back.
    """
    rows = list(
        IntervalService.objects.filter(vehicle=vehicle)
        .select_related("interval")
        .order_by("-serviced_at", "-pk")[:limit]
    )
    seen: set[int] = set()
    for row in rows:
        row.can_reopen = (
            row.reopened_at is None
            and row.interval.serviced_at is not None
            and row.interval_id not in seen
        )
        if row.reopened_at is None:
            seen.add(row.interval_id)
    return rows


def vehicle_work(vehicle: Vehicle, limit: int = HISTORY_LIMIT) -> list[WorkDone]:
    """Intervals serviced and tasks done on the vehicle, newest first."""
    schedule = reverse("intervals:schedule", args=[vehicle.pk])
    entries = [
        WorkDone(
            "interval",
            s.interval.name,
            s.serviced_at,
            s.odometer,
            s.engine_hours,
            s.cost,
            s.servicer,
            s.notes,
            s.reopened_at,
            schedule,
        )
        for s in IntervalService.objects.filter(vehicle=vehicle)
        .select_related("interval")
        .order_by("-serviced_at", "-pk")[:limit]
    ]
    entries += [
        WorkDone(
            "task",
            c.task.description,
            c.done_at,
            c.odometer,
            c.engine_hours,
            c.cost,
            c.servicer,
            c.notes,
            c.reopened_at,
            reverse("tasks:detail", args=[c.task_id]),
        )
        for c in TaskCompletion.objects.filter(vehicle=vehicle)
        .select_related("task")
        .order_by("-done_at", "-pk")[:limit]
    ]
    entries.sort(key=lambda e: e.done_at, reverse=True)
    return entries[:limit]
