"""The request and response schemas of the servicers, quotes and service orders API."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from fleetmaint.api import order_rows
from fleetmaint.orders.models import Quote, ServiceOrder, Servicer

LooseInt = Annotated[Any, WithJsonSchema({"type": "integer"})]
LooseNumber = Annotated[Any, WithJsonSchema({"type": "number"})]
LooseText = Annotated[Any, WithJsonSchema({"type": "string"})]
LooseBool = Annotated[Any, WithJsonSchema({"type": "boolean"})]
LooseIds = Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "integer"}})]
LooseItems = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": "string", "description": "A catalogue code, quantity 1."},
                    {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "quantity": {"type": "integer", "minimum": 1, "default": 1},
                        },
                        "required": ["code"],
                    },
                ]
            },
        }
    ),
]
QuoteStatusName = Literal["pending", "accepted", "declined", "expired"]
OrderStatusFilter = Literal[
    "active", "pending", "accepted", "in-progress", "delayed", "completed", "canceled", "closed"
]


# --- input ----------------------------------------------------------------------------
# Plain pydantic models with loose types: the services check the values and name the
# field at fault, as the tasks API does.


class QuoteIn(BaseModel):
    type: LooseText = Field(
        "scheduled-maintenance",
        description="scheduled-maintenance, repair-depot or repair-onsite.",
    )
    vehicle_id: LooseInt = Field(None, description="The vehicle; or give its vin.")
    vin: LooseText = None
    items: LooseItems = Field(
        None,
        description="Catalogue codes, or {code, quantity} objects. Without items, the "
        "work of interval_ids and task_ids is asked for by name.",
    )
    preAuthorized: LooseNumber = Field(
        0, description="Found issues up to this amount are done without asking."
    )
    servicer_id: LooseInt = Field(
        None,
        description="Optional when the fleet works with exactly one servicer offering the type.",
    )
    interval_ids: LooseIds = Field(default_factory=list)
    task_ids: LooseIds = Field(default_factory=list)


class ReasonIn(BaseModel):
    reason: LooseText = ""


class AcceptIn(BaseModel):
    accepted: LooseBool = Field(None, description="true to take the order, false to decline.")
    reason: LooseText = Field("", description="Required when declining.")


class StatusIn(BaseModel):
    status: LooseText = Field(None, description="in-progress, delayed, completed or canceled.")
    reason: LooseText = Field("", description="Required for delayed and canceled.")
    odometer: LooseInt = Field(None, description="The vehicle's odometer, on completion.")


class IssueIn(BaseModel):
    description: LooseText = None
    cost: LooseNumber = None


class EventIn(BaseModel):
    """A seed-001 event: ``event`` names it; every other field is kept as sent."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "properties": {
                "event": {"type": "string", "example": "repair_started"},
                "notes": {"type": "string"},
            },
            "required": ["event"],
            "additionalProperties": True,
        },
    )


# --- output ---------------------------------------------------------------------------


class CatalogItemOut(Schema):
    code: str
    name: str
    price: Decimal
    duration_minutes: int


class ServicerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    service_types: list[str]
    currency: str
    auto_accept: bool
    catalog: list[CatalogItemOut]

    @staticmethod
    def resolve_catalog(obj: Servicer) -> list:
        return list(obj.catalog.all())


class ServicerRef(Schema):
    id: int
    name: str


class VehicleRef(Schema):
    id: int
    label: str
    vehicle_key: str
    vin: str


class ItemOut(Schema):
    code: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal


class QuoteOut(Schema):
    id: int
    status: QuoteStatusName
    type: str = Field(alias="service_type")
    vehicle: VehicleRef
    servicer: ServicerRef
    estimatedTime: int = Field(
        alias="estimated_minutes", description="Minutes of work, from the servicer's price list."
    )
    total: Decimal
    items: list[ItemOut]
    preAuthorized: Decimal = Field(alias="pre_authorized")
    validUntil: datetime = Field(alias="valid_until")
    createdAt: datetime = Field(alias="created_at")
    order_id: int | None = Field(None, description="The order placed from this quote.")

    @staticmethod
    def resolve_status(obj: Quote) -> str:
        return order_rows.quote_status(obj.status, obj.valid_until, timezone.now())

    @staticmethod
    def resolve_items(obj: Quote) -> list:
        return list(obj.items.all())

    @staticmethod
    def resolve_order_id(obj: Quote) -> int | None:
        order = getattr(obj, "order", None)
        return order.pk if order else None


class IssueOut(Schema):
    id: int
    order_id: int
    description: str
    cost: Decimal
    status: str
    reportedAt: datetime = Field(alias="reported_at")
    decidedAt: datetime | None = Field(alias="decided_at")


class OrderOut(Schema):
    id: int
    quote_id: int | None
    type: str = Field(alias="service_type")
    vehicle: VehicleRef
    servicer: ServicerRef
    status: str
    status_reason: str
    preAuthorized: Decimal = Field(alias="pre_authorized")
    total: Decimal = Field(description="All items, found issues included.")
    items: list[ItemOut]
    issues: list[IssueOut]
    estimatedCompletion: datetime | None = Field(alias="estimated_completion")
    completionOdometer: int | None = Field(alias="completion_odometer")
    version: int
    createdAt: datetime = Field(alias="created_at")
    updatedAt: datetime = Field(alias="updated_at")
    acceptedAt: datetime | None = Field(alias="accepted_at")
    completedAt: datetime | None = Field(alias="completed_at")

    @staticmethod
    def resolve_total(obj: ServiceOrder) -> Decimal:
        return sum((item.total for item in obj.items.all()), Decimal("0.00"))

    @staticmethod
    def resolve_items(obj: ServiceOrder) -> list:
        return list(obj.items.all())

    @staticmethod
    def resolve_issues(obj: ServiceOrder) -> list:
        return list(obj.issues.all())


class EventOut(Schema):
    id: int
    order_id: int
    event: str
    kind: str = Field(description="depot, onsite, other, or status for fleetmaint's own entries.")
    body: dict[str, Any] = Field(description="The event as the servicer sent it.")
    notes: str
    eventDate: datetime | None = Field(
        alias="event_date", description="When it happened, from the event's date field."
    )
    status: str = Field(alias="status_after", description="The order's status after the event.")
    createdAt: datetime = Field(alias="created_at")


class QuotePage(Schema):
    count: int
    items: list[QuoteOut]


class OrderPage(Schema):
    count: int
    items: list[OrderOut]
