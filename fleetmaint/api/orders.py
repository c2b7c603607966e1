"""Servicers, quotes and service orders over JSON (seeds 000 and 001); rules in orders.services.

Two kinds of caller use these endpoints:

- a fleet, with its organization's API key: asks for quotes, places orders,
  cancels and closes them, decides on found issues;
- a servicer, with a servicer's API key: accepts or declines the orders sent
  to it, moves them along, reports found issues and posts events. A servicer
  sees only the orders sent to it; any other order is a 404.

Reads of orders and their timeline take either kind of key.

``estimatedTime`` of a quote is the number of minutes of work the servicer's
price list gives for the items, not a time of day: a quote is not an
appointment, and a moment computed at read time would drift from one read to
the next. An order carries ``estimatedCompletion``, a moment, set when the
order is placed and moved by the servicer's ``repair_eta`` events.

Money goes out as decimal strings (``"200.00"``), as in the webhooks.
"""

from typing import Annotated

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from fleetmaint.api import order_rows
from fleetmaint.api.common import rows_response
from fleetmaint.api.main import ApiKeyAuth
from fleetmaint.api.order_schemas import (
    AcceptIn,
    EventIn,
    EventOut,
    IssueIn,
    IssueOut,
    OrderOut,
    OrderPage,
    OrderStatusFilter,
    QuoteIn,
    QuoteOut,
    QuotePage,
    QuoteStatusName,
    ReasonIn,
    ServicerOut,
    StatusIn,
)
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries, services
from fleetmaint.orders.models import (
    FoundIssue,
    OrderEvent,
    OrderStatus,
    Quote,
    QuoteStatus,
    ServiceOrder,
)
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["orders"])

FLEET = ApiKeyAuth()
SERVICER = ApiKeyAuth(fleet=False, servicer=True)
EITHER = ApiKeyAuth(fleet=True, servicer=True)

MAX_OFFSET = 1_000_000_000
MAX_ITEMS = 100
# What a servicer may set through /status; accepting has its own endpoint, closing is the fleet's.
SERVICER_STATUSES = (
    OrderStatus.IN_PROGRESS,
    OrderStatus.DELAYED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELED,
)


# --- helpers --------------------------------------------------------------------------


def _whole_number(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be a whole number.", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    raise ValidationFailed(f"{field} must be a whole number.", field=field)


def _ids(values: object, field: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise ValidationFailed(f"{field} must be a list of ids.", field=field)
    return [_whole_number(value, field) for value in values]


def _quote_vehicle(request: HttpRequest, vehicle_id: object, vin: object) -> Vehicle:
    vehicles = Vehicle.objects.for_org(request.org).select_related("org")
    if vehicle_id is not None:
        vehicle = vehicles.filter(pk=_whole_number(vehicle_id, "vehicle_id")).first()
        if vehicle is None:
            raise NotFound("Vehicle not found.", field="vehicle_id")
        return vehicle
    if vin is None or vin == "":
        raise ValidationFailed("Send the vehicle's vehicle_id or its vin.", field="vehicle_id")
    if not isinstance(vin, str):
        raise ValidationFailed("vin must be text.", field="vin")
    matches = list(vehicles.filter(vin=vin.strip().upper().replace(" ", ""))[:2])
    if not matches:
        raise NotFound("No vehicle of this fleet has that VIN.", field="vin")
    if len(matches) > 1:
        raise ValidationFailed(
            "Several vehicles of this fleet have that VIN; send vehicle_id.", field="vin"
        )
    return matches[0]


def _item_requests(items: object) -> list[services.ItemRequest]:
    if not isinstance(items, list):
        raise ValidationFailed(
            "items must be a list of catalogue codes or {code, quantity} objects.", field="items"
        )
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"Ask for at most {MAX_ITEMS} items.", field="items")
    requests = []
    for entry in items:
        if isinstance(entry, str):
            code, quantity = entry, 1
        elif isinstance(entry, dict):
            code, quantity = entry.get("code"), entry.get("quantity", 1)
        else:
            raise ValidationFailed(
                "Each item is a catalogue code or a {code, quantity} object.", field="items"
            )
        if not isinstance(code, str) or not code.strip():
            raise ValidationFailed("Each item needs a code.", field="items")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationFailed("quantity must be a whole number.", field="items")
        requests.append(services.ItemRequest(code=code.strip(), quantity=quantity))
    return requests


def _quotes(request: HttpRequest) -> QuerySet[Quote]:
    return queries.org_quotes(request.org).select_related("order")


def _quote(request: HttpRequest, quote_id: int) -> Quote:
    quote = _quotes(request).filter(pk=quote_id).first()
    if quote is None:
        raise NotFound("Quote not found.")
    return quote


def _orders(request: HttpRequest, status: str = "") -> QuerySet[ServiceOrder]:
    """The caller's orders: the fleet's own, or those sent to the servicer."""
    if request.servicer is not None:
        orders = queries.servicer_orders(request.servicer, status)
    else:
        orders = queries.org_orders(request.org, status)
    return orders.select_related("vehicle", "servicer").prefetch_related("issues")


def _order(request: HttpRequest, order_id: int) -> ServiceOrder:
    """The order, or a 404 for another fleet's order or one sent to another servicer."""
    if request.servicer is not None:
        return services.order_for_servicer(request.servicer, order_id)
    return services.order_for_org(request.org, order_id)


def _order_out(request: HttpRequest, order_id: int) -> ServiceOrder:
    order = _orders(request).filter(pk=order_id).first()
    if order is None:
        raise NotFound("Service order not found.")
    return order


def _issue(request: HttpRequest, order_id: int, issue_id: int) -> FoundIssue:
    order = _order(request, order_id)
    issue = FoundIssue.objects.filter(order=order, pk=issue_id).first()
    if issue is None:
        raise NotFound("Issue not found.")
    return issue


# --- servicers ------------------------------------------------------------------------


@router.get("/servicers", response=list[ServicerOut], auth=FLEET)
def list_servicers(request: HttpRequest):
    """The servicers this fleet works with, with their price lists."""
    return list(services.servicers_for(request.org))


# --- quotes ---------------------------------------------------------------------------


@router.post("/quotes", response={201: QuoteOut}, auth=FLEET)
def create_quote(request: HttpRequest, payload: QuoteIn):
    """Prices the items from the servicer's catalogue; the quote is valid for 14 days."""
    vehicle = _quote_vehicle(request, payload.vehicle_id, payload.vin)
    servicer = services.servicer_choose(request.org, payload.servicer_id, payload.type)
    interval_ids = _ids(payload.interval_ids, "interval_ids")
    task_ids = _ids(payload.task_ids, "task_ids")
    if payload.items is None and (interval_ids or task_ids):
        items = services.items_for_due_work(
            servicer,
            ServiceInterval.objects.filter(vehicle=vehicle, pk__in=interval_ids, serviced_at=None),
            ServiceTask.objects.filter(vehicle=vehicle, pk__in=task_ids).exclude(status="done"),
        )
    else:
        items = _item_requests(payload.items if payload.items is not None else [])
    quote = services.quote_create(
        org=request.org,
        vehicle=vehicle,
        servicer=servicer,
        service_type=payload.type,
        items=items,
        pre_authorized=payload.preAuthorized,
        interval_ids=interval_ids,
        task_ids=task_ids,
    )
    return Status(201, _quote(request, quote.pk))


@router.get("/quotes", response=QuotePage, auth=FLEET)
def list_quotes(
    request: HttpRequest,
    status: QuoteStatusName | None = None,
    vehicle_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Newest first. A pending quote past its validUntil counts as expired."""
    rows = _quotes(request)
    now = timezone.now()
    if status == QuoteStatus.PENDING:
        rows = rows.filter(status=QuoteStatus.PENDING, valid_until__gte=now)
    elif status == QuoteStatus.EXPIRED:
        rows = rows.filter(
            Q(status=QuoteStatus.EXPIRED) | Q(status=QuoteStatus.PENDING, valid_until__lt=now)
        )
    elif status:
        rows = rows.filter(status=status)
    if vehicle_id is not None:
        rows = rows.filter(vehicle_id=vehicle_id)
    items = order_rows.quote_items(rows[offset : offset + limit], now)
    return rows_response({"count": rows.count(), "items": items})


@router.get("/quotes/{quote_id}", response=QuoteOut, auth=FLEET)
def read_quote(request: HttpRequest, quote_id: int):
    return _quote(request, quote_id)


@router.post("/quotes/{quote_id}/accept", response={201: OrderOut}, auth=FLEET)
def accept_quote(request: HttpRequest, quote_id: int):
    """Places the order; accepting the same quote again answers with the same order."""
    order = services.quote_accept(quote=_quote(request, quote_id))
    return Status(201, _order_out(request, order.pk))


@router.post("/quotes/{quote_id}/decline", response=QuoteOut, auth=FLEET)
def decline_quote(request: HttpRequest, quote_id: int):
    services.quote_decline(quote=_quote(request, quote_id))
    return _quote(request, quote_id)


# --- orders ---------------------------------------------------------------------------


@router.get("/orders", response=OrderPage, auth=EITHER)
def list_orders(
    request: HttpRequest,
    status: Annotated[
        OrderStatusFilter | None,
        Query(description="One status, or active: pending, accepted, in-progress or delayed."),
    ] = None,
    vehicle_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """A fleet's orders, or, with a servicer key, the orders sent to the servicer."""
    rows = _orders(request, status or "")
    if vehicle_id is not None:
        rows = rows.filter(vehicle_id=vehicle_id)
    items = order_rows.order_items(rows[offset : offset + limit])
    return rows_response({"count": rows.count(), "items": items})


@router.get("/orders/{order_id}", response=OrderOut, auth=EITHER)
def read_order(request: HttpRequest, order_id: int):
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/cancel", response=OrderOut, auth=FLEET)
def cancel_order(request: HttpRequest, order_id: int, payload: ReasonIn):
    """Cancels an order that is not completed yet; say why."""
    services.order_set_status(
        order=_order(request, order_id), status=OrderStatus.CANCELED, reason=payload.reason
    )
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/close", response=OrderOut, auth=FLEET)
def close_order(request: HttpRequest, order_id: int):
    """Closes a completed or canceled order; it takes no more events."""
    services.order_set_status(order=_order(request, order_id), status=OrderStatus.CLOSED)
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/accept", response=OrderOut, auth=SERVICER)
def accept_order(request: HttpRequest, order_id: int, payload: AcceptIn):
    """The servicer takes a pending order, or declines it with a reason (which cancels it)."""
    services.order_accept(
        order=_order(request, order_id), accepted=payload.accepted, reason=payload.reason
    )
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/status", response=OrderOut, auth=SERVICER)
def set_order_status(request: HttpRequest, order_id: int, payload: StatusIn):
    """Starts, delays (with a reason), resumes, completes or cancels (with a reason) the work.

    Completing it marks the order's intervals serviced and its tasks done; an
    ``odometer`` is recorded as a reading of the vehicle.
    """
    if payload.status not in SERVICER_STATUSES:
        raise ValidationFailed(
            "status must be in-progress, delayed, completed or canceled.", field="status"
        )
    services.order_set_status(
        order=_order(request, order_id),
        status=payload.status,
        reason=payload.reason,
        odometer=payload.odometer,
    )
    return _order_out(request, order_id)


# --- timeline and events ----------------------------------------------------------------


@router.get("/orders/{order_id}/events", response=list[EventOut], auth=EITHER)
def list_order_events(request: HttpRequest, order_id: int):
    """The order's timeline, oldest first: the servicer's events and fleetmaint's own entries."""
    return list(OrderEvent.objects.filter(order=_order(request, order_id)))


@router.post("/orders/{order_id}/events", response={201: EventOut}, auth=SERVICER)
def post_order_event(request: HttpRequest, order_id: int, body: EventIn):
    """A seed-001 event. Listed events must match the order's service type; any other name
    is taken as a custom event. ``repair_started`` starts the work, ``repair_completed`` and
    ``resolved`` complete it, ``repair_eta`` with ``isDelayed`` delays it."""
    stored = services.event_post(order=_order(request, order_id), body=body.model_dump())
    return Status(201, stored)


# --- found issues -----------------------------------------------------------------------


@router.post("/orders/{order_id}/issues", response={201: IssueOut}, auth=SERVICER)
def report_issue(request: HttpRequest, order_id: int, payload: IssueIn):
    """Extra work found while the order is in progress. Within what is left of the
    pre-authorised amount it is authorized at once; otherwise it awaits the fleet."""
    issue = services.issue_report(
        order=_order(request, order_id), description=payload.description, cost=payload.cost
    )
    return Status(201, issue)


@router.post("/orders/{order_id}/issues/{issue_id}/approve", response=IssueOut, auth=FLEET)
def approve_issue(request: HttpRequest, order_id: int, issue_id: int):
    return services.issue_decide(issue=_issue(request, order_id, issue_id), approve=True)


@router.post("/orders/{order_id}/issues/{issue_id}/decline", response=IssueOut, auth=FLEET)
def decline_issue(request: HttpRequest, order_id: int, issue_id: int):
    return services.issue_decide(issue=_issue(request, order_id, issue_id), approve=False)
