"""Vehicles from a file: one vehicle a row, checked as a new vehicle from the API is.

A row names its vehicle by its key, else its VIN, else its plate; a row whose
vehicle the fleet has already (or an earlier row of the file) is skipped as a
duplicate, so importing a file twice adds nothing. Existing vehicles are not
changed by an import.
"""

from collections.abc import Iterator

from django.db.models import Q

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports.kinds import Chunk, Kind
from fleetmaint.imports.tables import parse_flag
from fleetmaint.vehicles.inputs import VehicleInput
from fleetmaint.vehicles.models import Powertrain, Vehicle
from fleetmaint.vehicles.services import vehicles_add_many

TEXT_FIELDS = ("vehicle_key", "label", "vin", "plate", "make", "model", "device_id", "notes")
IDENTITY = ("vehicle_key", "vin", "plate")
# Powertrains by their value or their label's first word ("Petrol", "Diesel").
_POWERTRAINS = {
    **{value: value for value in Powertrain.values},
    **{label.split()[0].lower(): value for value, label in Powertrain.choices},
}


def _needs(columns: dict[str, int]) -> None:
    if "label" not in columns:
        raise ValidationFailed("Choose the column holding the vehicles' names.", field="mapping")
    if not any(name in columns for name in IDENTITY):
        raise ValidationFailed(
            "Choose a column for the key, VIN or plate, so that importing the file again "
            "finds the vehicles instead of adding them twice.",
            field="mapping",
        )


def _input(chunk: Chunk, cells: list[str]) -> VehicleInput:
    values: dict = {name: chunk.cell(cells, name) for name in TEXT_FIELDS if name in chunk.columns}
    values = {name: value for name, value in values.items() if value}
    if year := chunk.cell(cells, "year"):
        if not year.isdigit():
            raise ValidationFailed("The year must be a whole number.", field="year")
        values["year"] = int(year)
    if unit := chunk.cell(cells, "distance_unit"):
        values["distance_unit"] = unit.lower()
    if kind := chunk.cell(cells, "powertrain"):
        values["powertrain"] = _POWERTRAINS.get(kind.lower(), kind)
    if "tracks_engine_hours" in chunk.columns:
        values["tracks_engine_hours"] = parse_flag(
            chunk.cell(cells, "tracks_engine_hours"), field="tracks_engine_hours"
        )
    if "label" not in values:
        raise ValidationFailed("The vehicle has no name.", field="label")
    return VehicleInput(**values)


def _identity(data: VehicleInput) -> tuple[str, str] | None:
    """The vehicle's key, else VIN, else plate: what finds it again."""
    for name in IDENTITY:
        if value := getattr(data, name):
            return (name, value)
    return None


def _existing(org: Organization, rows: list[VehicleInput]) -> tuple[set[tuple[str, str]], set]:
    """The identities and trackers of the fleet's vehicles the rows could repeat, one query."""
    wanted = {name: {getattr(data, name) for data in rows} - {""} for name in IDENTITY}
    devices = {data.device_id for data in rows} - {""}
    found = Vehicle.objects.filter(org=org).filter(
        Q(vehicle_key__in=wanted["vehicle_key"])
        | Q(vin__in=wanted["vin"])
        | Q(plate__in=wanted["plate"])
        | Q(device_id__in=devices)
    )
    identities: set[tuple[str, str]] = set()
    trackers: set[str] = set()
    for key, vin, plate, device in found.values_list("vehicle_key", "vin", "plate", "device_id"):
        identities |= {("vehicle_key", key), ("vin", vin), ("plate", plate)}
        trackers.add(device)
    return identities, trackers - {""}


def store(chunk: Chunk) -> None:
    """Adds a chunk's new vehicles in one insert; known ones are duplicates."""
    outcome = chunk.outcome
    parsed: list[tuple[int, list[str], VehicleInput]] = []
    for number, cells in chunk.rows:
        try:
            data = _input(chunk, cells)
            if _identity(data) is None:
                raise ValidationFailed("The vehicle has no key, VIN or plate.", field="vehicle_key")
        except ValidationFailed as error:
            outcome.refuse(number, cells, error.message)
        else:
            parsed.append((number, cells, data))
    identities, trackers = _existing(chunk.org, [data for _, _, data in parsed])
    fresh: list[VehicleInput] = []
    for number, cells, data in parsed:
        identity = _identity(data)
        if identity in identities or identity in chunk.seen:
            outcome.duplicate(number)
            continue
        if data.device_id and data.device_id in trackers:
            outcome.refuse(
                number,
                cells,
                f"Another vehicle already uses the telematics device {data.device_id!r}.",
            )
            continue
        chunk.seen.add(identity)
        if data.vehicle_key:
            identities.add(("vehicle_key", data.vehicle_key))
        if data.device_id:
            trackers.add(data.device_id)
        fresh.append(data)
    outcome.imported += len(vehicles_add_many(org=chunk.org, inputs=fresh))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def export_rows(org: Organization) -> Iterator[list[str]]:
    """The fleet's vehicles in the import's columns, by key."""
    columns = list(VEHICLES.export_columns)
    rows = Vehicle.objects.filter(org=org).order_by("vehicle_key").values_list(*columns)
    for values in rows.iterator(chunk_size=2000):
        yield [_text(value) for value in values]


VEHICLES = Kind(
    slug="vehicles",
    title="vehicles",
    fields={
        "vehicle_key": "Key",
        "label": "Name",
        "vin": "VIN",
        "plate": "Plate",
        "make": "Make",
        "model": "Model",
        "year": "Year",
        "distance_unit": "Distance unit (km or mi)",
        "powertrain": "Powertrain",
        "tracks_engine_hours": "Tracks engine hours (yes/no)",
        "device_id": "Telematics device",
        "notes": "Notes",
    },
    aliases={
        "name": "label",
        "key": "vehicle_key",
        "unit": "distance_unit",
        "license_plate": "plate",
        "registration": "plate",
        "engine_hours": "tracks_engine_hours",
        "device": "device_id",
    },
    needs=_needs,
    store=store,
    export_rows=export_rows,
    export_columns=(
        "vehicle_key",
        "label",
        "vin",
        "plate",
        "make",
        "model",
        "year",
        "distance_unit",
        "powertrain",
        "tracks_engine_hours",
        "device_id",
        "notes",
    ),
    row_help="One vehicle a row: its name, and its key, VIN or plate (what finds it again "
    "when the file is imported twice); make, model, year, unit, powertrain and the rest "
    "are optional.",
    chunk_size=2_000,
)
