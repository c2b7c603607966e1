"""Vehicle contracts over JSON (seed 002): list, read, create, and update in part or whole."""

from datetime import date, datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fleetmaint.api import changes
from fleetmaint.api.common import find_vehicle, rows_response
from fleetmaint.contracts import queries, services
from fleetmaint.contracts.inputs import ContractChanges, ContractInput
from fleetmaint.contracts.models import (
    ContractStatus,
    ContractType,
    VehicleContract,
)
from fleetmaint.inputs import CleanStr
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["contracts"])


class ContractOut(Schema):
    id: int
    vehicle_id: int
    contract_type: str
    number: str
    provider: str
    description: str
    start_date: date
    end_date: date | None
    start_odometer: int | None
    distance_limit: int | None
    ends_at_odometer: int | None
    price: float | None
    currency: str
    covered_services: list[str]
    terms: str
    status: str
    cancel_reason: str
    documents: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_documents(obj: VehicleContract) -> list[str]:
        return [d.name for d in obj.documents.all()]


class CancelIn(Schema):
    reason: CleanStr = Field("", max_length=500)


class ContractPage(Schema):
    count: int
    items: list[ContractOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")


class ContractFilters(Schema):
    type: Literal[tuple(ContractType.values)] | None = None  # type: ignore[valid-type]
    status: Literal[tuple(ContractStatus.values)] | None = None  # type: ignore[valid-type]
    changed_since: str | None = Field(None, description=changes.HELP)
    limit: int = Field(500, ge=1, le=500, description="With `changed_since`: rows per answer.")


def _vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = find_vehicle(request, vehicle_id)
    if vehicle is None:
        raise Http404("Vehicle not found.")
    return vehicle


def _contract(request: HttpRequest, vehicle_id: int, contract_id: int) -> VehicleContract:
    return queries.contract_for(_vehicle(request, vehicle_id), contract_id)


# The columns of ContractOut; the documents' names come in one more query.
_ROW_FIELDS = tuple(name for name in ContractOut.model_fields if name != "documents")


def _item(values: dict) -> dict:
    """A contract's row in ContractOut's shape: the price as a number, documents to come."""
    if values["price"] is not None:
        values["price"] = float(values["price"])
    values["documents"] = []
    return {name: values[name] for name in ContractOut.model_fields}


def _attach_documents(items: list[dict]) -> None:
    by_contract = {item["id"]: item for item in items}
    if not by_contract:
        return
    for contract_id, name in queries.document_names(
        by_contract
    ):  # in the documents' own order: name, id
        by_contract[contract_id]["documents"].append(name)


@router.get("/vehicles/{vehicle_id}/contracts", response=ContractPage)
def list_contracts(request: HttpRequest, vehicle_id: int, filters: Query[ContractFilters]):
    vehicle = _vehicle(request, vehicle_id)
    rows = queries.vehicle_contracts_filtered(
        vehicle, contract_type=filters.type or "", status=filters.status or ""
    )
    if filters.changed_since is not None:
        return changes.changed_page(
            rows,
            filters.changed_since,
            moment="updated_at",
            limit=filters.limit,
            items_of=_items,
        )
    items = _items(rows)
    return rows_response({"count": len(items), "items": items})


def _items(rows: QuerySet) -> list[dict]:
    items = [_item(values) for values in rows.values(*_ROW_FIELDS)]
    _attach_documents(items)
    return items


@router.post("/vehicles/{vehicle_id}/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, vehicle_id: int, payload: ContractInput):
    contract = services.contract_create(vehicle=_vehicle(request, vehicle_id), data=payload)
    return Status(201, contract)


@router.get("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def read_contract(request: HttpRequest, vehicle_id: int, contract_id: int):
    return _contract(request, vehicle_id, contract_id)


@router.patch("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def patch_contract(
    request: HttpRequest, vehicle_id: int, contract_id: int, payload: ContractChanges
):
    """Changes the values sent; the others stay as they are."""
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_update(contract=contract, changes=payload)


@router.put("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def put_contract(request: HttpRequest, vehicle_id: int, contract_id: int, payload: ContractInput):
    """Replaces the whole contract: the values left out get their defaults."""
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_replace(contract=contract, data=payload)


@router.post("/vehicles/{vehicle_id}/contracts/{contract_id}/cancel", response=ContractOut)
def cancel_contract(request: HttpRequest, vehicle_id: int, contract_id: int, payload: CancelIn):
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_cancel(contract=contract, reason=payload.reason)
