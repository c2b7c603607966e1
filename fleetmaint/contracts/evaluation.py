"""Ending contracts and warning of those about to end, in sets, each crossing told once.

Contracts end by the organization's local calendar day or by distance
(``vehicles.meters_sql.contract_ended`` / ``contract_warning``). Two
``UPDATE ... RETURNING`` statements move them; the notices of both kinds go to
the outbox with the rest of the transaction's (``outbox.Notices``).
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.contracts.models import ContractType
from fleetmaint.notifications import outbox
from fleetmaint.vehicles import meters_sql

ACTIVE = "c.status = 'active' AND NOT v.archived"


def contracts_evaluate(
    *, vehicle_ids: Iterable[int] | None = None, notices: outbox.Notices | None = None
) -> int:
    """Ends contracts whose date passed or distance ran out, and warns of those about to.

    For the given vehicles (after readings), or every fleet when none are given.
    With ``notices`` the caller writes them with its other moves.
    """
    scope, params = "1 = 1", {}
    if vehicle_ids is not None:
        scope = sql.in_ids("c.vehicle_id", "vehicle_ids")
        params["vehicle_ids"] = sql.ids_param(vehicle_ids)
    return _move(
        ended=f"{scope} AND {meters_sql.contract_ended()}",
        warned=f"{scope} AND {meters_sql.contract_warning()}",
        params=params,
        notices=notices,
    )


def _date_ended() -> str:
    return f"c.end_date < {meters_sql.contract_today()}"


def _date_warned() -> str:
    return f"c.warn_from_date <= {meters_sql.contract_today()}"


def contracts_date_candidates() -> str:
    """A SELECT of the contracts whose end or warning date has come; the sweep moves these.

    Two halves, each answered by its own index (an OR of both is not).
    """
    found = (
        "SELECT c.id FROM contracts_vehiclecontract c "
        "JOIN vehicles_vehicle v ON v.id = c.vehicle_id "
        f"JOIN accounts_organization o ON o.id = c.org_id WHERE {ACTIVE} AND "
    )
    return f"{found}{_date_ended()} UNION ALL {found}NOT c.expiring_told AND {_date_warned()}"


def contracts_sweep_dates(*, notices: outbox.Notices | None = None) -> int:
    """The scheduled sweep: only dates; readings measured the distances."""
    return _move(ended=_date_ended(), warned=_date_warned(), params={}, notices=notices)


def _move(*, ended: str, warned: str, params: dict, notices: outbox.Notices | None) -> int:
    # Archived vehicles are out of service: their contracts wait until they return.
    params = {**params, "now": timezone.now()}
    told = notices or outbox.Notices()
    # No savepoint: a failure here fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        expired = _update(
            "status = 'expired'", f"{ACTIVE} AND {ended}", "target.status = 'active'", params
        )
        # Contracts that just ended are no longer active, so they are not also warned of.
        expiring = _update(
            "expiring_told = true",
            f"{ACTIVE} AND NOT c.expiring_told AND {warned}",
            "NOT target.expiring_told",
            params,
        )
        count = told.add(_notices, expired + expiring)
        if notices is None:
            told.write()
    return count


def _update(change: str, candidates: str, still: str, params: dict) -> list[int]:
    rows = sql.run(
        # The time of the change too, for the API's changed_since.
        f"UPDATE contracts_vehiclecontract AS target SET {change}, updated_at = %(now)s "
        "FROM (SELECT c.id FROM contracts_vehiclecontract c "
        "JOIN vehicles_vehicle v ON v.id = c.vehicle_id "
        f"JOIN accounts_organization o ON o.id = c.org_id WHERE {candidates}) AS found "
        # Re-checked after a concurrent sweep's row lock: its change wins.
        f"WHERE target.id = found.id AND {still} " + sql.returning("target"),
        params,
    )
    return [row[0] for row in rows]


def _notices(moved: str) -> str:
    """``contract.expired`` or ``contract.expiring`` per contract in ``%(moved)s``, by status."""
    what = "CASE WHEN c.status = 'expired' THEN 'expired' ELSE 'expiring' END"
    verb = "CASE WHEN c.status = 'expired' THEN 'has ended' ELSE 'ends soon' END"
    kind = sql.choice_label("c.contract_type", ContractType.choices)
    kind_lower = sql.choice_label("c.contract_type", ContractType.choices, lower=True)
    unit = "' ' || v.distance_unit"

    def fact_if(condition: str, label: str, value: str) -> str:
        return f"CASE WHEN {condition} THEN {sql.json_array(label, value)} END"

    facts = sql.json_array_present(
        sql.json_array("'Vehicle'", "v.label || ' (' || v.vehicle_key || ')'"),
        sql.json_array("'Contract'", f"{kind} || ' ' || c.number"),
        fact_if("c.provider <> ''", "'Provider'", "c.provider"),
        fact_if("c.end_date IS NOT NULL", "'Ends on'", sql.date_text("c.end_date")),
        fact_if(
            "c.ends_at_odometer IS NOT NULL",
            "'Ends at'",
            f"{sql.thousands('c.ends_at_odometer')} || {unit}",
        ),
        fact_if(
            "v.odometer IS NOT NULL",
            "'Current odometer'",
            f"{sql.thousands('v.odometer')} || {unit}",
        ),
    )
    data = sql.json_object(("contract_id", "c.id"), ("vehicle_id", "v.id"), ("status", what))
    audience = outbox.audience()
    return (
        f"SELECT c.org_id, 'contract.' || {what} AS name, "
        f"'contract:' || c.id || ':' || {what} || ':cycle-' || c.cycle AS dedupe_key, "
        f"{kind} || ' ' || c.number || ' on ' || v.label || ' ' || {verb} AS subject, "
        f"'The ' || {kind_lower} || ' ' || c.number || ' on ' || v.label || ' ' || {verb} "
        "|| '.' AS text, "
        "'/vehicles/' || v.id || '/contracts/' AS link, "
        f"{sql.json_object(('facts', facts), ('data', data))} AS payload, "
        f"{audience} AS audience "
        "FROM contracts_vehiclecontract c JOIN vehicles_vehicle v ON v.id = c.vehicle_id "
        f"WHERE {sql.in_ids('c.id', moved)}"
    )


def contracts_settle(*, vehicle_ids: Iterable[int]) -> int:
    """Undoes the endings and warnings the vehicles' meters no longer reach (a voided reading).

    A contract ended by a distance the odometer is now below (and whose end
    date has not come) is active again; a warning no longer reached may be
    given again later, but its notice (``contract:<id>:expiring:cycle-<n>``)
    stays told, so it is not sent twice.
    """
    params = {"vehicle_ids": sql.ids_param(vehicle_ids), "now": timezone.now()}
    scope = sql.in_ids("c.vehicle_id", "vehicle_ids")
    reopened = _update(
        "status = 'active'",
        f"{scope} AND c.status = 'expired' AND NOT COALESCE({meters_sql.contract_ended()}, false)",
        "target.status = 'expired'",
        params,
    )
    unwarned = _update(
        "expiring_told = false",
        f"{scope} AND c.expiring_told AND c.status = 'active' "
        f"AND NOT COALESCE({meters_sql.contract_warning()}, false)",
        "target.expiring_told",
        params,
    )
    return len(reopened) + len(unwarned)
