"""Many different tasks at once: the engine-hour work a generated schedule plans.

``task_create`` makes one task and ``tasks_batch_create`` the same task for many
vehicles; a schedule generated from presets gives each vehicle several
different ones. Each is checked exactly as ``task_create`` checks it, then all
are stored and evaluated together, so the statements do not grow with the
number of tasks.
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.tasks.evaluation import tasks_evaluate
from fleetmaint.tasks.inputs import TaskInput, check_new_task
from fleetmaint.tasks.models import ServiceTask

# The task service's own checks and row builder: one rule, in one place.
from fleetmaint.tasks.services import _check_vehicle_supports, _clean_conditions, _new_task
from fleetmaint.vehicles.models import Vehicle


def tasks_create_planned(
    *, org: Organization, plans: Sequence[tuple[Vehicle, TaskInput]]
) -> list[ServiceTask]:
    """One task per (vehicle, task) pair, all or nothing, with the right status from the start.

    Planned work carries no files: those are attached to a task a person made.
    """
    now = timezone.now()
    rows = []
    for vehicle, data in plans:
        if vehicle.org_id != org.pk:
            raise ValidationFailed("The vehicle belongs to another fleet.", field="vehicle_id")
        if data.file_ids:
            raise ValidationFailed("Planned tasks carry no files.", field="file_ids")
        conditions = _clean_conditions(data.conditions, org)
        check_new_task(data, end=conditions.date_end, org=org, now=now)
        _check_vehicle_supports(vehicle, conditions)
        rows.append(_new_task(vehicle, data, conditions, now))
    if not rows:
        return []
    with transaction.atomic():
        tasks = ServiceTask.objects.bulk_create(rows)
        tasks_evaluate(task_ids=[task.pk for task in tasks])
    return tasks
