"""What the dashboard shows: what is overdue and what is coming, across the fleet."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, When
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import queries as contract_queries
from fleetmaint.intervals import queries as interval_queries
from fleetmaint.orders.models import OrderStatus, ServiceOrder
from fleetmaint.tasks import queries as task_queries
from fleetmaint.tasks.models import ServiceTask, Status

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
