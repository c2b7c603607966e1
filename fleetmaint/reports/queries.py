"""What the dashboard shows: what is overdue and what is coming, across the fleet."""

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import queries as contract_queries
from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.intervals import evaluation as interval_evaluation
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.intervals.services import DUE_SOON_DAYS
from fleetmaint.orders import queries as order_queries
from fleetmaint.orders.models import OrderStatus, ServiceOrder
from fleetmaint.reports.dashboard_lists import COMING_ROWS, HORIZON_DAYS, Entry, entries
from fleetmaint.tasks import tally
from fleetmaint.tasks.models import OPEN_STATUSES, ServiceTask, Status
from fleetmaint.vehicles import meters_sql

TIMELINE_DAYS = 90


@dataclass
class DueWeek:
    start: date
    tasks: int = 0
    intervals: int = 0
    orders: int = 0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def total(self) -> int:
        return self.tasks + self.intervals + self.orders


def week_query(week: DueWeek) -> str:
    """The Tasks page's filter for the open tasks predicted to end in the week."""
    return f"due_from={week.start:%Y-%m-%d}&due_to={week.end:%Y-%m-%d}"


@dataclass(frozen=True)
class Overdue:
    """What is past due already, the timeline's first row: expired tasks and services
    required (by their mileage or date), the counts the Tasks and Due pages filter to.

    These are left out of the weeks, whatever day their prediction names: an
    interval past its mileage is predicted "now", an expired task at the reading
    that passed its limit, so they would count as due this week.
    """

    tasks: int = 0
    intervals: int = 0

    @property
    def total(self) -> int:
        return self.tasks + self.intervals


@dataclass
class Overview:
    expired_tasks: int
    due_soon_tasks: int
    open_tasks: int
    required_intervals: int
    soon_intervals: int
    orders_in_progress: int
    orders_delayed: int
    contracts_expiring: int
    attention: list[Entry]
    coming: list[Entry]
    overdue: Overdue
    weeks: list[DueWeek]


def overview(org: Organization) -> Overview:
    """Everything the dashboard shows, in a fixed number of queries whatever the fleet's size.

    Task counts come from the tally; intervals and orders are grouped by
    state and local day in one query each; the lists are the first rows of
    indexes, all fetched in one UNION. The weeks count what falls due from
    today on; what is overdue already is counted apart (``Overdue``).
    """
    zone = zoneinfo.ZoneInfo(org.time_zone)
    today = timezone.localdate(timezone=zone)
    last = today + timedelta(days=TIMELINE_DAYS)
    tasks = tally.summary(org, today, last)
    intervals = _interval_summary(org, zone, today, last)
    orders = _order_summary(org, zone)
    weeks = _weeks(today, last)
    for kind, by_day in (
        ("tasks", tasks.upcoming_by_day),
        ("intervals", intervals.by_day),
        ("orders", orders.by_day),
    ):
        for day, n in by_day.items():
            if today <= day <= last:
                week = weeks[day - timedelta(days=day.weekday())]
                setattr(week, kind, getattr(week, kind) + n)
    found = entries(org, _wanted(tasks, intervals, orders, today))
    return Overview(
        expired_tasks=tasks.statuses[Status.EXPIRED],
        due_soon_tasks=tasks.statuses[Status.NOTIFIED],
        open_tasks=sum(tasks.statuses[status] for status in OPEN_STATUSES),
        required_intervals=intervals.required,
        soon_intervals=intervals.soon,
        orders_in_progress=orders.by_status.get(OrderStatus.IN_PROGRESS, 0),
        orders_delayed=orders.by_status.get(OrderStatus.DELAYED, 0),
        contracts_expiring=contract_queries.expiring_count(org, today),
        attention=[entry for entry in found if entry.section == "attention"],
        coming=[entry for entry in found if entry.section == "coming"][:COMING_ROWS],
        overdue=Overdue(tasks=tasks.statuses[Status.EXPIRED], intervals=intervals.required),
        weeks=list(weeks.values()),
    )


def _weeks(first: date, last: date) -> dict[date, DueWeek]:
    """The weeks (Monday first) from the one holding ``first`` to the one holding ``last``."""
    start = first - timedelta(days=first.weekday())
    weeks = {}
    while start <= last:
        weeks[start] = DueWeek(start)
        start += timedelta(days=7)
    return weeks


@dataclass
class _IntervalSummary:
    required: int = 0
    soon: int = 0
    by_day: dict = field(default_factory=dict)


# Open intervals of the organization's vehicles in use.
_OPEN_IN_USE = (
    "i.org_id = %(org)s AND i.serviced_at IS NULL AND i.vehicle_id NOT IN "
    "(SELECT id FROM vehicles_vehicle WHERE org_id = %(org)s AND archived)"
)
_EXPECTED = "COALESCE(i.predicted_due_at, i.service_at_date)"
_IN_WINDOW = f"{_EXPECTED} >= %(since)s AND {_EXPECTED} < %(until)s"


def _interval_summary_sql(day: str) -> str:
    """Rows of (required, soon, day, n), in three parts that read only what they count.

    1. Open intervals per local day they are expected (``day``), in the window;
       ``required`` is NULL.
    2. Intervals the evaluation flagged (``due_at`` or ``near_at``): measured
       against the odometer, by the rules of ``intervals.queries._with_state``.
    3. Intervals without a flag whose date or predicted date is near: the
       evaluation flags every interval within ``DUE_SOON_DISTANCE`` of its mileage
       (``intervals.evaluation``), so for these the dates alone decide.

    Parts 2 and 3 give a required interval expected in the window its ``day``: it
    is overdue whatever day its prediction names (one past its mileage is
    predicted "now"), so it is taken back from part 1's day, which keeps what is
    still to fall due. Excluding it in part 1 instead would compare every
    interval in the window with its vehicle.
    """
    required = f"CASE WHEN {meters_sql.INTERVAL_REQUIRED} THEN 1 ELSE 0 END"
    soon = f"CASE WHEN {interval_evaluation.SOON} THEN 1 ELSE 0 END"
    by_date = meters_sql.INTERVAL_BY_DATE
    # The days come first: PostgreSQL types a UNION's NULLs by the parts before them.
    return (
        f"SELECT NULL AS required, NULL AS soon, {day} AS day, COUNT(*) AS n "
        "FROM intervals_serviceinterval i "
        f"WHERE {_OPEN_IN_USE} AND {_IN_WINDOW} "
        "GROUP BY 3 UNION ALL "
        f"SELECT {required}, {soon}, "
        f"CASE WHEN {meters_sql.INTERVAL_REQUIRED} AND {_IN_WINDOW} THEN {day} END, COUNT(*) "
        "FROM intervals_serviceinterval i JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
        "WHERE i.org_id = %(org)s AND i.serviced_at IS NULL AND NOT v.archived "
        "AND (i.due_at IS NOT NULL OR i.near_at IS NOT NULL) "  # interval_open_flagged_idx
        "GROUP BY 1, 2, 3 UNION ALL "
        f"SELECT CASE WHEN {by_date} THEN 1 ELSE 0 END, 1, "
        f"CASE WHEN {by_date} AND {_IN_WINDOW} THEN {day} END, COUNT(*) "
        f"FROM intervals_serviceinterval i WHERE {_OPEN_IN_USE} "
        "AND i.due_at IS NULL AND i.near_at IS NULL "
        # interval_date_sweep_idx, interval_open_due_idx
        "AND (i.service_at_date <= %(horizon)s OR i.predicted_due_at <= %(horizon)s) "
        "GROUP BY 1, 3"
    )


# The local day of each interval: on PostgreSQL the number of the days' first moments
# at or before it (comparing beats a time-zone conversion per interval), on SQLite the
# day itself.
_INTERVAL_SUMMARY_PG = _interval_summary_sql(
    f"width_bucket({_EXPECTED}, CAST(%(starts)s AS timestamptz[]))"
)
_INTERVAL_SUMMARY_SQLITE = _interval_summary_sql(f"fm_local_date({_EXPECTED}, %(zone)s)")


def _interval_summary(
    org: Organization, zone: zoneinfo.ZoneInfo, first: date, last: date
) -> _IntervalSummary:
    """Required and due-soon intervals, and open ones per local day they are expected,
    from ``first`` to ``last``, in one statement that reads only what it counts."""
    now = timezone.now()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    starts = [datetime.combine(day, time.min, tzinfo=zone) for day in days]
    params = {
        "org": org.pk,
        "now": now,
        "horizon": now + timedelta(days=DUE_SOON_DAYS),
        "since": starts[0],
        "until": datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    }
    if sql.on_postgres():
        # One array literal, not ninety-odd values adapted one by one.
        params["starts"] = "{" + ",".join(start.isoformat() for start in starts) + "}"
        rows = sql.run(_INTERVAL_SUMMARY_PG, params)
    else:
        params["zone"] = org.time_zone
        rows = sql.run(_INTERVAL_SUMMARY_SQLITE, params)
    summary = _IntervalSummary()
    by_day: Counter[date] = Counter()
    for required, soon, day, n in rows:
        when = _summary_day(day, days)
        if required is None:  # part 1: open intervals per day
            by_day[when] += n
        elif required:
            summary.required += n
            if when is not None:  # overdue: not due on the day it was expected
                by_day[when] -= n
        elif soon:
            summary.soon += n
    summary.by_day = {day: n for day, n in by_day.items() if n}
    return summary


def _summary_day(day: int | str | None, days: list[date]) -> date | None:
    """A row's day: the number of its day on PostgreSQL, the day's text on SQLite."""
    if day is None:
        return None
    return days[day - 1] if isinstance(day, int) else date.fromisoformat(day)


@dataclass
class _OrderSummary:
    by_status: dict = field(default_factory=dict)
    by_day: dict = field(default_factory=dict)


_ORDER_SUMMARY = (
    f"SELECT o.status, {sql.local_date('o.estimated_completion', '%(zone)s')}, COUNT(*) "
    "FROM orders_serviceorder o WHERE o.org_id = %(org)s AND o.status IN ("
    + ", ".join(f"'{status}'" for status in order_queries.ACTIVE)
    + ") GROUP BY 1, 2"
)


def _order_summary(org: Organization, zone: zoneinfo.ZoneInfo) -> _OrderSummary:
    """Active orders per status, and per local day the servicer expects to finish."""
    summary = _OrderSummary()
    for status, day, n in sql.run(_ORDER_SUMMARY, {"org": org.pk, "zone": zone.key}):
        summary.by_status[status] = summary.by_status.get(status, 0) + n
        if day is not None:
            day = day if isinstance(day, date) else date.fromisoformat(day)
            summary.by_day[day] = summary.by_day.get(day, 0) + n
    return summary


def _wanted(
    tasks: tally.Summary, intervals: _IntervalSummary, orders: _OrderSummary, today: date
) -> set[str]:
    """The lists with something to show, as the counts already tell: the others cost nothing."""

    def soon(by_day: dict) -> bool:
        return any(today <= day <= today + timedelta(days=HORIZON_DAYS + 1) for day in by_day)

    flags = {
        "expired": tasks.statuses[Status.EXPIRED] > 0,
        "notified": tasks.statuses[Status.NOTIFIED] > 0,
        "required": intervals.required > 0,
        "coming tasks": soon(tasks.open_by_day),
        "coming intervals": soon(intervals.by_day),
        "coming orders": soon(orders.by_day),
    }
    return {name for name, wanted in flags.items() if wanted}


COST_MONTHS = 12
COMPLETED_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CLOSED)
CENT = Decimal("0.01")


@dataclass
class MonthTotal:
    """One bar of the dashboard's cost chart."""

    month: date
    orders: Decimal
    tasks: Decimal

    @property
    def total(self) -> Decimal:
        return self.orders + self.tasks


def _month_text(moment: str) -> str:
    """The local month of a moment as YYYY-MM, the same text on PostgreSQL and SQLite."""
    return f"substr({sql.date_text(sql.local_date(moment, '%(zone)s'))}, 1, 7)"


_COMPLETED = ", ".join(f"'{status}'" for status in COMPLETED_ORDER_STATUSES)
# ``cost_queries.cost_rows`` is the rule (what the fleet paid: order items no contract
# covered, tasks done, intervals serviced); this is the same rule written out in SQL
# for the dashboard, and a test holds the two equal.
_COST_BY_MONTH = (
    f"SELECT 'orders', {_month_text('o.completed_at')}, SUM(item.total) "
    "FROM orders_orderitem item JOIN orders_serviceorder o ON o.id = item.order_id "
    f"WHERE o.org_id = %(org)s AND o.status IN ({_COMPLETED}) AND o.completed_at >= %(since)s "
    "AND item.covered_by_id IS NULL "
    "GROUP BY 2 UNION ALL "
    f"SELECT 'tasks', {_month_text('t.completion_date')}, SUM(t.cost) "
    "FROM tasks_servicetask t "
    f"WHERE t.org_id = %(org)s AND t.status = '{Status.DONE}' "
    "AND t.completion_date >= %(since)s GROUP BY 2 UNION ALL "
    # Serviced intervals count with the tasks: work recorded done, not ordered.
    f"SELECT 'tasks', {_month_text('s.serviced_at')}, SUM(s.cost) "
    "FROM intervals_intervalservice s "
    "WHERE s.org_id = %(org)s AND s.reopened_at IS NULL AND s.serviced_at >= %(since)s "
    "GROUP BY 2"
)


def cost_by_month(org: Organization, *, months: int = COST_MONTHS) -> list[MonthTotal]:
    """Maintenance cost per month in the organization's time zone, oldest first.

    Completed orders count their items' totals in the month they were completed,
    done tasks and serviced intervals their cost in the month they were done: the
    aggregates in one statement, written out so that no queryset is compiled per
    page view.
    """
    zone = zoneinfo.ZoneInfo(org.time_zone)
    first = add_months(timezone.localdate(timezone=zone), -(months - 1))
    since = datetime.combine(first, time.min, tzinfo=zone)
    by_month = {
        month: MonthTotal(month, Decimal("0.00"), Decimal("0.00"))
        for month in month_range(first, add_months(first, months - 1))
    }
    params = {"org": org.pk, "since": since, "zone": org.time_zone}
    for attr, month_text, amount in sql.run(_COST_BY_MONTH, params):
        month = date.fromisoformat(f"{month_text}-01")
        if month in by_month and amount is not None:
            # SQLite sums decimals as floats: back to cents.
            amount = Decimal(str(amount)).quantize(CENT)
            setattr(by_month[month], attr, getattr(by_month[month], attr) + amount)
    return list(by_month.values())


def coming_intervals(org: Organization):
    """Open intervals with ``when`` they are expected: predicted, else their own date."""
    return (
        ServiceInterval.objects.open()
        .filter(org=org, vehicle__archived=False)
        .annotate(when=Coalesce("predicted_due_at", "service_at_date"))
        .filter(when__isnull=False)
        .select_related("vehicle")
        .order_by("when", "id")
    )


def coming_tasks(org: Organization):
    """Open tasks with ``when`` they are expected to end (the predicted end, which is
    never later than a task's own end date), in the order of an index."""
    return (
        ServiceTask.objects.filter(org=org, status__in=OPEN_STATUSES, vehicle__archived=False)
        .annotate(when=F("predicted_end_date"))
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


def coming_contracts(org: Organization):
    """Active contracts with ``when`` they end (a day, not a moment)."""
    return (
        VehicleContract.objects.filter(
            org=org, status=ContractStatus.ACTIVE, vehicle__archived=False
        )
        .annotate(when=F("end_date"))
        .filter(when__isnull=False)
        .select_related("vehicle")
        .order_by("when", "id")
    )


# --- calendar helpers shared by the cost reads and reports --------------------------


def org_zone(org: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s (before, if negative)."""
    return month.replace(day=1) + relativedelta(months=count)


def month_range(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months
