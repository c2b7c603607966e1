"""What is coming for one vehicle: open intervals, open tasks and contracts ending,
each with when it is expected and why, the next first.

One statement, whatever the vehicle holds: a part per kind, each cut at
``limit`` rows of the vehicle's own in the order they are expected, joined by
``UNION ALL``. The vehicle's header shows the first entry on every tab (inside
each page's budget of statements) and the Overview lists the rest.

Why a date is what it is, in the words the schedule uses:

- *by date*: the item's own date comes first;
- *predicted from use*: the vehicle's recent daily use reaches the item's
  mileage (or engine hours) before any date it has;
- *at mileage* (or *at engine hours*): nothing can be predicted yet (no date and
  no usage rate), so the threshold on the meter is what there is to say.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.contracts.models import ContractStatus, ContractType
from fleetmaint.reports.queries import org_zone
from fleetmaint.tasks.models import OPEN_STATUSES, Status
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle

COMING_ROWS = 8

BY_DATE = "by date"
FROM_USE = "predicted from use"
AT_MILEAGE = "at mileage"
AT_HOURS = "at engine hours"

OVERDUE, SOON, PLANNED = "overdue", "soon", "planned"


@dataclass(frozen=True)
class Coming:
    """One thing the vehicle has coming, as the record shows it."""

    kind: str  # "interval", "task" or "contract"
    name: str
    url: str
    when: datetime | None  # when it is expected, if that can be said
    basis: str  # BY_DATE, FROM_USE, AT_MILEAGE or AT_HOURS
    mileage: int | None  # its threshold on the odometer, if it has one
    hours: Decimal | None  # its threshold in engine hours, if it has one
    state: str  # OVERDUE, SOON or PLANNED
    cost: Decimal | None = None  # what it is planned to cost, when known

    @property
    def sort_key(self) -> tuple:
        # Dated ones by date; those known only by a meter after them, nearest first.
        far = 10**12
        return (
            self.state != OVERDUE,
            self.when is None,
            self.when or datetime.max.replace(tzinfo=UTC),
            self.mileage if self.mileage is not None else far,
        )


def _basis(own_date: datetime | None, predicted: datetime | None, by_meter: str) -> str:
    if predicted is not None and (own_date is None or predicted < own_date):
        return FROM_USE
    if own_date is not None:
        return BY_DATE
    return by_meter


# The columns every part gives, typed so that the UNION agrees on each:
# kind, id, name, status (a task's) or type (a contract's), its own date, the date
# predicted from use, a contract's last day, the odometer threshold, the engine-hours
# threshold, the planned cost, and whether it was flagged as near (1) or not (0).
_NO_MOMENT = "CAST(NULL AS timestamp with time zone)"
_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_PARTS = (
    # Open intervals by the date they are expected (predicted, else their own), then
    # by mileage: those with no date at all come last.
    "SELECT 'interval' AS kind, i.id AS row_id, i.name AS name, '' AS status, "
    "i.service_at_date AS own_at, i.predicted_due_at AS predicted_at, "
    "CAST(NULL AS date) AS end_day, i.service_at_mileage AS mileage, "
    "CAST(NULL AS numeric) AS hours, CAST(NULL AS numeric) AS cost, "
    "CASE WHEN i.near_at IS NULL THEN 0 ELSE 1 END AS flagged "
    "FROM intervals_serviceinterval i "
    "WHERE i.vehicle_id = %(vehicle)s AND i.serviced_at IS NULL "
    "ORDER BY COALESCE(i.predicted_due_at, i.service_at_date) IS NULL, "
    "COALESCE(i.predicted_due_at, i.service_at_date), i.service_at_mileage IS NULL, "
    "i.service_at_mileage, i.id LIMIT %(limit)s",
    # Open tasks by their predicted end (never later than their own end date).
    "SELECT 'task', t.id, t.description, t.status, t.date_end, t.predicted_end_date, "
    "CAST(NULL AS date), t.mileage_expire_at, t.hours_expire_at, t.cost, 0 "
    "FROM tasks_servicetask t "
    f"WHERE t.vehicle_id = %(vehicle)s AND t.status IN ({_OPEN}) "
    "ORDER BY t.predicted_end_date IS NULL, t.predicted_end_date, "
    "t.mileage_expire_at IS NULL, t.mileage_expire_at, t.id LIMIT %(limit)s",
    # Active contracts that end by date or by distance, ending soonest first.
    f"SELECT 'contract', c.id, c.number, c.contract_type, {_NO_MOMENT}, {_NO_MOMENT}, "
    "c.end_date, c.ends_at_odometer, CAST(NULL AS numeric), CAST(NULL AS numeric), "
    "CASE WHEN c.expiring_told THEN 1 ELSE 0 END "
    "FROM contracts_vehiclecontract c "
    f"WHERE c.vehicle_id = %(vehicle)s AND c.status = '{ContractStatus.ACTIVE}' "
    "AND (c.end_date IS NOT NULL OR c.ends_at_odometer IS NOT NULL) "
    "ORDER BY c.end_date IS NULL, c.end_date, c.ends_at_odometer, c.id LIMIT %(limit)s",
)
# Each part keeps its own ORDER BY and LIMIT inside a sub-select.
_COMING = " UNION ALL ".join(f"SELECT * FROM ({part}) AS part_{n}" for n, part in enumerate(_PARTS))


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _number(value: object) -> Decimal | None:
    """A decimal from a raw row (SQLite gives floats)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass(frozen=True)
class _Row:
    kind: str
    row_id: int
    name: str
    status: str
    own_at: datetime | None
    predicted_at: datetime | None
    end_day: date | None
    mileage: int | None
    hours: Decimal | None
    cost: Decimal | None
    flagged: bool


def _row(values: tuple) -> _Row:
    kind, pk, name, status, own, by_use, last, mileage, hours, cost, near = values
    return _Row(
        kind,
        pk,
        name,
        status,
        sql.moment(own),
        sql.moment(by_use),
        _day(last),
        mileage,
        _number(hours),
        _number(cost),
        bool(near),
    )


def _rows(vehicle: Vehicle, limit: int) -> list[_Row]:
    return [_row(values) for values in sql.run(_COMING, {"vehicle": vehicle.pk, "limit": limit})]


def _interval(row: _Row, vehicle: Vehicle, now: datetime, url: str) -> Coming:
    # The schedule's rule (``intervals.services.required_q``), on the loaded vehicle.
    passed = row.mileage is not None and (
        vehicle.odometer is not None and row.mileage <= vehicle.odometer
    )
    dated = row.own_at is not None and row.own_at <= now
    return Coming(
        kind="interval",
        name=row.name,
        url=url,
        when=row.predicted_at or row.own_at,
        basis=_basis(row.own_at, row.predicted_at, AT_MILEAGE),
        mileage=row.mileage,
        hours=None,
        state=OVERDUE if passed or dated else SOON if row.flagged else PLANNED,
    )


_TASK_STATES = {Status.EXPIRED: OVERDUE, Status.NOTIFIED: SOON}


def _task(row: _Row) -> Coming:
    return Coming(
        kind="task",
        name=row.name,
        url=reverse("tasks:detail", args=[row.row_id]),
        when=row.predicted_at,
        basis=_basis(
            row.own_at, row.predicted_at, AT_MILEAGE if row.mileage is not None else AT_HOURS
        ),
        mileage=row.mileage,
        hours=row.hours,
        state=_TASK_STATES.get(row.status, PLANNED),
        cost=row.cost or None,
    )


def _contract(row: _Row, vehicle: Vehicle, url: str) -> Coming:
    zone = org_zone(vehicle.org)
    own_date = datetime.combine(row.end_day, time.min, tzinfo=zone) if row.end_day else None
    predicted = None
    if row.mileage is not None:
        predicted = meters.predict_reach(
            vehicle.odometer_at, vehicle.odometer, row.mileage, vehicle.daily_distance
        )
    kind = ContractType(row.status).label if row.status in ContractType.values else row.status
    return Coming(
        kind="contract",
        name=f"{kind} {row.name} ends",
        url=url,
        when=meters.earliest(own_date, predicted),
        basis=_basis(own_date, predicted, AT_MILEAGE),
        mileage=row.mileage,
        hours=None,
        state=SOON if row.flagged else PLANNED,
    )


def vehicle_coming(vehicle: Vehicle, *, limit: int = COMING_ROWS) -> list[Coming]:
    """The first ``limit`` things coming for ``vehicle`` (its ``org`` loaded), next first:
    overdue ones, then by expected date, then those known only by their mileage."""
    now = timezone.now()
    schedule = reverse("intervals:schedule", args=[vehicle.pk])
    contracts = reverse("contracts:vehicle", args=[vehicle.pk])
    found = []
    for row in _rows(vehicle, limit):
        if row.kind == "interval":
            found.append(_interval(row, vehicle, now, schedule))
        elif row.kind == "task":
            found.append(_task(row))
        else:
            found.append(_contract(row, vehicle, contracts))
    found.sort(key=lambda entry: entry.sort_key)
    return found[:limit]
