"""Vehicle contracts over JSON (seed 002): list, read, create, and update in part or whole."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from fleetmaint.api.common import find_vehicle, rows_response
from fleetmaint.contracts import inputs, services
from fleetmaint.contracts.models import (
    ContractDocument,
    ContractStatus,
    ContractType,
    VehicleContract,
)
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


class ContractIn(BaseModel):
    """Values are taken as sent and checked by the service, which names the field at fault."""

    model_config = ConfigDict(extra="forbid")

    contract_type: Any = None
    number: Any = None
    provider: Any = None
    description: Any = None
    start_date: Any = None
    end_date: Any = None
    start_odometer: Any = None
    distance_limit: Any = None
    price: Any = None
    currency: Any = None
    covered_services: Any = None
    terms: Any = None
    status: Any = None


class CancelIn(BaseModel):
    reason: Any = None


class ContractPage(Schema):
    count: int
    items: list[ContractOut]


class ContractFilters(Schema):
    type: Literal[tuple(ContractType.values)] | None = None  # type: ignore[valid-type]
    status: Literal[tuple(ContractStatus.values)] | None = None  # type: ignore[valid-type]


def _vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = find_vehicle(request, vehicle_id)
    if vehicle is None:
        raise Http404("Vehicle not found.")
    return vehicle


def _contract(request: HttpRequest, vehicle_id: int, contract_id: int) -> VehicleContract:
    vehicle = _vehicle(request, vehicle_id)
    contract = (
        VehicleContract.objects.filter(vehicle=vehicle, pk=contract_id)
        .select_related("vehicle", "vehicle__org")
        .prefetch_related("documents")
        .first()
    )
    if contract is None:
        raise Http404("Contract not found.")
    return contract


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
    names = ContractDocument.objects.filter(contract_id__in=by_contract).values_list(
        "contract_id", "name"
    )
    for contract_id, name in names:  # in the documents' own order: name, id
        by_contract[contract_id]["documents"].append(name)


def _given(payload: ContractIn) -> dict:
    """The fields the client sent, typed and checked at this edge (contracts.inputs)."""
    return inputs.contract_values(payload.model_dump(exclude_unset=True))


@router.get("/vehicles/{vehicle_id}/contracts", response=ContractPage)
def list_contracts(request: HttpRequest, vehicle_id: int, filters: Query[ContractFilters]):
    vehicle = _vehicle(request, vehicle_id)
    rows = VehicleContract.objects.filter(vehicle=vehicle)
    if filters.type:
        rows = rows.filter(contract_type=filters.type)
    if filters.status:
        rows = rows.filter(status=filters.status)
    items = [_item(values) for values in rows.values(*_ROW_FIELDS)]
    _attach_documents(items)
    return rows_response({"count": len(items), "items": items})


@router.post("/vehicles/{vehicle_id}/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, vehicle_id: int, payload: ContractIn):
    contract = services.contract_create(
        vehicle=_vehicle(request, vehicle_id), values=_given(payload)
    )
    return Status(201, contract)


@router.get("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def read_contract(request: HttpRequest, vehicle_id: int, contract_id: int):
    return _contract(request, vehicle_id, contract_id)


@router.patch("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def patch_contract(request: HttpRequest, vehicle_id: int, contract_id: int, payload: ContractIn):
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_update(contract=contract, values=_given(payload))


@router.put("/vehicles/{vehicle_id}/contracts/{contract_id}", response=ContractOut)
def put_contract(request: HttpRequest, vehicle_id: int, contract_id: int, payload: ContractIn):
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_update(contract=contract, values=_given(payload), whole=True)


@router.post("/vehicles/{vehicle_id}/contracts/{contract_id}/cancel", response=ContractOut)
def cancel_contract(request: HttpRequest, vehicle_id: int, contract_id: int, payload: CancelIn):
    contract = _contract(request, vehicle_id, contract_id)
    return services.contract_cancel(contract=contract, reason=payload.reason)
