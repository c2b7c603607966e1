"""Every write to vehicles, and (re-exported from ``readings``) to their readings."""

import re
import secrets

from django.db import transaction
from django.utils import timezone

from fleetmaint.accounts.models import DistanceUnit, Organization
from fleetmaint.errors import Conflict, ValidationFailed
from fleetmaint.vehicles import reevaluation
from fleetmaint.vehicles.models import Vehicle

# Readings live in their own module; other apps reach them through this one.
from fleetmaint.vehicles.readings import BULK_READINGS_LIMIT as BULK_READINGS_LIMIT
from fleetmaint.vehicles.readings import BulkItem as BulkItem
from fleetmaint.vehicles.readings import BulkResult as BulkResult
from fleetmaint.vehicles.readings import ReadingInput as ReadingInput
from fleetmaint.vehicles.readings import reading_record as reading_record
from fleetmaint.vehicles.readings import readings_bulk_record as readings_bulk_record
from fleetmaint.vehicles.readings import refuse_nul

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

_TEXT_LIMITS = {"label": 120, "make": 60, "model": 60, "plate": 20, "vehicle_key": 40}
VEHICLE_FIELDS = (
    "vehicle_key",
    "label",
    "vin",
    "make",
    "model",
    "year",
    "plate",
    "distance_unit",
    "tracks_engine_hours",
    "notes",
    "archived",
)


# --- vehicles ---------------------------------------------------------------


def _clean_text(name: str, value: str | None) -> str:
    value = refuse_nul(name, (value or "").strip())
    limit = _TEXT_LIMITS.get(name)
    if limit and len(value) > limit:
        raise ValidationFailed(
            f"The {name.replace('_', ' ')} can be at most {limit} characters.", field=name
        )
    return value


def _clean_vin(vin: str | None) -> str:
    vin = (vin or "").strip().upper().replace(" ", "")
    if vin and not VIN_PATTERN.match(vin):
        raise ValidationFailed("A VIN has 17 letters and digits, without I, O or Q.", field="vin")
    return vin


def _clean_year(year: int | None) -> int | None:
    if year is None:
        return None
    latest = timezone.now().year + 1
    if not 1900 <= year <= latest:
        raise ValidationFailed(f"The year must be between 1900 and {latest}.", field="year")
    return year


def _clean_vehicle_values(values: dict) -> dict:
    cleaned = {}
    for name, value in values.items():
        if name in ("label", "make", "model", "plate", "vehicle_key"):
            cleaned[name] = _clean_text(name, value)
        elif name == "vin":
            cleaned[name] = _clean_vin(value)
        elif name == "year":
            cleaned[name] = _clean_year(value)
        elif name == "distance_unit":
            if value not in DistanceUnit.values:
                raise ValidationFailed("The distance unit must be km or mi.", field=name)
            cleaned[name] = value
        elif name in ("tracks_engine_hours", "archived"):
            cleaned[name] = bool(value)
        elif name == "notes":
            cleaned[name] = refuse_nul(name, (value or "").strip())
        else:
            raise ValidationFailed(f"Unknown vehicle field {name!r}.", field=name)
    if "label" in cleaned and not cleaned["label"]:
        raise ValidationFailed("Give the vehicle a label.", field="label")
    if (
        "vehicle_key" in cleaned
        and cleaned["vehicle_key"]
        and not cleaned["vehicle_key"].isprintable()
    ):
        raise ValidationFailed("The vehicle key must be printable text.", field="vehicle_key")
    return cleaned


def _ensure_key_free(org: Organization, key: str, *, exclude_id: int | None = None) -> None:
    taken = Vehicle.objects.for_org(org).filter(vehicle_key=key)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise Conflict(f"Another vehicle already uses the key {key!r}.", field="vehicle_key")


def _new_vehicle_key(org: Organization) -> str:
    while True:
        key = "V" + secrets.token_hex(5).upper()
        if not Vehicle.objects.for_org(org).filter(vehicle_key=key).exists():
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
    notes: str = "",
) -> Vehicle:
    values = _clean_vehicle_values(
        {
            "label": label,
            "vehicle_key": vehicle_key,
            "vin": vin,
            "make": make,
            "model": model,
            "year": year,
            "plate": plate,
            "distance_unit": distance_unit or org.distance_unit,
            "tracks_engine_hours": tracks_engine_hours,
            "notes": notes,
        }
    )
    with transaction.atomic():
        if values["vehicle_key"]:
            _ensure_key_free(org, values["vehicle_key"])
        else:
            values["vehicle_key"] = _new_vehicle_key(org)
        vehicle = Vehicle.objects.create(org=org, **values)
        reevaluation.vehicles_created(org=org, vehicles=[vehicle])
    return vehicle


def vehicle_update(*, vehicle: Vehicle, **changes) -> Vehicle:
    """Changes the given fields only (a partial update)."""
    values = _clean_vehicle_values(changes)
    if "vehicle_key" in values and not values["vehicle_key"]:
        raise ValidationFailed("The vehicle key cannot be empty.", field="vehicle_key")
    with transaction.atomic():
        if "vehicle_key" in values:
            _ensure_key_free(vehicle.org, values["vehicle_key"], exclude_id=vehicle.pk)
        returning = values.get("archived") is False and vehicle.archived
        for name, value in values.items():
            setattr(vehicle, name, value)
        vehicle.save(update_fields=[*values, "updated_at"])
        if returning:
            # Back in service: whatever fell due while it was archived is told now.
            reevaluation.evaluate([vehicle.pk])
    return vehicle


def vehicle_set_archived(*, vehicle: Vehicle, archived: bool) -> Vehicle:
    return vehicle_update(vehicle=vehicle, archived=archived)


def vehicle_delete(*, vehicle: Vehicle) -> None:
    vehicle.delete()
