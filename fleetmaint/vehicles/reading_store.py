"""Storing checked readings set-based: staged as one JSON document, applied in one statement.

The readings are inserted, each vehicle's current meters moved on once and
its daily usage recomputed from its stored readings, whatever the batch size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.vehicles import meters

if TYPE_CHECKING:
    from fleetmaint.vehicles.reading_checks import CleanReading

USAGE_WINDOW_DAYS = 90
_TENTH = Decimal("0.1")


def as_moment(value: object) -> datetime | None:
    # The batch lock reads PostgreSQL's moments as ISO text (parsing ten
    # thousand in C is several times faster than the driver's loader);
    # SQLite gives text of naive UTC; other callers pass aware datetimes.
    if value is None:
        return None
    if type(value) is str:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(value, datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value


def as_hours(value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(_TENTH)


# --- staging ----------------------------------------------------------------------------


@dataclass
class Stage:
    """A FROM item listing staged rows, and the parameters it needs."""

    sql: str
    params: list


def stage_source(names: tuple[str, ...], types: tuple[str, ...], columns: list[list]) -> Stage:
    """Rows given column by column, as a FROM item with those names (and ``seq``, 1-based).

    The rows travel as one JSON document: a single parameter that Python
    writes in C and the database reads in C, whatever the batch size.
    PostgreSQL casts each member to its column's type; SQLite keeps JSON's.
    """
    rows = [list(row) for row in zip(*columns, strict=True)]
    if connection.vendor == "postgresql":
        picks = ", ".join(
            f"CAST(e.value ->> {n} AS {kind}) AS {name}"
            for n, (name, kind) in enumerate(zip(names, types, strict=True))
        )
        # The LIMIT (the exact count) tells the planner how few rows a small
        # batch stages; it guesses 100 for any JSON array, and plans one
        # reading's usage with a scan of every stored reading.
        return Stage(
            f"SELECT {picks}, e.seq FROM json_array_elements(CAST(%s AS json)) "
            f"WITH ORDINALITY AS e(value, seq) LIMIT {len(rows)}",
            [json.dumps(rows, default=_postgres_value)],
        )
    picks = ", ".join(f"json_extract(value, '$[{n}]') AS {name}" for n, name in enumerate(names))
    return Stage(
        f"SELECT {picks}, key + 1 AS seq FROM json_each(%s)",
        [json.dumps(rows, default=_sqlite_value)],
    )


def _postgres_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot stage {value!r}")


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
FRESH_COLUMNS = (
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
    sets = ", ".join(f"{name} = u.{name}" for name in FRESH_COLUMNS[:4])
    # SQLite's RETURNING takes bare names of the target table; PostgreSQL's need
    # the table, since ``u`` has the same names.
    table = "vehicles_vehicle." if connection.vendor == "postgresql" else ""
    returning = f" RETURNING {', '.join(table + name for name in FRESH_COLUMNS)}" if fetch else ""
    return (
        f"UPDATE vehicles_vehicle SET {sets}, daily_distance = u.distance, "
        f"daily_engine_hours = u.hours FROM ({usage}) AS u WHERE vehicles_vehicle.id = u.id"
        f"{returning}"
    )


def store_readings(
    org: Organization,
    accepted: list[CleanReading],
    *,
    source: str,
    actor_id: int | None,
    now: datetime,
    fetch: bool = False,
) -> tuple[int | None, list[tuple]]:
    """Inserts the accepted readings in time order, then moves each vehicle on once.

    One write per vehicle sets its current meters and its daily usage. With
    ``fetch`` (one reading), returns the new reading's id and the vehicle's
    ``FRESH_COLUMNS``.
    """
    stage = stage_source(
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
        as_moment(odometer_at),
        as_hours(hours),
        as_moment(hours_at),
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
    """The vehicles' points of one meter within the window back from its current reading.

    Voided readings are no points; a batch's new rows (``extra_points``) are never voided.
    """
    counted = " AND r.voided_at IS NULL" if source == "vehicles_reading" else ""
    return (
        f"SELECT r.vehicle_id, '{label}' AS meter, r.id, r.recorded_at, r.{meter} AS value, "
        f"r.is_correction FROM moved m JOIN {source} r ON r.vehicle_id = m.id "
        f"AND r.{meter} IS NOT NULL AND r.recorded_at >= {_window_start(f'm.{meter}_at')}"
        f"{counted}"
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
    ids = ids_source(vehicle_ids)
    current = (
        "SELECT id, odometer, odometer_at, engine_hours, engine_hours_at FROM vehicles_vehicle "
        f"WHERE id IN ({ids.sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, distance, hours FROM ({daily_usage_sql(current)}) AS u", ids.params
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def ids_source(ids: Iterable[int]) -> Stage:
    values = sql.ids_param(sorted(ids))
    if connection.vendor == "postgresql":
        return Stage("SELECT unnest(CAST(%s AS bigint[])) AS id", [values])
    return Stage("SELECT value AS id FROM json_each(%s)", [values])
