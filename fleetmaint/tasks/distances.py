"""The tasks' side of a vehicle's change of unit (``vehicles.unit_change``).

Registered with ``vehicles.reevaluation`` (``TasksConfig.ready``): tasks and
their completion records of one vehicle, counted and converted set-based.
"""

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, Greatest

from fleetmaint.tasks.models import ServiceTask, TaskCompletion
from fleetmaint.vehicles.units import Conversion, Counted, holds_distance

# The distances a task is given or records; its thresholds derive from them.
GIVEN_DISTANCES = (
    "mileage_limit",
    "mileage_notify",
    "mileage_repeat",
    "start_mileage",
    "completion_mileage",
)


def tasks_count_distances(*, vehicle_id: int) -> list[Counted]:
    """Tasks with a distance of their own or in a completion record (one reopened, too)."""
    done_with_odometer = TaskCompletion.objects.filter(task=OuterRef("pk"), odometer__isnull=False)
    count = (
        ServiceTask.objects.filter(vehicle_id=vehicle_id)
        .filter(holds_distance(*GIVEN_DISTANCES) | Q(Exists(done_with_odometer)))
        .count()
    )
    return [Counted("task", "tasks", count)]


def _thresholds(conversion: Conversion) -> dict:
    """``mileage_expire_at`` and ``mileage_notify_at`` as ``measures.apply_conditions``
    derives them, from the converted values: the SQL status reads the given values
    (``meters_sql``) and the prediction the thresholds, so both must keep agreeing,
    which converting each on its own (a rounding each) would not promise."""
    start = conversion.column("start_mileage")
    expire_at = start + conversion.column("mileage_limit")
    notify_before = Coalesce(conversion.column("mileage_notify"), Value(0))
    return {
        "mileage_expire_at": expire_at,
        # PostgreSQL's GREATEST skips NULLs: a task without a distance limit keeps none.
        "mileage_notify_at": Case(
            When(mileage_limit__isnull=False, then=Greatest(start, expire_at - notify_before)),
            default=None,
        ),
    }


def tasks_convert_distances(*, vehicle_id: int, conversion: Conversion) -> None:
    """Two statements: the tasks (with their thresholds), then their completion records."""
    converted = {column: conversion.column(column) for column in GIVEN_DISTANCES}
    ServiceTask.objects.filter(vehicle_id=vehicle_id).filter(
        holds_distance(*GIVEN_DISTANCES)
    ).update(**converted, **_thresholds(conversion))
    TaskCompletion.objects.filter(vehicle_id=vehicle_id, odometer__isnull=False).update(
        odometer=conversion.column("odometer")
    )
