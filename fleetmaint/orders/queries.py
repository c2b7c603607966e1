"""Reads of servicers, quotes and orders for the fleet pages, the portal and the API."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import (
    IssueStatus,
    OrderEvent,
    OrderStatus,
    Quote,
    QuoteQuerySet,
    QuoteStatus,
    ServiceOrder,
    Servicer,
)
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle

ACTIVE = (OrderStatus.PENDING, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED)


# --- servicers --------------------------------------------------------------------------


def servicers_for(org: Organization) -> QuerySet[Servicer]:
    """The active servicers a fleet works with, with their price lists."""
    return Servicer.objects.filter(partnership__org=org, active=True).prefetch_related("catalog")


def servicer_for(org: Organization, servicer_id: int) -> Servicer:
    servicer = servicers_for(org).filter(pk=servicer_id).first()
    if servicer is None:
        raise NotFound("This fleet does not work with that servicer.", field="servicer_id")
    return servicer


def servicers_offered(org: Organization) -> QuerySet[Servicer]:
    """The servicers a fleet's admin sees: those it works with, and those open to new fleets."""
    return (
        Servicer.objects.filter(active=True)
        .filter(Q(open_to_new_fleets=True) | Q(partnership__org=org))
        .distinct()
        .prefetch_related("catalog")
    )


# --- due work -----------------------------------------------------------------------------


@dataclass
class DueWork:
    """Open intervals and tasks of one vehicle, selected to be quoted together."""

    vehicle: Vehicle
    intervals: list[ServiceInterval]
    tasks: list[ServiceTask]

    @property
    def size(self) -> int:
        return len(self.intervals) + len(self.tasks)


@dataclass
class DueSelection:
    """Due work ticked on the Due page, one group per vehicle (by label).

    ``missing`` counts the ids that name no open work of the fleet: serviced or
    done since they were ticked, removed, or another fleet's.
    """

    groups: list[DueWork]
    missing: int = 0


def due_work_by_vehicle(
    *, org: Organization, interval_ids: Iterable[int], task_ids: Iterable[int]
) -> DueSelection:
    """The fleet's open intervals and tasks among the ids, grouped by vehicle. Two queries."""
    interval_ids, task_ids = set(interval_ids), set(task_ids)
    chosen_intervals = list(
        ServiceInterval.objects.open()
        .filter(org=org, pk__in=interval_ids)
        .select_related("vehicle", "vehicle__org")
    )
    chosen_tasks = list(
        ServiceTask.objects.open()
        .filter(org=org, pk__in=task_ids)
        .select_related("vehicle", "vehicle__org")
    )
    groups: dict[int, DueWork] = {}
    for interval in chosen_intervals:
        groups.setdefault(interval.vehicle_id, DueWork(interval.vehicle, [], [])).intervals.append(
            interval
        )
    for task in chosen_tasks:
        groups.setdefault(task.vehicle_id, DueWork(task.vehicle, [], [])).tasks.append(task)
    missing = len(interval_ids) + len(task_ids) - len(chosen_intervals) - len(chosen_tasks)
    ordered = sorted(groups.values(), key=lambda w: (w.vehicle.label.lower(), w.vehicle.pk))
    return DueSelection(ordered, missing)


def open_work(
    vehicle: Vehicle, interval_ids: Iterable[int], task_ids: Iterable[int]
) -> tuple[list[ServiceInterval], list[ServiceTask]]:
    """Those of the given intervals and tasks that are the vehicle's and still open."""
    return (
        list(ServiceInterval.objects.open().filter(vehicle=vehicle, pk__in=list(interval_ids))),
        list(
            ServiceTask.objects.filter(vehicle=vehicle, pk__in=list(task_ids)).exclude(
                status="done"
            )
        ),
    )


# --- work already quoted or ordered -----------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """The pending quote or open order an interval or task is on."""

    kind: str  # "quote" or "order"
    pk: int

    @property
    def label(self) -> str:
        return f"{self.kind} {self.pk}"

    @property
    def url(self) -> str:
        name = "orders:quote" if self.kind == "quote" else "orders:detail"
        return reverse(name, args=[self.pk])


@dataclass
class WorkHolders:
    """Which pending quote or open order holds each interval and task (by id)."""

    intervals: dict[int, Holder]
    tasks: dict[int, Holder]

    def __bool__(self) -> bool:
        return bool(self.intervals or self.tasks)


def _holders_sql() -> str:
    quote_intervals = Quote.intervals.through._meta.db_table
    quote_tasks = Quote.tasks.through._meta.db_table
    order_intervals = ServiceOrder.intervals.through._meta.db_table
    order_tasks = ServiceOrder.tasks.through._meta.db_table
    quote, order = Quote._meta.db_table, ServiceOrder._meta.db_table
    active = ", ".join(f"'{status}'" for status in ACTIVE)
    open_quote = "q.org_id = %(org)s AND q.status = 'pending' AND q.valid_until >= %(now)s"
    open_order = f"o.org_id = %(org)s AND o.status IN ({active})"
    return f"""
        SELECT 'interval', w.serviceinterval_id, 'quote', q.id
          FROM {quote_intervals} w JOIN {quote} q ON q.id = w.quote_id
         WHERE {sql.in_ids("w.serviceinterval_id", "intervals")} AND {open_quote}
        UNION ALL
        SELECT 'task', w.servicetask_id, 'quote', q.id
          FROM {quote_tasks} w JOIN {quote} q ON q.id = w.quote_id
         WHERE {sql.in_ids("w.servicetask_id", "tasks")} AND {open_quote}
        UNION ALL
        SELECT 'interval', w.serviceinterval_id, 'order', o.id
          FROM {order_intervals} w JOIN {order} o ON o.id = w.serviceorder_id
         WHERE {sql.in_ids("w.serviceinterval_id", "intervals")} AND {open_order}
        UNION ALL
        SELECT 'task', w.servicetask_id, 'order', o.id
          FROM {order_tasks} w JOIN {order} o ON o.id = w.serviceorder_id
         WHERE {sql.in_ids("w.servicetask_id", "tasks")} AND {open_order}
    """


def work_holders(
    org: Organization,
    interval_ids: Iterable[int],
    task_ids: Iterable[int],
    *,
    now: datetime | None = None,
    with_quotes: bool = True,
) -> WorkHolders:
    """The pending (unexpired) quote or open order each of these intervals and tasks is on.

    One statement for a whole page of rows. An order outranks a quote, and the
    oldest holder is named when (from before this rule) there are several.
    """
    interval_ids, task_ids = list(interval_ids), list(task_ids)
    found = WorkHolders({}, {})
    if not interval_ids and not task_ids:
        return found
    rows = sql.run(
        _holders_sql(),
        {
            "org": org.pk,
            "now": now or timezone.now(),
            "intervals": sql.ids_param(interval_ids),
            "tasks": sql.ids_param(task_ids),
        },
    )
    rank = {"order": 0, "quote": 1}
    for work, work_id, kind, holder_id in sorted(rows, key=lambda r: (rank[r[2]], r[3])):
        if kind == "quote" and not with_quotes:
            continue
        held = found.intervals if work == "interval" else found.tasks
        held.setdefault(work_id, Holder(kind, holder_id))
    return found


def mark_work_holders(org: Organization, intervals: Iterable, tasks: Iterable = ()) -> None:
    """Gives each interval and task row ``on_work``: the quote or order it is on, or None.

    For list pages: one statement for the page, whatever its length.
    """
    intervals, tasks = list(intervals), list(tasks)
    found = work_holders(org, [i.pk for i in intervals], [t.pk for t in tasks])
    for row in intervals:
        row.on_work = found.intervals.get(row.pk)
    for row in tasks:
        row.on_work = found.tasks.get(row.pk)


def with_task_holders(
    tasks: QuerySet[ServiceTask], org: Organization, *, now: datetime | None = None
) -> QuerySet[ServiceTask]:
    """The task rows with the ids of the pending quote and open order each is on.

    For a page of the task list: the ids come in the rows' own statement (two
    subqueries run for the rows read), so the markers cost no statement of
    their own. Annotate after counting: a count of these rows would run them
    for every match. ``task_holder`` reads them back, with the rule of
    ``work_holders``: an order outranks a quote, the oldest holder is named.
    """
    now = now or timezone.now()
    pending_quote = Quote.objects.filter(
        org=org, status=QuoteStatus.PENDING, valid_until__gte=now, tasks=OuterRef("pk")
    )
    open_order = ServiceOrder.objects.filter(org=org, status__in=ACTIVE, tasks=OuterRef("pk"))
    return tasks.annotate(
        on_quote_id=Subquery(pending_quote.order_by("pk").values("pk")[:1]),
        on_order_id=Subquery(open_order.order_by("pk").values("pk")[:1]),
    )


def task_holder(task: ServiceTask) -> Holder | None:
    """The holder of a row read through ``with_task_holders``."""
    if task.on_order_id:
        return Holder("order", task.on_order_id)
    if task.on_quote_id:
        return Holder("quote", task.on_quote_id)
    return None


# --- quotes -------------------------------------------------------------------------------


def org_quotes(org: Organization) -> QuoteQuerySet:
    """The fleet's quotes, each with its ``effective_status`` (expired once past validity)."""
    return (
        Quote.objects.filter(org=org)
        .with_effective_status()
        .select_related("vehicle", "servicer")
        .prefetch_related("items")
    )


def quote_for(org: Organization, quote_id: int) -> Quote:
    quote = org_quotes(org).filter(pk=quote_id).first()
    if quote is None:
        raise NotFound("Quote not found.")
    return quote


def pending_quotes(org: Organization, limit: int = 10) -> list[Quote]:
    """The newest quotes still waiting for the fleet's answer (expired ones are not)."""
    return list(
        org_quotes(org)
        .filter(effective_status=QuoteStatus.PENDING)
        .prefetch_related(None)
        .order_by("-created_at", "-id")[:limit]
    )


# --- orders -------------------------------------------------------------------------------


def _by_status(orders: QuerySet[ServiceOrder], status: str) -> QuerySet[ServiceOrder]:
    if status == "active":
        return orders.filter(status__in=ACTIVE)
    if status in OrderStatus.values:
        return orders.filter(status=status)
    return orders


def org_orders(org: Organization, status: str = "") -> QuerySet[ServiceOrder]:
    orders = ServiceOrder.objects.filter(org=org).select_related("vehicle", "servicer")
    return _by_status(orders, status).prefetch_related("items")


def order_list_rows(org: Organization, status: str = "") -> QuerySet[ServiceOrder]:
    """The Orders page's rows: what the table shows, newest first, without their items."""
    return org_orders(org, status).prefetch_related(None).order_by("-created_at", "-id")


def servicer_orders(servicer: Servicer, status: str = "") -> QuerySet[ServiceOrder]:
    orders = ServiceOrder.objects.filter(servicer=servicer).select_related("vehicle", "org")
    return _by_status(orders, status).prefetch_related("items")


def order_detail(queryset: QuerySet[ServiceOrder]) -> QuerySet[ServiceOrder]:
    return queryset.select_related("vehicle", "servicer", "org", "quote").prefetch_related(
        "items",
        "issues",
        "intervals",
        "tasks",
        Prefetch("events", queryset=OrderEvent.objects.select_related("by_user")),
    )


def _order(queryset: QuerySet[ServiceOrder], order_id: int | str) -> ServiceOrder:
    # Ids arrive from URLs too (the compat paths take any text): a non-number is no order.
    if isinstance(order_id, str):
        if not (order_id.isdecimal() and len(order_id) < 19):
            raise NotFound("Service order not found.")
        order_id = int(order_id)
    order = queryset.filter(pk=order_id).select_related("vehicle", "servicer", "org").first()
    if order is None:
        raise NotFound("Service order not found.")
    return order


def order_for_org(org: Organization, order_id: int | str) -> ServiceOrder:
    return _order(ServiceOrder.objects.filter(org=org), order_id)


def order_for_servicer(servicer: Servicer, order_id: int | str) -> ServiceOrder:
    return _order(ServiceOrder.objects.filter(servicer=servicer), order_id)


def authorized_spend(order: ServiceOrder) -> Decimal:
    # Only issues authorised in advance draw on the pre-authorised amount;
    # those an advisor approved were paid for by that decision.
    spent = order.issues.filter(status=IssueStatus.AUTHORIZED).aggregate(total=Sum("cost"))["total"]
    return spent or Decimal("0.00")
