"""The schedule's side of a vehicle's change of unit (``vehicles.unit_change``).

Registered with ``vehicles.reevaluation`` (``IntervalsConfig.ready``): intervals
and their service records of one vehicle, counted and converted set-based.
"""

from django.db.models import Exists, OuterRef, Q

from fleetmaint.intervals.models import IntervalService, ServiceInterval
from fleetmaint.vehicles.units import Conversion, Counted, holds_distance

INTERVAL_DISTANCES = ("service_at_mileage", "start_odometer", "serviced_odometer")


def intervals_count_distances(*, vehicle_id: int) -> list[Counted]:
    """Intervals with a distance of their own or in a service record (one reopened, too)."""
    serviced_with_odometer = IntervalService.objects.filter(
        interval=OuterRef("pk"), odometer__isnull=False
    )
    count = (
        ServiceInterval.objects.filter(vehicle_id=vehicle_id)
        .filter(holds_distance(*INTERVAL_DISTANCES) | Q(Exists(serviced_with_odometer)))
        .count()
    )
    return [Counted("interval", "intervals", count)]


def intervals_convert_distances(*, vehicle_id: int, conversion: Conversion) -> None:
    """Two statements: the intervals, then their service records."""
    ServiceInterval.objects.filter(vehicle_id=vehicle_id).filter(
        holds_distance(*INTERVAL_DISTANCES)
    ).update(**{column: conversion.column(column) for column in INTERVAL_DISTANCES})
    IntervalService.objects.filter(vehicle_id=vehicle_id, odometer__isnull=False).update(
        odometer=conversion.column("odometer")
    )
