"""Reads of vehicles and readings that pages and the API share."""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from fleetmaint.accounts.models import Organization
from fleetmaint.vehicles.models import Reading, Vehicle

_LABEL = Lower("label")
VEHICLE_SORTS = {
    "label": (_LABEL, "id"),
    "-label": (_LABEL.desc(), "-id"),
    "make": (Lower("make"), Lower("model"), _LABEL),
    "-make": (Lower("make").desc(), Lower("model").desc(), _LABEL.desc()),
    "year": (F("year").asc(nulls_last=True), _LABEL),
    "-year": (F("year").desc(nulls_last=True), _LABEL),
    "odometer": (F("odometer").asc(nulls_last=True), _LABEL),
    "-odometer": (F("odometer").desc(nulls_last=True), _LABEL),
    "updated": (F("odometer_at").asc(nulls_last=True), _LABEL),
    "-updated": (F("odometer_at").desc(nulls_last=True), _LABEL),
}


@dataclass(frozen=True)
class VehicleFilters:
    search: str = ""
    archived: bool | None = False
    make: str = ""
    distance_unit: str = ""
    sort: str = "label"


def vehicle_list(org: Organization, filters: VehicleFilters) -> QuerySet[Vehicle]:
    """The organization's vehicles matching the filters, in the chosen order."""
    vehicles = Vehicle.objects.for_org(org)
    if filters.search:
        # No stored text holds NUL, and PostgreSQL refuses it in a query.
        term = filters.search.replace("\x00", "").strip()
        vehicles = vehicles.filter(
            Q(label__icontains=term)
            | Q(vehicle_key__icontains=term)
            | Q(vin__icontains=term)
            | Q(plate__icontains=term)
            | Q(make__icontains=term)
            | Q(model__icontains=term)
        )
    if filters.archived is not None:
        vehicles = vehicles.filter(archived=filters.archived)
    if filters.make:
        vehicles = vehicles.filter(make__iexact=filters.make.replace("\x00", ""))
    if filters.distance_unit:
        vehicles = vehicles.filter(distance_unit=filters.distance_unit)
    return vehicles.order_by(*VEHICLE_SORTS.get(filters.sort, VEHICLE_SORTS["label"]))


def vehicle_makes(org: Organization) -> list[str]:
    return list(
        Vehicle.objects.for_org(org)
        .exclude(make="")
        .order_by("make")
        .values_list("make", flat=True)
        .distinct()
    )


def reading_series(vehicle: Vehicle, *, limit: int = 500) -> list[Reading]:
    """The newest ``limit`` readings, oldest first, for charts."""
    newest = list(Reading.objects.filter(vehicle=vehicle).order_by("-recorded_at", "-id")[:limit])
    newest.reverse()
    return newest
