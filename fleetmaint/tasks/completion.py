"""What happened when work was done: shared by a task marked done and an interval serviced.

``CompletionInput`` is the typed value every face builds (the API's body, the
pages' form): when, the meters, what it cost, who did it and notes. The meters
go through the vehicle's reading rules (``record_meters``): a value the vehicle
does not hold yet is stored as a reading at the completion's moment, so one
below the current one is refused with the current value and its date, and an
implausible jump needs ``confirm_jump``.
"""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from pydantic import Field, StrictBool, StringConstraints

from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import Amount, CleanStr
from fleetmaint.tasks.inputs import (
    MAX_COST,
    MAX_DAYS,
    MAX_DISTANCE,
    MAX_HOURS,
    Input,
    Moment,
    OptionalHours,
    OptionalWhole,
)
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle
from fleetmaint.vehicles.readings import reading_record

MAX_SERVICER = 120
MAX_NOTES = 2_000
# A moment a few minutes ahead is "now" from a clock running slightly fast.
FUTURE_GRACE = timedelta(minutes=5)

Servicer = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=MAX_SERVICER)]
Notes = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=MAX_NOTES)]


class CompletionInput(Input):
    """What happened: every field may be left out."""

    done_at: Moment | None = Field(None, description="When it was done. Default: now.")
    odometer: OptionalWhole(0, MAX_DISTANCE) = Field(
        None, description="Default: the vehicle's current odometer."
    )
    engine_hours: OptionalHours(Decimal(0), MAX_HOURS) = Field(
        None, description="Default: the vehicle's current engine hours."
    )
    cost: Amount(MAX_COST, 2) | None = Field(
        None, description="What it cost. Default: a task's own cost; nothing for an interval."
    )
    servicer: Servicer = Field("", description="Who did the work.")
    notes: Notes = ""
    confirm_jump: StrictBool = Field(
        False, description="The meters are right although they jumped implausibly far."
    )


def completion_moment(moment: datetime | None, zone: str, *, field: str) -> datetime:
    """When the work was done: now when not given; a wall-clock time is the fleet's."""
    now = timezone.now()
    if moment is None:
        return now
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    if moment > now + FUTURE_GRACE:
        raise ValidationFailed("The date cannot be in the future.", field=field)
    if moment < now - timedelta(days=MAX_DAYS):
        raise ValidationFailed("The date must be within a hundred years of today.", field=field)
    return moment


def record_meters(
    *,
    vehicle: Vehicle,
    odometer: int | None,
    engine_hours: Decimal | None,
    at: datetime,
    confirm_jump: bool,
    note: str,
    actor=None,
) -> Reading | None:
    """Stores the given meters as a reading when the vehicle does not hold them yet.

    A value equal to the vehicle's current one adds nothing and is not stored
    again; any other goes through the reading rules, at the completion's moment.
    """
    current = Vehicle.objects.only("odometer", "engine_hours").get(pk=vehicle.pk)
    new_odometer = odometer if odometer is not None and odometer != current.odometer else None
    new_hours = (
        engine_hours if engine_hours is not None and engine_hours != current.engine_hours else None
    )
    if new_odometer is None and new_hours is None:
        return None
    return reading_record(
        vehicle=vehicle,
        odometer=new_odometer,
        engine_hours=new_hours,
        recorded_at=at,
        source=ReadingSource.MANUAL,
        confirm_jump=confirm_jump,
        note=note[:255],
        actor=actor,
    )
