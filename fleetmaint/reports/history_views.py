"""Downloads: the vehicle history report and the fleet's maintenance costs.

Members of the fleet, viewers included, may download; a vehicle of another
fleet is a 404.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from fleetmaint.accounts.access import get_owned, member_required
from fleetmaint.errors import ValidationFailed
from fleetmaint.reports import costs, history
from fleetmaint.vehicles.models import Vehicle


def _history(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    vehicle = get_owned(request, Vehicle.objects.select_related("org"), pk=pk)
    return history.history_download(vehicle, kind).response()


@member_required
def vehicle_history_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _history(request, pk, "pdf")


@member_required
def vehicle_history_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _history(request, pk, "xlsx")


def _costs(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        months = costs.parse_months(request.GET.get("months"))
    except ValidationFailed as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    return costs.costs_download(request.org, kind, months).response()


@member_required
def costs_xlsx(request: HttpRequest) -> HttpResponse:
    return _costs(request, "xlsx")


@member_required
def costs_csv(request: HttpRequest) -> HttpResponse:
    return _costs(request, "csv")
