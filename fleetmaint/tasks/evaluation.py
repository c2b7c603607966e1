"""Moving service tasks forward in sets, and telling each move once.

A task's status is ``meters.task_status`` of its conditions; here the same
rule runs as SQL (``vehicles.meters_sql``) so that one ``UPDATE ... RETURNING``
moves exactly the tasks that crossed, whatever their number; their notices
go to the outbox with the rest of the transaction's (``outbox.Notices``). The notices read as
``tasks.services`` has always written them: the text is built in SQL from
the same words.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.notifications import outbox
from fleetmaint.tasks.models import ConditionKind
from fleetmaint.vehicles import meters_sql

OPEN_NOT_EXPIRED = "t.status IN ('created', 'notified')"

# What time alone can have made due: the partial indexes task_date_notify_idx
# and task_date_end_idx answer these, so the sweep reads only crossing rows.
DATE_CROSSINGS = (
    "((t.status = 'created' AND t.date_notify_at <= %(now)s) "
    "OR (t.status IN ('created', 'notified') AND t.date_end <= %(now)s))"
)


def tasks_evaluate(
    *,
    vehicle_ids: Iterable[int] | None = None,
    task_ids: Iterable[int] | None = None,
    notices: outbox.Notices | None = None,
) -> int:
    """Moves open tasks forward to notified or expired, and tells each move once.

    Scoped to some vehicles (after readings) or some tasks (after a change);
    every condition is measured. Returns how many tasks moved. With
    ``notices`` the caller writes them to the outbox with its other moves.
    """
    scope, params = [OPEN_NOT_EXPIRED], {}
    if vehicle_ids is not None:
        # Only the tasks some threshold has been reached on: by index, not by
        # measuring every open task of every vehicle read.
        scope.append(sql.in_ids("t.vehicle_id", "vehicle_ids"))
        scope.append(
            f"t.id IN ({meters_sql.task_reached_by_meters()} "
            f"UNION ALL SELECT t.id FROM tasks_servicetask t WHERE {DATE_CROSSINGS})"
        )
        params["vehicle_ids"] = sql.ids_param(vehicle_ids)
    if task_ids is not None:
        scope.append(sql.in_ids("t.id", "task_ids"))
        params["task_ids"] = sql.ids_param(task_ids)
    return _move(" AND ".join(scope), params, notices)


def tasks_date_candidates() -> str:
    """A SELECT of the tasks whose dates have come; the sweep moves exactly these."""
    return (
        "SELECT t.id FROM tasks_servicetask t JOIN vehicles_vehicle v ON v.id = t.vehicle_id "
        f"WHERE NOT v.archived AND {DATE_CROSSINGS}"
    )


def tasks_sweep_dates(*, notices: outbox.Notices | None = None) -> int:
    """The scheduled sweep: every fleet's tasks whose dates have come.

    Only dates: a reading already measured the meters when it arrived.
    """
    return _move(DATE_CROSSINGS, {}, notices)


def _move(scope: str, params: dict, notices: outbox.Notices | None) -> int:
    # Archived vehicles are out of service: their tasks wait until they return.
    select = meters_sql.task_status_select(f"NOT v.archived AND {scope}")
    told = notices or outbox.Notices()
    # No savepoint: a failure here fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        moved = sql.run(
            "UPDATE tasks_servicetask AS target "
            # The time of the change too, for the API's changed_since.
            "SET status = c.status, status_condition = c.deciding, updated_at = %(now)s "
            f"FROM ({select}) AS c WHERE target.id = c.id "
            # A concurrent sweep or "done" that got there first wins: after
            # waiting for its row lock, this re-checks the stored status.
            f"AND c.rank > {meters_sql.status_rank('target.status')} " + sql.returning("target"),
            {**params, "now": timezone.now()},
        )
        count = told.add(_notices, (row[0] for row in moved))
        if notices is None:
            told.write()
    return count


def _notices(moved: str) -> str:
    """One notice per moved task in ``%(moved)s``, its new status already stored."""
    expired = "t.status = 'expired'"
    unit = "' ' || v.distance_unit"
    facts = sql.json_array_present(
        sql.json_array("'Vehicle'", "v.label || ' (' || v.vehicle_key || ')'"),
        sql.json_array("'Task'", "t.description"),
        _fact_if(
            "t.mileage_expire_at",
            "'Mileage limit'",
            f"{sql.thousands('t.mileage_expire_at')} || {unit}",
        ),
        _fact_if(
            "t.date_end",
            "'Ends on'",
            sql.date_text(sql.local_date("t.date_end", "o.time_zone")),
        ),
        _fact_if(
            "t.hours_expire_at",
            "'Engine-hours limit'",
            f"{sql.thousands('t.hours_expire_at', 1)} || ' h'",
        ),
        _fact_if("v.odometer", "'Current odometer'", f"{sql.thousands('v.odometer')} || {unit}"),
        _fact_if(
            "v.engine_hours",
            "'Current engine hours'",
            f"{sql.thousands('v.engine_hours', 1)} || ' h'",
            also="v.tracks_engine_hours",
        ),
    )
    data = sql.json_object(
        ("task_id", "t.id"),
        ("vehicle_id", "v.id"),
        ("status", "t.status"),
        ("condition", "t.status_condition"),
    )
    audience = outbox.audience(
        emails=sql.json_column("t.emails"),
        phones=sql.json_column("t.sms_phones"),
        push="t.push_enabled",
    )
    kind = sql.choice_label("t.status_condition", ConditionKind.choices, lower=True)
    return (
        "SELECT t.org_id, "
        f"CASE WHEN {expired} THEN 'task.expired' ELSE 'task.notified' END AS name, "
        "'task:' || t.id || ':' || t.status || ':cycle-' || t.cycle AS dedupe_key, "
        "t.description || ' on ' || v.label || "
        f"CASE WHEN {expired} THEN ' is overdue' ELSE ' is due soon' END AS subject, "
        "t.description || ' on ' || v.label || "
        f"CASE WHEN {expired} THEN ' has reached its ' ELSE ' is close to its ' END "
        f"|| {kind} || ' limit.' AS text, "
        "'/vehicles/' || v.id || '/tasks/' AS link, "
        f"{sql.json_object(('facts', facts), ('data', data))} AS payload, "
        f"{audience} AS audience "
        "FROM tasks_servicetask t JOIN vehicles_vehicle v ON v.id = t.vehicle_id "
        "JOIN accounts_organization o ON o.id = t.org_id "
        f"WHERE {sql.in_ids('t.id', moved)}"
    )


def _fact_if(column: str, label: str, value: str, *, also: str = "") -> str:
    """A (label, value) fact when ``column`` is known, else NULL (left out of the list)."""
    condition = f"{column} IS NOT NULL" + (f" AND {also}" if also else "")
    return f"CASE WHEN {condition} THEN {sql.json_array(label, value)} END"


def tasks_refresh_predictions(*, vehicle_ids: Iterable[int]) -> int:
    """Re-predicts end dates after readings moved the vehicles' meters or use.

    ``tasks.measures.predict_end_date`` in one statement: the earliest of the
    end date and the days each meter needs at the vehicle's daily use. A task
    keeps its row unless its date moved (``meters.prediction_moved``).
    """
    by_mileage = meters_sql.reach_moment(
        "v.odometer_at", "v.odometer", "t.mileage_expire_at", "v.daily_distance"
    )
    by_hours = meters_sql.reach_moment(
        "v.engine_hours_at", "v.engine_hours", "t.hours_expire_at", "v.daily_engine_hours"
    )
    predicted = meters_sql.earliest("t.date_end", by_mileage, by_hours)
    return sql.run_count(
        "UPDATE tasks_servicetask AS target SET predicted_end_date = p.predicted "
        f"FROM (SELECT t.id, t.predicted_end_date AS old, {predicted} AS predicted "
        "FROM tasks_servicetask t JOIN vehicles_vehicle v ON v.id = t.vehicle_id "
        "WHERE t.status IN ('created', 'notified', 'expired') "
        f"AND {sql.in_ids('t.vehicle_id', 'vehicle_ids')}) AS p "
        f"WHERE target.id = p.id AND {meters_sql.prediction_moved('p.old', 'p.predicted')}",
        {"vehicle_ids": sql.ids_param(vehicle_ids), "now": timezone.now()},
    )


def tasks_settle(*, vehicle_ids: Iterable[int]) -> int:
    """Moves open tasks back to the status their conditions hold now (after a voided reading).

    The mirror of ``_move``: only tasks whose measured status ranks below the
    stored one change. The cycle stays, so the notice of a crossing already
    told (``task:<id>:<status>:cycle-<n>``) is not told again when the meters
    reach it once more.
    """
    scope = "t.status IN ('created', 'notified', 'expired') AND " + sql.in_ids(
        "t.vehicle_id", "vehicle_ids"
    )
    return sql.run_count(
        "UPDATE tasks_servicetask AS target "
        "SET status = c.status, status_condition = c.deciding, updated_at = %(now)s "
        f"FROM ({meters_sql.task_status_select(scope)}) AS c WHERE target.id = c.id "
        f"AND c.rank < {meters_sql.status_rank('target.status')}",
        {"vehicle_ids": sql.ids_param(vehicle_ids), "now": timezone.now()},
    )
