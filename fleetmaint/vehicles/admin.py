from django.contrib import admin

from fleetmaint.vehicles.models import Reading, Vehicle


class ReadingInline(admin.TabularInline):
    model = Reading
    extra = 0
    fields = ["recorded_at", "odometer", "engine_hours", "source", "is_correction", "note"]
    readonly_fields = fields
    ordering = ["-recorded_at"]
    max_num = 0
    can_delete = False
    show_change_link = False


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
    search_fields = ["label", "vehicle_key", "vin", "plate", "make", "model"]
    list_select_related = ["org"]
    readonly_fields = ["odometer", "odometer_at", "engine_hours", "engine_hours_at"]
    inlines = [ReadingInline]
