"""The schedule's recent services, and which of them may be taken back.

The vehicle's whole history (work done, orders, readings, contracts) is the
record's History tab: ``reports.timeline``.
"""

from fleetmaint.intervals.models import IntervalService
from fleetmaint.vehicles.models import Vehicle


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
