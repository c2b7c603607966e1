"""Quotes and service orders over JSON (seeds 000 and 001); rules in orders.services.

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

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from fleetmaint.api import changes, order_rows
from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.api.common import rows_response
from fleetmaint.api.order_schemas import (
    AcceptIn,
    EventIn,
    EventOut,
    IssueIn,
    IssueOut,
    ItemIn,
    OrderOut,
    OrderPage,
    OrderStatusFilter,
    QuoteIn,
    QuoteOut,
    QuotePage,
    QuoteStatusName,
    ReasonIn,
    StatusIn,
)
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import queries, quotes, servicers, services
from fleetmaint.orders.models import (
    FoundIssue,
    OrderEvent,
    OrderStatus,
    Quote,
    ServiceOrder,
    ServiceType,
    Side,
)
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["orders"])

FLEET = ApiKeyAuth()
SERVICER = ApiKeyAuth(fleet=False, servicer=True)
EITHER = ApiKeyAuth(fleet=True, servicer=True)

MAX_OFFSET = 1_000_000_000


# --- helpers --------------------------------------------------------------------------


def _quote_vehicle(request: HttpRequest, vehicle_id: int | None, vin: str | None) -> Vehicle:
    vehicles = Vehicle.objects.for_org(request.org).select_related("org")
    if vehicle_id is not None:
        vehicle = vehicles.filter(pk=vehicle_id).first()
        if vehicle is None:
            raise NotFound("Vehicle not found.", field="vehicle_id")
        return vehicle
    if not vin:
        raise ValidationFailed("Send the vehicle's vehicle_id or its vin.", field="vehicle_id")
    matches = list(vehicles.filter(vin=vin.strip().upper().replace(" ", ""))[:2])
    if not matches:
        raise NotFound("No vehicle of this fleet has that VIN.", field="vin")
    if len(matches) > 1:
        raise ValidationFailed(
            "Several vehicles of this fleet have that VIN; send vehicle_id.", field="vin"
        )
    return matches[0]


def _item_requests(items: list[ItemIn]) -> list[quotes.ItemRequest]:
    return [quotes.ItemRequest(code=item.code.strip(), quantity=item.quantity) for item in items]


def _quotes(request: HttpRequest) -> QuerySet[Quote]:
    return queries.org_quotes(request.org).select_related("order")


# A quote's or an order's items with the contract covering each (one statement more).
ITEMS_COVER = "items__covered_by"


def _quote(request: HttpRequest, quote_id: int) -> Quote:
    quote = _quotes(request).prefetch_related(ITEMS_COVER).filter(pk=quote_id).first()
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
        return queries.order_for_servicer(request.servicer, order_id)
    return queries.order_for_org(request.org, order_id)


def _order_out(request: HttpRequest, order_id: int) -> ServiceOrder:
    order = _orders(request).prefetch_related(ITEMS_COVER).filter(pk=order_id).first()
    if order is None:
        raise NotFound("Service order not found.")
    return order


def _issue(request: HttpRequest, order_id: int, issue_id: int) -> FoundIssue:
    order = _order(request, order_id)
    issue = FoundIssue.objects.filter(order=order, pk=issue_id).first()
    if issue is None:
        raise NotFound("Issue not found.")
    return issue


# --- quotes ---------------------------------------------------------------------------


@router.post("/quotes", response={201: QuoteOut}, auth=FLEET)
def create_quote(request: HttpRequest, payload: QuoteIn):
    """Prices the items from the servicer's catalogue; the quote is valid for 14 days.

    An interval or task already on a pending quote or open order is refused with 409
    ``conflict`` naming that quote or order."""
    vehicle = _quote_vehicle(request, payload.vehicle_id, payload.vin)
    service_type = ServiceType.named(payload.type)
    servicer = servicers.servicer_choose(request.org, payload.servicer_id, service_type)
    if payload.items is None and (payload.interval_ids or payload.task_ids):
        work = queries.open_work(vehicle, payload.interval_ids, payload.task_ids)
        items = quotes.items_for_due_work(*work)
    else:
        items = _item_requests(payload.items or [])
    quote = quotes.quote_create(
        org=request.org,
        vehicle=vehicle,
        servicer=servicer,
        service_type=service_type,
        items=items,
        pre_authorized=payload.preAuthorized,
        interval_ids=payload.interval_ids,
        task_ids=payload.task_ids,
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
    if status:
        rows = rows.filter(effective_status=status)
    if vehicle_id is not None:
        rows = rows.filter(vehicle_id=vehicle_id)
    items = order_rows.quote_items(rows[offset : offset + limit])
    return rows_response({"count": rows.count(), "items": items})


@router.get("/quotes/{quote_id}", response=QuoteOut, auth=FLEET)
def read_quote(request: HttpRequest, quote_id: int):
    return _quote(request, quote_id)


@router.post("/quotes/{quote_id}/accept", response={201: OrderOut}, auth=FLEET)
def accept_quote(request: HttpRequest, quote_id: int):
    """Places the order; accepting the same quote again answers with the same order."""
    order = quotes.quote_accept(quote=_quote(request, quote_id))
    return Status(201, _order_out(request, order.pk))


@router.post("/quotes/{quote_id}/decline", response=QuoteOut, auth=FLEET)
def decline_quote(request: HttpRequest, quote_id: int):
    quotes.quote_decline(quote=_quote(request, quote_id))
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
    changed_since: str | None = Query(None, description=changes.HELP),
):
    """A fleet's orders, or, with a servicer key, the orders sent to the servicer."""
    rows = _orders(request, status or "")
    if vehicle_id is not None:
        rows = rows.filter(vehicle_id=vehicle_id)
    if changed_since is not None:
        return changes.changed_page(
            rows,
            changed_since,
            moment="updated_at",
            limit=limit,
            items_of=order_rows.order_items,
        )
    items = order_rows.order_items(rows[offset : offset + limit])
    return rows_response({"count": rows.count(), "items": items})


@router.get("/orders/{order_id}", response=OrderOut, auth=EITHER)
def read_order(request: HttpRequest, order_id: int):
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/cancel", response=OrderOut, auth=FLEET)
def cancel_order(request: HttpRequest, order_id: int, payload: ReasonIn):
    """Cancels an order that is not completed yet; say why."""
    services.order_set_status(
        order=_order(request, order_id),
        status=OrderStatus.CANCELED,
        by=Side.FLEET,
        reason=payload.reason,
    )
    return _order_out(request, order_id)


@router.post("/orders/{order_id}/close", response=OrderOut, auth=FLEET)
def close_order(request: HttpRequest, order_id: int):
    """Closes a completed or canceled order; it takes no more events."""
    services.order_set_status(
        order=_order(request, order_id), status=OrderStatus.CLOSED, by=Side.FLEET
    )
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
    services.order_set_status(
        order=_order(request, order_id),
        status=payload.status,
        by=Side.SERVICER,
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
    ``resolved`` complete it, ``repair_eta`` with ``isDelayed`` delays it. An order canceled
    after acceptance takes events until closed, and stays canceled. A date of something that
    happened may be at most 15 minutes ahead; an event about a moment sent without its date
    takes the moment it was received (``eventDateReceived``)."""
    order = _order(request, order_id)
    event = servicer_events.read(body.model_dump(), order.service_type)
    stored = services.event_post(order=order, event=event)
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
