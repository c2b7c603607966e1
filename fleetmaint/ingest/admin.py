"""The readings the telematics ingest held back, for the operator to record or dismiss."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from fleetmaint.errors import ValidationFailed
from fleetmaint.ingest import review
from fleetmaint.ingest.models import IngestIssue


class ResolutionFilter(admin.SimpleListFilter):
    title = "resolution"
    parameter_name = "resolution"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at=None)
        if self.value() == "resolved":
            return queryset.exclude(resolved_at=None)
        return queryset


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
        "resolution_shown",
    ]
    list_filter = [ResolutionFilter, "org", "code"]
    search_fields = ["device", "vehicle__label", "vehicle__vehicle_key", "message"]
    list_select_related = ["org", "vehicle"]
    readonly_fields = [field.name for field in IngestIssue._meta.fields]
    actions = ["record_readings", "dismiss"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Resolution", ordering="resolution")
    def resolution_shown(self, obj: IngestIssue) -> str:
        return obj.get_resolution_display() if obj.resolution else "Open"

    @admin.action(description="Record the selected readings (the jump is confirmed)")
    def record_readings(self, request, queryset) -> None:
        # One issue at a time: each is a reading someone confirmed, refused or stored alone.
        recorded = 0
        refused: list[tuple[IngestIssue, str]] = []
        for issue in queryset.order_by("recorded_at", "id"):
            try:
                review.issue_record(issue=issue, actor=request.user)
            except ValidationFailed as error:
                refused.append((issue, error.message))
            else:
                recorded += 1
        self.message_user(request, f"Recorded {recorded} reading(s).")
        if refused:
            self.message_user(
                request,
                format_html(
                    "Not recorded: {}.{}",
                    len(refused),
                    format_html_join(
                        "",
                        "<br>Issue {} ({}): {}",
                        ((i.pk, i.vehicle or i.device, why) for i, why in refused),
                    ),
                ),
                level=messages.WARNING,
            )

    @admin.action(description="Dismiss the selected")
    def dismiss(self, request, queryset) -> None:
        count = review.issues_dismiss(issues=queryset, actor=request.user)
        self.message_user(request, f"Dismissed {count} issue(s).")
