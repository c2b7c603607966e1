"""Telematics readings into the fleet: which vehicle, which readings, through the usual rules.

A tracker reports every few seconds; the fleet needs a reading an hour or so.
For a batch of observations, in a fixed number of statements:

1. find and lock the fleet's vehicles the observations name (device, VIN or
   vehicle key), in one query; an unknown name is reported, not an error;
2. convert each distance to the vehicle's unit (whole units, rounded down as
   an odometer shows) and engine time to hours;
3. per vehicle, in time order: an observation with the same meters as the
   one before it within a minute is a duplicate; one less than
   ``TELEMATICS_MIN_INTERVAL_SECONDS`` after the vehicle's newest reading (or
   the last one kept from this batch) is skipped;
4. the rest go through ``readings_bulk_record``, the same rules as every
   reading (no decrease, no implausible jump, nothing in the future), with
   source ``telematics``;
5. what those rules refuse is answered and kept as an ``IngestIssue``: a jump
   is held there for a person to check, since no one is at the tracker to
   confirm it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.ingest.feeds import FeedError, Observation
from fleetmaint.ingest.models import IngestIssue
from fleetmaint.vehicles import readings
from fleetmaint.vehicles.models import ReadingSource, Vehicle

DUPLICATE_WINDOW = timedelta(minutes=1)
METRES_PER_UNIT = {"m": Decimal(1), "km": Decimal(1000), "mi": Decimal("1609.344")}
MAX_UNKNOWN_LISTED = 100
_TENTH = Decimal("0.1")


@dataclass(slots=True)
class _Vehicle:
    id: int
    device_id: str
    vin: str
    vehicle_key: str
    distance_unit: str
    tracks_engine_hours: bool
    odometer: int | None
    engine_hours: Decimal | None
    newest_at: datetime | None


@dataclass(slots=True)
class _Point:
    """An observation on its vehicle, in the vehicle's units."""

    observation: Observation
    vehicle: _Vehicle
    odometer: int | None
    engine_hours: Decimal | None


@dataclass
class IngestResult:
    accepted: int = 0
    skipped_recent: int = 0
    duplicates: int = 0
    without_meters: int = 0
    unknown: list[str] = field(default_factory=list)
    unknown_count: int = 0
    refused: list[dict] = field(default_factory=list)


def min_interval() -> timedelta:
    return timedelta(seconds=max(0, settings.TELEMATICS_MIN_INTERVAL_SECONDS))


def telematics_ingest(
    *,
    org: Organization,
    observations: list[Observation],
    feed_errors: list[FeedError] | None = None,
    interval: timedelta | None = None,
) -> IngestResult:
    """Stores what the observations say about the fleet's vehicles, and reports the rest."""
    interval = min_interval() if interval is None else interval
    result = IngestResult()
    result.refused = [_feed_refusal(error) for error in feed_errors or []]
    if len(observations) > readings.BULK_READINGS_LIMIT:
        raise ValidationFailed(f"Send at most {readings.BULK_READINGS_LIMIT:,} readings at once.")
    with readings.collector_paused(), transaction.atomic():
        vehicles = _lock_vehicles(org, observations)
        points, unknown = _on_vehicles(observations, vehicles)
        result.unknown_count = len(unknown)
        result.unknown = sorted(unknown)[:MAX_UNKNOWN_LISTED]
        kept = _throttle(points, interval, result)
        if kept:
            _record(org, kept, result)
    result.refused.sort(key=lambda r: r["index"])
    return result


# --- 1. the vehicles ------------------------------------------------------------------------


def _lock_vehicles(org: Organization, observations: list[Observation]) -> list[_Vehicle]:
    devices = {o.device_id for o in observations if o.device_id}
    vins = {o.vin for o in observations if o.vin}
    keys = {o.vehicle_key for o in observations if o.vehicle_key}
    if not (devices or vins or keys):
        return []
    # Empty names never match: a vehicle without a tracker has device_id "".
    match = Q(pk__in=[])
    if devices:
        match |= Q(device_id__in=sorted(devices))
    if vins:
        match |= Q(vin__in=sorted(vins))
    if keys:
        match |= Q(vehicle_key__in=sorted(keys))
    rows = (
        Vehicle.objects.filter(org=org)
        .filter(match)
        .order_by("id")
        .select_for_update(of=("self",), no_key=True)
        .values_list(
            "id",
            "device_id",
            "vin",
            "vehicle_key",
            "distance_unit",
            "tracks_engine_hours",
            "odometer",
            "engine_hours",
            "odometer_at",
            "engine_hours_at",
        )
    )
    found = []
    for *values, odometer_at, hours_at in rows:
        newest = max((at for at in (odometer_at, hours_at) if at), default=None)
        found.append(_Vehicle(*values, newest_at=newest))
    return found


# --- 2. their units -------------------------------------------------------------------------


def _on_vehicles(
    observations: list[Observation], vehicles: list[_Vehicle]
) -> tuple[list[_Point], set[str]]:
    by_device = {v.device_id: v for v in vehicles if v.device_id}
    by_key = {v.vehicle_key: v for v in vehicles}
    by_vin: dict[str, _Vehicle] = {}
    for vehicle in vehicles:  # by id: the oldest vehicle of a repeated VIN
        if vehicle.vin:
            by_vin.setdefault(vehicle.vin.upper(), vehicle)
    points: list[_Point] = []
    unknown: set[str] = set()
    for observation in observations:
        vehicle = (
            by_device.get(observation.device_id or "")
            or by_key.get(observation.vehicle_key or "")
            or by_vin.get(observation.vin or "")
        )
        if vehicle is None:
            unknown.add(observation.names)
            continue
        points.append(
            _Point(
                observation,
                vehicle,
                _in_unit(observation, vehicle.distance_unit),
                _hours(observation) if vehicle.tracks_engine_hours else None,
            )
        )
    return points, unknown


def _in_unit(observation: Observation, unit: str) -> int | None:
    if observation.distance is None:
        return None
    source = observation.distance_unit or unit
    value = observation.distance * METRES_PER_UNIT[source] / METRES_PER_UNIT[unit]
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _hours(observation: Observation) -> Decimal | None:
    hours = observation.engine_hours
    return hours.quantize(_TENTH, rounding=ROUND_FLOOR) if hours is not None else None


# --- 3. one reading per period --------------------------------------------------------------


def _throttle(points: list[_Point], interval: timedelta, result: IngestResult) -> list[_Point]:
    """The points to record: per vehicle, none within ``interval`` of the one before."""
    kept: list[_Point] = []
    last_kept: dict[int, datetime | None] = {}
    last_seen: dict[int, tuple[datetime, int | None, Decimal | None]] = {}
    for point in sorted(points, key=lambda p: (p.vehicle.id, p.observation.recorded_at)):
        vehicle, at = point.vehicle, point.observation.recorded_at
        if point.odometer is None and point.engine_hours is None:
            result.without_meters += 1
            continue
        if vehicle.id not in last_kept:
            last_kept[vehicle.id] = vehicle.newest_at
            if vehicle.newest_at is not None:
                last_seen[vehicle.id] = (vehicle.newest_at, vehicle.odometer, vehicle.engine_hours)
        if _is_duplicate(point, last_seen.get(vehicle.id)):
            result.duplicates += 1
            continue
        last_seen[vehicle.id] = (at, point.odometer, point.engine_hours)
        previous = last_kept[vehicle.id]
        if previous is not None and at < previous + interval:
            result.skipped_recent += 1
            continue
        last_kept[vehicle.id] = at
        kept.append(point)
    return kept


def _is_duplicate(point: _Point, seen: tuple[datetime, int | None, Decimal | None] | None) -> bool:
    if seen is None:
        return False
    at, odometer, hours = seen
    return (
        abs(point.observation.recorded_at - at) < DUPLICATE_WINDOW
        and point.odometer in (None, odometer)
        and point.engine_hours in (None, hours)
    )


# --- 4. and 5. the reading rules, and what they refuse ---------------------------------------


def _record(org: Organization, kept: list[_Point], result: IngestResult) -> None:
    items = [
        readings.BulkItem(
            index=number,
            vehicle_id=point.vehicle.id,
            vehicle_key=None,
            reading=readings.ReadingInput(
                odometer=point.odometer,
                engine_hours=point.engine_hours,
                recorded_at=point.observation.recorded_at,
            ),
        )
        for number, point in enumerate(kept)
    ]
    stored = readings.readings_bulk_record(org=org, items=items, source=ReadingSource.TELEMATICS)
    result.accepted = stored.created
    issues = []
    for error in stored.errors:
        point = kept[error["index"]]
        observation = point.observation
        result.refused.append(
            _refusal(
                observation,
                code=error["code"],
                field=error["field"],
                message=error["message"],
                vehicle_id=point.vehicle.id,
            )
        )
        issues.append(
            IngestIssue(
                org=org,
                vehicle_id=point.vehicle.id,
                device=observation.names,
                odometer=point.odometer,
                engine_hours=point.engine_hours,
                recorded_at=observation.recorded_at,
                code=error["code"][:40],
                field=(error["field"] or "")[:40],
                message=error["message"][:255],
            )
        )
    if issues:
        IngestIssue.objects.bulk_create(issues)


def _refusal(
    observation: Observation,
    *,
    code: str,
    field: str | None,
    message: str,
    vehicle_id: int | None,
) -> dict:
    refusal = {
        "index": observation.index,
        "device": observation.names,
        "vehicle_id": vehicle_id,
        "recorded_at": observation.recorded_at.isoformat(),
        "code": code,
        "field": field,
        "message": message,
    }
    if observation.line is not None:
        refusal["line"] = observation.line
    return refusal


def _feed_refusal(error: FeedError) -> dict:
    refusal = {
        "index": error.index,
        "device": None,
        "vehicle_id": None,
        "recorded_at": None,
        "code": "invalid",
        "field": error.field,
        "message": error.message,
    }
    if error.line is not None:
        refusal["line"] = error.line
    return refusal
