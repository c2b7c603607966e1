from django.contrib import admin

from fleetmaint.errors import DomainError
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import (
    DeliveryAttempt,
    Event,
    Message,
    MessageStatus,
    Preference,
    WebhookEndpoint,
)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "started_at",
        "duration_ms",
        "outcome",
        "status_code",
        "error",
        "response_excerpt",
    ]


@admin.register(Message)
class OutboxAdmin(admin.ModelAdmin):
    """The outbox: every message waiting, sent or failed, filterable by status and channel."""

    list_display = [
        "event",
        "channel",
        "address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "org", "event__name"]
    search_fields = ["address", "event__subject", "event__dedupe_key"]
    list_select_related = ["event"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Message._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry the selected messages now")
    def retry_now(self, request, queryset) -> None:
        # Through the service the webhook page uses: it queues the delivery once the
        # change is committed, so a worker never reads the message before it.
        count = 0
        for message in queryset.exclude(status=MessageStatus.SENDING).select_related("org"):
            try:
                delivery.redeliver(org=message.org, message_id=message.pk)
            except DomainError:
                continue  # picked up by a worker meanwhile
            count += 1
        self.message_user(request, f"{count} message(s) queued again.")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "org", "created_at"]
    list_filter = ["name", "org"]
    search_fields = ["subject", "dedupe_key"]
    readonly_fields = [f.name for f in Event._meta.fields]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "org", "active", "disabled_reason", "created_at"]
    list_filter = ["active", "org"]
    search_fields = ["url", "description"]
    exclude = ["secret"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "phone"]
    search_fields = ["user__username", "phone"]
