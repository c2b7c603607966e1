"""Every write to vehicles, and (re-exported from ``readings``) to their readings."""

import secrets

from django.db import transaction
from django.db.models import Q

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import Conflict
from fleetmaint.vehicles import queries, reevaluation, unit_change
from fleetmaint.vehicles.inputs import VehicleChanges, VehicleInput
from fleetmaint.vehicles.models import Vehicle

# Readings live in their own module; other apps reach them through this one.
from fleetmaint.vehicles.readings import BULK_READINGS_LIMIT as BULK_READINGS_LIMIT
from fleetmaint.vehicles.readings import BulkItem as BulkItem
from fleetmaint.vehicles.readings import BulkResult as BulkResult
from fleetmaint.vehicles.readings import ReadingInput as ReadingInput
from fleetmaint.vehicles.readings import reading_record as reading_record
from fleetmaint.vehicles.readings import readings_bulk_record as readings_bulk_record


def _ensure_key_free(org: Organization, key: str, *, exclude_id: int | None = None) -> None:
    if queries.vehicle_key_taken(org, key, exclude_id=exclude_id):
        raise Conflict(f"Another vehicle already uses the key {key!r}.", field="vehicle_key")


def _ensure_device_free(org: Organization, device: str, *, exclude_id: int | None = None) -> None:
    """One vehicle per tracker in a fleet, so that a position names one vehicle."""
    if not device:
        return
    taken = Vehicle.objects.filter(org=org, device_id=device).exclude(pk=exclude_id)
    if taken.exists():
        raise Conflict(
            f"Another vehicle already uses the telematics device {device!r}.", field="device_id"
        )


def _new_vehicle_key(org: Organization) -> str:
    while True:
        key = _generated_key()
        if not queries.vehicle_key_taken(org, key):
            return key


def vehicle_create(
    *,
    org: Organization,
    label: str,
    vehicle_key: str | None = None,
    vin: str = "",
    make: str = "",
    model: str = "",
    year: int | None = None,
    plate: str = "",
    distance_unit: str | None = None,
    tracks_engine_hours: bool = False,
    powertrain: str = "combustion",
    notes: str = "",
) -> Vehicle:
    """A new vehicle from typed values; they are checked as ``VehicleInput`` checks them."""
    data = VehicleInput(
        label=label,
        vehicle_key=vehicle_key,
        vin=vin,
        make=make,
        model=model,
        year=year,
        plate=plate,
        distance_unit=distance_unit,
        tracks_engine_hours=tracks_engine_hours,
        powertrain=powertrain,
        notes=notes,
    )
    return vehicle_add(org=org, data=data)


def vehicle_add(*, org: Organization, data: VehicleInput) -> Vehicle:
    """A new vehicle from a checked input: what the API, the form and the demo send."""
    values = data.model_dump()
    values["distance_unit"] = data.distance_unit or org.distance_unit
    with transaction.atomic():
        if values["vehicle_key"]:
            _ensure_key_free(org, values["vehicle_key"])
        else:
            values["vehicle_key"] = _new_vehicle_key(org)
        _ensure_device_free(org, values["device_id"])
        vehicle = Vehicle.objects.create(org=org, **values)
        reevaluation.vehicles_created(org=org, vehicles=[vehicle])
    return vehicle


def vehicles_add_many(*, org: Organization, inputs: list[VehicleInput]) -> list[Vehicle]:
    """Many new vehicles at once (an import): one insert, one reaction for all of them.

    The same rules as ``vehicle_add``: a key and a tracker are the fleet's one
    vehicle's, a missing key is generated, a missing unit is the fleet's. A key
    or tracker already used is refused for the whole batch (``Conflict``); the
    caller leaves such rows out first.
    """
    if not inputs:
        return []
    rows = [data.model_dump() for data in inputs]
    for values in rows:
        values["distance_unit"] = values["distance_unit"] or org.distance_unit
        values["vehicle_key"] = values["vehicle_key"] or _generated_key()
    keys = [values["vehicle_key"] for values in rows]
    devices = [values["device_id"] for values in rows if values["device_id"]]
    if len(set(keys)) != len(keys) or len(set(devices)) != len(devices):
        raise Conflict("Two of the new vehicles share a key or a telematics device.")
    with transaction.atomic():
        taken = Vehicle.objects.filter(org=org).filter(
            Q(vehicle_key__in=keys) | Q(device_id__in=devices)
        )
        if taken.exists():
            raise Conflict("A key or telematics device of the new vehicles is already used.")
        vehicles = Vehicle.objects.bulk_create([Vehicle(org=org, **values) for values in rows])
        reevaluation.vehicles_created(org=org, vehicles=vehicles)
    return vehicles


def _generated_key() -> str:
    return "V" + secrets.token_hex(5).upper()


def vehicle_update(*, vehicle: Vehicle, changes: VehicleChanges) -> Vehicle:
    """Changes the values given (``changes.given()``); the others stay as they are.

    A new distance unit converts the vehicle's distances (``unit_change``): on a
    vehicle that holds any, only with ``changes.convert_distances``, else
    ``UnitConversionRequired`` says what would change and nothing is saved.
    """
    values = changes.given()
    unit = values.pop("distance_unit", None)
    with transaction.atomic():
        if "vehicle_key" in values:
            _ensure_key_free(vehicle.org, values["vehicle_key"], exclude_id=vehicle.pk)
        if "device_id" in values:
            _ensure_device_free(vehicle.org, values["device_id"], exclude_id=vehicle.pk)
        if unit is not None:
            unit_change.vehicle_change_unit(
                vehicle=vehicle, to_unit=unit, confirmed=changes.convert_distances
            )
        returning = values.get("archived") is False and vehicle.archived
        for name, value in values.items():
            setattr(vehicle, name, value)
        vehicle.save(update_fields=[*values, "updated_at"])
        if returning:
            # Back in service: whatever fell due while it was archived is told now.
            reevaluation.evaluate([vehicle.pk])
    return vehicle


def vehicle_set_archived(*, vehicle: Vehicle, archived: bool) -> Vehicle:
    return vehicle_update(vehicle=vehicle, changes=VehicleChanges(archived=archived))


def vehicle_delete(*, vehicle: Vehicle) -> None:
    vehicle.delete()
