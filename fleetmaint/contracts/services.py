"""Contract writes and rules: validation, thresholds, expiry by date or distance, warnings."""

import zoneinfo
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization

# The set-based moves are part of this service's surface.
from fleetmaint.contracts.evaluation import contracts_evaluate as contracts_evaluate
from fleetmaint.contracts.evaluation import contracts_settle as contracts_settle
from fleetmaint.contracts.evaluation import contracts_sweep_dates as contracts_sweep_dates
from fleetmaint.contracts.inputs import FIELDS, ContractChanges, ContractInput
from fleetmaint.contracts.models import (
    ContractDocument,
    ContractStatus,
    VehicleContract,
)
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.files import check_upload, delete_after_commit
from fleetmaint.inputs import clean_text
from fleetmaint.vehicles.models import Vehicle


def _today(org: Organization) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()


# --- validation -----------------------------------------------------------------------


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


def contract_create(*, vehicle: Vehicle, data: ContractInput) -> VehicleContract:
    org = vehicle.org
    contract = VehicleContract(org=org, vehicle=vehicle)
    for name in FIELDS:
        setattr(contract, name, getattr(data, name))
    if not contract.currency:
        contract.currency = org.currency
    with transaction.atomic():
        _save(contract, org)
        contracts_evaluate(vehicle_ids=[vehicle.pk])
    contract.refresh_from_db()
    return contract


def contract_update(*, contract: VehicleContract, changes: ContractChanges) -> VehicleContract:
    """Changes the values given (``changes.given()``); the others stay as they are."""
    return _change(contract, changes.given())


def contract_replace(*, contract: VehicleContract, data: ContractInput) -> VehicleContract:
    """Puts every value of ``data`` in place, so the ones it leaves out get their defaults."""
    return _change(contract, {name: getattr(data, name) for name in FIELDS})


def _change(contract: VehicleContract, values: dict) -> VehicleContract:
    if contract.status == ContractStatus.CANCELLED:
        raise Conflict("A cancelled contract cannot be changed.", field="status")
    org = contract.vehicle.org
    was_expired = contract.status == ContractStatus.EXPIRED
    for name, value in values.items():
        setattr(contract, name, value)
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
    reason = clean_text(reason.strip(), field="reason")
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


def document_attach(*, contract: VehicleContract, upload) -> ContractDocument:
    content_type = check_upload(upload, field="document")
    return ContractDocument.objects.create(
        contract=contract,
        file=upload,
        name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size,
    )


def document_remove(*, contract: VehicleContract, document_id: int) -> ContractDocument:
    """Deletes one of the contract's documents; its file leaves storage once this commits.

    Only a document of this contract: an id of another contract, or one already
    removed (a second click, a second tab), is not found and deletes nothing.
    """
    document = ContractDocument.objects.filter(contract=contract, pk=document_id).first()
    if document is None:
        raise NotFound("That document is not attached to this contract.", field="document_id")
    with transaction.atomic():
        deleted, _ = ContractDocument.objects.filter(pk=document.pk).delete()
        if not deleted:  # removed meanwhile by another request
            raise NotFound("That document is not attached to this contract.", field="document_id")
        delete_after_commit([document.file])
    return document
