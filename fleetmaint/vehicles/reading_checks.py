"""Checks of meter readings over plain values: one reading's own values, then its history.

The same rules whether a reading arrives alone or among ten thousand; a
batch's readings for one vehicle are checked against each other in time
order too.
"""

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from fleetmaint import days
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ConfirmationRequired, DomainError, ValidationFailed
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.meters import MeterPoint
from fleetmaint.vehicles.reading_store import as_hours, as_moment, stage_source

MAX_ODOMETER = 10_000_000
MAX_ENGINE_HOURS = Decimal("1000000")

_TENTH = Decimal("0.1")


def refuse_nul(name: str, value: str) -> str:
    # PostgreSQL cannot store NUL in text; say so instead of failing with a 500.
    if "\x00" in value:
        raise ValidationFailed(
            f"The {name.replace('_', ' ')} cannot contain NUL characters.", field=name
        )
    return value


# --- what comes in ------------------------------------------------------------------


@dataclass
class ReadingInput:
    """A reading as submitted, typed, before it is checked against its vehicle."""

    odometer: int | None = None
    engine_hours: Decimal | None = None
    recorded_at: datetime | None = None
    is_correction: bool = False
    confirm_jump: bool = False
    note: str = ""


@dataclass(slots=True)
class Meters:
    """A locked vehicle as the checks need it: its rules and its current meters."""

    id: int
    vehicle_key: str
    distance_unit: str
    tracks_engine_hours: bool
    odometer: int | None
    odometer_at: datetime | None
    engine_hours: Decimal | None
    engine_hours_at: datetime | None

    @property
    def newest_at(self) -> datetime | None:
        return max((at for at in (self.odometer_at, self.engine_hours_at) if at), default=None)


METER_COLUMNS = (
    "id",
    "vehicle_key",
    "distance_unit",
    "tracks_engine_hours",
    "odometer",
    "odometer_at",
    "engine_hours",
    "engine_hours_at",
)


@dataclass(slots=True)
class CleanReading:
    """A reading whose own values passed; it has yet to fit its vehicle's history."""

    index: int
    vehicle: Meters
    odometer: int | None
    engine_hours: Decimal | None
    recorded_at: datetime
    is_correction: bool
    confirm_jump: bool
    note: str


# --- checks of one reading's own values ----------------------------------------------


def _odometer(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    if value < 0:
        raise ValidationFailed("The odometer cannot be negative.", field="odometer")
    if value > MAX_ODOMETER:
        raise ValidationFailed(f"The odometer can be at most {MAX_ODOMETER:,}.", field="odometer")
    return value


def _engine_hours(value: Decimal | int | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)  # whole hours
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    if value < 0:
        raise ValidationFailed("Engine hours cannot be negative.", field="engine_hours")
    if value > MAX_ENGINE_HOURS:
        raise ValidationFailed(
            f"Engine hours can be at most {MAX_ENGINE_HOURS:,}.", field="engine_hours"
        )
    return value.quantize(_TENTH)


def clean_reading(vehicle: Meters, index: int, item: ReadingInput, now: datetime) -> CleanReading:
    odometer = _odometer(item.odometer)
    engine_hours = _engine_hours(item.engine_hours)
    if odometer is None and engine_hours is None:
        raise ValidationFailed("Give an odometer value, engine hours, or both.", field="odometer")
    if engine_hours is not None and not vehicle.tracks_engine_hours:
        raise ValidationFailed("This vehicle does not track engine hours.", field="engine_hours")
    recorded_at = item.recorded_at or now
    if timezone.is_naive(recorded_at):
        raise ValidationFailed("Give the time with its time zone.", field="recorded_at")
    if recorded_at > now + timedelta(minutes=5):
        raise ValidationFailed("A reading cannot be in the future.", field="recorded_at")
    note = refuse_nul("note", (item.note or "").strip())
    if len(note) > 255:
        raise ValidationFailed("The note can be at most 255 characters.", field="note")
    return CleanReading(
        index=index,
        vehicle=vehicle,
        odometer=odometer,
        engine_hours=engine_hours,
        recorded_at=recorded_at,
        is_correction=bool(item.is_correction),
        confirm_jump=bool(item.confirm_jump),
        note=note,
    )


# --- checks against the history -------------------------------------------------------


@dataclass
class _History:
    """A vehicle's readings around the new ones, oldest first, per meter."""

    odometer: list[MeterPoint] = field(default_factory=list)
    engine_hours: list[MeterPoint] = field(default_factory=list)

    def add(self, meter: str, point: MeterPoint) -> None:
        # After any points at the same moment, as a stable sort would put it.
        bisect.insort_right(getattr(self, meter), point, key=lambda p: p.at)


def _check_against_history(
    reading: CleanReading, history: _History, *, max_daily_distance: int, zone: tzinfo
) -> None:
    unit = reading.vehicle.distance_unit
    checks = (
        ("odometer", reading.odometer, "odometer", unit, max_daily_distance),
        ("engine_hours", reading.engine_hours, "engine hours", "h", meters.HOURS_PER_DAY),
    )
    for meter, value, words, meter_unit, max_per_day in checks:
        if value is None:
            continue
        point = MeterPoint(reading.recorded_at, value, reading.is_correction)
        points = getattr(history, meter)
        problem = meters.order_problem(points, point, meter=words, unit=meter_unit, zone=zone)
        if problem:
            raise ValidationFailed(problem, field=meter)
        jump = meters.implausible_jump(points, point, max_per_day=max_per_day)
        if jump is not None and not reading.confirm_jump:
            raise ConfirmationRequired(
                f"That is {meters._fmt(jump)} {meter_unit} more than the previous reading, "
                f"over {max_per_day:,} {meter_unit} a day. Check the value, and confirm it "
                "if it is right.",
                field=meter,
            )


def _remember(history: _History, reading: CleanReading) -> None:
    """Adds an accepted reading, so the batch's later readings are checked against it."""
    for meter in ("odometer", "engine_hours"):
        value = getattr(reading, meter)
        if value is not None:
            history.add(meter, MeterPoint(reading.recorded_at, value, reading.is_correction))


def _load_history(vehicles: list[Meters], since: dict[int, datetime]) -> dict[int, _History]:
    """Each vehicle's readings that a new reading at or after ``since`` must fit between.

    A vehicle whose new readings are all newer than its current meters needs
    nothing more: its current values are the only neighbours. The others are
    backfilled and read their neighbours from the history, all in one query.
    """
    histories: dict[int, _History] = {}
    backfilled: dict[int, datetime] = {}
    for vehicle in vehicles:
        history = _History()
        if vehicle.odometer is not None:
            history.odometer.append(MeterPoint(vehicle.odometer_at, vehicle.odometer))
        if vehicle.engine_hours is not None:
            history.engine_hours.append(MeterPoint(vehicle.engine_hours_at, vehicle.engine_hours))
        histories[vehicle.id] = history
        newest = vehicle.newest_at
        if newest is not None and since[vehicle.id] < newest:
            backfilled[vehicle.id] = since[vehicle.id]
    if backfilled:
        histories.update(_histories_around(backfilled))
    return histories


def _histories_around(since: dict[int, datetime]) -> dict[int, _History]:
    """Per vehicle: the last reading of each meter at or before ``since``, and every later one."""
    histories = {vehicle_id: _History() for vehicle_id in since}
    anchors = stage_source(
        ("vehicle_id", "since"),
        ("bigint", "timestamptz"),
        [list(since), list(since.values())],
    )
    columns = "r.vehicle_id, r.recorded_at, r.id, r.odometer, r.engine_hours, r.is_correction"
    previous = (
        "SELECT '{meter}' AS part, {columns} FROM (SELECT (SELECT p.id FROM vehicles_reading p "
        "WHERE p.vehicle_id = a.vehicle_id AND p.recorded_at <= a.since "
        "AND p.{meter} IS NOT NULL AND p.voided_at IS NULL "
        "ORDER BY p.recorded_at DESC, p.id DESC LIMIT 1) AS id "
        "FROM anchor a) AS pick JOIN vehicles_reading r ON r.id = pick.id"
    )
    query = (
        f"WITH anchor AS ({anchors.sql}) "
        f"SELECT 'later' AS part, {columns} FROM anchor a JOIN vehicles_reading r "
        "ON r.vehicle_id = a.vehicle_id AND r.recorded_at > a.since AND r.voided_at IS NULL "
        f"UNION ALL {previous.format(meter='odometer', columns=columns)} "
        f"UNION ALL {previous.format(meter='engine_hours', columns=columns)} "
        "ORDER BY 3, 4"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, anchors.params)
        rows = cursor.fetchall()
    for part, vehicle_id, recorded_at, _id, odometer, engine_hours, resets in rows:
        history = histories[vehicle_id]
        at = as_moment(recorded_at)
        if odometer is not None and part in ("later", "odometer"):
            history.odometer.append(MeterPoint(at, odometer, bool(resets)))
        if engine_hours is not None and part in ("later", "engine_hours"):
            history.engine_hours.append(MeterPoint(at, as_hours(engine_hours), bool(resets)))
    return histories


def accept(
    org: Organization,
    vehicles: list[Meters],
    candidates: list[CleanReading],
) -> tuple[list[CleanReading], list[tuple[int, DomainError]]]:
    """The candidates that fit their vehicles' histories, checked in time order.

    A batch's readings for one vehicle are checked against each other too:
    each accepted one joins the history the next is checked against.
    """
    earliest: dict[int, datetime] = {}
    for reading in candidates:
        current = earliest.get(reading.vehicle.id)
        if current is None or reading.recorded_at < current:
            earliest[reading.vehicle.id] = reading.recorded_at
    histories = _load_history([v for v in vehicles if v.id in earliest], earliest)
    accepted: list[CleanReading] = []
    refused: list[tuple[int, DomainError]] = []
    zone = days.zone_of(org)
    for reading in sorted(candidates, key=lambda r: r.recorded_at):
        history = histories[reading.vehicle.id]
        try:
            _check_against_history(
                reading, history, max_daily_distance=org.max_daily_distance, zone=zone
            )
        except (ValidationFailed, ConfirmationRequired) as error:
            refused.append((reading.index, error))
            continue
        _remember(history, reading)
        accepted.append(reading)
    return accepted, refused


def meters_row(row: tuple) -> Meters:
    pk, key, unit, tracks, odometer, odometer_at, hours, hours_at = row
    return Meters(
        pk,
        key,
        unit,
        bool(tracks),
        odometer,
        as_moment(odometer_at),
        as_hours(hours),
        as_moment(hours_at),
    )
