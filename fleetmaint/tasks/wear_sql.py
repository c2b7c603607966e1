"""A service task's wear (``tasks.measures.wear``) as one SQL expression, for long lists.

``vehicles.meters`` (``Condition.wear``, ``wear_percentage``) and
``tasks.measures.task_conditions`` stay the readable definition; this module
says the same over table columns so that a report of 100,000 tasks, or a page
of the API's task list, reads its wear from the database instead of building a
task and its vehicle per row.
``tests/tasks/test_wear_sql.py`` holds the two equal for random tasks,
meters and moments, on PostgreSQL and on SQLite.

How each condition is measured, as ``task_conditions`` measures it:

- mileage in floats: ``float(odometer - start) / float(limit) * 100``;
- the date in whole microseconds, divided as Python divides two integers
  (exactly rounded, which a division of two exactly held doubles also is);
- engine hours in decimals with one place, which are whole tenths: the
  percentage truncated is the integer quotient ``tenths_used * 100 //
  tenths_limit``, exact on both databases (SQLite keeps decimals as doubles).

The wear is the largest condition's percentage truncated to a whole number;
truncating each first gives the same. Conditions that cannot be measured
(no limit, or the vehicle has no such meter) count as 0, as an absent one.
"""

from datetime import UTC, datetime, timedelta

from fleetmaint import sql
from fleetmaint.tasks.models import Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def task_wear(t: str, v: str, now_micros: str) -> str:
    """The wear percentage of task ``t`` on vehicle ``v`` at ``now_micros``.

    ``now_micros`` is an SQL expression (a literal: it is used more than once) holding the
    moment as whole microseconds since 1970-01-01 UTC: see :func:`micros_of`.
    The text is meant for a statement with parameters: ``%%`` stands for ``%``.
    """
    measured = sql.greatest(_mileage_wear(t, v), _date_wear(t, now_micros), _hours_wear(t, v))
    return (
        f"CASE WHEN {t}.status = '{Status.DONE.value}' AND {t}.completion_wear IS NOT NULL "
        f"THEN {t}.completion_wear ELSE {measured} END"
    )


def micros_of(moment: datetime) -> int:
    """An aware moment as whole microseconds since the epoch: the ``now_micros`` parameter."""
    return (moment - EPOCH) // MICROSECOND


def _percentage(used: str, limit: str, *, exact_integers: bool = False) -> str:
    """``meters.Condition.wear`` truncated: ``used`` and ``limit`` are SQL numbers.

    A limit of zero or less is 100 once reached, else 0, as in ``Condition.wear``.
    """
    if exact_integers:
        share = f"({sql.greatest(used, '0')} * 100) / ({limit})"
    else:
        share = _whole(f"{_double(sql.greatest(used, '0'))} / {_double(limit)} * 100")
    return (
        f"CASE WHEN ({limit}) <= 0 THEN CASE WHEN ({used}) >= ({limit}) THEN 100 ELSE 0 END "
        f"ELSE {share} END"
    )


def _mileage_wear(t: str, v: str) -> str:
    used = f"({v}.odometer - {t}.start_mileage)"
    return (
        f"CASE WHEN {t}.mileage_limit IS NULL OR {v}.odometer IS NULL "
        f"OR {t}.start_mileage IS NULL THEN 0 "
        f"ELSE {_percentage(used, f'{t}.mileage_limit')} END"
    )


def _date_wear(t: str, now_micros: str) -> str:
    start = _micros(f"{t}.start_date")
    used = f"(({now_micros}) - {start})"
    limit = f"({_micros(f'{t}.date_end')} - {start})"
    return f"CASE WHEN {t}.date_end IS NULL THEN 0 ELSE {_percentage(used, limit)} END"


def _hours_wear(t: str, v: str) -> str:
    used = f"({_tenths(f'{v}.engine_hours')} - {_tenths(f'{t}.start_engine_hours')})"
    return (
        f"CASE WHEN {t}.hours_limit IS NULL OR {v}.engine_hours IS NULL "
        f"OR {t}.start_engine_hours IS NULL THEN 0 "
        f"ELSE {_percentage(used, _tenths(f'{t}.hours_limit'), exact_integers=True)} END"
    )


# --- the spellings that differ --------------------------------------------------------


def _double(expression: str) -> str:
    # Both read DOUBLE PRECISION as an IEEE double, the type of a Python float.
    return f"CAST({expression} AS DOUBLE PRECISION)"


def _whole(expression: str) -> str:
    """Truncated toward zero, as ``int()``; PostgreSQL's CAST would round instead."""
    if sql.on_postgres():
        return f"CAST(trunc({expression}) AS BIGINT)"
    return f"CAST({expression} AS INTEGER)"


def _tenths(expression: str) -> str:
    """A one-place decimal as a whole number of tenths (SQLite holds it as a double)."""
    return f"CAST(ROUND({expression} * 10) AS BIGINT)"


def _micros(column: str) -> str:
    """A stored moment as whole microseconds since the epoch, exactly."""
    if sql.on_postgres():
        # extract() gives a numeric with the microseconds: exact.
        return f"(extract(epoch FROM {column}) * 1000000)"
    # Django keeps 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. The seconds come from
    # the whole-second part alone: SQLite rounds fractions to milliseconds,
    # which could carry into the next second.
    return (
        f"(CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"
    )
