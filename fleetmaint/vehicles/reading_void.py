"""Voiding a wrong reading: it stays in the history, out of everything the meters decide.

A voided reading is kept (with when, by whom and why) so the history shows
what was once believed. It no longer counts for the vehicle's current
meters, its usage, the predictions or the charts, and no later reading is
checked against it. The vehicle's current meters are read again from the
readings that still count; every interval, task and contract of the vehicle
is then settled (crossings that no longer hold are undone), re-predicted and
evaluated, all in the same transaction.

A void is not taken back: the value was refused by a person who knew it was
wrong, and putting it back would skip the checks every new reading passes.
A value that was right after all is recorded again as a new reading.
"""

from django.db import connection, transaction
from django.utils import timezone

from fleetmaint.errors import Conflict, ValidationFailed
from fleetmaint.inputs import clean_text
from fleetmaint.notifications import outbox
from fleetmaint.vehicles import reevaluation
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.reading_store import FRESH_COLUMNS, daily_usage_sql

MAX_REASON = 255


def _newest(meter: str) -> str:
    """The newest counted reading's value of ``meter`` (or its moment) for vehicle ``v``."""
    return (
        "(SELECT r.{column} FROM vehicles_reading r WHERE r.vehicle_id = v.id "
        f"AND r.voided_at IS NULL AND r.{meter} IS NOT NULL "
        "ORDER BY r.recorded_at DESC, r.id DESC LIMIT 1)"
    )


def _counted_meters() -> str:
    """Rows (id, odometer, odometer_at, engine_hours, engine_hours_at) from counted readings."""
    columns = ", ".join(
        f"{_newest(meter).format(column=meter)} AS {meter}, "
        f"{_newest(meter).format(column='recorded_at')} AS {meter}_at"
        for meter in ("odometer", "engine_hours")
    )
    return f"SELECT v.id, {columns} FROM vehicles_vehicle v WHERE v.id = %(vehicle_id)s"


def meters_recount(vehicle_id: int) -> None:
    """Sets the vehicle's current meters and daily usage from the readings that count."""
    sets = ", ".join(f"{name} = u.{name}" for name in FRESH_COLUMNS[:4])
    usage = daily_usage_sql(_counted_meters())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE vehicles_vehicle SET {sets}, daily_distance = u.distance, "
            f"daily_engine_hours = u.hours FROM ({usage}) AS u WHERE vehicles_vehicle.id = u.id",
            {"vehicle_id": vehicle_id},
        )


def _moved_on(vehicle_id: int) -> None:
    """What the vehicle's recounted meters change: undo, re-predict, then tell what is due."""
    meters_recount(vehicle_id)
    reevaluation.settle([vehicle_id])
    reevaluation.refresh_predictions([vehicle_id])
    notices = outbox.Notices()
    reevaluation.evaluate([vehicle_id], notices=notices)
    notices.write()


def _locked(reading: Reading) -> Reading:
    """The reading, read again under its vehicle's lock (readings of it wait their turn)."""
    lock = Vehicle.objects.select_for_update(of=("self",), no_key=True)
    list(lock.filter(pk=reading.vehicle_id).values_list("pk", flat=True))
    return Reading.objects.select_related("vehicle").get(pk=reading.pk)


def reading_void(*, reading: Reading, reason: str, actor=None) -> Reading:
    """Voids ``reading`` with a reason; the vehicle and its schedule move back at once."""
    reason = clean_text(reason or "", field="reason").strip()
    if not reason:
        raise ValidationFailed("Say why the reading is void.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"The reason can have at most {MAX_REASON} characters (it has {len(reason)}).",
            field="reason",
        )
    with transaction.atomic():
        current = _locked(reading)
        if current.voided_at is not None:
            raise Conflict(
                f"This reading was already voided on {current.voided_at:%Y-%m-%d}.",
                code="already_voided",
            )
        current.voided_at = timezone.now()
        current.voided_by = actor
        current.void_reason = reason
        current.save(update_fields=["voided_at", "voided_by", "void_reason"])
        _moved_on(current.vehicle_id)
    current.vehicle.refresh_from_db()
    return current
