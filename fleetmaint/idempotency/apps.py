from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "fleetmaint.idempotency"
    label = "idempotency"
    verbose_name = "Idempotent API requests"
