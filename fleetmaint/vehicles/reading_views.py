"""Voiding a reading from the vehicle page: a page that shows the reading and asks why."""

from django import forms
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.access import get_owned, member_required
from fleetmaint.errors import DomainError
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.reading_void import MAX_REASON, reading_void
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON,
        help_text="Kept with the reading, e.g. “a zero too many” or “read from another van”.",
        error_messages={"required": "Say why the reading is void."},
    )


def _meters(vehicle: Vehicle) -> str:
    if vehicle.odometer is None:
        return "no odometer"
    return f"{intcomma(vehicle.odometer)} {vehicle.distance_unit}"


@member_required
def reading_void_page(request: HttpRequest, pk: int, reading_id: int) -> HttpResponse:
    vehicle = get_owned(request, Vehicle.objects.select_related("org"), write=True, pk=pk)
    reading = get_object_or_404(
        Reading.objects.select_related("voided_by"), vehicle=vehicle, pk=reading_id
    )
    form = VoidForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and reading.voided_at is not None:
        # A second submit, or another tab: the page shows the void that stands.
        status = 409
    elif request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                reading_void(
                    reading=reading, reason=form.cleaned_data["reason"], actor=request.user
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                vehicle.refresh_from_db()
                taken = timezone.localtime(reading.recorded_at)
                messages.success(
                    request,
                    f"The reading of {taken:%Y-%m-%d %H:%M} is void. "
                    f"The odometer now reads {_meters(vehicle)}; the schedule was checked again.",
                )
                return redirect_page(request, reverse("vehicles:detail", args=[vehicle.pk]))
    context = {"vehicle": vehicle, "reading": reading, "form": form}
    return render_page(request, "vehicles/reading_void.html", context, status=status)
