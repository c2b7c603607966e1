"""Finding service intervals due in sets, and telling each one once.

One ``UPDATE ... RETURNING`` marks the intervals the odometer or the calendar
has reached (``intervals.services.is_required``, as ``vehicles.meters_sql``
says it in SQL); their notices go to the outbox with the rest of the
transaction's (``outbox.Notices``).

The same statement flags (``near_at``) the intervals whose mileage the
odometer has come within ``DUE_SOON_DISTANCE`` of. Every path that moves an
odometer or adds an interval evaluates in its transaction, so an open
interval of an active vehicle that is due or due soon by its mileage always
carries ``due_at`` or ``near_at``: the dashboard counts those states from
an index (``reports.queries``) instead of comparing every interval with its
vehicle's odometer. A flag left by an odometer corrected downwards is
harmless: the counts check each flagged interval against the odometer.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.notifications import outbox
from fleetmaint.vehicles import meters_sql

OPEN = "i.serviced_at IS NULL AND i.due_at IS NULL AND NOT v.archived"
# An interval is due soon this far before its mileage (``queries.soon_q``).
DUE_SOON_DISTANCE = 1_000
NEAR = f"v.odometer + {DUE_SOON_DISTANCE} >= i.service_at_mileage"
# ``queries.soon_q`` in SQL, with the horizon DUE_SOON_DAYS after now as %(horizon)s.
SOON = f"(%(horizon)s >= i.service_at_date OR {NEAR} OR %(horizon)s >= i.predicted_due_at)"


def intervals_evaluate(
    *, vehicle_ids: Iterable[int] | None = None, notices: outbox.Notices | None = None
) -> int:
    """Finds open intervals that have become required and tells the advisors, once each.

    For the given vehicles (after readings), or every fleet when no vehicles
    are given. With ``notices`` the caller writes them with its other moves.
    """
    if vehicle_ids is None:
        return _mark_due("1 = 1", {}, notices, near=True)
    return _mark_due(
        sql.in_ids("i.vehicle_id", "vehicle_ids"),
        {"vehicle_ids": sql.ids_param(vehicle_ids)},
        notices,
        near=True,
    )


def intervals_date_candidates() -> str:
    """A SELECT of the open intervals whose date has come; the sweep marks exactly these."""
    return (
        "SELECT i.id FROM intervals_serviceinterval i "
        "JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
        f"WHERE {OPEN} AND {meters_sql.INTERVAL_BY_DATE}"
    )


def intervals_sweep_dates(*, notices: outbox.Notices | None = None) -> int:
    """The scheduled sweep: intervals whose date has come, across every fleet.

    Only the date (interval_date_sweep_idx): readings measured the odometer.
    """
    return _mark_due(meters_sql.INTERVAL_BY_DATE, {}, notices, near=False)


def _mark_due(scope: str, params: dict, notices: outbox.Notices | None, *, near: bool) -> int:
    """Marks the required intervals in ``scope`` due, and with ``near`` flags those the
    odometer has come near; tells the ones found due. Returns how many were told."""
    # Archived vehicles are out of service: their schedules wait until they return.
    params = {**params, "now": timezone.now()}
    required = meters_sql.INTERVAL_REQUIRED
    wanted = f"({required} OR (i.near_at IS NULL AND {NEAR}))" if near else required
    flag = f"CASE WHEN {NEAR} THEN 1 ELSE 0 END" if near else "0"
    told = notices or outbox.Notices()
    # No savepoint: a failure here fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        found = sql.run(
            "UPDATE intervals_serviceinterval AS target "
            # The time of the change too, for the API's changed_since.
            "SET last_updated = %(now)s, due_at = CASE WHEN c.due = 1 THEN %(now)s END, "
            "near_at = CASE WHEN c.near = 1 AND target.near_at IS NULL THEN %(now)s "
            "ELSE target.near_at END "
            f"FROM (SELECT i.id, CASE WHEN {required} THEN 1 ELSE 0 END AS due, {flag} AS near "
            "FROM intervals_serviceinterval i JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
            f"WHERE {OPEN} AND {scope} AND {wanted}) AS c "
            # A concurrent sweep that got there first wins (re-checked after its lock).
            "WHERE target.id = c.id AND target.due_at IS NULL "
            # Only the rows found due are told, not those only flagged near.
            + sql.returning("target", "id", "due_at"),
            params,
        )
        count = told.add(_notices, (row[0] for row in found if row[1] is not None))
        if notices is None:
            told.write()
    return count


def _notices(due: str) -> str:
    """One ``interval.due`` notice per interval in ``%(due)s``, its ``due_at`` just set."""
    unit = "' ' || v.distance_unit"
    mileage = f"{sql.thousands('i.service_at_mileage')} || {unit}"
    local_day = sql.date_text(sql.local_date("i.service_at_date", "o.time_zone"))
    by_mileage = "v.odometer IS NOT NULL AND v.odometer >= i.service_at_mileage"
    by_date = "i.service_at_date IS NOT NULL AND i.due_at >= i.service_at_date"
    mileage_reason = f"'the odometer reached ' || {mileage}"
    date_reason = f"'its date ' || {local_day} || ' has come'"
    reasons = (
        f"CASE WHEN {by_mileage} AND {by_date} THEN {mileage_reason} || ' and ' || {date_reason} "
        f"WHEN {by_mileage} THEN {mileage_reason} WHEN {by_date} THEN {date_reason} ELSE '' END"
    )

    def fact_if(column: str, label: str, value: str) -> str:
        return f"CASE WHEN {column} IS NOT NULL THEN {sql.json_array(label, value)} END"

    facts = sql.json_array_present(
        sql.json_array("'Vehicle'", "v.label || ' (' || v.vehicle_key || ')'"),
        sql.json_array("'Service'", "i.name"),
        fact_if("i.service_at_mileage", "'Due at'", mileage),
        fact_if("i.service_at_date", "'Due on'", local_day),
        fact_if("v.odometer", "'Current odometer'", f"{sql.thousands('v.odometer')} || {unit}"),
    )
    interval = sql.json_object(
        ("id", "i.id"),
        ("vehicle_id", "i.vehicle_id"),
        ("name", "i.name"),
        ("service_at_mileage", "i.service_at_mileage"),
        ("service_at_date", sql.iso_moment("i.service_at_date")),
        ("notes", "i.notes"),
    )
    data = sql.json_object(("interval", interval), ("vehicle_id", "v.id"))
    audience = outbox.audience()
    return (
        "SELECT i.org_id, 'interval.due' AS name, 'interval:' || i.id || ':due' AS dedupe_key, "
        "i.name || ' is due on ' || v.label AS subject, "
        f"i.name || ' on ' || v.label || ' needs doing: ' || {reasons} || '.' AS text, "
        "'/vehicles/' || v.id || '/schedule/' AS link, "
        f"{sql.json_object(('facts', facts), ('data', data))} AS payload, "
        f"{audience} AS audience "
        "FROM intervals_serviceinterval i JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
        "JOIN accounts_organization o ON o.id = i.org_id "
        f"WHERE {sql.in_ids('i.id', due)}"
    )


def intervals_refresh_predictions(*, vehicle_ids: Iterable[int]) -> int:
    """Re-predicts due dates after new readings changed the vehicles' use.

    ``intervals.services.predict_due`` in one statement: the interval's date,
    or sooner when the vehicle's daily distance reaches the mileage first. An
    interval keeps its row unless its date moved (``meters.prediction_moved``).
    """
    by_mileage = meters_sql.reached_after(
        "i.service_at_mileage - v.odometer", "v.daily_distance", "%(now)s"
    )
    predicted = meters_sql.earliest("i.service_at_date", by_mileage)
    return sql.run_count(
        "UPDATE intervals_serviceinterval AS target SET predicted_due_at = p.predicted "
        f"FROM (SELECT i.id, i.predicted_due_at AS old, {predicted} AS predicted "
        "FROM intervals_serviceinterval i JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
        f"WHERE i.serviced_at IS NULL AND {sql.in_ids('i.vehicle_id', 'vehicle_ids')}) AS p "
        f"WHERE target.id = p.id AND {meters_sql.prediction_moved('p.old', 'p.predicted')}",
        {"vehicle_ids": sql.ids_param(vehicle_ids), "now": timezone.now()},
    )


def intervals_settle(*, vehicle_ids: Iterable[int]) -> int:
    """Undoes the flags the vehicles' meters no longer reach (after a voided reading).

    An open interval found due by a mileage the odometer is now below (and
    whose date has not come) is open and undue again; a near flag the odometer
    is no longer near goes too. Its ``interval:<id>:due`` notice stays told, so
    reaching the mileage again does not tell it twice.
    """
    return sql.run_count(
        "UPDATE intervals_serviceinterval AS i SET last_updated = %(now)s, "
        f"due_at = CASE WHEN {meters_sql.INTERVAL_REQUIRED} THEN i.due_at END, "
        f"near_at = CASE WHEN {NEAR} THEN i.near_at END "
        "FROM vehicles_vehicle v WHERE v.id = i.vehicle_id AND i.serviced_at IS NULL "
        f"AND {sql.in_ids('i.vehicle_id', 'vehicle_ids')} "
        f"AND ((i.due_at IS NOT NULL AND NOT COALESCE({meters_sql.INTERVAL_REQUIRED}, false)) "
        f"OR (i.near_at IS NOT NULL AND NOT COALESCE({NEAR}, false)))",
        {"vehicle_ids": sql.ids_param(vehicle_ids), "now": timezone.now()},
    )
