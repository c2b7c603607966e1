"""Vehicles and readings over JSON; every rule is in vehicles.services and vehicles.readings."""

from datetime import datetime
from typing import Annotated, Any, Literal

import pydantic
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils.dateparse import parse_datetime
from ninja import Field, Query, Router, Schema, Status

from fleetmaint.api import changes
from fleetmaint.api.common import find_vehicle, rows_response
from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import Amount, CleanStr
from fleetmaint.vehicles import queries, readings, services
from fleetmaint.vehicles.inputs import (
    VehicleChanges,
    VehicleInput,
    reading_engine_hours,
    reading_odometer,
)
from fleetmaint.vehicles.models import ReadingSource, Vehicle
from fleetmaint.vehicles.reading_checks import MAX_ENGINE_HOURS
from fleetmaint.vehicles.unit_change import UnitConversionRequired

router = Router(tags=["vehicles"])

# Beyond any real list, and well inside what the database accepts as an OFFSET.
MAX_OFFSET = 1_000_000_000


class VehicleOut(Schema):
    id: int
    vehicle_key: str
    label: str
    vin: str
    make: str
    model: str
    year: int | None
    plate: str
    distance_unit: Literal["km", "mi"]
    tracks_engine_hours: bool
    powertrain: Literal["combustion", "diesel", "electric", "hybrid", "equipment"]
    notes: str
    archived: bool
    device_id: str = Field(description="The GPS tracker sending its readings, or empty.")
    odometer: int | None
    engine_hours: float | None


class VehiclePage(Schema):
    count: int
    items: list[VehicleOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")


class VehicleListQuery(Schema):
    search: str = ""
    archived: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    changed_since: str | None = Field(None, description=changes.HELP)


class ReadingOut(Schema):
    id: int
    odometer: int | None
    engine_hours: float | None
    recorded_at: datetime
    source: str
    is_correction: bool
    voided_at: datetime | None = Field(
        None, description="Set when the reading was voided: it no longer counts for any meter."
    )
    void_reason: str = ""


class ReadingIn(Schema):
    odometer: int | None = Field(None, ge=0)
    engine_hours: Amount(MAX_ENGINE_HOURS, 1) | None = None
    recorded_at: datetime | None = None
    is_correction: bool = False
    confirm_jump: bool = False
    note: CleanStr = Field("", max_length=255)


class ReadingPage(Schema):
    count: int
    items: list[ReadingOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")


class BulkReadingIn(pydantic.BaseModel):
    # Values are taken loosely here so that one malformed item is reported
    # with its index instead of failing the whole batch. A plain pydantic
    # model: ninja's Schema adds a validator per item for reading ORM
    # objects, which ten thousand items of plain JSON do not need.
    vehicle_id: Any = None
    vehicle_key: Any = None
    odometer: Any = None
    engine_hours: Any = None
    recorded_at: Any = None
    is_correction: bool = False
    confirm_jump: bool = False

    @pydantic.model_validator(mode="before")
    @classmethod
    def _any_item(cls, value: Any) -> Any:
        # An item that is not an object names no vehicle: it is reported by
        # its index like any other bad reading.
        return value if isinstance(value, dict) else {}


# What the document says of an item: a reading, or anything else, which is
# reported by its index like any other bad reading.
BulkItemIn = Annotated[
    BulkReadingIn,
    pydantic.WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "vehicle_id": {"type": "integer"},
                        "vehicle_key": {"type": "string"},
                        "odometer": {"type": "integer"},
                        "engine_hours": {"type": "number"},
                        "recorded_at": {"type": "string", "format": "date-time"},
                        "is_correction": {"type": "boolean"},
                        "confirm_jump": {"type": "boolean"},
                    },
                },
                {"not": {"type": "object"}},
            ],
            "description": "A reading; an item that is not an object is reported by its index.",
        }
    ),
]


class BulkError(Schema):
    index: int
    code: str
    field: str | None
    message: str


class BulkResultOut(Schema):
    created: int
    errors: list[BulkError]


# The lists read exactly the columns of their item schemas.
VEHICLE_FIELDS = tuple(VehicleOut.model_fields)
READING_FIELDS = tuple(ReadingOut.model_fields)


def _with_float_hours(values: dict) -> dict:
    """A row in its schema's shape: engine hours are numbers, as the schema writes them."""
    if values["engine_hours"] is not None:
        values["engine_hours"] = float(values["engine_hours"])
    return values


def _vehicle_items(rows: QuerySet) -> list[dict]:
    return [_with_float_hours(values) for values in rows.values(*VEHICLE_FIELDS)]


def _reading_items(rows: QuerySet) -> list[dict]:
    return [_with_float_hours(values) for values in rows.values(*READING_FIELDS)]


def _vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = find_vehicle(request, vehicle_id)
    if vehicle is None:
        raise Http404("Vehicle not found.")
    return vehicle


@router.get("/vehicles", response=VehiclePage)
def list_vehicles(request: HttpRequest, filters: Query[VehicleListQuery]):
    rows = queries.vehicle_list(
        request.org, queries.VehicleFilters(search=filters.search, archived=filters.archived)
    )
    if filters.changed_since is not None:
        return changes.changed_page(
            rows,
            filters.changed_since,
            moment="updated_at",
            limit=filters.limit,
            items_of=_vehicle_items,
        )
    page = rows.values(*VEHICLE_FIELDS)[filters.offset : filters.offset + filters.limit]
    items = [_with_float_hours(values) for values in page]
    return rows_response({"count": rows.count(), "items": items})


@router.post("/vehicles", response={201: VehicleOut})
def create_vehicle(request: HttpRequest, payload: VehicleInput):
    return Status(201, services.vehicle_add(org=request.org, data=payload))


@router.get("/vehicles/{vehicle_id}", response=VehicleOut)
def read_vehicle(request: HttpRequest, vehicle_id: int):
    return _vehicle(request, vehicle_id)


@router.patch("/vehicles/{vehicle_id}", response=VehicleOut)
def update_vehicle(request: HttpRequest, vehicle_id: int, payload: VehicleChanges):
    """Changes the values sent; the others stay as they are.

    A new `distance_unit` converts every distance of the vehicle. On a vehicle
    that holds any (readings, intervals, tasks, contracts, orders), send
    `"convert_distances": true` with it; without it the answer is 409
    `confirmation_required`, saying what would change, and nothing changes.
    """
    vehicle = _vehicle(request, vehicle_id)
    try:
        return services.vehicle_update(vehicle=vehicle, changes=payload)
    except UnitConversionRequired as question:
        # The same refusal, with the API's way to confirm it.
        raise UnitConversionRequired(
            question.change,
            advice='Send "convert_distances": true to convert them and change the unit.',
        ) from None


@router.delete("/vehicles/{vehicle_id}", response={204: None})
def delete_vehicle(request: HttpRequest, vehicle_id: int):
    services.vehicle_delete(vehicle=_vehicle(request, vehicle_id))
    return Status(204, None)


@router.get("/vehicles/{vehicle_id}/readings", response=ReadingPage)
def list_readings(
    request: HttpRequest,
    vehicle_id: int,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    changed_since: str | None = Query(None, description=changes.HELP),
):
    vehicle = _vehicle(request, vehicle_id)
    rows = queries.vehicle_readings(vehicle)
    if changed_since is not None:
        # A reading changes once after it is recorded: when it is voided.
        return changes.changed_page(
            rows,
            changed_since,
            moment=Coalesce("voided_at", "created_at"),
            limit=limit,
            items_of=_reading_items,
        )
    page = rows.values(*READING_FIELDS)[offset : offset + limit]
    items = [_with_float_hours(values) for values in page]
    return rows_response({"count": rows.count(), "items": items})


@router.post("/vehicles/{vehicle_id}/readings", response={201: ReadingOut})
def create_reading(request: HttpRequest, vehicle_id: int, payload: ReadingIn):
    vehicle = _vehicle(request, vehicle_id)
    reading = readings.reading_record(vehicle=vehicle, source=ReadingSource.API, **payload.dict())
    return Status(201, reading)


def _parse_bulk_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationFailed("recorded_at must be an ISO 8601 datetime.", field="recorded_at")
    return parsed


def _as_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@router.post("/readings/bulk", response=BulkResultOut)
def bulk_readings(request: HttpRequest, payload: list[BulkItemIn]):
    """Records up to 10,000 readings at once; each bad item is reported by its index.

    Good items are stored even when others are refused. Statuses and
    notifications follow at once; predicted dates are refreshed by a
    background job a few seconds after the batch is stored.
    """
    with readings.collector_paused():
        return _bulk_readings(request, payload)


def _bulk_readings(request: HttpRequest, payload: list[BulkReadingIn]) -> dict:
    items: list[readings.BulkItem] = []
    early_errors: list[dict] = []
    for index, row in enumerate(payload):
        try:
            # Typed here, at the edge; a value of the wrong kind is this item's error.
            odometer = reading_odometer(row.odometer)
            engine_hours = reading_engine_hours(row.engine_hours)
            recorded_at = _parse_bulk_time(row.recorded_at)
        except ValidationFailed as error:
            early_errors.append(
                {"index": index, "code": error.code, "field": error.field, "message": error.message}
            )
            continue
        items.append(
            readings.BulkItem(
                index=index,
                vehicle_id=_as_id(row.vehicle_id),
                vehicle_key=str(row.vehicle_key) if row.vehicle_key is not None else None,
                reading=readings.ReadingInput(
                    odometer=odometer,
                    engine_hours=engine_hours,
                    recorded_at=recorded_at,
                    is_correction=row.is_correction,
                    confirm_jump=row.confirm_jump,
                ),
            )
        )
    result = readings.readings_bulk_record(org=request.org, items=items)
    errors = sorted(early_errors + result.errors, key=lambda e: e["index"])
    return {"created": result.created, "errors": errors}
