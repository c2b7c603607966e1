"""``{% load vehicle_record %}``: what is coming for a vehicle, on every page about it.

The vehicle's header (``vehicles/_header.html``) names the next thing due on
each of its tabs, and those tabs are the pages of four apps; the vehicles app
may not read the apps built on it. So the header asks here, once per request:
the list is kept on the vehicle object the page already holds, and the
Overview's "Coming up" card reuses it (one statement for both).
"""

from django import template

from fleetmaint.reports import coming
from fleetmaint.vehicles.models import Vehicle

register = template.Library()

_KEPT = "_record_coming"


def _coming(vehicle: Vehicle) -> list[coming.Coming]:
    found = getattr(vehicle, _KEPT, None)
    if found is None:
        found = coming.vehicle_coming(vehicle)
        setattr(vehicle, _KEPT, found)
    return found


@register.simple_tag
def next_due(vehicle: Vehicle) -> coming.Coming | None:
    """The first thing coming for the vehicle, or None when nothing is."""
    found = _coming(vehicle)
    return found[0] if found else None


@register.inclusion_tag("record/_coming.html")
def coming_up(vehicle: Vehicle) -> dict:
    """The vehicle's "Coming up" card."""
    return {"vehicle": vehicle, "coming": _coming(vehicle)}
