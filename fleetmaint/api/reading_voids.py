"""Voiding a reading over JSON; the rule is ``vehicles.reading_void``."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from fleetmaint.api.common import find_vehicle
from fleetmaint.inputs import CleanStr
from fleetmaint.vehicles.models import Reading
from fleetmaint.vehicles.reading_void import MAX_REASON, reading_void

router = Router(tags=["vehicles"])


class VoidIn(Schema):
    reason: CleanStr = Field(
        ..., min_length=1, max_length=MAX_REASON, description="Why the reading is wrong."
    )


class VoidedOut(Schema):
    id: int
    odometer: int | None
    engine_hours: float | None
    recorded_at: datetime
    voided_at: datetime
    void_reason: str
    vehicle_odometer: int | None = Field(description="The vehicle's odometer after the void.")


@router.post("/vehicles/{vehicle_id}/readings/{reading_id}/void", response=VoidedOut)
def void_reading(request: HttpRequest, vehicle_id: int, reading_id: int, payload: VoidIn):
    """Marks the reading void: kept in the list with ``voided_at``, out of every meter.

    The vehicle's current meters, usage and predictions are read again from
    the readings that count, and its schedule, tasks and contracts settle back
    where the reading alone had moved them. A reading is voided once (409).
    """
    vehicle = find_vehicle(request, vehicle_id)
    reading = Reading.objects.filter(vehicle=vehicle, pk=reading_id).first() if vehicle else None
    if reading is None:
        raise Http404("Reading not found.")
    voided = reading_void(reading=reading, reason=payload.reason, actor=None)
    hours = voided.engine_hours
    return {
        "id": voided.pk,
        "odometer": voided.odometer,
        "engine_hours": float(hours) if hours is not None else None,
        "recorded_at": voided.recorded_at,
        "voided_at": voided.voided_at,
        "void_reason": voided.void_reason,
        "vehicle_odometer": voided.vehicle.odometer,
    }
