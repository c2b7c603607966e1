"""The dashboard: the first page an advisor opens in the morning.

It is the page everyone loads at once, so what the template would format
row by row (dates in the local time zone, grouped numbers, badges, the
charts' SVG) is formatted here once, and the template only places strings.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.access import member_required
from fleetmaint.charts import BarChart, bar_chart
from fleetmaint.reports import queries
from fleetmaint.tasks.models import Status
from fleetmaint.web import render_page

# The badges of the lists: what ``tasks/_status.html`` shows, in the Status labels' words.
TASK_BADGES = {
    Status.EXPIRED: ("badge danger", Status.EXPIRED.label.lower()),
    Status.NOTIFIED: ("badge warn", Status.NOTIFIED.label.lower()),
    Status.DONE: ("badge ok", Status.DONE.label.lower()),
}
PLANNED_BADGE = ("badge", Status.CREATED.label.lower())
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
    """One line of the "Due in the next 90 days" table, as shown: a week, or what is
    overdue already (no week, no orders: an order has no limit to pass)."""

    iso: str  # the week's Monday; empty on the overdue line
    label: str
    tasks: str
    tasks_url: str
    intervals: str
    intervals_url: str
    orders: str  # empty on the overdue line
    orders_url: str
    overdue: bool = False


@dataclass(frozen=True)
class ListUrls:
    """The lists the timeline links to."""

    tasks: str
    due: str
    orders: str

    @property
    def expired_tasks(self) -> str:
        return f"{self.tasks}?status={Status.EXPIRED}"

    @property
    def required_services(self) -> str:
        return f"{self.due}?state=required"

    def week_tasks(self, week: queries.DueWeek) -> str:
        return f"{self.tasks}?{queries.week_query(week)}"


@member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    hour = timezone.localtime().hour
    greeting = "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
    costs = queries.cost_by_month(request.org)
    cost_chart = bar_chart(
        [(month_tick(row.month), float(row.total)) for row in costs],
        title="Maintenance cost per month",
        unit=request.org.currency,
        names=[f"{row.month:%B %Y}" for row in costs],
    )
    overview = queries.overview(request.org)
    urls = ListUrls(reverse("tasks:list"), reverse("intervals:due"), reverse("orders:list"))
    weeks = [_week_line(week, urls) for week in overview.weeks if week.total]
    if overview.overdue.total:
        weeks.insert(0, _overdue_line(overview.overdue, urls))
    context = {
        "overview": overview,
        "figures": {name: f"{getattr(overview, name):,}" for name in STATS},
        "attention": [_attention_line(entry) for entry in overview.attention],
        "coming": [_coming_line(entry) for entry in overview.coming],
        "weeks": weeks,
        "horizon": queries.HORIZON_DAYS,
        "greeting": greeting,
        "cost_chart": cost_chart,
        "cost_orders": sum(row.orders for row in costs),
        "cost_tasks": sum(row.tasks for row in costs),
        "cost_span": month_span(costs[0].month, costs[-1].month) if costs else "",
        "due_chart": _due_chart(overview.overdue, overview.weeks, urls),
        "timeline_days": queries.TIMELINE_DAYS,
    }
    return render_page(request, "reports/dashboard.html", context)


def month_tick(month: date) -> str:
    """A month on a chart's axis with its year's last two digits (an apostrophe before
    them, so "Jan 26" is not read as a day): twelve months span two years."""
    return f"{month:%b} \u2019{month:%y}"


def month_span(first: date, last: date) -> str:
    """The months a chart covers, "May 2025 to April 2026" (one year named once)."""
    if first == last:
        return f"{last:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


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


def _week_line(week: queries.DueWeek, urls: ListUrls) -> WeekLine:
    return WeekLine(
        iso=f"{week.start:%Y-%m-%d}",
        label=f"{week.start:%a} {week.start.day} {week.start:%b}",
        tasks=f"{week.tasks:,}",
        tasks_url=urls.week_tasks(week),
        intervals=f"{week.intervals:,}",
        intervals_url=urls.due,
        orders=f"{week.orders:,}",
        orders_url=f"{urls.orders}?status=active",
    )


def _overdue_line(overdue: queries.Overdue, urls: ListUrls) -> WeekLine:
    return WeekLine(
        iso="",
        label="Overdue",
        tasks=f"{overdue.tasks:,}",
        tasks_url=urls.expired_tasks,
        intervals=f"{overdue.intervals:,}",
        intervals_url=urls.required_services,
        orders="",
        orders_url="",
        overdue=True,
    )


def _overdue_link(overdue: queries.Overdue, urls: ListUrls) -> str:
    """The overdue bar opens the one list it counts, or the table line linking both."""
    if not overdue.intervals:
        return urls.expired_tasks
    if not overdue.tasks:
        return urls.required_services
    return "#due-overdue"


# The 90-day chart sits in a narrow card: about six axis labels stay readable there.
DUE_CHART_LABELS = 6


def _due_chart(overdue: queries.Overdue, weeks: list[queries.DueWeek], urls: ListUrls) -> BarChart:
    """What is overdue, then what falls due per week; each bar opens the list behind it."""
    this_year = timezone.localdate().year
    # A week of next year says so: the ninety days often cross New Year.
    series = [(_week_label(week.start, this_year), week.total) for week in weeks]
    names = [f"Week of {week.start:%-d %B %Y}" for week in weeks]
    links = [urls.week_tasks(week) for week in weeks]
    tones = [""] * len(weeks)
    title = "Due per week"
    if overdue.total:
        series.insert(0, ("Overdue", overdue.total))
        names.insert(0, "Overdue")
        links.insert(0, _overdue_link(overdue, urls))
        tones.insert(0, "danger")
        title = "Overdue and due per week"
    return bar_chart(
        series, title=title, names=names, links=links, tones=tones, max_labels=DUE_CHART_LABELS
    )


def _week_label(start: date, this_year: int) -> str:
    return f"{start:%-d %b}" if start.year == this_year else f"{start:%-d %b ’%y}"
