from django.contrib import admin

from fleetmaint.contracts.models import ContractDocument, VehicleContract


class DocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 0
    readonly_fields = ["name", "content_type", "size", "uploaded_at"]


@admin.register(VehicleContract)
class VehicleContractAdmin(admin.ModelAdmin):
    list_display = ["number", "contract_type", "vehicle", "org", "status", "end_date"]
    list_filter = ["contract_type", "status", "org"]
    search_fields = ["number", "provider", "vehicle__label", "vehicle__vehicle_key"]
    list_select_related = ["vehicle", "org"]
    readonly_fields = ["ends_at_odometer", "warn_at_odometer", "warn_from_date", "cycle"]
    inlines = [DocumentInline]
