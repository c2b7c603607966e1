"""Reads of contracts: a vehicle's, and the fleet-wide list with its filters."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import ContractDocument, ContractStatus, VehicleContract
from fleetmaint.errors import NotFound
from fleetmaint.vehicles.models import Vehicle


def contract_for(vehicle: Vehicle, contract_id: int) -> VehicleContract:
    """The vehicle's contract with that id, or NotFound: another vehicle's is not found."""
    contract = (
        VehicleContract.objects.filter(vehicle=vehicle, pk=contract_id)
        .select_related("vehicle", "vehicle__org")
        .prefetch_related("documents")
        .first()
    )
    if contract is None:
        raise NotFound("Contract not found.")
    return contract


def vehicle_contracts(vehicle: Vehicle) -> QuerySet[VehicleContract]:
    """The vehicle's contracts with their documents, for its Contracts tab."""
    return (
        VehicleContract.objects.filter(vehicle=vehicle)
        .select_related("vehicle")
        .prefetch_related("documents")
    )


def vehicle_contracts_filtered(
    vehicle: Vehicle, *, contract_type: str = "", status: str = ""
) -> QuerySet[VehicleContract]:
    """The vehicle's contracts, of one type or status when given: the API's list."""
    rows = VehicleContract.objects.filter(vehicle=vehicle)
    if contract_type:
        rows = rows.filter(contract_type=contract_type)
    if status:
        rows = rows.filter(status=status)
    return rows


def document_names(contract_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(contract id, document name) of these contracts, in the documents' own order."""
    rows = ContractDocument.objects.filter(contract_id__in=list(contract_ids))
    return list(rows.values_list("contract_id", "name"))


@dataclass(frozen=True)
class ContractFilters:
    contract_type: str = ""
    status: str = ""
    expiring: bool = False
    search: str = ""


def contract_list(
    org: Organization, filters: ContractFilters, today: date
) -> QuerySet[VehicleContract]:
    contracts = VehicleContract.objects.filter(org=org).select_related("vehicle")
    if filters.contract_type:
        contracts = contracts.filter(contract_type=filters.contract_type)
    if filters.status:
        contracts = contracts.filter(status=filters.status)
    if filters.expiring:
        contracts = contracts.filter(status=ContractStatus.ACTIVE).filter(
            Q(warn_from_date__lte=today) | Q(warn_at_odometer__lte=F("vehicle__odometer"))
        )
    if filters.search:
        term = filters.search.replace("\x00", "").strip()
        contracts = contracts.filter(
            Q(number__icontains=term)
            | Q(provider__icontains=term)
            | Q(vehicle__label__icontains=term)
        )
    return contracts.prefetch_related("documents").order_by(
        F("end_date").asc(nulls_last=True), "id"
    )


# The ``expiring`` filter of ``contract_list`` (``meters_sql.contract_warning`` with the
# organization's day as %(today)s), over active contracts.
_WARNING = "(c.warn_from_date <= %(today)s OR c.warn_at_odometer <= v.odometer)"
_ACTIVE = (
    "FROM contracts_vehiclecontract c JOIN vehicles_vehicle v ON v.id = c.vehicle_id "
    "WHERE c.org_id = %(org)s AND c.status = 'active' AND "
)
_EXPIRING_COUNT = (
    # Warned of (contract_told_expiring_idx), or warned by date, not yet by the sweep
    # (contract_warn_sweep_idx).
    f"SELECT (SELECT COUNT(*) {_ACTIVE}((c.expiring_told AND {_WARNING}) "
    "OR (NOT c.expiring_told AND c.warn_from_date <= %(today)s))) + "
    # Vehicles out of service, which the evaluation leaves alone: by distance only.
    f"(SELECT COUNT(*) {_ACTIVE}NOT c.expiring_told AND c.vehicle_id IN "
    "(SELECT id FROM vehicles_vehicle WHERE org_id = %(org)s AND archived) "
    "AND (c.warn_from_date IS NULL OR c.warn_from_date > %(today)s) "
    "AND c.warn_at_odometer <= v.odometer)"
)


def expiring_count(org: Organization, today: date) -> int:
    """How many contracts the ``expiring`` filter of ``contract_list`` shows, exactly,
    without comparing every active contract with its vehicle's odometer.

    Whatever moves an odometer or a contract evaluates the vehicle's contracts in
    its transaction (``contracts.evaluation``), so an active contract of a vehicle
    in use whose warning distance was reached is ``expiring_told``. The contracts
    read are those warned of, those whose warning date came before the sweep told
    them, and those of archived vehicles, which the evaluation leaves alone; each
    is checked as the filter checks it.
    """
    [(count,)] = sql.run(_EXPIRING_COUNT, {"org": org.pk, "today": today})
    return count


@dataclass(frozen=True)
class Remaining:
    days_left: int | None
    days_percent: int | None
    distance_left: int | None
    distance_percent: int | None


def remaining(contract: VehicleContract, today: date) -> Remaining:
    """How much of the contract is left, by date and by distance, for the bars."""
    days_left = days_percent = distance_left = distance_percent = None
    if contract.end_date:
        span = (contract.end_date - contract.start_date).days or 1
        days_left = (contract.end_date - today).days
        days_percent = max(0, min(100, round(days_left / span * 100)))
    odometer = contract.vehicle.odometer
    if contract.ends_at_odometer is not None and odometer is not None:
        distance_left = contract.ends_at_odometer - odometer
        span = contract.distance_limit or 1
        distance_percent = max(0, min(100, round(distance_left / span * 100)))
    return Remaining(days_left, days_percent, distance_left, distance_percent)


def expiring_horizon(org: Organization, today: date) -> date:
    return today + timedelta(days=org.contract_warning_days)


def _ended_q(today: date) -> Q:
    """``meters_sql.contract_ended`` for one vehicle's queries."""
    return Q(end_date__lt=today) | Q(ends_at_odometer__lte=F("vehicle__odometer"))


def coverage_for(vehicle: Vehicle, codes: Iterable[str]) -> dict[str, VehicleContract]:
    """For each catalogue code, the active contract of the vehicle that covers it, if any.

    A contract covers a code it lists; the one ending soonest is used first.
    """
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(vehicle.org.time_zone)).date()
    active = (
        VehicleContract.objects.filter(
            vehicle=vehicle, status=ContractStatus.ACTIVE, start_date__lte=today
        )
        # Ended since the last sweep or reading, but not marked expired yet.
        .exclude(_ended_q(today))
        .order_by(F("end_date").asc(nulls_last=True), "id")
    )
    covered: dict[str, VehicleContract] = {}
    for contract in active:
        for code in wanted & set(contract.covered_services):
            covered.setdefault(code, contract)
    return covered
