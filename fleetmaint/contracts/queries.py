"""Reads of contracts: a vehicle's, and the fleet-wide list with its filters."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import ContractStatus, VehicleContract


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
