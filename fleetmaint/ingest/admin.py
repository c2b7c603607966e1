"""The readings the telematics ingest held back, for the operator to check."""

from django.contrib import admin

from fleetmaint.ingest.models import IngestIssue


@admin.register(IngestIssue)
class IngestIssueAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "org",
        "vehicle",
        "device",
        "odometer",
        "engine_hours",
        "recorded_at",
        "code",
        "message",
    ]
    list_filter = ["org", "code"]
    search_fields = ["device", "vehicle__label", "vehicle__vehicle_key", "message"]
    list_select_related = ["org", "vehicle"]
    readonly_fields = [field.name for field in IngestIssue._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
