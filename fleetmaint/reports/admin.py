from django.contrib import admin

from fleetmaint.reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    """Background report builds: who asked, how far they got, and what went wrong."""

    list_display = ["pk", "kind", "org", "requested_by", "status", "progress", "created_at"]
    list_filter = ["status", "kind", "org"]
    list_select_related = ["org", "requested_by"]
    readonly_fields = [f.name for f in ReportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
