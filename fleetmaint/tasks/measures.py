"""A task's conditions measured: thresholds, how far each is used, wear and prediction.

Pure functions of a task (or a row of ``queries.task_rows``, which has the same
attributes) and the meters it is measured at. The arithmetic itself is
``vehicles.meters``; the same rules in SQL are ``tasks.wear_sql`` and
``vehicles.meters_sql``, held equal to these by property tests.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from fleetmaint.tasks.models import ConditionKind, ServiceTask, Status
from fleetmaint.vehicles import meters

MICROSECOND = timedelta(microseconds=1)
DAY = timedelta(days=1)


@dataclass
class CleanConditions:
    """The task's condition columns as given (the thresholds derive from them)."""

    mileage_limit: int | None = None
    mileage_notify: int | None = None
    mileage_repeat: int | None = None
    date_end: datetime | None = None
    date_notify_days: int | None = None
    date_repeat_days: int | None = None
    hours_limit: Decimal | None = None
    hours_notify: Decimal | None = None
    hours_repeat: Decimal | None = None


def apply_conditions(task: ServiceTask, conditions: CleanConditions) -> None:
    """Copies the conditions onto the task and derives its absolute thresholds."""
    for name, value in conditions.__dict__.items():
        setattr(task, name, value)
    if task.mileage_limit is not None:
        task.mileage_expire_at = task.start_mileage + task.mileage_limit
        task.mileage_notify_at = max(
            task.start_mileage, task.mileage_expire_at - (task.mileage_notify or 0)
        )
    else:
        task.mileage_expire_at = task.mileage_notify_at = None
    if task.date_end is not None:
        task.date_notify_at = task.date_end - timedelta(days=task.date_notify_days or 0)
    else:
        task.date_notify_at = None
    if task.hours_limit is not None:
        task.hours_expire_at = task.start_engine_hours + task.hours_limit
        task.hours_notify_at = max(
            task.start_engine_hours, task.hours_expire_at - (task.hours_notify or 0)
        )
    else:
        task.hours_expire_at = task.hours_notify_at = None


def given_conditions(task: ServiceTask) -> dict[str, dict]:
    """The task's conditions as a client gave them (seed 004's shape); absent ones left out."""
    given: dict[str, dict] = {}
    if task.mileage_limit is not None:
        given["mileage"] = {
            "limit": task.mileage_limit,
            "notification_interval": task.mileage_notify,
            "repeat_interval": task.mileage_repeat,
        }
    if task.date_end is not None:
        given["date"] = {
            "end": task.date_end,
            "notification_interval": task.date_notify_days,
            "repeat_interval": task.date_repeat_days,
        }
    if task.hours_limit is not None:
        given["engine_hours"] = {
            "limit": task.hours_limit,
            "notification_interval": task.hours_notify,
            "repeat_interval": task.hours_repeat,
        }
    return given


def task_conditions(
    task: ServiceTask, *, odometer=None, engine_hours=None, now: datetime | None = None
) -> list[meters.Condition]:
    """The task's conditions measured at the given meters (default: the vehicle's current)."""
    vehicle = task.vehicle
    odometer = vehicle.odometer if odometer is None else odometer
    engine_hours = vehicle.engine_hours if engine_hours is None else engine_hours
    now = now or timezone.now()
    found = []
    if task.mileage_limit is not None and odometer is not None:
        found.append(
            meters.Condition(
                ConditionKind.MILEAGE,
                float(odometer - task.start_mileage),
                float(task.mileage_limit),
                float(task.mileage_notify or 0),
            )
        )
    if task.date_end is not None:
        # Whole microseconds, not float days: the same comparisons as the SQL
        # thresholds (now against the end, and against the end less the reminder).
        found.append(
            meters.Condition(
                ConditionKind.DATE,
                (now - task.start_date) // MICROSECOND,
                (task.date_end - task.start_date) // MICROSECOND,
                (task.date_notify_days or 0) * DAY // MICROSECOND,
            )
        )
    if task.hours_limit is not None and engine_hours is not None:
        found.append(
            # Decimals, not floats: the SQL thresholds are exact (limit 1.1 h with a
            # 0.2 h reminder notifies at 0.9 h, where floats would say 0.9000000000000001).
            meters.Condition(
                ConditionKind.ENGINE_HOURS,
                Decimal(engine_hours) - task.start_engine_hours,
                task.hours_limit,
                task.hours_notify or Decimal(0),
            )
        )
    return found


def wear(task: ServiceTask, *, now: datetime | None = None) -> int:
    """How far the task is worn (``now`` defaults to the clock; a list passes one moment)."""
    if task.status == Status.DONE and task.completion_wear is not None:
        return task.completion_wear
    return meters.wear_percentage(task_conditions(task, now=now))


def predict_end_date(task: ServiceTask) -> datetime | None:
    """The earliest date a condition is expected to reach its limit."""
    vehicle = task.vehicle
    by_mileage = by_hours = None
    if task.mileage_expire_at is not None:
        by_mileage = meters.predict_reach(
            vehicle.odometer_at, vehicle.odometer, task.mileage_expire_at, vehicle.daily_distance
        )
    if task.hours_expire_at is not None:
        by_hours = meters.predict_reach(
            vehicle.engine_hours_at,
            vehicle.engine_hours,
            task.hours_expire_at,
            vehicle.daily_engine_hours,
        )
    return meters.earliest(task.date_end, by_mileage, by_hours)
