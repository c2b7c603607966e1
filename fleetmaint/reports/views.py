"""The dashboard: the first page an advisor opens in the morning."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.access import member_required
from fleetmaint.charts import bar_chart
from fleetmaint.reports import queries
from fleetmaint.web import render_page


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
    context = {
        "overview": overview,
        "horizon": queries.HORIZON_DAYS,
        "greeting": greeting,
        "cost_chart": cost_chart,
        "cost_orders": sum(row.orders for row in costs),
        "cost_tasks": sum(row.tasks for row in costs),
        "cost_months": queries.COST_MONTHS,
        "due_chart": _due_chart(overview.weeks),
        "timeline_days": queries.TIMELINE_DAYS,
    }
    return render_page(request, "reports/dashboard.html", context)


def _due_chart(weeks: list[queries.DueWeek]):
    """What falls due per week; each bar opens the week's open tasks."""
    tasks = reverse("tasks:list")
    return bar_chart(
        [(f"{week.start:%-d %b}", week.total) for week in weeks],
        title="Due per week",
        names=[f"Week of {week.start:%-d %B}" for week in weeks],
        links=[f"{tasks}?{queries.week_query(week)}" for week in weeks],
    )
