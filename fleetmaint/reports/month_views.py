"""The month calendar page: ``/calendar/?month=2027-01`` (and ``&day=2027-01-14``)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from fleetmaint import days
from fleetmaint.accounts.access import member_required
from fleetmaint.reports import month as months
from fleetmaint.web import render_page

WEEKDAYS = (
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
)


def _shown(raw: str) -> str:
    """What was asked for, fit to be quoted back: printable, and short."""
    text = "".join(char for char in raw if char.isprintable())
    return text[:20] + ("…" if len(text) > 20 else "")


@member_required
@require_GET
def month_page(request: HttpRequest) -> HttpResponse:
    today = days.today(request.org)
    raw = request.GET.get("month", "")
    first, understood = months.parse_month(raw, today)
    if not understood and not request.htmx:
        messages.warning(
            request,
            f"“{_shown(raw)}” is not a month such as {today:%Y-%m}: this month is shown instead.",
        )
    context = {
        "month": months.month_of(request.org, first, today),
        "weekdays": WEEKDAYS,
        "day": None,
    }
    day = months.parse_day(request.GET.get("day", ""), first)
    if day is not None:
        items, totals = months.day_of(request.org, day, today)
        context.update(
            day=day,
            day_items=items,
            day_hidden=sum(totals.values()) - len(items),
            day_tasks_url=months.tasks_of_day_url(day),
        )
    return render_page(request, "reports/calendar.html", context, partial="calendar")
