"""Contract rules: validation, expiry by date or distance, warnings, and coverage."""

import zoneinfo
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date

from fleetmaint.accounts.models import Organization

# The set-based moves are part of this service's surface.
from fleetmaint.contracts.evaluation import contracts_evaluate as contracts_evaluate
from fleetmaint.contracts.evaluation import contracts_sweep_dates as contracts_sweep_dates
from fleetmaint.contracts.models import (
    ContractDocument,
    ContractStatus,
    ContractType,
    VehicleContract,
)
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.files import check_upload
from fleetmaint.vehicles.models import Vehicle

TEXT_LIMITS = {"number": 60, "provider": 120, "description": 255, "currency": 3}
MAX_DISTANCE = 10_000_000
MAX_PRICE = Decimal("9999999999.99")
MAX_SERVICES = 100
FIELDS = (
    "contract_type",
    "number",
    "provider",
    "description",
    "start_date",
    "end_date",
    "start_odometer",
    "distance_limit",
    "price",
    "currency",
    "covered_services",
    "terms",
    "status",
)


def _today(org: Organization) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()


# --- validation -----------------------------------------------------------------------


def _clean_value(name: str, value: object) -> object:
    if name == "contract_type":
        if value not in ContractType.values:
            raise ValidationFailed(
                f"contract_type must be one of {', '.join(ContractType.values)}.", field=name
            )
        return value
    if name == "status":
        if value not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
            raise ValidationFailed(
                "status can be set to draft or active; cancel a contract with its own action.",
                field=name,
            )
        return value
    if name in TEXT_LIMITS or name == "terms":
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text.", field=name)
        value = value.strip()
        if "\x00" in value:
            raise ValidationFailed(f"{name} cannot contain NUL characters.", field=name)
        limit = TEXT_LIMITS.get(name, 20_000)
        if len(value) > limit:
            raise ValidationFailed(f"{name} can be at most {limit} characters.", field=name)
        if (
            name == "currency"
            and value
            and not (len(value) == 3 and value.isalpha() and value.isascii())
        ):
            raise ValidationFailed("currency must be a three-letter ISO 4217 code.", field=name)
        return value.upper() if name == "currency" else value
    if name in ("start_date", "end_date"):
        return _date(value, name)
    if name in ("start_odometer", "distance_limit"):
        return _whole(value, name)
    if name == "price":
        return _price(value)
    if name == "covered_services":
        return _services(value)
    raise ValidationFailed(f"Unknown field {name!r}.", field=name)


def _date(value: object, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but not a day of the calendar (2030-02-30)
        parsed = None
    if parsed is None:
        raise ValidationFailed(f"{name} must be a date like 2027-03-31.", field=name)
    return parsed


def _whole(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(f"{name} must be a whole number.", field=name)
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number.", field=name) from None
    if number < 0:
        raise ValidationFailed(f"{name} cannot be negative.", field=name)
    if number > MAX_DISTANCE:
        raise ValidationFailed(f"{name} can be at most {MAX_DISTANCE:,}.", field=name)
    return number


def _price(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("price must be an amount.", field="price")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed("price must be an amount.", field="price") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise ValidationFailed("price must be a positive amount.", field="price")
    return amount.quantize(Decimal("0.01"))


def _services(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(
            "covered_services must be a list of service codes or texts.", field="covered_services"
        )
    cleaned = []
    for item in value:
        item = item.strip()
        if item and item not in cleaned:
            if len(item) > 120 or "\x00" in item:
                raise ValidationFailed(
                    "Each covered service can be at most 120 characters.",
                    field="covered_services",
                )
            cleaned.append(item)
    if len(cleaned) > MAX_SERVICES:
        raise ValidationFailed(
            f"At most {MAX_SERVICES} covered services.", field="covered_services"
        )
    return cleaned


def _check_whole(contract: VehicleContract) -> None:
    if not contract.number:
        raise ValidationFailed("number is required.", field="number")
    if contract.start_date is None:
        raise ValidationFailed("start_date is required.", field="start_date")
    if contract.end_date is not None and contract.end_date < contract.start_date:
        raise ValidationFailed("The contract cannot end before it starts.", field="end_date")
    if contract.distance_limit is not None and contract.start_odometer is None:
        contract.start_odometer = contract.vehicle.odometer
        if contract.start_odometer is None:
            raise ValidationFailed(
                "Give start_odometer: the vehicle has no odometer reading to start from.",
                field="start_odometer",
            )


# --- thresholds and status ----------------------------------------------------------


def derive_thresholds(contract: VehicleContract, org: Organization) -> None:
    if contract.distance_limit is not None and contract.start_odometer is not None:
        contract.ends_at_odometer = contract.start_odometer + contract.distance_limit
        contract.warn_at_odometer = max(
            contract.start_odometer, contract.ends_at_odometer - org.contract_warning_distance
        )
    else:
        contract.ends_at_odometer = contract.warn_at_odometer = None
    contract.warn_from_date = (
        contract.end_date - timedelta(days=org.contract_warning_days) if contract.end_date else None
    )


def _ended_q(today: date) -> Q:
    """``meters_sql.contract_ended`` for one vehicle's queries."""
    return Q(end_date__lt=today) | Q(ends_at_odometer__lte=F("vehicle__odometer"))


def contracts_rederive(*, org: Organization) -> int:
    """Moves every open contract's warning points after the fleet changed its warning settings."""
    open_contracts = list(
        VehicleContract.objects.filter(
            org=org, status__in=[ContractStatus.ACTIVE, ContractStatus.DRAFT]
        ).select_related("vehicle")
    )
    for contract in open_contracts:
        _reopen_if_moved(contract, org)
    VehicleContract.objects.bulk_update(
        open_contracts,
        ["ends_at_odometer", "warn_at_odometer", "warn_from_date", "expiring_told", "cycle"],
        batch_size=1000,
    )
    contracts_evaluate(vehicle_ids={c.vehicle_id for c in open_contracts})
    return len(open_contracts)


WARNING_SETTINGS = frozenset({"contract_warning_days", "contract_warning_distance"})


def contracts_settings_changed(*, org: Organization, changed: frozenset[str]) -> None:
    """Registered with accounts: new warning settings move the open contracts' warnings."""
    if changed & WARNING_SETTINGS:
        contracts_rederive(org=org)


# --- writes ---------------------------------------------------------------------------


def _save(contract: VehicleContract, org: Organization) -> VehicleContract:
    _check_whole(contract)
    derive_thresholds(contract, org)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:
        raise Conflict(
            f"Another contract already has the number {contract.number!r}.", field="number"
        ) from None
    return contract


def contract_create(*, vehicle: Vehicle, values: dict) -> VehicleContract:
    org = vehicle.org
    contract = VehicleContract(org=org, vehicle=vehicle, currency=org.currency)
    for name in FIELDS:
        if name in values:
            setattr(contract, name, _clean_value(name, values[name]))
    if not contract.contract_type:
        raise ValidationFailed("contract_type is required.", field="contract_type")
    if not contract.currency:
        contract.currency = org.currency
    with transaction.atomic():
        _save(contract, org)
        contracts_evaluate(vehicle_ids=[vehicle.pk])
    contract.refresh_from_db()
    return contract


def contract_update(
    *, contract: VehicleContract, values: dict, whole: bool = False
) -> VehicleContract:
    """PATCH changes the given fields; PUT (``whole``) also resets the ones left out."""
    if contract.status == ContractStatus.CANCELLED:
        raise Conflict("A cancelled contract cannot be changed.", field="status")
    unknown = set(values) - set(FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(f"Unknown field {name!r}.", field=name)
    org = contract.vehicle.org
    was_expired = contract.status == ContractStatus.EXPIRED
    if whole:
        for name in ("contract_type", "number", "start_date"):
            if name not in values:
                raise ValidationFailed(f"{name} is required.", field=name)
        fresh = VehicleContract(org=org, vehicle=contract.vehicle)
        for name in FIELDS:
            setattr(contract, name, getattr(fresh, name))
        contract.currency = org.currency
    for name, value in values.items():
        setattr(contract, name, _clean_value(name, value))
    if not contract.currency:
        contract.currency = org.currency
    if was_expired and contract.status in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
        # Still past its date or distance, it stays expired whatever status was sent;
        # new dates or distances give it life again.
        contract.status = ContractStatus.EXPIRED if _ended(contract, org) else ContractStatus.ACTIVE
    if was_expired and contract.status != ContractStatus.EXPIRED:
        # A new life: its next expiry is news.
        contract.cycle += 1
    with transaction.atomic():
        _reopen_if_moved(contract, org)
        _save(contract, org)
        contracts_evaluate(vehicle_ids=[contract.vehicle_id])
    contract.refresh_from_db()
    return contract


def _ended(contract: VehicleContract, org: Organization) -> bool:
    derive_thresholds(contract, org)
    odometer = contract.vehicle.odometer
    by_date = contract.end_date is not None and contract.end_date < _today(org)
    by_distance = (
        contract.ends_at_odometer is not None
        and odometer is not None
        and contract.ends_at_odometer <= odometer
    )
    return by_date or by_distance


def _reopen_if_moved(contract: VehicleContract, org: Organization) -> None:
    """A warning or expiry already told is told again only for a new crossing."""
    derive_thresholds(contract, org)
    today = _today(org)
    odometer = contract.vehicle.odometer
    warning_now = (contract.warn_from_date is not None and contract.warn_from_date <= today) or (
        contract.warn_at_odometer is not None
        and odometer is not None
        and contract.warn_at_odometer <= odometer
    )
    if contract.expiring_told and not warning_now:
        contract.expiring_told = False
        contract.cycle += 1


def contract_cancel(*, contract: VehicleContract, reason: str) -> VehicleContract:
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed("reason must be text.", field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the contract is cancelled.", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("The reason can be at most 500 characters.", field="reason")
    updated = (
        VehicleContract.objects.filter(pk=contract.pk)
        .exclude(status=ContractStatus.CANCELLED)
        .update(status=ContractStatus.CANCELLED, cancel_reason=reason, updated_at=timezone.now())
    )
    if not updated:
        raise Conflict("This contract is already cancelled.", field="status")
    contract.refresh_from_db()
    return contract


def contract_for(vehicle: Vehicle, contract_id: object) -> VehicleContract:
    try:
        number = int(contract_id)
    except (TypeError, ValueError):
        raise NotFound("Contract not found.") from None
    contract = (
        VehicleContract.objects.filter(vehicle=vehicle, pk=number)
        .select_related("vehicle", "vehicle__org")
        .first()
    )
    if contract is None:
        raise NotFound("Contract not found.")
    return contract


def document_attach(*, contract: VehicleContract, upload) -> ContractDocument:
    content_type = check_upload(upload, field="document")
    return ContractDocument.objects.create(
        contract=contract,
        file=upload,
        name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size,
    )


# --- coverage -------------------------------------------------------------------------


def coverage_for(vehicle: Vehicle, codes: Iterable[str]) -> dict[str, VehicleContract]:
    """For each catalogue code, the active contract of the vehicle that covers it, if any.

    A contract covers a code it lists; the one ending soonest is used first.
    """
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    today = _today(vehicle.org)
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
