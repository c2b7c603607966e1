"""Vehicles and their readings for the operator; a void goes through ``reading_void``."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from fleetmaint.errors import DomainError
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.reading_void import MAX_REASON, reading_void


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "vehicle_key",
        "org",
        "make",
        "model",
        "year",
        "powertrain",
        "odometer",
        "archived",
    ]
    list_filter = ["org", "archived", "powertrain", "distance_unit", "tracks_engine_hours", "make"]
    search_fields = ["label", "vehicle_key", "vin", "plate", "make", "model", "device_id"]
    list_select_related = ["org"]
    readonly_fields = ["odometer", "odometer_at", "engine_hours", "engine_hours_at", "readings"]

    def get_readonly_fields(self, request: HttpRequest, obj: Vehicle | None = None) -> list[str]:
        # A saved vehicle's unit changes on its edit page or over the API, which convert
        # its distances (``unit_change``); here it would only relabel them.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "distance_unit"] if obj is not None else fields

    @admin.display(description="Readings")
    def readings(self, vehicle: Vehicle) -> str:
        # A link, not an inline: a vehicle may hold years of readings.
        url = reverse("admin:vehicles_reading_changelist") + f"?vehicle__id__exact={vehicle.pk}"
        return format_html('<a href="{}">All readings of {}</a>', url, vehicle.label)


class VoidReasonForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, label="Why are these readings wrong?")


@admin.action(description="Void the selected readings")
def void_readings(
    modeladmin: "ReadingAdmin", request: HttpRequest, queryset: QuerySet[Reading]
) -> HttpResponse | None:
    """Asks for one reason, then voids each reading through the service (its vehicle settles)."""
    form = VoidReasonForm(request.POST if "reason" in request.POST else None)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Void readings",
            "readings": queryset.select_related("vehicle"),
            "form": form,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/vehicles/reading/void.html", context)
    voided, refused = 0, []
    for reading in queryset.order_by("vehicle_id", "recorded_at"):
        try:
            reading_void(reading=reading, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            refused.append(f"{reading}: {error.message}")
        else:
            voided += 1
    modeladmin.message_user(request, f"Voided {voided} reading(s).", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)
    return None


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = [
        "vehicle",
        "recorded_at",
        "odometer",
        "engine_hours",
        "source",
        "is_correction",
        "voided_at",
        "void_reason",
    ]
    list_filter = ["source", "is_correction", ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["vehicle__label", "vehicle__vehicle_key", "note", "void_reason"]
    list_select_related = ["vehicle"]
    raw_id_fields = ["vehicle"]
    date_hierarchy = "recorded_at"
    actions = [void_readings]
    readonly_fields = [
        "org",
        "vehicle",
        "odometer",
        "engine_hours",
        "recorded_at",
        "source",
        "is_correction",
        "note",
        "created_by",
        "created_at",
        "voided_at",
        "voided_by",
        "void_reason",
    ]

    # Readings are recorded through the product's rules and never edited or
    # deleted; a wrong one is voided.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Reading | None = None) -> bool:
        return False
