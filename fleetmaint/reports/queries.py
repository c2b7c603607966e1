"""What the dashboard shows: what is overdue and what is coming, across the fleet."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, F, Sum, When
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import queries as contract_queries
from fleetmaint.intervals import queries as interval_queries
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries as order_queries
from fleetmaint.orders.models import OrderItem, OrderStatus, ServiceOrder
from fleetmaint.tasks import queries as task_queries
from fleetmaint.tasks.models import OPEN_STATUSES, ServiceTask, Status

ATTENTION_ROWS = 8
HORIZON_DAYS = 30


@dataclass
class Overview:
    expired_tasks: int
    due_soon_tasks: int
    open_tasks: int
    required_intervals: int
    soon_intervals: int
    attention_tasks: list[ServiceTask]
    attention_intervals: list
    upcoming_tasks: list[ServiceTask]
    orders_in_progress: int
    orders_delayed: int
    contracts_expiring: int


def overview(org: Organization) -> Overview:
    counts = task_queries.status_counts(org)
    intervals = interval_queries.open_intervals(org, interval_queries.DueFilters())
    required = intervals.filter(is_required=True)
    soon = intervals.filter(is_required=False, is_soon=True)
    horizon = timezone.now() + timedelta(days=HORIZON_DAYS)
    tasks = ServiceTask.objects.filter(org=org).select_related("vehicle")
    orders = ServiceOrder.objects.filter(org=org)
    today = timezone.localdate()
    return Overview(
        orders_in_progress=orders.filter(status=OrderStatus.IN_PROGRESS).count(),
        orders_delayed=orders.filter(status=OrderStatus.DELAYED).count(),
        contracts_expiring=contract_queries.contract_list(
            org, contract_queries.ContractFilters(expiring=True), today
        ).count(),
        expired_tasks=counts[Status.EXPIRED],
        due_soon_tasks=counts[Status.NOTIFIED],
        open_tasks=counts[Status.CREATED] + counts[Status.NOTIFIED] + counts[Status.EXPIRED],
        required_intervals=required.count(),
        soon_intervals=soon.count(),
        attention_tasks=list(
            tasks.filter(status__in=[Status.EXPIRED, Status.NOTIFIED]).order_by(
                Case(When(status=Status.EXPIRED, then=0), default=1),
                "predicted_end_date",
                "id",
            )[:ATTENTION_ROWS]
        ),
        attention_intervals=list(required[:ATTENTION_ROWS]),
        upcoming_tasks=list(
            tasks.filter(status=Status.CREATED, predicted_end_date__lte=horizon).order_by(
                "predicted_end_date", "id"
            )[:ATTENTION_ROWS]
        ),
    )


COST_MONTHS = 12
TIMELINE_DAYS = 90
COMPLETED_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CLOSED)


@dataclass
class MonthCost:
    month: date
    orders: Decimal
    tasks: Decimal

    @property
    def total(self) -> Decimal:
        return self.orders + self.tasks


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def cost_by_month(org: Organization, *, months: int = COST_MONTHS) -> list[MonthCost]:
    """Maintenance cost per month in the organization's time zone, oldest first.

    Completed orders count their items' totals in the month they were completed,
    done tasks their cost in the month they were done: one aggregate query each.
    """
    zone = zoneinfo.ZoneInfo(org.time_zone)
    first = _month_start(timezone.localdate(timezone=zone), months - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    order_rows = (
        OrderItem.objects.filter(
            order__org=org,
            order__status__in=COMPLETED_ORDER_STATUSES,
            order__completed_at__gte=since,
        )
        .annotate(month=TruncMonth("order__completed_at", tzinfo=zone))
        .values("month")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    task_rows = (
        ServiceTask.objects.filter(org=org, status=Status.DONE, completion_date__gte=since)
        .annotate(month=TruncMonth("completion_date", tzinfo=zone))
        .values("month")
        .annotate(amount=Sum("cost"))
        .order_by()
    )
    by_month = {
        _month_start(first, -offset): MonthCost(
            _month_start(first, -offset), Decimal("0.00"), Decimal("0.00")
        )
        for offset in range(months)
    }
    for rows, attr in ((order_rows, "orders"), (task_rows, "tasks")):
        for row in rows:
            month = row["month"].astimezone(zone).date().replace(day=1)
            if month in by_month and row["amount"] is not None:
                setattr(by_month[month], attr, getattr(by_month[month], attr) + row["amount"])
    return list(by_month.values())


@dataclass
class DueEntry:
    kind: str  # "interval", "task" or "order"
    day: date
    title: str
    vehicle: str
    url: str


@dataclass
class DueWeek:
    start: date
    entries: list[DueEntry]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def coming_intervals(org: Organization):
    """Open intervals with ``when`` they are expected: predicted, else their own date."""
    return (
        ServiceInterval.objects.filter(org=org, serviced_at=None, vehicle__archived=False)
        .annotate(when=Coalesce("predicted_due_at", "service_at_date"))
        .filter(when__isnull=False)
        .select_related("vehicle")
        .order_by("when", "id")
    )


def coming_tasks(org: Organization):
    """Open tasks with ``when`` they are expected to end: predicted, else their end date."""
    return (
        ServiceTask.objects.filter(org=org, status__in=OPEN_STATUSES, vehicle__archived=False)
        .annotate(when=Coalesce("predicted_end_date", "date_end"))
        .filter(when__isnull=False)
        .select_related("vehicle")
        .order_by("when", "id")
    )


def coming_orders(org: Organization):
    """Active orders with ``when`` the servicer expects to finish."""
    return (
        ServiceOrder.objects.filter(org=org, status__in=order_queries.ACTIVE)
        .annotate(when=F("estimated_completion"))
        .filter(when__isnull=False)
        .select_related("vehicle", "servicer")
        .order_by("when", "id")
    )


def due_timeline(org: Organization, *, days: int = TIMELINE_DAYS) -> list[DueWeek]:
    """What falls due from today to ``days`` ahead, grouped by week (Monday first).

    Open intervals by their expected date, open tasks by their predicted end,
    active orders by their estimated completion: one query each.
    """
    zone = zoneinfo.ZoneInfo(org.time_zone)
    today = timezone.localdate(timezone=zone)
    since = datetime.combine(today, time.min, tzinfo=zone)
    until = datetime.combine(today + timedelta(days=days), time.max, tzinfo=zone)
    entries: list[DueEntry] = []
    for interval in coming_intervals(org).filter(when__gte=since, when__lte=until):
        entries.append(
            DueEntry(
                "interval",
                interval.when.astimezone(zone).date(),
                interval.name,
                interval.vehicle.label,
                reverse("intervals:schedule", args=[interval.vehicle_id]),
            )
        )
    for task in coming_tasks(org).filter(when__gte=since, when__lte=until):
        entries.append(
            DueEntry(
                "task",
                task.when.astimezone(zone).date(),
                task.description,
                task.vehicle.label,
                reverse("tasks:vehicle", args=[task.vehicle_id]),
            )
        )
    for order in coming_orders(org).filter(when__gte=since, when__lte=until):
        entries.append(
            DueEntry(
                "order",
                order.when.astimezone(zone).date(),
                f"Order {order.pk} at {order.servicer.name}",
                order.vehicle.label,
                reverse("orders:detail", args=[order.pk]),
            )
        )
    entries.sort(key=lambda entry: (entry.day, entry.kind, entry.title))
    weeks: dict[date, DueWeek] = {}
    for entry in entries:
        start = entry.day - timedelta(days=entry.day.weekday())
        weeks.setdefault(start, DueWeek(start, [])).entries.append(entry)
    return list(weeks.values())
