"""The outbox: one Event per thing worth telling, one Message per recipient and channel.

An Event's ``dedupe_key`` is unique within its organization, so a crossing
that two sweeps find at once is told once. Messages are claimed atomically
by workers and every attempt to deliver one is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from fleetmaint.accounts.models import Organization


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    PUSH = "push", "In-app"
    WEBHOOK = "webhook", "Webhook"


# Events people can subscribe to. Names follow the seeds' `noun.verb` style.
EVENT_KINDS = {
    "interval.due": "A service interval falls due",
    "task.notified": "A service task reaches its reminder point",
    "task.expired": "A service task reaches its limit",
    "service.created": "A service order is placed",
    "service.updated": "A service order changes",
    "service.completed": "A service order is completed",
    "contract.expiring": "A contract is about to end",
    "contract.expired": "A contract has ended",
    "test.ping": "A test message",
}
# What people read for each event name (the names stay in webhook bodies and the API).
# Tasks in the words of their statuses: planned, due soon, overdue, done.
EVENT_LABELS = {
    "interval.due": "Service due",
    "task.notified": "Task due soon",
    "task.expired": "Task overdue",
    "service.created": "Order placed",
    "service.updated": "Order changed",
    "service.completed": "Order completed",
    "contract.expiring": "Contract ending soon",
    "contract.expired": "Contract ended",
    "test.ping": "Test message",
}
assert EVENT_LABELS.keys() == EVENT_KINDS.keys()
DEFAULT_USER_CHANNELS = [Channel.EMAIL, Channel.PUSH]


def event_label(name: str) -> str:
    """``task.expired`` as "Task overdue"; a name without a label in plain words."""
    return EVENT_LABELS.get(name) or name.replace(".", " ").replace("_", " ").capitalize()


class Event(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=60)
    dedupe_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    audience = models.JSONField(
        default=dict, blank=True, help_text="Who it is for; the outbox writes its messages from it."
    )
    batch = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="Which notify call created it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "dedupe_key"], name="event_dedupe_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.subject}"


class WebhookEndpoint(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=120, blank=True)
    events = models.JSONField(
        default=list, blank=True, help_text="Event names to send; empty means every event."
    )
    # Signing needs the secret itself, so it is stored; it is shown to people only once.
    secret = models.CharField(max_length=100)
    # After a rotation the previous secret also signs, until it expires
    # (settings.WEBHOOK_SECRET_GRACE_HOURS), so receivers can switch without losing messages.
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_name: str) -> bool:
        return not self.events or event_name in self.events


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Message(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(
        max_length=500, help_text="E-mail address, phone number, user id or endpoint id."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Claim last renewed.")
    claimed_by = models.CharField(
        max_length=16, blank=True, db_default="", help_text="The claiming batch."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="In-app messages only.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "address"], name="message_once_per_recipient"
            )
        ]
        indexes = [
            # The workers' queue: only rows still waiting, by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                name="message_waiting_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["user", "created_at"],
                name="message_inbox_idx",
                condition=Q(channel="push"),
            ),
            models.Index(fields=["org", "status", "channel"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address} ({self.status})"


class Outcome(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed for good"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class Preference(models.Model):
    """What one person wants to hear about, and how."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    phone = models.CharField(max_length=20, blank=True, help_text="International form, +49…")
    channels = models.JSONField(
        default=dict, blank=True, help_text="Event name to list of channels."
    )

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    def channels_for(self, event_name: str) -> list[str]:
        return self.channels.get(event_name, list(DEFAULT_USER_CHANNELS))
