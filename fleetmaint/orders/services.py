"""Service orders and their progression, found issues and servicer events.

Every change to an order goes through ``record_move`` or a version bump, which
record a timeline entry, bump the order's version and tell the fleet (webhooks,
and e-mail for what an advisor must know). Which side may make which move is
decided here too (``MOVES_BY``), for the pages, the portal and the API alike.

Servicers and their keys are in ``servicers.py``, quotes in ``quotes.py``.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fleetmaint import days
from fleetmaint.errors import Conflict, ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import MAX_MILEAGE
from fleetmaint.notifications import services as notifications
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders.models import (
    FoundIssue,
    IssueStatus,
    ItemSource,
    OrderEvent,
    OrderItem,
    OrderStatus,
    ServiceOrder,
    Side,
)
from fleetmaint.orders.payloads import order_payload
from fleetmaint.orders.queries import authorized_spend
from fleetmaint.tasks import services as tasks
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import ReadingSource, Vehicle

MAX_MONEY = Decimal("9999999.99")
MAX_REASON = 500
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
# Which statuses each side sets through order_set_status: the servicer does the work
# (accepting has its own call, order_accept), the fleet cancels and closes.
MOVES_BY: dict[str, tuple[str, ...]] = {
    Side.SERVICER: (
        OrderStatus.IN_PROGRESS,
        OrderStatus.DELAYED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELED,
    ),
    Side.FLEET: (OrderStatus.CANCELED, OrderStatus.CLOSED),
}
# Moves the fleet's advisors hear about by e-mail, not only by webhook.
TOLD_BY_EMAIL = {OrderStatus.DELAYED, OrderStatus.CANCELED, OrderStatus.COMPLETED}


class IllegalMove(Conflict):
    code = "illegal_transition"


def money_check(amount: Decimal, field: str) -> Decimal:
    """An amount the books can hold: between 0 and MAX_MONEY, in cents."""
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValidationFailed(f"{field} must be between 0 and {MAX_MONEY}.", field=field)
    return amount.quantize(Decimal("0.01"))


def _lock(order: ServiceOrder) -> ServiceOrder:
    return (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("vehicle", "servicer", "org")
        .get(pk=order.pk)
    )


def record_move(order: ServiceOrder, target: str, *, reason: str = "", actor=None) -> ServiceOrder:
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
    timeline(order, f"status_{target.replace('-', '_')}", notes=reason, actor=actor)
    if target == OrderStatus.COMPLETED:
        tell(order, "service.completed", email=True)
    else:
        tell(order, "service.updated", email=target in TOLD_BY_EMAIL)
    return order


def timeline(order: ServiceOrder, name: str, *, notes: str = "", actor=None) -> None:
    OrderEvent.objects.create(
        order=order,
        event=name,
        kind="status",
        notes=notes,
        status_after=order.status,
        by_user=actor,
    )


def tell(
    order: ServiceOrder, event: str, *, email: bool, subject: str = "", dedupe_key: str = ""
) -> None:
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
        dedupe_key=dedupe_key or f"order:{order.pk}:v{order.version}:{event}",
        subject=subject,
        text=order.status_reason,
        link=f"/orders/{order.pk}/",
        facts=facts,
        data={"order": order_payload(order)},
        recipients=recipients,
    )


def order_accept(
    *, order: ServiceOrder, accepted: bool = True, reason: str = "", actor=None
) -> ServiceOrder:
    """The servicer takes the order, or turns it down with a reason (which cancels it)."""
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
        return record_move(locked, target, reason=reason, actor=actor)


def _reason(reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise ValidationFailed("Say why.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"The reason can be at most {MAX_REASON} characters.", field="reason"
        )
    return reason


def _side_may(by: Side | None, status: str) -> None:
    """Refuses a status the acting side does not set; ``None`` is fleetmaint itself."""
    if by is None or status in MOVES_BY[by]:
        return
    allowed = ", ".join(MOVES_BY[by])
    raise ValidationFailed(f"The {by} can set the status to {allowed} only.", field="status")


def order_set_status(
    *,
    order: ServiceOrder,
    status: OrderStatus,
    by: Side | None = None,
    reason: str = "",
    odometer: int | None = None,
    actor=None,
) -> ServiceOrder:
    """Moves an order: start, delay or cancel (with a reason), resume, complete, close.

    ``by`` is the side acting (``MOVES_BY`` says what each may set); leave it out
    only for fleetmaint's own moves (imports, demo data).
    """
    if status not in OrderStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", field="status")
    _side_may(by, status)
    reason = _reason(reason, required=status in (OrderStatus.DELAYED, OrderStatus.CANCELED))
    with transaction.atomic():
        locked = _lock(order)
        if status == OrderStatus.COMPLETED:
            return _complete(locked, odometer=odometer, reason=reason, actor=actor)
        return record_move(locked, status, reason=reason, actor=actor)


def _complete(order: ServiceOrder, *, odometer: int | None, reason: str, actor) -> ServiceOrder:
    """Completes the order and moves the schedule on: intervals serviced, tasks done."""
    if OrderStatus.COMPLETED not in MOVES[order.status]:
        raise IllegalMove(f"An order that is {order.status} cannot be completed.", field="status")
    vehicle = Vehicle.objects.select_related("org").get(pk=order.vehicle_id)
    if odometer is not None:
        if not 0 <= odometer <= MAX_MILEAGE:
            raise ValidationFailed(
                f"The odometer must be between 0 and {MAX_MILEAGE}.", field="odometer"
            )
        if vehicle.odometer is not None and odometer < vehicle.odometer:
            # Checked here and not left to the reading rules of the work it completes:
            # an order without scheduled work would keep the lower value unchallenged.
            raise ValidationFailed(_odometer_down(vehicle), field="odometer")
        if vehicle.odometer is None or odometer > vehicle.odometer:
            vehicles.reading_record(
                vehicle=vehicle,
                odometer=odometer,
                source=ReadingSource.SERVICER,
                confirm_jump=True,
                note=f"Reported with service order {order.pk}",
            )
    order.completion_odometer = odometer if odometer is not None else vehicle.odometer
    record_move(order, OrderStatus.COMPLETED, reason=reason, actor=actor)
    now = timezone.now()
    for interval in order.intervals.open().select_related("vehicle", "preset"):
        intervals.interval_mark_serviced(
            interval=interval, odometer=order.completion_odometer, serviced_at=now
        )
    for task in order.tasks.open().select_related("vehicle"):
        tasks.task_mark_done(task=task, odometer=order.completion_odometer)
    return order


def _odometer_down(vehicle: Vehicle) -> str:
    """Why a completion's odometer below the vehicle's reading is refused, naming it."""
    read_on = ""
    if vehicle.odometer_at:
        read_on = f" on {days.local_day(vehicle.odometer_at, vehicle.org):%Y-%m-%d}"
    return (
        f"The odometer cannot go down: the previous reading was {vehicle.odometer:,} "
        f"{vehicle.distance_unit}{read_on}. Give {vehicle.odometer:,} or more, or leave "
        "it empty to use that reading."
    )


# --- found issues -----------------------------------------------------------------------


def issue_report(*, order: ServiceOrder, description: str, cost: Decimal) -> FoundIssue:
    """Extra work found during the job: done at once within the pre-authorised amount,
    otherwise it waits for an advisor."""
    description = description.strip()
    if not description:
        raise ValidationFailed("Describe the issue.", field="description")
    if len(description) > MAX_REASON:
        raise ValidationFailed(
            f"The description can be at most {MAX_REASON} characters.", field="description"
        )
    amount = money_check(cost, "cost")
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
        if fits:
            tell(locked, "service.updated", email=False)
        else:
            tell(
                locked,
                "service.updated",
                email=True,
                subject=f"Order {locked.pk} for {locked.vehicle.label}: "
                "an issue needs your approval",
                dedupe_key=_awaiting_key(issue),
            )
    return issue


def _awaiting_key(issue: FoundIssue) -> str:
    """The notice asking the fleet to decide on an issue, found again once it is decided."""
    return f"issue:{issue.pk}:awaiting"


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
        timeline(
            order,
            "issue_approved" if approve else "issue_declined",
            notes=locked.description,
            actor=actor,
        )
        tell(order, "service.updated", email=False)
        # Decided by one person, the question is answered for everyone it was put to.
        notifications.event_mark_read(org=order.org, dedupe_key=_awaiting_key(locked))
    return locked


# --- servicer events --------------------------------------------------------------------

EVENT_MOVES = {
    "repair_started": OrderStatus.IN_PROGRESS,
    "repair_completed": OrderStatus.COMPLETED,
    "resolved": OrderStatus.COMPLETED,
}


def event_post(
    *, order: ServiceOrder, event: servicer_events.ServicerEvent, actor=None
) -> OrderEvent:
    """Stores a servicer's event and lets it drive the order where the seed says so.

    Events may arrive out of order: one whose move is no longer possible (a
    late ``repair_started`` after completion) is kept on the timeline and
    changes nothing. An order canceled after it was accepted takes events
    until it is closed (seed 001), and they change nothing about it either.
    """
    with transaction.atomic():
        locked = _lock(order)
        if not locked.takes_events:
            raise IllegalMove(_no_events_reason(locked), field="status")
        canceled = locked.status == OrderStatus.CANCELED
        notes = event.notes
        target = EVENT_MOVES.get(event.name)
        reason = ""
        if event.delayed:
            target, reason = OrderStatus.DELAYED, event.delay_reason or "Delayed"
        if event.estimated_completion is not None and not canceled:
            locked.estimated_completion = event.estimated_completion
            locked.save(update_fields=["estimated_completion"])
        stored = OrderEvent.objects.create(
            order=locked,
            event=event.name,
            kind=event.kind,
            body=event.body,
            notes=notes,
            event_date=event.happened_at,
            date_received=event.date_received,
            by_user=actor,
        )
        if target and target in MOVES[locked.status] and target != locked.status:
            if target == OrderStatus.COMPLETED:
                _complete(locked, odometer=None, reason=notes, actor=actor)
            else:
                record_move(locked, target, reason=reason or notes, actor=actor)
        else:
            locked.version += 1
            locked.save(update_fields=["version", "updated_at"])
            tell(locked, "service.updated", email=False)
        stored.status_after = locked.status
        stored.save(update_fields=["status_after"])
    return stored


def _no_events_reason(order: ServiceOrder) -> str:
    rule = "Events are taken once the order is accepted and until it is closed"
    if order.status == OrderStatus.CANCELED:
        return f"{rule}; this one was canceled before it was accepted."
    if order.status == OrderStatus.CLOSED:
        return f"{rule}; this one is closed."
    return f"{rule}; this one is {order.status}, not accepted yet."
