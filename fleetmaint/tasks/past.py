"""Work done before the fleet used fleetmaint: kept as done tasks with their completion.

A past service becomes a task that is done already (its date its condition,
so it never falls due) and the completion that records when, at what meters,
for how much and by whom. It shows in the vehicle's history and costs as any
completed task does, and moves nothing on the schedule.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from fleetmaint.accounts.models import Organization
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion


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


def past_services_record(*, org: Organization, services: list[PastService], actor=None) -> int:
    """Stores the services as done tasks and their completions: two inserts, however many."""
    if not services:
        return 0
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
