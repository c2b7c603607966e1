"""The maintenance schedule over JSON; every rule is in intervals.services."""

from datetime import datetime
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from fleetmaint.api import changes
from fleetmaint.api.common import find_vehicle, rows_response
from fleetmaint.days import HORIZON_WORDS
from fleetmaint.errors import DomainError
from fleetmaint.inputs import CleanStr
from fleetmaint.intervals import queries, services
from fleetmaint.intervals.models import MAX_MILEAGE, ServiceInterval
from fleetmaint.intervals.refusals import MESSAGES, Reason, ScheduleNotFound
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.tasks.inputs import Moment, OptionalWhole
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["intervals"])


class IntervalOut(Schema):
    id: int
    vehicle_id: int
    name: str
    service_at_mileage: int | None
    service_at_date: datetime | None
    notes: str
    preset: str | None
    predicted_due_at: datetime | None
    maintenance_required: bool
    due_at: datetime | None
    created_at: datetime
    last_updated: datetime
    serviced_at: datetime | None = Field(
        None, description="When it was serviced; null while it is open."
    )
    serviced_odometer: int | None = Field(
        None, description="The odometer recorded when it was serviced."
    )
    serviced_by_order_id: int | None = Field(
        None, description="The service order whose completion serviced it, if one did."
    )

    @staticmethod
    def resolve_preset(obj: ServiceInterval) -> str | None:
        return obj.preset.name if obj.preset_id else None

    @staticmethod
    def resolve_serviced_by_order_id(obj: ServiceInterval) -> int | None:
        return getattr(obj, "serviced_order_id", None)

    @staticmethod
    def resolve_maintenance_required(obj: ServiceInterval) -> bool:
        required = getattr(obj, "is_required", None)
        return services.is_required(obj, timezone.now()) if required is None else required


class IntervalIn(Schema):
    name: CleanStr = Field("", max_length=120)
    service_at_mileage: int | None = Field(
        None, description="At or above the vehicle's current odometer."
    )
    service_at_date: datetime | None = Field(
        None,
        description=f"Within {HORIZON_WORDS} from today; a day before today needs already_overdue.",
    )
    notes: CleanStr = ""
    already_overdue: StrictBool = Field(
        False,
        description="Confirms that a service_at_date before today is meant: the interval "
        "is required at once. Without it such a date is refused.",
    )


class NotesIn(Schema):
    notes: CleanStr


class ServicedIn(CompletionInput):
    """What happened; ``serviced_at`` is the date (``done_at`` is taken too)."""

    serviced_at: Moment | None = Field(None, description="When it was serviced. Default: now.")
    odometer: OptionalWhole(0, MAX_MILEAGE) = Field(
        None, description="Default: the vehicle's current odometer."
    )


class ServiceOut(Schema):
    id: int
    interval_id: int
    serviced_at: datetime
    odometer: int | None
    engine_hours: float | None
    cost: float
    servicer: str
    notes: str
    reopened_at: datetime | None


class IntervalPage(Schema):
    count: int
    items: list[IntervalOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")


class Generated(Schema):
    created: int = Field(description="Intervals and engine-hour tasks made.")
    intervals: int = Field(description="Intervals made by distance and time presets.")
    tasks: int = Field(description="Repeating tasks made by engine-hour presets.")
    waiting: int = Field(
        description="Engine-hour items not made yet: the vehicle has no engine-hours reading."
    )


def _generated(result: services.Generated) -> dict:
    return {
        "created": result.total,
        "intervals": result.intervals,
        "tasks": result.tasks,
        "waiting": result.waiting,
    }


class ServicedOut(Schema):
    serviced: IntervalOut
    next: IntervalOut | None


def _vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = find_vehicle(request, vehicle_id)
    if vehicle is None:
        raise Http404(MESSAGES[Reason.VEHICLE_UNKNOWN])
    return vehicle


def _interval(request: HttpRequest, interval_id: int) -> ServiceInterval:
    try:
        return queries.open_interval_in(request.org, interval_id)
    except ScheduleNotFound as missing:
        # The id is in the path, not a field of the body.
        raise Http404(missing.message) from None


# The columns of IntervalOut; the preset's name and the state come from the query.
_ROW_FIELDS = (
    "id",
    "vehicle_id",
    "name",
    "service_at_mileage",
    "service_at_date",
    "notes",
    "preset__name",
    "predicted_due_at",
    "is_required",
    "due_at",
    "created_at",
    "last_updated",
    "serviced_at",
    "serviced_odometer",
    "serviced_order_id",
)


def _item(values: dict) -> dict:
    """A row of ``queries.open_intervals`` in IntervalOut's shape and order."""
    values["preset"] = values.pop("preset__name")
    values["maintenance_required"] = values.pop("is_required")
    values["serviced_by_order_id"] = values.pop("serviced_order_id")
    return {name: values[name] for name in IntervalOut.model_fields}


def _items(rows: QuerySet) -> list[dict]:
    return [_item(values) for values in rows.values(*_ROW_FIELDS)]


def _page(rows, limit: int, offset: int) -> HttpResponse:
    """A page of open intervals (annotated with ``is_required``) read as rows."""
    page = rows.values(*_ROW_FIELDS)[offset : offset + limit]
    return rows_response({"count": rows.count(), "items": [_item(values) for values in page]})


@router.get("/intervals", response=IntervalPage)
def list_intervals(
    request: HttpRequest,
    status: Annotated[
        Literal["open", "serviced", "all"],
        Query(description="open (the default): not serviced yet; serviced; or all."),
    ] = "open",
    maintenance_required: bool | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
    changed_since: str | None = Query(None, description=changes.HELP),
):
    """The fleet's intervals by id; a serviced one is never ``maintenance_required``."""
    rows = queries.api_intervals(request.org, status, maintenance_required)
    if changed_since is not None:
        return changes.changed_page(
            rows, changed_since, moment="last_updated", limit=limit, items_of=_items
        )
    return _page(rows, limit, offset)


@router.post("/intervals/generate", response=Generated)
def generate_for_fleet(request: HttpRequest):
    """The fitting presets' intervals and engine-hour tasks for every active vehicle."""
    return _generated(services.schedule_generate(org=request.org))


@router.get("/vehicles/{vehicle_id}/intervals", response=IntervalPage)
def list_vehicle_intervals(
    request: HttpRequest,
    vehicle_id: int,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    vehicle = _vehicle(request, vehicle_id)
    return _page(queries.open_rows(queries.vehicle_schedule(vehicle)), limit, offset)


@router.post("/vehicles/{vehicle_id}/intervals", response={201: IntervalOut})
def create_interval(request: HttpRequest, vehicle_id: int, payload: IntervalIn):
    vehicle = _vehicle(request, vehicle_id)
    try:
        interval = services.interval_create(
            vehicle=vehicle,
            name=payload.name,
            odometer=payload.service_at_mileage,
            time=payload.service_at_date,
            notes=payload.notes,
            already_overdue=payload.already_overdue,
        )
    except DomainError as error:
        # The service names its own arguments (odometer, time); name this body's fields.
        error.field = _CREATE_FIELDS.get(error.field, error.field)
        raise
    return Status(201, interval)


_CREATE_FIELDS = {"odometer": "service_at_mileage", "time": "service_at_date"}


@router.post("/vehicles/{vehicle_id}/intervals/generate", response=Generated)
def generate_for_vehicle(request: HttpRequest, vehicle_id: int):
    vehicle = _vehicle(request, vehicle_id)
    return _generated(services.schedule_generate(org=request.org, vehicles=[vehicle]))


@router.get("/intervals/{interval_id}", response=IntervalOut)
def read_interval(request: HttpRequest, interval_id: int):
    """An open or a serviced interval (``serviced_at`` set); 404 once it is removed."""
    try:
        return queries.interval_in(request.org, interval_id)
    except ScheduleNotFound as missing:
        raise Http404(missing.message) from None


@router.patch("/intervals/{interval_id}", response=IntervalOut)
def update_notes(request: HttpRequest, interval_id: int, payload: NotesIn):
    """Appends to the notes; when both together are too long, the new note replaces them."""
    return services.interval_update_notes(
        interval=_interval(request, interval_id), notes=payload.notes
    )


@router.delete("/intervals/{interval_id}", response={204: None})
def delete_interval(request: HttpRequest, interval_id: int):
    services.interval_remove(interval=_interval(request, interval_id))
    return Status(204, None)


@router.post("/intervals/{interval_id}/serviced", response=ServicedOut)
def mark_serviced(request: HttpRequest, interval_id: int, payload: ServicedIn):
    """Records what happened and closes the interval; a preset's next one is in ``next``.

    A given meter value is recorded as a reading through the reading rules: below
    the current one it is refused (400, naming the current value and its date); an
    implausible jump needs ``confirm_jump`` (400, code ``confirmation_required``).
    """
    interval = _interval(request, interval_id)
    completion = payload
    if payload.serviced_at is not None:
        completion = payload.model_copy(update={"done_at": payload.serviced_at})
    following = services.interval_mark_serviced(
        interval=interval, completion=completion, actor=_actor(request)
    )
    return {"serviced": queries.interval_in(request.org, interval.pk), "next": following}


@router.post("/intervals/{interval_id}/reopen", response=IntervalOut)
def reopen_interval(request: HttpRequest, interval_id: int):
    """Takes back a service recorded by mistake; it stays in ``services`` as reopened.

    The next interval its preset scheduled is removed when untouched (not serviced,
    no note added, on no quote or order); otherwise 409 says why.
    """
    interval = ServiceInterval.objects.filter(org=request.org, pk=interval_id).first()
    if interval is None:
        raise Http404("There is no service interval with that id.")
    return services.interval_reopen(interval=interval, actor=_actor(request))


@router.get("/intervals/{interval_id}/services", response=list[ServiceOut])
def list_interval_services(request: HttpRequest, interval_id: int):
    """Every time the interval was serviced, newest first, reopened ones included."""
    interval = ServiceInterval.objects.filter(org=request.org, pk=interval_id).first()
    if interval is None:
        raise Http404("There is no service interval with that id.")
    return list(interval.services.order_by("-serviced_at", "-pk"))


def _actor(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
