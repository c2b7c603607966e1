from django import forms
from django.contrib import admin, messages

from fleetmaint.orders import servicers
from fleetmaint.orders.models import (
    CatalogItem,
    FoundIssue,
    OrderEvent,
    OrderItem,
    Partnership,
    Quote,
    ServiceOrder,
    Servicer,
    ServicerApiKey,
    ServicerStaff,
    ServiceType,
)


class CatalogInline(admin.TabularInline):
    model = CatalogItem
    extra = 1


class StaffInline(admin.TabularInline):
    model = ServicerStaff
    extra = 0
    autocomplete_fields = ["user"]


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0
    autocomplete_fields = ["org"]
    verbose_name = "fleet served"
    verbose_name_plural = "fleets served"


class ApiKeyInline(admin.TabularInline):
    """The servicer's keys, read only: keys are revoked with the action on the key list."""

    model = ServicerApiKey
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ServicerForm(forms.ModelForm):
    """The servicer's service types as checkboxes with their names, stored as the same
    JSON list of values (``["scheduled_maintenance", "repair_depot"]``)."""

    service_types = forms.MultipleChoiceField(
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Which service types it offers.",
    )

    class Meta:
        model = Servicer
        fields = [
            "name",
            "email",
            "phone",
            "service_types",
            "auto_accept",
            "currency",
            "active",
            "open_to_new_fleets",
        ]

    def clean_service_types(self) -> list[str]:
        chosen = set(self.cleaned_data["service_types"])
        return [value for value in ServiceType.values if value in chosen]


@admin.register(Servicer)
class ServicerAdmin(admin.ModelAdmin):
    form = ServicerForm
    list_display = [
        "name",
        "email",
        "phone",
        "types",
        "auto_accept",
        "open_to_new_fleets",
        "active",
    ]
    list_filter = ["active", "open_to_new_fleets", "auto_accept"]
    search_fields = ["name", "email", "phone", "catalog__code"]
    inlines = [CatalogInline, StaffInline, PartnershipInline, ApiKeyInline]
    actions = ["activate", "deactivate", "create_api_key"]

    @admin.display(description="Service types")
    def types(self, obj: Servicer) -> str:
        return ", ".join(obj.service_type_labels)

    @admin.action(description="Activate the selected servicers")
    def activate(self, request, queryset) -> None:
        self.message_user(request, f"Activated {queryset.update(active=True)} servicer(s).")

    @admin.action(description="Deactivate the selected servicers")
    def deactivate(self, request, queryset) -> None:
        self.message_user(request, f"Deactivated {queryset.update(active=False)} servicer(s).")

    @admin.action(description="Create an API key for each selected servicer (shown once)")
    def create_api_key(self, request, queryset) -> None:
        for servicer in queryset:
            _, raw = servicers.servicer_apikey_create(servicer=servicer, name="Created in admin")
            self.message_user(
                request, f"Key for {servicer.name}, shown once: {raw}", level=messages.WARNING
            )


@admin.register(ServicerApiKey)
class ServicerApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "servicer", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["servicer"]
    list_select_related = ["servicer"]
    search_fields = ["name", "prefix", "servicer__name"]
    readonly_fields = ["servicer", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made with the servicer's "Create an API key" action

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        count = servicers.servicer_apikeys_revoke(keys=list(queryset))
        self.message_user(request, f"Revoked {count} key(s).")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fk_name = "order"
    readonly_fields = ["code", "name", "quantity", "unit_price", "total", "source"]
    can_delete = False


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["event", "kind", "body", "notes", "status_after", "created_at"]
    can_delete = False


@admin.register(ServiceOrder)
class ServiceOrderAdmin(admin.ModelAdmin):
    list_display = ["pk", "vehicle", "servicer", "org", "service_type", "status", "created_at"]
    list_filter = ["status", "service_type", "servicer", "org"]
    search_fields = ["vehicle__label", "vehicle__vehicle_key", "servicer__name"]
    list_select_related = ["vehicle", "servicer", "org"]
    readonly_fields = ["status", "version", "accepted_at", "completed_at"]
    inlines = [OrderItemInline, EventInline]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["pk", "vehicle", "servicer", "status", "total", "created_at"]
    list_filter = ["status", "servicer"]
    list_select_related = ["vehicle", "servicer"]


@admin.register(FoundIssue)
class FoundIssueAdmin(admin.ModelAdmin):
    list_display = ["description", "order", "cost", "status", "reported_at"]
    list_filter = ["status"]
