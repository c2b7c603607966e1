"""What maintenance cost: the one rule, by vehicle, month and category.

A cost is counted in the month it was incurred, in the organization's time
zone: the payable part (what no contract covers) of a service order's items
in the month the order was completed (a closed order was completed first;
canceled and open orders cost nothing yet), the cost of a task in the month it
was done, and the cost of an interval's service in the month it was serviced
(a reopened service not). The cost report, the vehicle history report and the
vehicle's Costs tab all read it here, so they always agree.

Each source is one aggregate query grouped by vehicle and month (and, for
orders, by service type), whatever the number of rows behind it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth

from fleetmaint.accounts.models import Organization
from fleetmaint.intervals.models import IntervalService
from fleetmaint.orders.models import OrderItem, ServiceType
from fleetmaint.reports.queries import COMPLETED_ORDER_STATUSES, org_zone
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

ZERO = Decimal("0.00")

# Categories: work recorded done (tasks, serviced intervals) and orders by service type.
TASKS = "tasks"
INTERVALS = "intervals"
ORDER_PREFIX = "orders:"
CATEGORY_NAMES = {
    TASKS: "Tasks done",
    INTERVALS: "Scheduled services",
    **{f"{ORDER_PREFIX}{value}": f"Orders: {name.lower()}" for value, name in ServiceType.choices},
}


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category)


def is_order(category: str) -> bool:
    return category.startswith(ORDER_PREFIX)


@dataclass(frozen=True)
class CostRow:
    """What one vehicle spent in one month on one category."""

    vehicle_id: int
    month: date  # the first day of the month
    category: str
    amount: Decimal


def _month(value: datetime | date) -> date:
    return (value.date() if isinstance(value, datetime) else value).replace(day=1)


def _between(rows: QuerySet, field: str, since: datetime | None, until: datetime | None):
    if since is not None:
        rows = rows.filter(**{f"{field}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{field}__lt": until})
    return rows


def cost_rows(
    org: Organization,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    vehicle: Vehicle | None = None,
) -> list[CostRow]:
    """Costs per vehicle, month and category from ``since`` up to ``until``: three queries."""
    zone = org_zone(org)
    scope = {"vehicle": vehicle} if vehicle is not None else {}
    items = _between(
        OrderItem.objects.filter(
            order__org=org, order__status__in=COMPLETED_ORDER_STATUSES, covered_by__isnull=True
        ),
        "order__completed_at",
        since,
        until,
    )
    if vehicle is not None:
        items = items.filter(order__vehicle=vehicle)
    order_rows = (
        items.annotate(month=TruncMonth("order__completed_at", tzinfo=zone))
        .values("order__vehicle_id", "month", "order__service_type")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    rows = [
        CostRow(
            r["order__vehicle_id"],
            _month(r["month"]),
            f"{ORDER_PREFIX}{r['order__service_type']}",
            r["amount"] or ZERO,
        )
        for r in order_rows
    ]
    tasks = _between(
        ServiceTask.objects.filter(
            org=org, status=Status.DONE, completion_date__isnull=False, **scope
        ),
        "completion_date",
        since,
        until,
    )
    services = _between(
        IntervalService.objects.filter(org=org, reopened_at__isnull=True, **scope),
        "serviced_at",
        since,
        until,
    )
    for category, queryset, moment in (
        (TASKS, tasks, "completion_date"),
        (INTERVALS, services, "serviced_at"),
    ):
        grouped = (
            queryset.annotate(month=TruncMonth(moment, tzinfo=zone))
            .values("vehicle_id", "month")
            .annotate(amount=Sum("cost"))
            .order_by()
        )
        rows += [
            CostRow(r["vehicle_id"], _month(r["month"]), category, r["amount"] or ZERO)
            for r in grouped
        ]
    return rows


@dataclass
class MonthCost:
    """A month's cost in two parts: ordered from servicers, and recorded done."""

    orders: Decimal = ZERO
    tasks: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.orders + self.tasks

    def __add__(self, other: "MonthCost") -> "MonthCost":
        return MonthCost(self.orders + other.orders, self.tasks + other.tasks)


def monthly_costs(
    org: Organization, *, since: datetime | None = None, vehicle: Vehicle | None = None
) -> dict[tuple[int, date], MonthCost]:
    """Costs per (vehicle id, first day of month): orders, and tasks done with intervals
    serviced (work recorded done, not ordered) together."""
    found: dict[tuple[int, date], MonthCost] = defaultdict(MonthCost)
    for row in cost_rows(org, since=since, vehicle=vehicle):
        cell = found[(row.vehicle_id, row.month)]
        if is_order(row.category):
            cell.orders += row.amount
        else:
            cell.tasks += row.amount
    return dict(found)
