from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fleetmaint.notifications"
    label = "notifications"
    verbose_name = "Notifications, webhooks and the outbox"
