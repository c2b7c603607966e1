"""Writing /v2 answers: the vendor's times, service task objects and vehicle objects."""

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.compat.navixy_params import Params
from fleetmaint.tasks import queries
from fleetmaint.tasks.measures import given_conditions, wear
from fleetmaint.tasks.models import ServiceTask, Status

# The task's columns the vendor's object shows: all but the creation and change times.
TASK_FIELDS = tuple(f for f in queries.TASK_ROW_FIELDS if f not in {"created_at", "updated_at"})


# The task's moments the vendor's object shows.
MOMENTS_SHOWN = ("date_end", "start_date", "completion_date", "predicted_end_date")


@dataclass(frozen=True)
class Clock:
    """How times are written for one request, and the moment it is answered."""

    zone: zoneinfo.ZoneInfo
    iso: bool
    now: datetime

    @classmethod
    def of(cls, org: Organization, params: Params) -> "Clock":
        return cls(
            zoneinfo.ZoneInfo(org.time_zone), params.boolean("iso_datetime", False), timezone.now()
        )

    def list_moments(self) -> tuple[tuple[str, ...], str]:
        """The moments a list of tasks reads as text in SQL (``queries.task_rows``): all
        it shows, unless the ISO variant is asked for, which Python writes."""
        return ((), "UTC") if self.iso else (MOMENTS_SHOWN, self.zone.key)

    @functools.cached_property
    def now_text(self) -> str:
        """The moment of the answer, written once for every task of a list."""
        return self.time(self.now)

    def time(self, moment: datetime | str | None) -> str | None:
        """A moment in the vendor's format; text is a moment a list read already
        written (``list_moments``)."""
        if moment is None or isinstance(moment, str):
            return moment
        if self.iso:
            return moment.astimezone(self.zone).isoformat(timespec="seconds")
        return sql.local_time_text(moment, self.zone)


def _number(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _conditions_json(task: ServiceTask | SimpleNamespace, clock: Clock) -> dict:
    """The conditions the task has, in the vendor's formats; absent ones are left out."""
    conditions = given_conditions(task)
    if "date" in conditions:
        conditions["date"]["end"] = clock.time(conditions["date"]["end"])
    if "engine_hours" in conditions:
        conditions["engine_hours"] = {
            name: _number(value) for name, value in conditions["engine_hours"].items()
        }
    return conditions


def task_json(
    task: ServiceTask | SimpleNamespace, clock: Clock, *, prediction: bool, file_ids: list[int]
) -> dict:
    """The vendor's service task object, in the seed's order of fields.

    ``task`` is a task or a row of ``queries.task_rows`` (the same attributes).
    ``current_position`` is the vehicle's current meters and the moment of
    the answer, which is where wear is measured; ``prediction.end_date`` is the
    predicted due date the services keep on the task (null once done).
    """
    vehicle = task.vehicle
    done = task.status == Status.DONE
    body = {
        "id": task.id,
        "repeat": task.repeat,
        "unplanned": task.unplanned,
        "completion_date": clock.time(task.completion_date),
        "vehicle_id": task.vehicle_id,
        "cost": float(task.cost),
        "start": {
            "mileage": task.start_mileage,
            "date": clock.time(task.start_date),
            "engine_hours": _number(task.start_engine_hours),
        },
        "completion": {
            "mileage": task.completion_mileage,
            "date": clock.time(task.completion_date),
            "engine_hours": _number(task.completion_engine_hours),
        }
        if done
        else None,
        "conditions": _conditions_json(task, clock),
        "notifications": {
            # Stored in E.164; the vendor writes international numbers without the plus.
            "sms_phones": [phone.removeprefix("+") for phone in task.sms_phones],
            "emails": list(task.emails),
            "push_enabled": task.push_enabled,
        },
        "status": task.status,
        "description": task.description,
        "comment": task.comment,
        "file_ids": file_ids,
        "vehicle_label": vehicle.label,
    }
    if prediction:
        body["prediction"] = {
            "end_date": clock.time(task.predicted_end_date),
            # A list's rows bring their wear, read in SQL at the same moment.
            "wear_percentage": task.wear
            if isinstance(task, SimpleNamespace)
            else wear(task, now=clock.now),
        }
    body["current_position"] = {
        "mileage": vehicle.odometer,
        "date": clock.now_text,
        "engine_hours": _number(vehicle.engine_hours),
    }
    return body


# The vehicle's columns the vendor's vehicle object shows; the list reads only these.
VEHICLE_FIELDS = (
    "id",
    "label",
    "model",
    "plate",
    "vin",
    "year",
    "make",
    "vehicle_key",
    "archived",
)


def vehicle_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "label": row["label"],
        "model": row["model"],
        "reg_number": row["plate"],
        "vin": row["vin"],
        "manufacture_year": row["year"],
        "make": row["make"],
        "vehicle_key": row["vehicle_key"],
        "archived": row["archived"],
    }
