"""The vehicle record's History and Costs tabs: what was done to a vehicle and what it cost.

Views only translate: the URL's page, filter and period in, the reads of
``timeline`` and ``vehicle_costs`` out, one template for the page and its htmx
fragment.
"""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode

from fleetmaint.accounts.access import get_owned, member_required
from fleetmaint.charts import BarChart, bar_chart
from fleetmaint.reports import timeline, vehicle_costs
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import render_page

PAGE_SIZE = 20
# The printable record shows this many entries at most; the PDF report holds everything.
PRINT_ROWS = 500
# More bars than this and only every second (third...) one is named on the axis.
NAMED_BARS = 12


def _get_vehicle(request: HttpRequest, pk: int) -> Vehicle:
    return get_owned(request, Vehicle.objects.select_related("org"), pk=pk)


def _filters(kind: str) -> list[tuple[str, str, str, bool]]:
    """(value, label, URL, chosen) for each filter of the history; the page starts again."""
    return [
        (value, label, f"?{urlencode({'kind': value})}" if value else "?", value == kind)
        for value, (label, _) in timeline.FILTERS.items()
    ]


@member_required
def vehicle_history(request: HttpRequest, pk: int) -> HttpResponse:
    """One timeline of what happened to the vehicle, newest first, a page at a time."""
    vehicle = _get_vehicle(request, pk)
    kind = request.GET.get("kind", "")
    if kind not in timeline.FILTERS:
        kind = ""
    printing = request.GET.get("print") == "1"
    entries = timeline.VehicleTimeline(vehicle, kind)
    if printing:
        page = Paginator(entries, PRINT_ROWS).get_page(1)
    else:
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {"kind": kind} if kind else {}
    context = {
        "vehicle": vehicle,
        "page": page,
        "kind": kind,
        "filters": _filters(kind),
        "query": urlencode(kept),
        "print_query": urlencode({**kept, "print": "1"}),
        "printing": printing,
        "kind_label": timeline.FILTERS[kind][0],
    }
    return render_page(request, "record/history.html", context, partial="history")


def _month_chart(costs: vehicle_costs.VehicleCosts, currency: str) -> BarChart:
    """One bar per month; the axis names the month and its year (every few months when
    the period is long, so the names do not run into each other)."""
    step = -(-len(costs.months) // NAMED_BARS)
    return bar_chart(
        [
            (f"{month:%b} \u2019{month:%y}" if index % step == 0 else "", float(amount))
            for index, (month, amount) in enumerate(costs.months)
        ],
        title="Maintenance cost per month",
        unit=currency,
        names=[f"{month:%B %Y}" for month, _ in costs.months],
    )


def _periods(months: int) -> list[tuple[int, str, bool]]:
    return [(n, f"?{urlencode({'months': n})}", n == months) for n in vehicle_costs.PERIODS]


@member_required
def vehicle_cost_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What the vehicle cost over a period: per month, per category, per km or mile."""
    vehicle = _get_vehicle(request, pk)
    months = vehicle_costs.period_months(request.GET.get("months", ""))
    costs = vehicle_costs.vehicle_costs(vehicle, months=months)
    context = {
        "vehicle": vehicle,
        "costs": costs,
        "months": months,
        "periods": _periods(months),
        "chart": _month_chart(costs, vehicle.org.currency),
    }
    return render_page(request, "record/costs.html", context, partial="costs")
