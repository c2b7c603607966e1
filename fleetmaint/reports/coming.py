"""What is coming for one vehicle: open intervals, open tasks and contracts ending,
each with when it is expected and why, the next first.

Three queries, one per kind, each cut at ``limit`` rows from the vehicle's own
rows in the order they are expected; the vehicle's header shows the first entry
and the record lists the rest.

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

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.reports.queries import org_zone
from fleetmaint.tasks.models import ServiceTask, Status
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


def _intervals(vehicle: Vehicle, now: datetime, limit: int) -> list[Coming]:
    rows = (
        ServiceInterval.objects.open()
        .filter(vehicle=vehicle)
        .annotate(expected=Coalesce("predicted_due_at", "service_at_date"))
        .order_by(F("expected").asc(nulls_last=True), F("service_at_mileage").asc(), "id")
        .only("name", "service_at_mileage", "service_at_date", "predicted_due_at", "near_at")
    )[:limit]
    schedule = reverse("intervals:schedule", args=[vehicle.pk])
    found = []
    for interval in rows:
        # The schedule's rule (``intervals.services.required_q``), on the loaded vehicle.
        passed = interval.service_at_mileage is not None and (
            vehicle.odometer is not None and interval.service_at_mileage <= vehicle.odometer
        )
        dated = interval.service_at_date is not None and interval.service_at_date <= now
        state = OVERDUE if passed or dated else SOON if interval.near_at else PLANNED
        found.append(
            Coming(
                kind="interval",
                name=interval.name,
                url=schedule,
                when=interval.expected,
                basis=_basis(interval.service_at_date, interval.predicted_due_at, AT_MILEAGE),
                mileage=interval.service_at_mileage,
                hours=None,
                state=state,
            )
        )
    return found


_TASK_STATES = {Status.EXPIRED: OVERDUE, Status.NOTIFIED: SOON}


def _tasks(vehicle: Vehicle, limit: int) -> list[Coming]:
    rows = (
        ServiceTask.objects.open()
        .filter(vehicle=vehicle)
        .order_by(
            F("predicted_end_date").asc(nulls_last=True),
            F("mileage_expire_at").asc(nulls_last=True),
            "id",
        )
        .only(
            "description",
            "status",
            "cost",
            "date_end",
            "predicted_end_date",
            "mileage_expire_at",
            "hours_expire_at",
        )
    )[:limit]
    found = []
    for task in rows:
        by_meter = AT_MILEAGE if task.mileage_expire_at is not None else AT_HOURS
        found.append(
            Coming(
                kind="task",
                name=task.description,
                url=reverse("tasks:detail", args=[task.pk]),
                when=task.predicted_end_date,
                basis=_basis(task.date_end, task.predicted_end_date, by_meter),
                mileage=task.mileage_expire_at,
                hours=task.hours_expire_at,
                state=_TASK_STATES.get(task.status, PLANNED),
                cost=task.cost or None,
            )
        )
    return found


def _day_start(day: date | None, zone) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=zone) if day is not None else None


def _contracts(vehicle: Vehicle, limit: int) -> list[Coming]:
    """Active contracts that end by date or by distance, ending soonest first."""
    zone = org_zone(vehicle.org)
    rows = (
        VehicleContract.objects.filter(vehicle=vehicle, status=ContractStatus.ACTIVE)
        .exclude(end_date__isnull=True, ends_at_odometer__isnull=True)
        .order_by(F("end_date").asc(nulls_last=True), "ends_at_odometer", "id")
        .only("contract_type", "number", "end_date", "ends_at_odometer", "expiring_told")
    )[:limit]
    url = reverse("contracts:vehicle", args=[vehicle.pk])
    found = []
    for contract in rows:
        # The day after its last day is when it has ended.
        own_date = _day_start(contract.end_date, zone)
        predicted = None
        if contract.ends_at_odometer is not None:
            predicted = meters.predict_reach(
                vehicle.odometer_at,
                vehicle.odometer,
                contract.ends_at_odometer,
                vehicle.daily_distance,
            )
        found.append(
            Coming(
                kind="contract",
                name=f"{contract.get_contract_type_display()} {contract.number} ends",
                url=url,
                when=meters.earliest(own_date, predicted),
                basis=_basis(own_date, predicted, AT_MILEAGE),
                mileage=contract.ends_at_odometer,
                hours=None,
                state=SOON if contract.expiring_told else PLANNED,
            )
        )
    return found


def vehicle_coming(vehicle: Vehicle, *, limit: int = COMING_ROWS) -> list[Coming]:
    """The first ``limit`` things coming for ``vehicle`` (its ``org`` loaded), next first:
    overdue ones, then by expected date, then those known only by their mileage."""
    now = timezone.now()
    found = _intervals(vehicle, now, limit) + _tasks(vehicle, limit) + _contracts(vehicle, limit)
    found.sort(key=lambda entry: entry.sort_key)
    return found[:limit]
