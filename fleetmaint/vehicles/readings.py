"""Recording meter readings, one or ten thousand, in a fixed number of statements.

Every reading is checked in Python over plain values (``reading_checks``),
with the same rules whether it arrives alone or in a batch. The accepted
ones are then stored set-based (``reading_store``), and what they change is
moved on for all their vehicles at once: schedules re-evaluated and crossings
told, predicted dates refreshed.
"""

import gc
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.notifications import outbox
from fleetmaint.vehicles import reevaluation
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle
from fleetmaint.vehicles.reading_checks import (
    METER_COLUMNS,
    CleanReading,
    Meters,
    ReadingInput,
    accept,
    clean_reading,
    meters_row,
)
from fleetmaint.vehicles.reading_checks import refuse_nul as refuse_nul
from fleetmaint.vehicles.reading_store import FRESH_COLUMNS, store_readings
from fleetmaint.vehicles.reading_store import USAGE_WINDOW_DAYS as USAGE_WINDOW_DAYS
from fleetmaint.vehicles.reading_store import vehicles_daily_usage as vehicles_daily_usage

log = logging.getLogger(__name__)

BULK_READINGS_LIMIT = 10_000
_MAX_ID = 2**63 - 1


@dataclass
class BulkItem:
    index: int
    vehicle_id: int | None
    vehicle_key: str | None
    reading: ReadingInput


@dataclass
class BulkResult:
    created: int
    errors: list[dict]


# --- the whole path -----------------------------------------------------------------


def _apply(
    org: Organization,
    vehicles: list[Meters],
    accepted: list[CleanReading],
    *,
    source: str,
    now: datetime,
    actor_id: int | None = None,
    fetch: bool = False,
    predict_later: bool = False,
) -> tuple[int | None, list[tuple]]:
    """Stores the accepted readings and moves on everything they change."""
    result = store_readings(org, accepted, source=source, actor_id=actor_id, now=now, fetch=fetch)
    touched = {r.vehicle.id for r in accepted}
    with_odometer = {r.vehicle.id for r in accepted if r.odometer is not None}
    with_hours = {r.vehicle.id for r in accepted if r.engine_hours is not None}
    # A first value of either meter may complete a schedule: distances, or engine hours.
    first = {
        v.id
        for v in vehicles
        if (v.odometer is None and v.id in with_odometer)
        or (v.engine_hours is None and v.id in with_hours)
    }
    _after_readings(org, touched, first, predict_later=predict_later)
    return result


def _after_readings(
    org: Organization,
    vehicle_ids: set[int],
    first_meter_ids: set[int],
    *,
    predict_later: bool = False,
) -> None:
    """What new readings change elsewhere, for all the vehicles at once.

    A first odometer may start a schedule; the usage rates moved, which moves
    predicted due dates; and thresholds the meters crossed are told, at once.
    With ``predict_later`` the predictions are refreshed by a job queued on
    commit (see ``readings_bulk_record``). What each of these means is up to
    the apps registered in ``reevaluation``.
    """
    reevaluation.first_meter(org=org, vehicle_ids=first_meter_ids)
    if predict_later:
        ids = sorted(vehicle_ids)
        transaction.on_commit(lambda: enqueue_predictions(ids))
    else:
        refresh_predictions(vehicle_ids)
    notices = outbox.Notices()
    reevaluation.evaluate(vehicle_ids, notices=notices)
    notices.write()


def refresh_predictions(vehicle_ids: Iterable[int]) -> int:
    """Re-predicts the vehicles' due dates from their current use."""
    return reevaluation.refresh_predictions(vehicle_ids)


def enqueue_predictions(vehicle_ids: list[int]) -> None:
    """Hands a batch's predictions to a worker; refreshes them here if none can be asked."""
    from django_q.tasks import async_task

    try:
        async_task("fleetmaint.vehicles.jobs.refresh_predictions", vehicle_ids, group="readings")
    except Exception:
        log.exception("Could not queue the predictions of %s vehicles", len(vehicle_ids))
        with transaction.atomic():
            refresh_predictions(vehicle_ids)


def reading_record(
    *,
    vehicle: Vehicle,
    odometer: int | None = None,
    engine_hours: Decimal | None = None,
    recorded_at: datetime | None = None,
    source: str = ReadingSource.MANUAL,
    is_correction: bool = False,
    confirm_jump: bool = False,
    note: str = "",
    actor=None,
) -> Reading:
    """Stores one reading after checking it fits the vehicle's history.

    The same path as a batch of one; the vehicle passed in gets its new
    current meters and daily usage.
    """
    item = ReadingInput(odometer, engine_hours, recorded_at, is_correction, confirm_jump, note)
    with transaction.atomic():
        # Lock the vehicle so two readings at once are checked one after the other.
        locked = (
            Vehicle.objects.select_for_update(of=("self",), no_key=True)
            .select_related("org")
            .get(pk=vehicle.pk)
        )
        org = locked.org
        current = Meters(*(getattr(locked, name) for name in METER_COLUMNS))
        now = timezone.now()
        clean = clean_reading(current, 0, item, now)
        accepted, refused = accept(org, [current], [clean])
        if refused:
            raise refused[0][1]
        actor_id = actor.pk if actor is not None else None
        reading_id, fresh = _apply(
            org, [current], accepted, source=source, now=now, actor_id=actor_id, fetch=True
        )
    for name, value in zip(FRESH_COLUMNS, fresh[0], strict=True):
        setattr(vehicle, name, value)
    return _stored_reading(reading_id, org, vehicle, clean, source=source, actor=actor, now=now)


def _stored_reading(
    reading_id: int | None,
    org: Organization,
    vehicle: Vehicle,
    clean: CleanReading,
    *,
    source: str,
    actor,
    now: datetime,
) -> Reading:
    # The row is stored already; this is the instance the ORM would have returned.
    reading = Reading(
        id=reading_id,
        org=org,
        vehicle=vehicle,
        odometer=clean.odometer,
        engine_hours=clean.engine_hours,
        recorded_at=clean.recorded_at,
        source=source,
        is_correction=clean.is_correction,
        note=clean.note,
        created_by=actor,
        created_at=now,
    )
    reading._state.adding = False
    reading._state.db = connection.alias
    return reading


@contextmanager
def collector_paused() -> Iterator[None]:
    """Holds Python's cycle collector off while a batch is parsed, checked and stored.

    Ten thousand readings make a few hundred thousand short-lived objects,
    none of them in cycles: reference counting frees them all the same, but
    meanwhile the collector would walk the whole heap again and again (a
    quarter of a batch's time). It runs as usual once the batch is done.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def readings_bulk_record(
    *, org: Organization, items: list[BulkItem], source: str = ReadingSource.API
) -> BulkResult:
    """Stores every valid reading of a batch and reports each invalid one.

    A reading is stored whole or not at all; one bad item does not stop the
    others. Vehicles are locked in id order so concurrent batches cannot
    deadlock.
    """
    if len(items) > BULK_READINGS_LIMIT:
        raise ValidationFailed(
            f"Send at most {BULK_READINGS_LIMIT:,} readings at once.", field="readings"
        )
    errors: list[dict] = []
    now = timezone.now()
    with collector_paused(), transaction.atomic():
        vehicles = _lock_vehicles_for(org, items)
        by_id = {v.id: v for v in vehicles}
        by_key = {v.vehicle_key: v for v in vehicles}
        candidates: list[CleanReading] = []
        for item in items:
            vehicle = (
                by_id.get(item.vehicle_id) if item.vehicle_id else by_key.get(item.vehicle_key)
            )
            if vehicle is None:
                errors.append(_bulk_error(item.index, "vehicle", "Vehicle does not exist."))
                continue
            try:
                candidates.append(clean_reading(vehicle, item.index, item.reading, now))
            except ValidationFailed as error:
                errors.append(_bulk_error(item.index, error.field, error.message, error.code))
        accepted, refused = accept(org, vehicles, candidates)
        for index, error in refused:
            errors.append(_bulk_error(index, error.field, error.message, error.code))
        if accepted:
            # Predicted dates are estimates for people to read. Refreshing every
            # open task of thousands of vehicles costs many times storing the
            # readings, so a batch leaves it to a job that runs after commit;
            # statuses and notifications are decided here, at once.
            _apply(org, vehicles, accepted, source=source, now=now, predict_later=True)
    errors.sort(key=lambda e: e["index"])
    return BulkResult(created=len(accepted), errors=errors)


def _lock_vehicles_for(org: Organization, items: list[BulkItem]) -> list[Meters]:
    """The fleet's vehicles the items name, locked in id order, as plain values.

    Raw SQL with one array per list: the ORM's ``pk__in`` binds each of ten
    thousand ids on its own and costs several times the query.
    """
    # An id past the bigint range names no vehicle (and SQLite cannot even bind it).
    ids = sorted({i.vehicle_id for i in items if i.vehicle_id and 0 < i.vehicle_id <= _MAX_ID})
    keys = sorted(
        {
            i.vehicle_key
            for i in items
            if not i.vehicle_id and i.vehicle_key and "\x00" not in i.vehicle_key
        }
    )
    if not ids and not keys:
        return []
    if connection.vendor == "postgresql":
        # NO KEY UPDATE: enough to order two batches on one vehicle, without
        # blocking rows that merely refer to it (a task being added).
        match = "(id = ANY(CAST(%s AS bigint[])) OR vehicle_key = ANY(%s::text[]))"
        params: list = [org.pk, sql.ids_param(ids), keys]
        lock = " FOR NO KEY UPDATE"
        columns = ", ".join(
            f"{name}::text" if name.endswith("_at") else name for name in METER_COLUMNS
        )
    else:
        match = (
            "(id IN (SELECT value FROM json_each(%s)) "
            "OR vehicle_key IN (SELECT value FROM json_each(%s)))"
        )
        params = [org.pk, json.dumps(ids), json.dumps(keys)]
        lock = ""
        columns = ", ".join(METER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM vehicles_vehicle "
            f"WHERE org_id = %s AND {match} ORDER BY id{lock}",
            params,
        )
        rows = cursor.fetchall()
    return [meters_row(row) for row in rows]


def _bulk_error(index: int, field_name: str | None, message: str, code: str = "invalid") -> dict:
    return {"index": index, "code": code, "field": field_name, "message": message}
