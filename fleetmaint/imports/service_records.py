"""Past service records from a file: work done before, kept in each vehicle's history.

Each row becomes a done task with its completion (``tasks.past``). A row
repeating a recorded service (same vehicle, day and time, service name and
odometer), a completed task or a serviced interval alike, or an earlier row of
the file, is skipped as a duplicate: importing the export again adds nothing.
"""

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models.functions import Lower

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports.kinds import (
    Chunk,
    Kind,
    KnownVehicle,
    need_one_vehicle_column,
    vehicle_field,
    vehicle_refusal,
    vehicles_named,
)
from fleetmaint.imports.tables import number_text, parse_moment, parse_money
from fleetmaint.intervals.models import IntervalService
from fleetmaint.tasks.models import TaskCompletion
from fleetmaint.tasks.past import PastService, past_service_check, past_services_record
from fleetmaint.vehicles.inputs import reading_engine_hours, reading_odometer


def _needs(columns: dict[str, int]) -> None:
    need_one_vehicle_column(columns)
    if "done_at" not in columns:
        raise ValidationFailed("Choose the column saying when the work was done.", field="mapping")
    if "service" not in columns:
        raise ValidationFailed("Choose the column saying what was done.", field="mapping")


def _service(chunk: Chunk, cells: list[str], vehicle: KnownVehicle) -> PastService:
    """The row's cells read into a past service, checked by the tasks' own rules."""
    done = chunk.cell(cells, "done_at")
    if not done:
        raise ValidationFailed("No date given.", field="done_at")
    past = PastService(
        vehicle_id=vehicle.id,
        done_at=parse_moment(done, chunk.zone, field="done_at"),
        description=chunk.cell(cells, "service"),
        odometer=reading_odometer(number_text(chunk.cell(cells, "odometer"))),
        engine_hours=reading_engine_hours(number_text(chunk.cell(cells, "engine_hours"))),
        cost=parse_money(chunk.cell(cells, "cost"), field="cost"),
        servicer=chunk.cell(cells, "servicer"),
        notes=chunk.cell(cells, "notes"),
    )
    return past_service_check(past, tracks_engine_hours=vehicle.tracks_engine_hours)


def _key(past: PastService) -> tuple:
    return (past.vehicle_id, past.done_at, past.description.lower(), past.odometer)


def _recorded(org: Organization, rows: list[PastService]) -> set[tuple]:
    """The keys of recorded services the rows could repeat: tasks done and intervals serviced."""
    if not rows:
        return set()
    ids = sorted({past.vehicle_id for past in rows})
    times = sorted({past.done_at for past in rows})
    tasks = TaskCompletion.objects.filter(
        org=org, reopened_at=None, vehicle_id__in=ids, done_at__in=times
    ).values_list("vehicle_id", "done_at", Lower("task__description"), "odometer")
    services = IntervalService.objects.filter(
        org=org, reopened_at=None, vehicle_id__in=ids, serviced_at__in=times
    ).values_list("vehicle_id", "serviced_at", Lower("interval__name"), "odometer")
    return set(tasks) | set(services)


def store(chunk: Chunk) -> None:
    """Records a chunk's new services in two inserts; recorded ones are duplicates."""
    outcome = chunk.outcome
    by = vehicle_field(chunk.columns)
    names = {chunk.cell(cells, by) for _, cells in chunk.rows} - {""}
    vehicles = vehicles_named(chunk.org, by, names)
    parsed: list[tuple[int, PastService]] = []
    for number, cells in chunk.rows:
        name = chunk.cell(cells, by)
        try:
            if not name:
                raise ValidationFailed("No vehicle given.", field=by)
            if refusal := vehicle_refusal(by, name, vehicles):
                raise ValidationFailed(refusal, field=by)
            parsed.append((number, _service(chunk, cells, vehicles[name])))
        except ValidationFailed as error:
            outcome.refuse(number, cells, error.message)
    recorded = _recorded(chunk.org, [past for _, past in parsed])
    fresh: list[PastService] = []
    for number, past in parsed:
        key = _key(past)
        if key in recorded or key in chunk.seen:
            outcome.duplicate(number)
            continue
        chunk.seen.add(key)
        fresh.append(past)
    outcome.imported += past_services_record(org=chunk.org, services=fresh, actor=chunk.actor)


def export_rows(org: Organization) -> Iterator[list[str]]:
    """The fleet's recorded services, tasks done then intervals serviced, oldest first."""
    zone = ZoneInfo(org.time_zone)
    columns = ("odometer", "engine_hours", "cost", "servicer", "notes")
    tasks = (
        TaskCompletion.objects.filter(org=org, reopened_at=None)
        .order_by("vehicle_id", "done_at", "id")
        .values_list("vehicle__vehicle_key", "done_at", "task__description", *columns)
    )
    services = (
        IntervalService.objects.filter(org=org, reopened_at=None)
        .order_by("vehicle_id", "serviced_at", "id")
        .values_list("vehicle__vehicle_key", "serviced_at", "interval__name", *columns)
    )
    for rows in (tasks, services):
        for key, done_at, name, odometer, hours, cost, servicer, notes in rows.iterator(2000):
            yield [
                key,
                done_at.astimezone(zone).isoformat(),
                name,
                "" if odometer is None else str(odometer),
                "" if hours is None else str(hours),
                str(cost),
                servicer,
                notes,
            ]


SERVICE_RECORDS = Kind(
    slug="service-records",
    title="service records",
    fields={
        "vehicle_key": "Vehicle key",
        "vin": "VIN",
        "plate": "Plate",
        "done_at": "Done at",
        "service": "Service",
        "odometer": "Odometer",
        "engine_hours": "Engine hours",
        "cost": "Cost",
        "servicer": "Servicer",
        "notes": "Notes",
    },
    aliases={
        "vehicle": "vehicle_key",
        "date": "done_at",
        "serviced_at": "done_at",
        "description": "service",
        "work": "service",
        "hours": "engine_hours",
        "mileage": "odometer",
        "shop": "servicer",
        "vendor": "servicer",
    },
    needs=_needs,
    store=store,
    export_rows=export_rows,
    export_columns=(
        "vehicle_key",
        "done_at",
        "service",
        "odometer",
        "engine_hours",
        "cost",
        "servicer",
        "notes",
    ),
    row_help="One service a row: the vehicle (its key, VIN or plate), when it was done, what "
    "was done, and optionally the odometer, engine hours, cost, servicer and notes. Each "
    "becomes a completed task in the vehicle's history; the schedule is not moved.",
    chunk_size=5_000,
)
