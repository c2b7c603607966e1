"""The rules of ``meters.py`` as SQL expressions, for statements that move rows in sets.

``meters.py`` stays the readable definition; every expression here says the
same thing over table columns, and ``tests/vehicles/test_meters_sql.py``
holds the two equal for random tasks, intervals, contracts and meters.

Aliases: ``t`` a service task, ``i`` a service interval, ``c`` a contract,
``v`` their vehicle, ``o`` its organization; ``%(now)s`` the moment evaluated.
"""

from fleetmaint import sql
from fleetmaint.vehicles import meters

# A condition's state as a rank, as ``meters.Condition.state`` orders them.
CREATED, NOTIFIED, EXPIRED = 0, 1, 2
STATUS_BY_RANK = {CREATED: "created", NOTIFIED: "notified", EXPIRED: "expired"}


def _state(used: str, limit: str, notify_before: str, present: str) -> str:
    """``meters.Condition.state`` for one condition: 2 expired, 1 notified, 0 neither."""
    return (
        f"CASE WHEN NOT ({present}) THEN {CREATED} "
        f"WHEN {used} >= {limit} THEN {EXPIRED} "
        f"WHEN {used} >= {limit} - {notify_before} THEN {NOTIFIED} ELSE {CREATED} END"
    )


def task_condition_states() -> dict[str, str]:
    """Each condition of a task (``tasks.services.task_conditions``), in the order they decide."""
    return {
        "mileage": _state(
            "v.odometer - t.start_mileage",
            "t.mileage_limit",
            "COALESCE(t.mileage_notify, 0)",
            "t.mileage_limit IS NOT NULL AND v.odometer IS NOT NULL",
        ),
        # Days since the start against the days to the end: the same as the
        # moment against the end (and against the end less the reminder days).
        "date": (
            f"CASE WHEN t.date_end IS NULL THEN {CREATED} "
            f"WHEN %(now)s >= t.date_end THEN {EXPIRED} "
            f"WHEN %(now)s >= t.date_notify_at THEN {NOTIFIED} ELSE {CREATED} END"
        ),
        "engine_hours": _state(
            "v.engine_hours - t.start_engine_hours",
            "t.hours_limit",
            "COALESCE(t.hours_notify, 0)",
            "t.hours_limit IS NOT NULL AND v.engine_hours IS NOT NULL",
        ),
    }


def _next_threshold(start: str, limit: str, notify: str) -> str:
    # Written as the model's index expression (``tasks.models._next_threshold``)
    # so that PostgreSQL answers it from task_next_mileage_idx / task_next_hours_idx.
    return (
        f"CASE WHEN t.status = 'created' THEN t.{start} + t.{limit} - COALESCE(t.{notify}, 0) "
        f"ELSE t.{start} + t.{limit} END"
    )


def task_reached_by_meters() -> str:
    """A SELECT of the open tasks of the vehicles in ``%(vehicle_ids)s`` whose next meter
    threshold the vehicle has reached: exactly those a reading can move, found by index.

    A created task moves once its meter reaches the reminder point (the limit
    less the reminder distance, the ``NOTIFIED`` line of ``_state``); a
    notified one once it reaches the limit.
    """
    found = []
    for start, limit, notify, meter in (
        ("start_mileage", "mileage_limit", "mileage_notify", "odometer"),
        ("start_engine_hours", "hours_limit", "hours_notify", "engine_hours"),
    ):
        reached = (
            f"t.status IN ('created', 'notified') AND t.{limit} IS NOT NULL "
            f"AND {_next_threshold(start, limit, notify)} <= v.{meter}"
        )
        if sql.on_postgres():
            # One index probe per vehicle. OFFSET 0 keeps the planner from
            # flattening the probe into a hash join over every open task,
            # which it prefers when many vehicles are read at once.
            found.append(
                "SELECT r.id FROM vehicles_vehicle v CROSS JOIN LATERAL "
                f"(SELECT t.id FROM tasks_servicetask t WHERE t.vehicle_id = v.id AND {reached} "
                f"OFFSET 0) AS r WHERE {sql.in_ids('v.id', 'vehicle_ids')}"
            )
        else:
            found.append(
                "SELECT t.id FROM vehicles_vehicle v JOIN tasks_servicetask t "
                f"ON t.vehicle_id = v.id WHERE {sql.in_ids('v.id', 'vehicle_ids')} AND {reached}"
            )
    return " UNION ALL ".join(found)


def task_status_select(scope: str) -> str:
    """Rows (id, rank, status, deciding) for the open tasks in ``scope`` (``meters.task_status``).

    ``scope`` filters ``t`` (the task) and ``v`` (its vehicle).
    """
    states = task_condition_states()
    columns = ", ".join(f"{expression} AS {kind}" for kind, expression in states.items())
    rank = sql.greatest(*states)
    # Among equal states the condition listed first decides.
    deciding = " ".join(f"WHEN {kind} = s.rank THEN '{kind}'" for kind in states)
    statuses = " ".join(f"WHEN {r} THEN '{name}'" for r, name in STATUS_BY_RANK.items())
    return (
        f"SELECT s.id, s.rank, CASE s.rank {statuses} END AS status, "
        f"CASE WHEN s.rank = {CREATED} THEN '' {deciding} END AS deciding "
        f"FROM (SELECT m.*, {rank} AS rank FROM (SELECT t.id, {columns} "
        "FROM tasks_servicetask t JOIN vehicles_vehicle v ON v.id = t.vehicle_id "
        f"WHERE {scope}) AS m) AS s"
    )


def status_rank(column: str) -> str:
    """The rank of a stored task status; done ranks above every move."""
    whens = " ".join(f"WHEN '{name}' THEN {r}" for r, name in STATUS_BY_RANK.items())
    return f"CASE {column} {whens} ELSE 9 END"


def reach_moment(value_at: str, value: str, target: str, per_day: str) -> str:
    """``meters.predict_reach``: when a meter read as ``value`` at ``value_at`` reaches it."""
    days = f"LEAST(({target} - {value}) / {per_day}, 36500)"
    if not sql.on_postgres():
        days = f"min(({target} - {value}) * 1.0 / {per_day}, 36500)"
    return (
        f"CASE WHEN {value_at} IS NULL OR {value} IS NULL OR {target} IS NULL THEN NULL "
        f"WHEN {target} - {value} <= 0 THEN {value_at} "
        f"WHEN {per_day} IS NULL OR {per_day} <= 0 THEN NULL "
        f"ELSE {_plus_days(value_at, days)} END"
    )


def days_from(moment: str, days: str) -> str:
    """``moment`` plus a fractional number of days."""
    return _plus_days(moment, days)


def _plus_days(moment: str, days: str) -> str:
    if sql.on_postgres():
        return f"({moment} + make_interval(secs => ({days}) * 86400))"
    # Django's SQLite format, to the microsecond.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', julianday({moment}) + ({days}))"


def earliest(*moments: str) -> str:
    """``meters.earliest``: the earliest known moment, NULL when none is known."""
    if sql.on_postgres():
        return f"LEAST({', '.join(moments)})"
    # SQLite's min() is NULL as soon as one argument is; skip the unknown ones.
    known = " UNION ALL ".join(f"SELECT {m} AS m" for m in moments)
    return f"(SELECT min(m) FROM ({known}) WHERE m IS NOT NULL)"


def prediction_moved(old: str, new: str) -> str:
    """``meters.prediction_moved``: the new estimate replaces the stored one (at ``%(now)s``)."""
    if sql.on_postgres():
        shift = f"abs(extract(epoch FROM ({new}) - ({old})))"
        ahead = f"abs(extract(epoch FROM ({new}) - %(now)s))"
    else:
        shift = f"abs(julianday({new}) - julianday({old})) * 86400"
        ahead = f"abs(julianday({new}) - julianday(%(now)s)) * 86400"
    least = sql.greatest(str(meters.SECONDS_PER_DAY), f"{meters.PREDICTION_SLACK} * {ahead}")
    return f"((({old}) IS NULL) <> (({new}) IS NULL) OR {shift} >= {least})"


def reached_after(remaining: str, per_day: str, start: str) -> str:
    """``meters.days_until_reached`` counted from ``start``: NULL when the use is unknown."""
    days = f"LEAST(({remaining}) / {per_day}, 36500)"
    if not sql.on_postgres():
        days = f"min(({remaining}) * 1.0 / {per_day}, 36500)"
    return (
        f"CASE WHEN {remaining} IS NULL THEN NULL WHEN {remaining} <= 0 THEN {start} "
        f"WHEN {per_day} IS NULL OR {per_day} <= 0 THEN NULL "
        f"ELSE {_plus_days(start, days)} END"
    )


# --- service intervals (``intervals.services.is_required``) --------------------------

INTERVAL_BY_MILEAGE = "v.odometer >= i.service_at_mileage"
INTERVAL_BY_DATE = "%(now)s >= i.service_at_date"
INTERVAL_REQUIRED = f"({INTERVAL_BY_MILEAGE} OR {INTERVAL_BY_DATE})"


# --- contracts (ended by a local date or a distance; warned of before) ----------------


def contract_today() -> str:
    """The organization's calendar day at ``%(now)s``: contracts end by local dates."""
    return sql.local_date("%(now)s", "o.time_zone")


def contract_ended() -> str:
    return f"(c.end_date < {contract_today()} OR c.ends_at_odometer <= v.odometer)"


def contract_warning() -> str:
    return f"(c.warn_from_date <= {contract_today()} OR c.warn_at_odometer <= v.odometer)"
