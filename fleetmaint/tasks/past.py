"""Work done before the fleet used fleetmaint: kept as done tasks with their completion.

A past service becomes a task that is done already (its date its condition,
so it never falls due) and the completion that records when, at what meters,
for how much and by whom. It shows in the vehicle's history and costs as any
completed task does, and moves nothing on the schedule.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.vehicles.reading_checks import MAX_ENGINE_HOURS, MAX_ODOMETER

MAX_DESCRIPTION = 255
MAX_SERVICER = 120
MAX_NOTES = 65_535


@dataclass(frozen=True)
class PastService:
    vehicle_id: int
    done_at: datetime
    description: str
    odometer: int | None
    engine_hours: Decimal | None
    cost: Decimal
    servicer: str
    notes: str


def _longer_than(text: str, limit: int, words: str, field: str) -> None:
    if len(text) > limit:
        raise ValidationFailed(f"The {words} is longer than {limit:,} characters.", field=field)


def past_service_check(past: PastService, *, tracks_engine_hours: bool) -> PastService:
    """A past service as it can be kept, or the first thing wrong with it, in plain words.

    Engine hours are kept to a tenth, as every meter is.
    """
    if not past.description.strip():
        raise ValidationFailed("No service given: say what was done.", field="service")
    _longer_than(past.description, MAX_DESCRIPTION, "service", "service")
    _longer_than(past.servicer, MAX_SERVICER, "servicer", "servicer")
    _longer_than(past.notes, MAX_NOTES, "notes", "notes")
    if past.done_at > timezone.now():
        raise ValidationFailed("The service date is in the future.", field="done_at")
    if past.odometer is not None and not 0 <= past.odometer <= MAX_ODOMETER:
        raise ValidationFailed(
            f"The odometer must be between 0 and {MAX_ODOMETER:,}.", field="odometer"
        )
    if past.cost < 0:
        raise ValidationFailed("The cost cannot be negative.", field="cost")
    hours = past.engine_hours
    if hours is None:
        return past
    if not 0 <= hours <= MAX_ENGINE_HOURS:
        raise ValidationFailed(
            f"Engine hours must be between 0 and {MAX_ENGINE_HOURS:,}.", field="engine_hours"
        )
    if not tracks_engine_hours:
        raise ValidationFailed("The vehicle does not track engine hours.", field="engine_hours")
    return replace(past, engine_hours=hours.quantize(Decimal("0.1")))


def past_services_record(*, org: Organization, services: list[PastService], actor=None) -> int:
    """Stores checked services as done tasks and their completions: two inserts, however many.

    Every vehicle must be the organization's (one query); the services come
    checked by ``past_service_check``.
    """
    if not services:
        return 0
    ids = {past.vehicle_id for past in services}
    if Vehicle.objects.filter(org=org, pk__in=ids).count() != len(ids):
        raise NotFound("A vehicle of these services is not this fleet's.")
    with transaction.atomic():
        tasks = ServiceTask.objects.bulk_create(
            [
                ServiceTask(
                    org=org,
                    vehicle_id=past.vehicle_id,
                    description=past.description,
                    cost=past.cost,
                    date_end=past.done_at,
                    start_date=past.done_at,
                    status=Status.DONE,
                    completion_date=past.done_at,
                    completion_mileage=past.odometer,
                    completion_engine_hours=past.engine_hours,
                )
                for past in services
            ]
        )
        TaskCompletion.objects.bulk_create(
            [
                TaskCompletion(
                    org=org,
                    task=task,
                    vehicle_id=past.vehicle_id,
                    done_at=past.done_at,
                    odometer=past.odometer,
                    engine_hours=past.engine_hours,
                    cost=past.cost,
                    planned_cost=past.cost,
                    servicer=past.servicer,
                    notes=past.notes,
                    recorded_by=actor,
                )
                for task, past in zip(tasks, services, strict=True)
            ]
        )
    return len(tasks)
