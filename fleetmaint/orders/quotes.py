"""Quotes: priced from the servicer's list, declined, or accepted into a service order."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import queries as contract_queries
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries
from fleetmaint.orders.models import (
    CatalogItem,
    OrderItem,
    OrderStatus,
    Partnership,
    Quote,
    QuoteStatus,
    ServiceOrder,
    Servicer,
    ServiceType,
)
from fleetmaint.orders.services import money_check, record_move, tell, timeline
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle

QUOTE_VALID_DAYS = 14
MAX_QUANTITY = 1000


class WorkTaken(Conflict):
    """Some of the work is already on a pending quote or an open order (``holder``)."""

    def __init__(self, holder: queries.Holder, names: list[str], field: str):
        self.holder = holder
        what = _joined(names)
        verb = "is" if len(names) == 1 else "are"
        if holder.kind == "quote":
            then = "accept or decline that quote (or let it expire) before asking again"
        else:
            then = "it is free again once that order is completed or canceled"
        super().__init__(f"{what} {verb} already on {holder.label}; {then}.", field=field)


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def work_taken(
    vehicle: Vehicle,
    chosen_intervals: list[ServiceInterval],
    chosen_tasks: list[ServiceTask],
    *,
    with_quotes: bool = True,
    now=None,
) -> WorkTaken | None:
    """The refusal to give if some of this work is on a pending quote or open order."""
    held = queries.work_holders(
        vehicle.org,
        [i.pk for i in chosen_intervals],
        [t.pk for t in chosen_tasks],
        now=now,
        with_quotes=with_quotes,
    )
    if not held:
        return None
    first = min(
        [*held.intervals.values(), *held.tasks.values()],
        key=lambda h: (h.kind != "order", h.pk),
    )
    names = [i.name for i in chosen_intervals if held.intervals.get(i.pk) == first]
    names += [t.description for t in chosen_tasks if held.tasks.get(t.pk) == first]
    field = "interval_ids" if first in held.intervals.values() else "task_ids"
    return WorkTaken(first, names, field)


def _refuse_taken_work(
    vehicle: Vehicle,
    chosen_intervals: list[ServiceInterval],
    chosen_tasks: list[ServiceTask],
    *,
    with_quotes: bool = True,
    now=None,
) -> None:
    """Work is on one pending quote or open order at most; must run inside a transaction.

    The vehicle's row is locked first, so two requests for the same vehicle's
    work (a double click, two tabs, two API calls) take turns: the second sees
    the first's quote once it is committed, and is refused.
    """
    list(Vehicle.objects.select_for_update().filter(pk=vehicle.pk).values_list("pk", flat=True))
    refusal = work_taken(vehicle, chosen_intervals, chosen_tasks, with_quotes=with_quotes, now=now)
    if refusal is not None:
        raise refusal


@dataclass
class ItemRequest:
    code: str
    quantity: int = 1
    name: str = ""


def price_items(servicer: Servicer, requests: list[ItemRequest]) -> list[OrderItem]:
    """Prices each requested item from the servicer's list; an unknown code has no price yet."""
    catalog = {item.code: item for item in servicer.catalog.all()}
    priced = []
    for request in requests:
        if not 1 <= request.quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"quantity must be between 1 and {MAX_QUANTITY}.", field="items")
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
    chosen_intervals: Iterable[ServiceInterval], chosen_tasks: Iterable[ServiceTask]
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


def check_servicer(org: Organization, servicer: Servicer, service_type: ServiceType) -> None:
    """The servicer must work with the fleet, take orders and offer this kind of work."""
    if not servicer.active or not Partnership.objects.filter(org=org, servicer=servicer).exists():
        raise NotFound("This fleet does not work with that servicer.", field="servicer_id")
    if not servicer.offers(service_type):
        raise ValidationFailed(
            f"{servicer.name} does not offer {service_type.replace('_', ' ')}.", field="type"
        )


def quote_create(
    *,
    org: Organization,
    vehicle: Vehicle,
    servicer: Servicer,
    service_type: ServiceType,
    items: list[ItemRequest],
    pre_authorized: Decimal = Decimal("0"),
    interval_ids: Iterable[int] = (),
    task_ids: Iterable[int] = (),
    actor=None,
) -> Quote:
    check_servicer(org, servicer, service_type)
    if vehicle.org_id != org.pk:
        raise NotFound("Vehicle not found.", field="vehicle_id")
    if not items:
        raise ValidationFailed("Ask for at least one item.", field="items")
    pre_authorized = money_check(pre_authorized, "preAuthorized")
    priced = price_items(servicer, items)
    coverage = contract_queries.coverage_for(vehicle, [item.code for item in priced])
    for item in priced:
        item.covered_by = coverage.get(item.code)
    interval_ids, task_ids = set(interval_ids), set(task_ids)
    chosen_intervals, chosen_tasks = queries.open_work(vehicle, interval_ids, task_ids)
    if len(chosen_intervals) != len(interval_ids) or len(chosen_tasks) != len(task_ids):
        raise ValidationFailed(
            "Every interval and task must be open and belong to the vehicle.", field="items"
        )
    with transaction.atomic():
        _refuse_taken_work(vehicle, chosen_intervals, chosen_tasks)
        quote = Quote.objects.create(
            org=org,
            vehicle=vehicle,
            servicer=servicer,
            service_type=service_type,
            pre_authorized=pre_authorized,
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
        # Work another order took meanwhile (quotes from before the one-holder rule).
        _refuse_taken_work(
            Vehicle.objects.select_related("org").get(pk=locked.vehicle_id),
            list(locked.intervals.all()),
            list(locked.tasks.all()),
            with_quotes=False,
            now=now,
        )
        servicer = Servicer.objects.get(pk=locked.servicer_id)
        if not servicer.active:
            raise Conflict(f"{servicer.name} is not taking orders.", field="servicer")
        order = _order_from(locked, servicer, now)
        Quote.objects.filter(pk=locked.pk).update(status=QuoteStatus.ACCEPTED)
        timeline(order, "order_placed", actor=actor)
        tell(order, "service.created", email=False)
        if servicer.auto_accept:
            record_move(order, OrderStatus.ACCEPTED, reason="Accepted automatically.")
    return order


def _order_from(quote: Quote, servicer: Servicer, now) -> ServiceOrder:
    order = ServiceOrder.objects.create(
        org_id=quote.org_id,
        vehicle_id=quote.vehicle_id,
        servicer=servicer,
        quote=quote,
        service_type=quote.service_type,
        pre_authorized=quote.pre_authorized,
        estimated_completion=now + timedelta(minutes=quote.estimated_minutes or 60),
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
            for i in quote.items.all()
        ]
    )
    order.intervals.set(quote.intervals.all())
    order.tasks.set(quote.tasks.all())
    return order
