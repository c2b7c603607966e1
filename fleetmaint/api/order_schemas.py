"""The request and response schemas of the servicers, quotes and service orders API.

Requests are strict: a number is a JSON number, an id a JSON integer, text has
no NUL byte or lone surrogate (``CleanStr``). A refusal names the field's path,
such as ``items.0.quantity``.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)

from fleetmaint.inputs import Amount, CleanStr
from fleetmaint.orders.models import OrderStatus, Quote, ServiceOrder, Servicer
from fleetmaint.orders.quotes import MAX_QUANTITY
from fleetmaint.orders.services import MAX_MONEY

MAX_ID = 2**63 - 1
MAX_ITEMS = 100
MAX_REASON = 500
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
# Money as a JSON number or a decimal string ("200.00", as the answers write it).
Money = Amount(MAX_MONEY, 2)
QuoteTypeName = Literal[
    "scheduled-maintenance",
    "repair-depot",
    "repair-onsite",
    "repair",
    "scheduled_maintenance",
    "repair_depot",
    "repair_onsite",
]
QuoteStatusName = Literal["pending", "accepted", "declined", "expired"]
OrderStatusFilter = Literal[
    "active", "pending", "accepted", "in-progress", "delayed", "completed", "canceled", "closed"
]


# --- input ----------------------------------------------------------------------------


class StrictIn(BaseModel):
    model_config = ConfigDict(strict=True)


class ItemIn(StrictIn):
    code: Annotated[CleanStr, Field(min_length=1, max_length=60)]
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1


def _code_alone(value: object) -> object:
    """A bare catalogue code stands for that item, quantity 1."""
    return {"code": value} if isinstance(value, str) else value


# Documented as what a client may send: a code, or the object it stands for.
ItemEntry = Annotated[
    ItemIn,
    BeforeValidator(_code_alone),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 60, "description": "A code."},
                {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "minLength": 1, "maxLength": 60},
                        "quantity": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_QUANTITY,
                            "default": 1,
                        },
                    },
                    "required": ["code"],
                },
            ]
        }
    ),
]


class QuoteIn(StrictIn):
    # The vehicle is named by its id or its vin: the document says one of them is given.
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "anyOf": [
                {"required": ["vehicle_id"], "properties": {"vehicle_id": {"type": "integer"}}},
                {
                    "required": ["vin"],
                    "properties": {"vin": {"type": "string", "pattern": r"\S"}},
                },
            ]
        },
    )

    type: QuoteTypeName = Field(
        "scheduled-maintenance",
        description="scheduled-maintenance, repair-depot or repair-onsite.",
    )
    vehicle_id: Id | None = Field(None, description="The vehicle; or give its vin.")
    vin: Annotated[CleanStr, Field(max_length=32)] | None = None
    items: Annotated[list[ItemEntry], Field(max_length=MAX_ITEMS)] | None = Field(
        None,
        description="Catalogue codes, or {code, quantity} objects. Without items, the "
        "work of interval_ids and task_ids is asked for by name.",
    )
    preAuthorized: Money = Field(
        Decimal("0"), description="Found issues up to this amount are done without asking."
    )
    servicer_id: Id | None = Field(
        None,
        description="Optional when the fleet works with exactly one servicer offering the type.",
    )
    interval_ids: Annotated[list[Id], Field(max_length=1000)] = Field(default_factory=list)
    task_ids: Annotated[list[Id], Field(max_length=1000)] = Field(default_factory=list)


Reason = Annotated[CleanStr, Field(max_length=MAX_REASON)]


class ReasonIn(StrictIn):
    reason: Reason = ""


class AcceptIn(StrictIn):
    accepted: StrictBool = Field(description="true to take the order, false to decline.")
    reason: Reason = Field("", description="Required when declining.")


def _whole_number(value: object) -> object:
    """A JSON integer; 670.0 is one too, to JSON Schema and so here. Text and booleans are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


class StatusIn(StrictIn):
    status: Annotated[OrderStatus, Strict(False)] = Field(
        description="in-progress, delayed, completed or canceled."
    )
    reason: Reason = Field("", description="Required for delayed and canceled.")
    odometer: Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=10**9)] | None = Field(
        None, description="The vehicle's odometer, on completion."
    )


class IssueIn(StrictIn):
    description: Annotated[CleanStr, Field(max_length=MAX_REASON)]
    cost: Money


class EventIn(BaseModel):
    """A seed-001 event: ``event`` names it; every other field is kept as sent.

    The body is bounded (orders.events.EVENT_BOUNDS): at most 8 levels deep,
    100 keys per object or items per list, keys of up to 100 characters and
    texts of up to 5,000.
    """

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


class ContractRef(Schema):
    id: int
    number: str
    contract_type: str


class ItemOut(Schema):
    code: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    covered_by: ContractRef | None = Field(
        None,
        description="The vehicle's contract that pays for this item (marked when the quote "
        "was made, from the contracts active then), or null when the fleet pays.",
    )


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
    covered_total: Decimal = Field(description="What contracts pay: the covered items.")
    payable_total: Decimal = Field(description="What the fleet pays: total - covered_total.")
    items: list[ItemOut]
    preAuthorized: Decimal = Field(alias="pre_authorized")
    validUntil: datetime = Field(alias="valid_until")
    createdAt: datetime = Field(alias="created_at")
    order_id: int | None = Field(None, description="The order placed from this quote.")

    @staticmethod
    def resolve_status(obj: Quote) -> str:
        # Quotes are read through orders.queries, which annotate the effective status.
        return obj.effective_status

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
    covered_total: Decimal = Field(description="What contracts pay: the covered items.")
    payable_total: Decimal = Field(description="What the fleet pays: total - covered_total.")
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
    eventDateReceived: bool = Field(
        alias="date_received",
        description="True when the event came without its date and eventDate is the moment "
        "it was received.",
    )
    status: str = Field(alias="status_after", description="The order's status after the event.")
    createdAt: datetime = Field(alias="created_at")


class QuotePage(Schema):
    count: int
    items: list[QuoteOut]


class OrderPage(Schema):
    count: int
    items: list[OrderOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")
