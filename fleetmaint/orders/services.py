"""Quotes, service orders and their progression, found issues and servicer events.

Every change to an order goes through ``_move`` or ``_touch``, which record a
timeline entry, bump the order's version and tell the fleet (webhooks, and
e-mail for what an advisor must know).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts.models import Organization
from fleetmaint.accounts.services import hash_key, new_raw_key
from fleetmaint.contracts import services as contracts
from fleetmaint.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications import services as notifications
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import queries
from fleetmaint.orders.models import (
    CatalogItem,
    FoundIssue,
    IssueStatus,
    ItemSource,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Partnership,
    Quote,
    QuoteStatus,
    ServiceOrder,
    Servicer,
    ServicerApiKey,
    ServiceType,
)
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import ReadingSource, Vehicle

QUOTE_VALID_DAYS = 14
MAX_MONEY = Decimal("9999999.99")
OPEN_FOR_EVENTS = (
    OrderStatus.ACCEPTED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.DELAYED,
    OrderStatus.COMPLETED,
)
# Which status may follow which; anything else is refused.
MOVES: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.ACCEPTED, OrderStatus.CANCELED},
    OrderStatus.ACCEPTED: {
        OrderStatus.IN_PROGRESS,
        OrderStatus.DELAYED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELED,
    },
    OrderStatus.IN_PROGRESS: {OrderStatus.DELAYED, OrderStatus.COMPLETED, OrderStatus.CANCELED},
    OrderStatus.DELAYED: {OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED, OrderStatus.CANCELED},
    OrderStatus.COMPLETED: {OrderStatus.CLOSED},
    OrderStatus.CANCELED: {OrderStatus.CLOSED},
    OrderStatus.CLOSED: set(),
}
# Moves the fleet's advisors hear about by e-mail, not only by webhook.
TOLD_BY_EMAIL = {OrderStatus.DELAYED, OrderStatus.CANCELED, OrderStatus.COMPLETED}
# The seed's quote types and ours.
QUOTE_TYPES = {
    "scheduled-maintenance": ServiceType.SCHEDULED_MAINTENANCE,
    "scheduled_maintenance": ServiceType.SCHEDULED_MAINTENANCE,
    "repair": ServiceType.REPAIR_DEPOT,
    "repair-depot": ServiceType.REPAIR_DEPOT,
    "repair_depot": ServiceType.REPAIR_DEPOT,
    "repair-onsite": ServiceType.REPAIR_ONSITE,
    "repair_onsite": ServiceType.REPAIR_ONSITE,
}


class IllegalMove(Conflict):
    code = "illegal_transition"


# --- servicers ------------------------------------------------------------------------


def servicers_for(org: Organization):
    return Servicer.objects.filter(partnership__org=org, active=True).prefetch_related("catalog")


def servicer_choose(org: Organization, servicer_id: object, service_type: object) -> Servicer:
    """The servicer asked for, or else the only one the fleet works with that offers the type."""
    if servicer_id is not None:
        return servicer_for(org, servicer_id)
    wanted = _service_type(service_type)
    offering = [s for s in servicers_for(org) if s.offers(wanted)]
    label = wanted.replace("_", " ")
    if not offering:
        raise ValidationFailed(
            f"None of the servicers this fleet works with offers {label}.", field="servicer_id"
        )
    if len(offering) > 1:
        raise ValidationFailed(
            f"{len(offering)} servicers offer {label}; choose one with servicer_id.",
            field="servicer_id",
        )
    return offering[0]


@dataclass
class DueWork:
    """Open intervals and tasks of one vehicle, selected to be quoted together."""

    vehicle: Vehicle
    intervals: list[ServiceInterval]
    tasks: list[ServiceTask]


def due_work_select(
    *, org: Organization, interval_ids: Iterable[int], task_ids: Iterable[int]
) -> DueWork:
    """The selected open work; a quote is for one vehicle, so it must all be one vehicle's."""
    chosen_intervals = list(
        ServiceInterval.objects.filter(
            org=org, pk__in=list(interval_ids), serviced_at=None
        ).select_related("vehicle", "vehicle__org")
    )
    chosen_tasks = list(
        ServiceTask.objects.filter(org=org, pk__in=list(task_ids))
        .exclude(status="done")
        .select_related("vehicle", "vehicle__org")
    )
    vehicles = {i.vehicle_id: i.vehicle for i in chosen_intervals} | {
        t.vehicle_id: t.vehicle for t in chosen_tasks
    }
    if not vehicles:
        raise ValidationFailed("Select the due work of one vehicle first.", field="items")
    if len(vehicles) > 1:
        raise ValidationFailed(
            "Select the work of one vehicle at a time: a quote is for one vehicle.",
            field="items",
        )
    return DueWork(next(iter(vehicles.values())), chosen_intervals, chosen_tasks)


def servicer_for(org: Organization, servicer_id: object) -> Servicer:
    try:
        number = int(servicer_id)
    except (TypeError, ValueError):
        raise ValidationFailed("servicer_id must be a servicer id.", field="servicer_id") from None
    servicer = servicers_for(org).filter(pk=number).first()
    if servicer is None:
        raise NotFound("This fleet does not work with that servicer.", field="servicer_id")
    return servicer


def partnerships_choose(*, org: Organization, chosen: set[int]) -> None:
    """The fleet's admin ticks which of the offered servicers it works with, in two statements.

    Only the servicers the fleet is offered (``queries.servicers_offered``) are
    changed; other ids are not the fleet's to pick, and ties to inactive
    servicers are left alone.
    """
    offered = set(queries.servicers_offered(org).values_list("pk", flat=True))
    Partnership.objects.filter(org=org, servicer_id__in=offered - chosen).delete()
    Partnership.objects.bulk_create(
        [Partnership(org=org, servicer_id=pk) for pk in offered & chosen], ignore_conflicts=True
    )


def partnership_link(*, org: Organization, servicer: Servicer) -> None:
    """The operator links a fleet and a servicer, whether or not it takes new fleets."""
    Partnership.objects.get_or_create(org=org, servicer=servicer)


def partnership_set(*, org: Organization, servicer: Servicer, active: bool) -> None:
    """A fleet starts or stops working with a servicer.

    Stopping is always possible; starting only with a servicer that is open to
    new fleets (the operator links the others in the admin).
    """
    partners = Partnership.objects.filter(org=org, servicer=servicer)
    if not active:
        partners.delete()
        return
    if partners.exists():
        return
    if not (servicer.active and servicer.open_to_new_fleets):
        raise PermissionDenied(f"{servicer.name} is not taking new fleets.", field="servicer")
    Partnership.objects.get_or_create(org=org, servicer=servicer)


def servicer_apikey_create(*, servicer: Servicer, name: str) -> tuple[ServicerApiKey, str]:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("Give the key a name of up to 80 characters.", field="name")
    raw = new_raw_key()
    key = ServicerApiKey.objects.create(
        servicer=servicer, name=name, prefix=raw[:10], key_hash=hash_key(raw)
    )
    return key, raw


def servicer_authenticate(raw_key: str) -> Servicer | None:
    if not raw_key:
        return None
    key = (
        ServicerApiKey.objects.select_related("servicer")
        .filter(key_hash=hash_key(raw_key.strip()), revoked_at=None, servicer__active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ServicerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.servicer


# --- quotes ---------------------------------------------------------------------------


@dataclass
class ItemRequest:
    code: str
    quantity: int = 1
    name: str = ""


def _money(value: object, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be an amount.", field=field)
    try:
        amount = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise ValidationFailed(f"{field} must be an amount.", field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValidationFailed(f"{field} must be between 0 and {MAX_MONEY}.", field=field)
    return amount.quantize(Decimal("0.01"))


def _service_type(value: object) -> str:
    service_type = QUOTE_TYPES.get(str(value or "").strip().lower())
    if service_type is None:
        raise ValidationFailed(
            "type must be scheduled-maintenance, repair-depot or repair-onsite.", field="type"
        )
    return service_type


def price_items(servicer: Servicer, requests: list[ItemRequest]) -> list[OrderItem]:
    """Prices each requested item from the servicer's list; an unknown code has no price yet."""
    catalog = {item.code: item for item in servicer.catalog.all()}
    priced = []
    for request in requests:
        if not isinstance(request.quantity, int) or not 1 <= request.quantity <= 1000:
            raise ValidationFailed("quantity must be between 1 and 1000.", field="items")
        entry: CatalogItem | None = catalog.get(request.code)
        if entry is None and not request.name:
            raise ValidationFailed(
                f"{servicer.name} does not offer {request.code!r}.", field="items"
            )
        unit = entry.price if entry else Decimal("0.00")
        priced.append(
            OrderItem(
                code=request.code,
                name=entry.name if entry else request.name,
                quantity=request.quantity,
                unit_price=unit,
                total=unit * request.quantity,
                duration_minutes=(entry.duration_minutes if entry else 0) * request.quantity,
            )
        )
    return priced


def items_for_due_work(
    servicer: Servicer, chosen_intervals: Iterable[ServiceInterval], chosen_tasks
) -> list[ItemRequest]:
    """Catalogue items for the selected intervals and tasks, matched by name.

    "Oil Change" becomes the servicer's ``oil-change``; work the servicer does
    not list is requested by name and priced when the servicer quotes it.
    """
    requests, seen = [], set()
    for name in [i.name for i in chosen_intervals] + [t.description for t in chosen_tasks]:
        code = slugify(name)[:60] or "work"
        if code not in seen:
            seen.add(code)
            requests.append(ItemRequest(code=code, name=name))
    return requests


def quote_create(
    *,
    org: Organization,
    vehicle: Vehicle,
    servicer: Servicer,
    service_type: object,
    items: list[ItemRequest],
    pre_authorized: object = 0,
    interval_ids: Iterable[int] = (),
    task_ids: Iterable[int] = (),
    actor=None,
) -> Quote:
    if not servicer.active or not Partnership.objects.filter(org=org, servicer=servicer).exists():
        raise NotFound("This fleet does not work with that servicer.", field="servicer_id")
    service_type = _service_type(service_type)
    if not servicer.offers(service_type):
        raise ValidationFailed(
            f"{servicer.name} does not offer {service_type.replace('_', ' ')}.", field="type"
        )
    if vehicle.org_id != org.pk:
        raise NotFound("Vehicle not found.", field="vehicle_id")
    if not items:
        raise ValidationFailed("Ask for at least one item.", field="items")
    priced = price_items(servicer, items)
    coverage = contracts.coverage_for(vehicle, [item.code for item in priced])
    for item in priced:
        item.covered_by = coverage.get(item.code)
    chosen_intervals = list(
        ServiceInterval.objects.filter(vehicle=vehicle, serviced_at=None, pk__in=list(interval_ids))
    )
    chosen_tasks = list(
        ServiceTask.objects.filter(vehicle=vehicle, pk__in=list(task_ids)).exclude(status="done")
    )
    if len(chosen_intervals) != len(set(interval_ids)) or len(chosen_tasks) != len(set(task_ids)):
        raise ValidationFailed(
            "Every interval and task must be open and belong to the vehicle.", field="items"
        )
    with transaction.atomic():
        quote = Quote.objects.create(
            org=org,
            vehicle=vehicle,
            servicer=servicer,
            service_type=service_type,
            pre_authorized=_money(pre_authorized, "preAuthorized"),
            total=sum((i.total for i in priced), Decimal("0.00")),
            estimated_minutes=sum(i.duration_minutes for i in priced),
            valid_until=timezone.now() + timedelta(days=QUOTE_VALID_DAYS),
            created_by=actor,
        )
        for item in priced:
            item.quote = quote
        OrderItem.objects.bulk_create(priced)
        quote.intervals.set(chosen_intervals)
        quote.tasks.set(chosen_tasks)
    return quote


def quote_for(org: Organization, quote_id: int) -> Quote:
    quote = Quote.objects.filter(org=org, pk=quote_id).select_related("vehicle", "servicer").first()
    if quote is None:
        raise NotFound("Quote not found.")
    return quote


def quote_decline(*, quote: Quote) -> Quote:
    if quote.status != QuoteStatus.PENDING:
        raise Conflict(f"This quote is already {quote.status}.", field="status")
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.DECLINED)
    quote.status = QuoteStatus.DECLINED
    return quote


def quote_accept(*, quote: Quote, actor=None) -> ServiceOrder:
    """Places the order the quote describes; a double click places one order."""
    now = timezone.now()
    # Marked expired in a statement of its own: a mark made inside the block
    # below would be rolled back with the refusal.
    expired = Quote.objects.filter(pk=quote.pk, status=QuoteStatus.PENDING, valid_until__lt=now)
    if expired.update(status=QuoteStatus.EXPIRED):
        raise Conflict("This quote has expired; ask for a new one.", field="status")
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status == QuoteStatus.ACCEPTED:
            return ServiceOrder.objects.get(quote=locked)
        if locked.status != QuoteStatus.PENDING:
            raise Conflict(f"This quote is {locked.status}.", field="status")
        if locked.valid_until < now:
            Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.EXPIRED)
            raise Conflict("This quote has expired; ask for a new one.", field="status")
        servicer = Servicer.objects.get(pk=locked.servicer_id)
        if not servicer.active:
            raise Conflict(f"{servicer.name} is not taking orders.", field="servicer")
        order = ServiceOrder.objects.create(
            org_id=locked.org_id,
            vehicle_id=locked.vehicle_id,
            servicer=servicer,
            quote=locked,
            service_type=locked.service_type,
            pre_authorized=locked.pre_authorized,
            estimated_completion=now + timedelta(minutes=locked.estimated_minutes or 60),
        )
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    code=i.code,
                    name=i.name,
                    quantity=i.quantity,
                    unit_price=i.unit_price,
                    total=i.total,
                    duration_minutes=i.duration_minutes,
                    covered_by_id=i.covered_by_id,
                )
                for i in locked.items.all()
            ]
        )
        order.intervals.set(locked.intervals.all())
        order.tasks.set(locked.tasks.all())
        Quote.objects.filter(pk=locked.pk).update(status=QuoteStatus.ACCEPTED)
        _timeline(order, "order_placed", actor=actor)
        _tell(order, "service.created", email=False)
        if servicer.auto_accept:
            _move(order, OrderStatus.ACCEPTED, reason="Accepted automatically.")
    return order


# --- orders ---------------------------------------------------------------------------


def order_for_org(org: Organization, order_id: object) -> ServiceOrder:
    return _order(ServiceOrder.objects.filter(org=org), order_id)


def order_for_servicer(servicer: Servicer, order_id: object) -> ServiceOrder:
    return _order(ServiceOrder.objects.filter(servicer=servicer), order_id)


def _order(queryset, order_id: object) -> ServiceOrder:
    try:
        number = int(order_id)
    except (TypeError, ValueError):
        raise NotFound("Service order not found.") from None
    order = queryset.filter(pk=number).select_related("vehicle", "servicer", "org").first()
    if order is None:
        raise NotFound("Service order not found.")
    return order


def _lock(order: ServiceOrder) -> ServiceOrder:
    return (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("vehicle", "servicer", "org")
        .get(pk=order.pk)
    )


def _move(order: ServiceOrder, target: str, *, reason: str = "", actor=None) -> ServiceOrder:
    """Changes the status if the move is allowed; must run inside a transaction."""
    if target not in MOVES[order.status]:
        raise IllegalMove(
            f"An order that is {order.status} cannot become {target}.", field="status"
        )
    now = timezone.now()
    order.status = target
    order.status_reason = reason[:500]
    if target == OrderStatus.ACCEPTED:
        order.accepted_at = now
    if target == OrderStatus.COMPLETED:
        order.completed_at = now
    order.version += 1
    order.save()
    _timeline(order, f"status_{target.replace('-', '_')}", notes=reason, actor=actor)
    if target == OrderStatus.COMPLETED:
        _tell(order, "service.completed", email=True)
    else:
        _tell(order, "service.updated", email=target in TOLD_BY_EMAIL)
    return order


def _timeline(order: ServiceOrder, name: str, *, notes: str = "", actor=None) -> None:
    OrderEvent.objects.create(
        order=order,
        event=name,
        kind="status",
        notes=notes,
        status_after=order.status,
        by_user=actor,
    )


def order_payload(order: ServiceOrder) -> dict:
    return {
        "id": order.pk,
        "vehicle_id": order.vehicle_id,
        "servicer": {"id": order.servicer_id, "name": order.servicer.name},
        "type": order.service_type,
        "status": order.status,
        "status_reason": order.status_reason,
        "preAuthorized": str(order.pre_authorized),
        "items": [
            {"code": i.code, "name": i.name, "quantity": i.quantity, "total": str(i.total)}
            for i in order.items.all()
        ],
        "estimatedCompletion": (
            order.estimated_completion.isoformat() if order.estimated_completion else None
        ),
    }


def _tell(order: ServiceOrder, event: str, *, email: bool, subject: str = "") -> None:
    vehicle = order.vehicle
    subject = subject or (
        f"Order {order.pk} for {vehicle.label}: {order.get_status_display().lower()}"
    )
    facts = [
        ("Vehicle", f"{vehicle.label} ({vehicle.vehicle_key})"),
        ("Servicer", order.servicer.name),
        ("Status", order.get_status_display()),
    ]
    if order.status_reason:
        facts.append(("Reason", order.status_reason))
    recipients = notifications.Recipients(advisors=email)
    notifications.notify(
        org=order.org,
        event=event,
        dedupe_key=f"order:{order.pk}:v{order.version}:{event}",
        subject=subject,
        text=order.status_reason,
        link=f"/orders/{order.pk}/",
        facts=facts,
        data={"order": order_payload(order)},
        recipients=recipients,
    )


def order_accept(
    *, order: ServiceOrder, accepted: object = True, reason: str = "", actor=None
) -> ServiceOrder:
    """The servicer takes the order, or turns it down with a reason (which cancels it)."""
    if not isinstance(accepted, bool):
        raise ValidationFailed("accepted must be true or false.", field="accepted")
    reason = _reason(reason, required=not accepted)
    with transaction.atomic():
        locked = _lock(order)
        if accepted and locked.status == OrderStatus.ACCEPTED:
            return locked  # a repeated accept changes nothing
        target = OrderStatus.ACCEPTED if accepted else OrderStatus.CANCELED
        if locked.status != OrderStatus.PENDING:
            raise IllegalMove(
                f"Only a pending order can be {'accepted' if accepted else 'declined'}; "
                f"this one is {locked.status}.",
                field="status",
            )
        return _move(locked, target, reason=reason, actor=actor)


def _reason(reason: object, *, required: bool) -> str:
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed("reason must be text.", field="reason")
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed("Say why.", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("The reason can be at most 500 characters.", field="reason")
    return reason


def order_set_status(
    *, order: ServiceOrder, status: str, reason: str = "", odometer: object = None, actor=None
) -> ServiceOrder:
    """Moves an order: start, delay or cancel (with a reason), resume, complete, close."""
    if status not in OrderStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", field="status")
    reason = _reason(reason, required=status in (OrderStatus.DELAYED, OrderStatus.CANCELED))
    with transaction.atomic():
        locked = _lock(order)
        if status == OrderStatus.COMPLETED:
            return _complete(locked, odometer=odometer, reason=reason, actor=actor)
        return _move(locked, status, reason=reason, actor=actor)


def _complete(order: ServiceOrder, *, odometer: object, reason: str, actor) -> ServiceOrder:
    """Completes the order and moves the schedule on: intervals serviced, tasks done."""
    if OrderStatus.COMPLETED not in MOVES[order.status]:
        raise IllegalMove(f"An order that is {order.status} cannot be completed.", field="status")
    vehicle = Vehicle.objects.select_related("org").get(pk=order.vehicle_id)
    mileage = None
    if odometer is not None and odometer != "":
        mileage = intervals.parse_odometer(odometer)
        if vehicle.odometer is None or mileage > vehicle.odometer:
            vehicles.reading_record(
                vehicle=vehicle,
                odometer=mileage,
                source=ReadingSource.SERVICER,
                confirm_jump=True,
                note=f"Reported with service order {order.pk}",
            )
    order.completion_odometer = mileage if mileage is not None else vehicle.odometer
    _move(order, OrderStatus.COMPLETED, reason=reason, actor=actor)
    now = timezone.now()
    for interval in order.intervals.filter(serviced_at=None).select_related("vehicle", "preset"):
        intervals.interval_mark_serviced(
            interval=interval, odometer=order.completion_odometer, serviced_at=now
        )
    for task in order.tasks.exclude(status="done").select_related("vehicle"):
        tasks.task_mark_done(task=task, odometer=order.completion_odometer)
    return order


# --- found issues -----------------------------------------------------------------------


def authorized_spend(order: ServiceOrder) -> Decimal:
    # Only issues authorised in advance draw on the pre-authorised amount;
    # those an advisor approved were paid for by that decision.
    spent = order.issues.filter(status=IssueStatus.AUTHORIZED).aggregate(total=Sum("cost"))["total"]
    return spent or Decimal("0.00")


def issue_report(*, order: ServiceOrder, description: object, cost: object) -> FoundIssue:
    """Extra work found during the job: done at once within the pre-authorised amount,
    otherwise it waits for an advisor."""
    if not isinstance(description, str) or not description.strip():
        raise ValidationFailed("Describe the issue.", field="description")
    description = description.strip()
    if len(description) > 500:
        raise ValidationFailed(
            "The description can be at most 500 characters.", field="description"
        )
    if cost is None or (isinstance(cost, str) and not cost.strip()):
        raise ValidationFailed("Give the cost of the work found.", field="cost")
    amount = _money(cost, "cost")
    with transaction.atomic():
        locked = _lock(order)
        if locked.status not in (OrderStatus.IN_PROGRESS, OrderStatus.DELAYED):
            raise IllegalMove(
                f"Issues are reported while the work is in progress; this order is "
                f"{locked.status}.",
                field="status",
            )
        remaining = locked.pre_authorized - authorized_spend(locked)
        fits = amount <= remaining
        issue = FoundIssue.objects.create(
            order=locked,
            description=description,
            cost=amount,
            status=IssueStatus.AUTHORIZED if fits else IssueStatus.AWAITING,
        )
        if fits:
            _add_issue_item(locked, issue)
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        OrderEvent.objects.create(
            order=locked,
            event="issue_found",
            kind="status",
            notes=f"{description} ({amount} {locked.servicer.currency}) — "
            + ("authorized in advance" if fits else "awaiting approval"),
            status_after=locked.status,
        )
        _tell(
            locked,
            "service.updated",
            email=not fits,
            subject=f"Order {locked.pk} for {locked.vehicle.label}: an issue needs your approval"
            if not fits
            else "",
        )
    return issue


def _add_issue_item(order: ServiceOrder, issue: FoundIssue) -> None:
    OrderItem.objects.create(
        order=order,
        code="found-issue",
        name=issue.description[:200],
        quantity=1,
        unit_price=issue.cost,
        total=issue.cost,
        source=ItemSource.FOUND_ISSUE,
    )


def issue_decide(*, issue: FoundIssue, approve: bool, actor=None) -> FoundIssue:
    with transaction.atomic():
        locked = FoundIssue.objects.select_for_update().get(pk=issue.pk)
        if locked.status != IssueStatus.AWAITING:
            raise Conflict(f"This issue is already {locked.get_status_display().lower()}.")
        order = _lock(locked.order)
        if order.status in (OrderStatus.CLOSED, OrderStatus.CANCELED):
            raise IllegalMove(f"The order is {order.status}.", field="status")
        locked.status = IssueStatus.APPROVED if approve else IssueStatus.DECLINED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.save()
        if approve:
            _add_issue_item(order, locked)
        order.version += 1
        order.save(update_fields=["version", "updated_at"])
        _timeline(
            order,
            "issue_approved" if approve else "issue_declined",
            notes=locked.description,
            actor=actor,
        )
        _tell(order, "service.updated", email=False)
    return locked


# --- servicer events --------------------------------------------------------------------

EVENT_MOVES = {
    "repair_started": OrderStatus.IN_PROGRESS,
    "repair_completed": OrderStatus.COMPLETED,
    "resolved": OrderStatus.COMPLETED,
}


def event_post(*, order: ServiceOrder, body: object, actor=None) -> OrderEvent:
    """Stores a servicer's event and lets it drive the order where the seed says so.

    Events may arrive out of order: one whose move is no longer possible (a
    late ``repair_started`` after completion) is kept on the timeline and
    changes nothing.
    """
    event, kind, body = servicer_events.validate(body, order.service_type)
    with transaction.atomic():
        locked = _lock(order)
        if locked.status not in OPEN_FOR_EVENTS:
            raise IllegalMove(
                f"Events are taken once the order is accepted and until it is closed; "
                f"this one is {locked.status}.",
                field="status",
            )
        notes = body.get("notes") or ""
        target = EVENT_MOVES.get(event)
        reason = ""
        if event == "repair_eta" and body.get("isDelayed") is True:
            target, reason = OrderStatus.DELAYED, body.get("delayReason") or "Delayed"
        if event == "repair_eta" and body.get("estimatedRepairCompletionAt") is not None:
            locked.estimated_completion = servicer_events.to_datetime(
                body["estimatedRepairCompletionAt"], field="estimatedRepairCompletionAt"
            )
            locked.save(update_fields=["estimated_completion"])
        stored = OrderEvent.objects.create(
            order=locked,
            event=event,
            kind=kind,
            body=body,
            notes=notes,
            event_date=servicer_events.event_date(event, body),
            by_user=actor,
        )
        if target and target in MOVES[locked.status] and target != locked.status:
            if target == OrderStatus.COMPLETED:
                _complete(locked, odometer=None, reason=notes, actor=actor)
            else:
                _move(locked, target, reason=reason or notes, actor=actor)
        else:
            locked.version += 1
            locked.save(update_fields=["version", "updated_at"])
            _tell(locked, "service.updated", email=False)
        stored.status_after = locked.status
        stored.save(update_fields=["status_after"])
    return stored
