"""Lookups every router needs, always scoped to the caller's organization."""

from django.http import HttpRequest

from fleetmaint.vehicles.models import Vehicle


def find_vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle | None:
    """The organization's vehicle with this id, or None for anyone else's."""
    return Vehicle.objects.for_org(request.org).select_related("org").filter(pk=vehicle_id).first()
