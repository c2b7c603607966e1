"""The dashboard: the first page an advisor opens in the morning."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fleetmaint.accounts.access import member_required
from fleetmaint.reports import queries
from fleetmaint.web import render_page


@member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    hour = timezone.localtime().hour
    greeting = "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
    context = {
        "overview": queries.overview(request.org),
        "horizon": queries.HORIZON_DAYS,
        "greeting": greeting,
    }
    return render_page(request, "reports/dashboard.html", context)
