"""Recording meter readings, one or ten thousand, in a fixed number of statements.

Every reading is checked in Python over plain values, with the same rules
whether it arrives alone or in a batch. The accepted ones are then staged as
arrays (PostgreSQL) or one JSON document (SQLite) and applied set-based:
the readings inserted, the vehicles' current meters moved on, their daily
usage recomputed, and their schedules re-evaluated, whatever the batch size.
"""

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import services as contracts
from fleetmaint.errors import ConfirmationRequired, DomainError, ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.notifications import outbox
from fleetmaint.tasks import services as tasks
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.meters import MeterPoint
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle

MAX_ODOMETER = 10_000_000
MAX_ENGINE_HOURS = Decimal("1000000")
BULK_READINGS_LIMIT = 10_000
USAGE_WINDOW_DAYS = 90

_TENTH = Decimal("0.1")
_MAX_ID = 2**63 - 1


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
    """A reading as submitted, before it is checked."""

    odometer: object = None
    engine_hours: object = None
    recorded_at: datetime | None = None
    is_correction: bool = False
    confirm_jump: bool = False
    note: str = ""


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


@dataclass(slots=True)
class _Meters:
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


_METER_COLUMNS = (
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
class _Clean:
    """A reading whose own values passed; it has yet to fit its vehicle's history."""

    index: int
    vehicle: _Meters
    odometer: int | None
    engine_hours: Decimal | None
    recorded_at: datetime
    is_correction: bool
    confirm_jump: bool
    note: str


# --- checks of one reading's own values ----------------------------------------------


def _parse_odometer(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("The odometer must be a whole number.", field="odometer") from None
    if number != number.to_integral_value():
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    if number < 0:
        raise ValidationFailed("The odometer cannot be negative.", field="odometer")
    if number > MAX_ODOMETER:
        raise ValidationFailed(f"The odometer can be at most {MAX_ODOMETER:,}.", field="odometer")
    return int(number)


def _parse_engine_hours(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours") from None
    if not number.is_finite():
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    if number < 0:
        raise ValidationFailed("Engine hours cannot be negative.", field="engine_hours")
    if number > MAX_ENGINE_HOURS:
        raise ValidationFailed(
            f"Engine hours can be at most {MAX_ENGINE_HOURS:,}.", field="engine_hours"
        )
    return number.quantize(_TENTH)


def _clean_reading(vehicle: _Meters, index: int, item: ReadingInput, now: datetime) -> _Clean:
    odometer = _parse_odometer(item.odometer)
    engine_hours = _parse_engine_hours(item.engine_hours)
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
    return _Clean(
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


def _check_against_history(reading: _Clean, history: _History, *, max_daily_distance: int) -> None:
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
        problem = meters.order_problem(points, point, meter=words, unit=meter_unit)
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


def _remember(history: _History, reading: _Clean) -> None:
    """Adds an accepted reading, so the batch's later readings are checked against it."""
    for meter in ("odometer", "engine_hours"):
        value = getattr(reading, meter)
        if value is not None:
            history.add(meter, MeterPoint(reading.recorded_at, value, reading.is_correction))


def _load_history(vehicles: list[_Meters], since: dict[int, datetime]) -> dict[int, _History]:
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
    anchors = _stage_source(
        ("vehicle_id", "since"),
        ("bigint", "timestamptz"),
        [list(since), list(since.values())],
    )
    columns = "r.vehicle_id, r.recorded_at, r.id, r.odometer, r.engine_hours, r.is_correction"
    previous = (
        "SELECT '{meter}' AS part, {columns} FROM (SELECT (SELECT p.id FROM vehicles_reading p "
        "WHERE p.vehicle_id = a.vehicle_id AND p.recorded_at <= a.since "
        "AND p.{meter} IS NOT NULL ORDER BY p.recorded_at DESC, p.id DESC LIMIT 1) AS id "
        "FROM anchor a) AS pick JOIN vehicles_reading r ON r.id = pick.id"
    )
    query = (
        f"WITH anchor AS ({anchors.sql}) "
        f"SELECT 'later' AS part, {columns} FROM anchor a JOIN vehicles_reading r "
        "ON r.vehicle_id = a.vehicle_id AND r.recorded_at > a.since "
        f"UNION ALL {previous.format(meter='odometer', columns=columns)} "
        f"UNION ALL {previous.format(meter='engine_hours', columns=columns)} "
        "ORDER BY 3, 4"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, anchors.params)
        rows = cursor.fetchall()
    for part, vehicle_id, recorded_at, _id, odometer, engine_hours, resets in rows:
        history = histories[vehicle_id]
        at = _as_moment(recorded_at)
        if odometer is not None and part in ("later", "odometer"):
            history.odometer.append(MeterPoint(at, odometer, bool(resets)))
        if engine_hours is not None and part in ("later", "engine_hours"):
            history.engine_hours.append(MeterPoint(at, _as_hours(engine_hours), bool(resets)))
    return histories


def _as_moment(value: object) -> datetime | None:
    # PostgreSQL gives aware datetimes; raw SQLite rows give text or naive UTC.
    if value is None or (isinstance(value, datetime) and timezone.is_aware(value)):
        return value
    return connection.ops.convert_datetimefield_value(value, None, connection)


def _as_hours(value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(_TENTH)


# --- staging ----------------------------------------------------------------------------


@dataclass
class _Stage:
    """A FROM item listing staged rows, and the parameters it needs."""

    sql: str
    params: list


def _stage_source(names: tuple[str, ...], types: tuple[str, ...], columns: list[list]) -> _Stage:
    """Rows given column by column, as a FROM item with those names (and ``seq``, 1-based).

    PostgreSQL unnests one typed array per column, a single round trip that
    costs what the values weigh; SQLite reads the rows from one JSON array.
    """
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        return _Stage(
            f"SELECT * FROM unnest({arrays}) WITH ORDINALITY AS s({', '.join(names)}, seq)",
            columns,
        )
    picks = ", ".join(f"json_extract(value, '$[{n}]') AS {name}" for n, name in enumerate(names))
    rows = [list(row) for row in zip(*columns, strict=True)]
    return _Stage(
        f"SELECT {picks}, key + 1 AS seq FROM json_each(%s)",
        [json.dumps(rows, default=_sqlite_value)],
    )


def _sqlite_value(value: object) -> object:
    # Moments in Django's SQLite text format, so they compare with stored ones as text.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot stage {value!r}")


_STAGED_NAMES = ("vehicle_id", "odometer", "engine_hours", "recorded_at", "is_correction", "note")
_STAGED_TYPES = ("bigint", "integer", "numeric", "timestamptz", "boolean", "text")
_STAGED_POINTS = "id, vehicle_id, recorded_at, odometer, engine_hours, is_correction"

_INSERT = (
    "INSERT INTO vehicles_reading (org_id, vehicle_id, odometer, engine_hours, recorded_at, "
    "source, is_correction, note, created_by_id, created_at) "
    "SELECT %s, vehicle_id, odometer, engine_hours, recorded_at, %s, is_correction, note, %s, %s "
    "FROM staged ORDER BY seq"
)

_METERS = ("odometer", "engine_hours")
_FRESH_COLUMNS = (
    "odometer",
    "odometer_at",
    "engine_hours",
    "engine_hours_at",
    "daily_distance",
    "daily_engine_hours",
)


def _newer(meter: str) -> str:
    # Only a staged reading at or after the current one moves the current value.
    return f"n.{meter}_at IS NOT NULL AND (v.{meter}_at IS NULL OR n.{meter}_at >= v.{meter}_at)"


def _newest_pick(meter: str) -> str:
    newest = f"{meter}_rank = 1 AND {meter} IS NOT NULL"
    return (
        f"max(CASE WHEN {newest} THEN {meter} END) AS {meter}, "
        f"max(CASE WHEN {newest} THEN recorded_at END) AS {meter}_at"
    )


def _newest_rank(meter: str) -> str:
    # Ties in time go to the later row, as the stable time sort applied them.
    return (
        f"row_number() OVER (PARTITION BY vehicle_id, {meter} IS NULL "
        f"ORDER BY recorded_at DESC, seq DESC) AS {meter}_rank"
    )


def _moved_meters() -> str:
    """Rows (id and the four meter columns): each staged vehicle's meters after the batch."""
    moved = ", ".join(
        f"CASE WHEN {_newer(meter)} THEN n.{meter} ELSE v.{meter} END AS {meter}, "
        f"CASE WHEN {_newer(meter)} THEN n.{meter}_at ELSE v.{meter}_at END AS {meter}_at"
        for meter in _METERS
    )
    ranks = ", ".join(_newest_rank(meter) for meter in _METERS)
    picks = ", ".join(_newest_pick(meter) for meter in _METERS)
    return (
        f"SELECT v.id, {moved} FROM (SELECT vehicle_id, {picks} "
        f"FROM (SELECT vehicle_id, odometer, engine_hours, recorded_at, {ranks} FROM staged) "
        "AS ranked GROUP BY vehicle_id) AS n JOIN vehicles_vehicle v ON v.id = n.vehicle_id"
    )


def _update_vehicles(usage: str, *, fetch: bool) -> str:
    sets = ", ".join(f"{name} = u.{name}" for name in _FRESH_COLUMNS[:4])
    # SQLite's RETURNING takes bare names of the target table; PostgreSQL's need
    # the table, since ``u`` has the same names.
    table = "vehicles_vehicle." if connection.vendor == "postgresql" else ""
    returning = f" RETURNING {', '.join(table + name for name in _FRESH_COLUMNS)}" if fetch else ""
    return (
        f"UPDATE vehicles_vehicle SET {sets}, daily_distance = u.distance, "
        f"daily_engine_hours = u.hours FROM ({usage}) AS u WHERE vehicles_vehicle.id = u.id"
        f"{returning}"
    )


def _store(
    org: Organization,
    accepted: list[_Clean],
    *,
    source: str,
    actor_id: int | None,
    now: datetime,
    fetch: bool = False,
) -> tuple[int | None, list[tuple]]:
    """Inserts the accepted readings in time order, then moves each vehicle on once.

    One write per vehicle sets its current meters and its daily usage. With
    ``fetch`` (one reading), returns the new reading's id and the vehicle's
    ``_FRESH_COLUMNS``.
    """
    stage = _stage_source(
        _STAGED_NAMES,
        _STAGED_TYPES,
        [
            [r.vehicle.id for r in accepted],
            [r.odometer for r in accepted],
            [r.engine_hours for r in accepted],
            [r.recorded_at for r in accepted],
            [r.is_correction for r in accepted],
            [r.note for r in accepted],
        ],
    )
    constants = [org.pk, source, actor_id, now]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement. It cannot see the rows its own insert adds, so the
            # usage reads them from what the insert returns.
            usage = daily_usage_sql(_moved_meters(), extra_points="SELECT * FROM inserted")
            update = _update_vehicles(usage, fetch=fetch)
            last = ", (SELECT max(id) FROM inserted)" if fetch else ""
            cursor.execute(
                f"WITH staged AS ({stage.sql}), "
                f"inserted AS ({_INSERT} RETURNING {_STAGED_POINTS}) {update}{last}",
                [*stage.params, *constants],
            )
            rows = cursor.fetchall() if fetch else []
            return (rows[0][-1] if rows else None), [_fresh_values(r[:-1]) for r in rows]
        cursor.execute(f"WITH staged AS ({stage.sql}) {_INSERT}", [*stage.params, *constants])
        last_id = cursor.lastrowid
        usage = daily_usage_sql(_moved_meters())
        cursor.execute(
            f"WITH staged AS ({stage.sql}) {_update_vehicles(usage, fetch=fetch)}", stage.params
        )
        return last_id, [_fresh_values(r) for r in cursor.fetchall()] if fetch else []


def _fresh_values(row: tuple) -> tuple:
    odometer, odometer_at, hours, hours_at, distance, daily_hours = row
    return (
        odometer,
        _as_moment(odometer_at),
        _as_hours(hours),
        _as_moment(hours_at),
        distance,
        daily_hours,
    )


# --- daily usage ----------------------------------------------------------------------


def _window_start(moment: str) -> str:
    """``moment`` less the usage window, as an SQL expression."""
    if connection.vendor == "postgresql":
        return f"({moment} - interval '{USAGE_WINDOW_DAYS * meters.SECONDS_PER_DAY} seconds')"
    # Whole days leave the fraction of a second alone; keep Django's text format.
    return (
        f"(strftime('%%Y-%%m-%%d %%H:%%M:%%S', substr({moment}, 1, 19), "
        f"'-{USAGE_WINDOW_DAYS} days') || substr({moment}, 20))"
    )


def _seconds_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS float)"
    return f"(({_sqlite_micros(later)}) - ({_sqlite_micros(earlier)})) / 1000000.0"


def _sqlite_micros(moment: str) -> str:
    # Exact microseconds from Django's 'YYYY-MM-DD HH:MM:SS[.ffffff]' text.
    return (
        f"CAST(strftime('%%s', substr({moment}, 1, 19)) AS INTEGER) * 1000000 "
        f"+ CAST(substr({moment} || '.000000', 21, 6) AS INTEGER)"
    )


def _usage_points(meter: str, label: str, source: str) -> str:
    """The vehicles' points of one meter within the window back from its current reading."""
    return (
        f"SELECT r.vehicle_id, '{label}' AS meter, r.id, r.recorded_at, r.{meter} AS value, "
        f"r.is_correction FROM moved m JOIN {source} r ON r.vehicle_id = m.id "
        f"AND r.{meter} IS NOT NULL AND r.recorded_at >= {_window_start(f'm.{meter}_at')}"
    )


def daily_usage_sql(vehicles: str, *, extra_points: str | None = None) -> str:
    """``meters.daily_usage`` of both meters for the vehicles that ``vehicles`` lists.

    ``vehicles`` gives rows (id, odometer, odometer_at, engine_hours,
    engine_hours_at) whose meters are each vehicle's newest readings; the
    points are its stored readings, plus ``extra_points`` (rows shaped like
    ``_STAGED_POINTS``) when given. Per vehicle and meter, over the points in
    the window back from the newest, the last point is the newest and the
    first is the newest reset in the window, or else the oldest point:
    exactly "the points after the last reset". Under a day apart (which
    includes a single point) gives NULL. Rows: the vehicle's columns, then
    ``distance`` and ``hours``.
    """
    sources = ["vehicles_reading"] + ([f"({extra_points})"] if extra_points else [])
    points = " UNION ALL ".join(
        _usage_points(meter, label, source)
        for meter, label in (("odometer", "distance"), ("engine_hours", "hours"))
        for source in sources
    )
    last_at = "max(CASE WHEN from_last = 1 THEN recorded_at END)"
    first_at = "max(CASE WHEN from_first = 1 THEN recorded_at END)"
    rise = (
        "max(CASE WHEN from_last = 1 THEN value END) - max(CASE WHEN from_first = 1 THEN value END)"
    )
    day = meters.SECONDS_PER_DAY
    return (
        f"WITH moved AS ({vehicles}), points AS ({points}), "
        "ranked AS (SELECT vehicle_id, meter, recorded_at, value, "
        "row_number() OVER (PARTITION BY vehicle_id, meter "
        "ORDER BY recorded_at DESC, id DESC) AS from_last, "
        "row_number() OVER (PARTITION BY vehicle_id, meter "
        "ORDER BY CASE WHEN is_correction THEN 0 ELSE 1 END, "
        "CASE WHEN is_correction THEN recorded_at END DESC, "
        "CASE WHEN is_correction THEN id END DESC, recorded_at, id) AS from_first "
        "FROM points), "
        f"ends AS (SELECT vehicle_id, meter, {rise} AS rise, "
        f"{_seconds_between(last_at, first_at)} AS seconds "
        "FROM ranked WHERE from_last = 1 OR from_first = 1 GROUP BY vehicle_id, meter), "
        f"per_meter AS (SELECT vehicle_id, meter, CASE WHEN seconds >= {day} "
        f"THEN CAST(rise AS float) / (seconds / {day}.0) END AS per_day FROM ends) "
        "SELECT m.*, d.per_day AS distance, h.per_day AS hours FROM moved m "
        "LEFT JOIN per_meter d ON d.vehicle_id = m.id AND d.meter = 'distance' "
        "LEFT JOIN per_meter h ON h.vehicle_id = m.id AND h.meter = 'hours'"
    )


def vehicles_daily_usage(vehicle_ids: Iterable[int]) -> dict[int, tuple[float | None, ...]]:
    """Each vehicle's (daily distance, daily engine hours) from its stored readings, unsaved."""
    ids = _ids_source(vehicle_ids)
    current = (
        "SELECT id, odometer, odometer_at, engine_hours, engine_hours_at FROM vehicles_vehicle "
        f"WHERE id IN ({ids.sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, distance, hours FROM ({daily_usage_sql(current)}) AS u", ids.params
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def _ids_source(ids: Iterable[int]) -> _Stage:
    values = sorted(ids)
    if connection.vendor == "postgresql":
        return _Stage("SELECT unnest(%s::bigint[]) AS id", [values])
    return _Stage("SELECT value AS id FROM json_each(%s)", [json.dumps(values)])


# --- the whole path -----------------------------------------------------------------


def _accept(
    org: Organization,
    vehicles: list[_Meters],
    candidates: list[_Clean],
) -> tuple[list[_Clean], list[tuple[int, DomainError]]]:
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
    accepted: list[_Clean] = []
    refused: list[tuple[int, DomainError]] = []
    for reading in sorted(candidates, key=lambda r: r.recorded_at):
        history = histories[reading.vehicle.id]
        try:
            _check_against_history(reading, history, max_daily_distance=org.max_daily_distance)
        except (ValidationFailed, ConfirmationRequired) as error:
            refused.append((reading.index, error))
            continue
        _remember(history, reading)
        accepted.append(reading)
    return accepted, refused


def _apply(
    org: Organization,
    vehicles: list[_Meters],
    accepted: list[_Clean],
    *,
    source: str,
    now: datetime,
    actor_id: int | None = None,
    fetch: bool = False,
) -> tuple[int | None, list[tuple]]:
    """Stores the accepted readings and moves on everything they change."""
    result = _store(org, accepted, source=source, actor_id=actor_id, now=now, fetch=fetch)
    touched = {r.vehicle.id for r in accepted}
    with_odometer = {r.vehicle.id for r in accepted if r.odometer is not None}
    first = {v.id for v in vehicles if v.odometer is None and v.id in with_odometer}
    _after_readings(org, touched, first)
    return result


def _after_readings(org: Organization, vehicle_ids: set[int], first_odometer_ids: set[int]) -> None:
    """What new readings change elsewhere, for all the vehicles at once.

    A first odometer may start a schedule; the usage rates moved, which moves
    predicted due dates; and thresholds the meters crossed are told.
    """
    if first_odometer_ids and org.generate_presets_on_first_reading:
        fresh = list(Vehicle.objects.filter(pk__in=first_odometer_ids, archived=False))
        intervals.intervals_fill_mileage(vehicles=fresh)
        intervals.intervals_generate(org=org, vehicles=fresh)
    notices = outbox.Notices()
    intervals.intervals_refresh_predictions(vehicle_ids=vehicle_ids)
    intervals.intervals_evaluate(vehicle_ids=vehicle_ids, notices=notices)
    tasks.tasks_refresh_predictions(vehicle_ids=vehicle_ids)
    tasks.tasks_evaluate(vehicle_ids=vehicle_ids, notices=notices)
    contracts.contracts_evaluate(vehicle_ids=vehicle_ids, notices=notices)
    notices.write()


def reading_record(
    *,
    vehicle: Vehicle,
    odometer: object = None,
    engine_hours: object = None,
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
        current = _Meters(*(getattr(locked, name) for name in _METER_COLUMNS))
        now = timezone.now()
        clean = _clean_reading(current, 0, item, now)
        accepted, refused = _accept(org, [current], [clean])
        if refused:
            raise refused[0][1]
        actor_id = actor.pk if actor is not None else None
        reading_id, fresh = _apply(
            org, [current], accepted, source=source, now=now, actor_id=actor_id, fetch=True
        )
    for name, value in zip(_FRESH_COLUMNS, fresh[0], strict=True):
        setattr(vehicle, name, value)
    return _stored_reading(reading_id, org, vehicle, clean, source=source, actor=actor, now=now)


def _stored_reading(
    reading_id: int | None,
    org: Organization,
    vehicle: Vehicle,
    clean: _Clean,
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
    with transaction.atomic():
        vehicles = _lock_vehicles_for(org, items)
        by_id = {v.id: v for v in vehicles}
        by_key = {v.vehicle_key: v for v in vehicles}
        candidates: list[_Clean] = []
        for item in items:
            vehicle = (
                by_id.get(item.vehicle_id) if item.vehicle_id else by_key.get(item.vehicle_key)
            )
            if vehicle is None:
                errors.append(_bulk_error(item.index, "vehicle", "Vehicle does not exist."))
                continue
            try:
                candidates.append(_clean_reading(vehicle, item.index, item.reading, now))
            except ValidationFailed as error:
                errors.append(_bulk_error(item.index, error.field, error.message, error.code))
        accepted, refused = _accept(org, vehicles, candidates)
        for index, error in refused:
            errors.append(_bulk_error(index, error.field, error.message, error.code))
        if accepted:
            _apply(org, vehicles, accepted, source=source, now=now)
    errors.sort(key=lambda e: e["index"])
    return BulkResult(created=len(accepted), errors=errors)


def _lock_vehicles_for(org: Organization, items: list[BulkItem]) -> list[_Meters]:
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
        match = "(id = ANY(%s::bigint[]) OR vehicle_key = ANY(%s::text[]))"
        params: list = [org.pk, ids, keys]
        lock = " FOR NO KEY UPDATE"
    else:
        match = (
            "(id IN (SELECT value FROM json_each(%s)) "
            "OR vehicle_key IN (SELECT value FROM json_each(%s)))"
        )
        params = [org.pk, json.dumps(ids), json.dumps(keys)]
        lock = ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_METER_COLUMNS)} FROM vehicles_vehicle "
            f"WHERE org_id = %s AND {match} ORDER BY id{lock}",
            params,
        )
        rows = cursor.fetchall()
    return [_meters_row(row) for row in rows]


def _meters_row(row: tuple) -> _Meters:
    pk, key, unit, tracks, odometer, odometer_at, hours, hours_at = row
    return _Meters(
        pk,
        key,
        unit,
        bool(tracks),
        odometer,
        _as_moment(odometer_at),
        _as_hours(hours),
        _as_moment(hours_at),
    )


def _bulk_error(index: int, field_name: str | None, message: str, code: str = "invalid") -> dict:
    return {"index": index, "code": code, "field": field_name, "message": message}
