"""django-q2 entry points. Thin: each calls one service."""

from fleetmaint.notifications import services


def deliver_event(event_id: int) -> int:
    return services.deliver_event(event_id)


def sweep_outbox() -> int:
    return services.deliver_due()


def cleanup_deliveries() -> int:
    return services.cleanup()
