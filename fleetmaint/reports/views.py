"""The dashboard: the first page an advisor opens in the morning.

It is the page everyone loads at once, so what the template would format
row by row (dates in the local time zone, grouped numbers, badges, the
charts' SVG) is formatted here once, and the template only places strings.
"""

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.access import member_required
from fleetmaint.charts import BarChart, bar_chart
from fleetmaint.reports import queries
from fleetmaint.tasks.models import Status
from fleetmaint.web import render_page

# The badges of the lists: what ``tasks/_status.html`` shows for an open task.
TASK_BADGES = {
    Status.EXPIRED: ("badge danger", "expired"),
    Status.NOTIFIED: ("badge warn", "due soon"),
    Status.DONE: ("badge ok", "done"),
}
PLANNED_BADGE = ("badge", "planned")
REQUIRED_BADGE = ("badge danger", "service required")
COMING_BADGES = {"order": ("badge info", "order"), "task": ("badge warn", "task")}
SERVICE_BADGE = ("badge ok", "service")

STATS = (
    "expired_tasks",
    "due_soon_tasks",
    "required_intervals",
    "soon_intervals",
    "open_tasks",
    "orders_in_progress",
    "orders_delayed",
    "contracts_expiring",
)


@dataclass(frozen=True)
class Line:
    """One line of "Needs attention" or "Coming up", as shown."""

    kind: str
    title: str
    vehicle: str
    url: str
    badge_class: str
    badge: str
    detail: str  # the mileage with its unit, or the day
    moment: str  # the local moment in ISO 8601, for <time datetime>


@dataclass(frozen=True)
class WeekLine:
    """One week of the "Due in the next 90 days" table, as shown."""

    iso: str
    label: str
    tasks: str
    tasks_url: str
    intervals: str
    orders: str


@member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    hour = timezone.localtime().hour
    greeting = "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
    costs = queries.cost_by_month(request.org)
    cost_chart = bar_chart(
        [(f"{row.month:%b}", float(row.total)) for row in costs],
        title="Maintenance cost per month",
        unit=request.org.currency,
        names=[f"{row.month:%B %Y}" for row in costs],
    )
    overview = queries.overview(request.org)
    tasks_url = reverse("tasks:list")
    context = {
        "overview": overview,
        "figures": {name: f"{getattr(overview, name):,}" for name in STATS},
        "attention": [_attention_line(entry) for entry in overview.attention],
        "coming": [_coming_line(entry) for entry in overview.coming],
        "weeks": [_week_line(week, tasks_url) for week in overview.weeks if week.total],
        "horizon": queries.HORIZON_DAYS,
        "greeting": greeting,
        "cost_chart": cost_chart,
        "cost_orders": sum(row.orders for row in costs),
        "cost_tasks": sum(row.tasks for row in costs),
        "cost_months": queries.COST_MONTHS,
        "due_chart": _due_chart(overview.weeks, tasks_url),
        "timeline_days": queries.TIMELINE_DAYS,
    }
    return render_page(request, "reports/dashboard.html", context)


def _local(moment: datetime | None) -> datetime | None:
    """A moment in the organization's time zone, as the ``date`` filter shows it."""
    return timezone.localtime(moment) if moment is not None else None


def _line(entry: queries.Entry, badge: tuple[str, str], detail: str) -> Line:
    when = _local(entry.when)
    return Line(
        kind=entry.kind,
        title=entry.title,
        vehicle=entry.vehicle,
        url=entry.url,
        badge_class=badge[0],
        badge=badge[1],
        detail=detail,
        moment=when.isoformat() if when else "",
    )


def _day(entry: queries.Entry) -> str:
    when = _local(entry.when)
    return f"{when:%Y-%m-%d}" if when else ""


def _attention_line(entry: queries.Entry) -> Line:
    badge = TASK_BADGES.get(entry.status, PLANNED_BADGE) if entry.kind == "task" else REQUIRED_BADGE
    detail = f"{entry.mileage:,} {entry.unit}" if entry.mileage is not None else _day(entry)
    return _line(entry, badge, detail)


def _coming_line(entry: queries.Entry) -> Line:
    return _line(entry, COMING_BADGES.get(entry.kind, SERVICE_BADGE), _day(entry))


def _week_line(week: queries.DueWeek, tasks_url: str) -> WeekLine:
    return WeekLine(
        iso=f"{week.start:%Y-%m-%d}",
        label=f"{week.start:%a} {week.start.day} {week.start:%b}",
        tasks=f"{week.tasks:,}",
        tasks_url=f"{tasks_url}?{queries.week_query(week)}",
        intervals=f"{week.intervals:,}",
        orders=f"{week.orders:,}",
    )


def _due_chart(weeks: list[queries.DueWeek], tasks_url: str) -> BarChart:
    """What falls due per week; each bar opens the week's open tasks."""
    return bar_chart(
        [(f"{week.start:%-d %b}", week.total) for week in weeks],
        title="Due per week",
        names=[f"Week of {week.start:%-d %B}" for week in weeks],
        links=[f"{tasks_url}?{queries.week_query(week)}" for week in weeks],
    )
