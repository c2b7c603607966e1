"""Readings from a file: one odometer and/or engine-hours reading a row.

Every rule about a reading (a decreasing odometer, an implausible jump, engine
hours on a vehicle that does not track them) is ``vehicles.readings``' own,
run by ``readings_bulk_record`` chunk by chunk; this module only reads cells
and skips what is stored already.
"""

from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports.kinds import (
    Chunk,
    Kind,
    need_one_vehicle_column,
    vehicle_field,
    vehicle_refusal,
    vehicles_named,
)
from fleetmaint.imports.tables import number_text, parse_moment
from fleetmaint.vehicles.inputs import reading_engine_hours, reading_odometer
from fleetmaint.vehicles.models import Reading, ReadingSource
from fleetmaint.vehicles.readings import (
    BULK_READINGS_LIMIT,
    BulkItem,
    ReadingInput,
    readings_bulk_record,
)

MAX_NOTE = 255


def _needs(columns: dict[str, int]) -> None:
    need_one_vehicle_column(columns)
    if "taken_at" not in columns:
        raise ValidationFailed(
            "Choose the column saying when a reading was taken.", field="mapping"
        )
    if "odometer" not in columns and "engine_hours" not in columns:
        raise ValidationFailed(
            "Choose a column for the odometer, the engine hours, or both.", field="mapping"
        )


def _reading(chunk: Chunk, cells: list[str]) -> ReadingInput:
    odometer = reading_odometer(number_text(chunk.cell(cells, "odometer")))
    hours = reading_engine_hours(number_text(chunk.cell(cells, "engine_hours")))
    if odometer is None and hours is None:
        raise ValidationFailed("Neither an odometer nor engine hours given.", field="odometer")
    if hours is not None:
        # As the reading will be stored, so that the same file again finds it.
        hours = hours.quantize(Decimal("0.1"))
    taken = chunk.cell(cells, "taken_at")
    if not taken:
        raise ValidationFailed("No date given.", field="taken_at")
    note = chunk.cell(cells, "note")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"The note is longer than {MAX_NOTE} characters.", field="note")
    return ReadingInput(
        odometer=odometer,
        engine_hours=hours,
        recorded_at=parse_moment(taken, chunk.zone, field="taken_at"),
        note=note,
    )


def _stored(org: Organization, rows: list[tuple[int, ReadingInput]]) -> set[tuple]:
    """(vehicle, time, odometer, hours) of the stored readings the rows could repeat, one query."""
    if not rows:
        return set()
    ids = {vehicle_id for vehicle_id, _ in rows}
    times = {reading.recorded_at for _, reading in rows}
    found = Reading.objects.filter(
        org=org, voided_at=None, vehicle_id__in=sorted(ids), recorded_at__in=sorted(times)
    ).values_list("vehicle_id", "recorded_at", "odometer", "engine_hours")
    return set(found)


def _key(vehicle_id: int, reading: ReadingInput) -> tuple:
    return (vehicle_id, reading.recorded_at, reading.odometer, reading.engine_hours)


def store(chunk: Chunk) -> None:
    """Stores a chunk's new readings in one bulk call; refusals keep their row numbers."""
    outcome = chunk.outcome
    by = vehicle_field(chunk.columns)
    parsed: list[tuple[int, list[str], str, ReadingInput]] = []
    for number, cells in chunk.rows:
        name = chunk.cell(cells, by)
        try:
            if not name:
                raise ValidationFailed("No vehicle given.", field=by)
            parsed.append((number, cells, name, _reading(chunk, cells)))
        except ValidationFailed as error:
            outcome.refuse(number, cells, error.message)
    vehicles = vehicles_named(chunk.org, by, {p[2] for p in parsed})
    known = []
    for number, cells, name, reading in parsed:
        if refusal := vehicle_refusal(by, name, vehicles):
            outcome.refuse(number, cells, refusal)
        else:
            known.append((number, cells, vehicles[name].id, reading))
    stored = _stored(chunk.org, [(vehicle_id, reading) for _, _, vehicle_id, reading in known])
    items: list[BulkItem] = []
    cells_of: dict[int, list[str]] = {}
    for number, cells, vehicle_id, reading in known:
        key = _key(vehicle_id, reading)
        if key in stored or key in chunk.seen:
            outcome.duplicate(number)
            continue
        chunk.seen.add(key)
        cells_of[number] = cells
        item = BulkItem(index=number, vehicle_id=vehicle_id, vehicle_key=None, reading=reading)
        items.append(item)
    if not items:
        return
    result = readings_bulk_record(org=chunk.org, items=items, source=ReadingSource.IMPORT)
    outcome.imported += result.created
    for error in result.errors:
        outcome.refuse(error["index"], cells_of[error["index"]], error["message"])


def export_rows(org: Organization) -> Iterator[list[str]]:
    """The fleet's counted readings in the import's columns, oldest first per vehicle."""
    zone = ZoneInfo(org.time_zone)
    rows = (
        Reading.objects.filter(org=org, voided_at=None)
        .order_by("vehicle_id", "recorded_at", "id")
        .values_list("vehicle__vehicle_key", "odometer", "engine_hours", "recorded_at", "note")
    )
    for key, odometer, hours, taken, note in rows.iterator(chunk_size=5000):
        yield [
            key,
            "" if odometer is None else str(odometer),
            "" if hours is None else str(hours),
            taken.astimezone(zone).isoformat(),
            note,
        ]


READINGS = Kind(
    slug="readings",
    title="readings",
    fields={
        "vehicle_key": "Vehicle key",
        "vin": "VIN",
        "plate": "Plate",
        "odometer": "Odometer",
        "engine_hours": "Engine hours",
        "taken_at": "Taken at",
        "note": "Note",
    },
    aliases={"recorded_at": "taken_at", "vehicle": "vehicle_key", "hours": "engine_hours"},
    needs=_needs,
    store=store,
    export_rows=export_rows,
    export_columns=("vehicle_key", "odometer", "engine_hours", "taken_at", "note"),
    row_help="One reading a row: the vehicle (its key, VIN or plate), when it was taken, "
    "the odometer and/or engine hours, and a note.",
    chunk_size=BULK_READINGS_LIMIT,
)
