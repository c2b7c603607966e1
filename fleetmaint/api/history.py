"""Report downloads over the API: a vehicle's history and the fleet's maintenance costs.

Both answer with the file itself (``Content-Disposition: attachment``), the
same file the pages offer.
"""

from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from fleetmaint.reports import costs, history
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["reports"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _file(*content_types: str) -> dict:
    """The OpenAPI answer of an endpoint that returns a file of one of these types."""
    content = {kind: _BINARY for kind in content_types}
    # 200 as django-ninja writes it (an int), so this fills in its answer: a "200" string
    # beside it was a second "200" key in the JSON, which the docs page refused to read.
    return {"responses": {200: {"description": "The report file.", "content": content}}}


class HistoryQuery(Schema):
    format: Literal["pdf", "xlsx"] = "pdf"


class CostsQuery(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"
    months: int = Field(costs.DEFAULT_MONTHS, ge=1, le=costs.MAX_MONTHS)


@router.get(
    "/vehicles/{vehicle_id}/history",
    openapi_extra=_file(costs.PDF, costs.XLSX),
    summary="Download a vehicle's history report",
)
def vehicle_history(request: HttpRequest, vehicle_id: int, query: Query[HistoryQuery]):
    vehicle = (
        Vehicle.objects.for_org(request.org).select_related("org").filter(pk=vehicle_id).first()
    )
    if vehicle is None:
        raise Http404("Vehicle not found.")
    return history.history_download(vehicle, query.format).response()


@router.get(
    "/reports/costs",
    openapi_extra=_file(costs.XLSX, "text/csv"),
    summary="Download maintenance costs by vehicle and month",
)
def maintenance_costs(request: HttpRequest, query: Query[CostsQuery]):
    return costs.costs_download(request.org, query.format, query.months).response()
