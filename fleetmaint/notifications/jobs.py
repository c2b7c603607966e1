"""django-q2 entry points. Thin: each calls one service."""

from fleetmaint.notifications import services


def deliver_events(event_ids: list[int]) -> int:
    return services.deliver_events(event_ids)


def sweep_outbox() -> int:
    return services.deliver_due()


def cleanup_deliveries() -> int:
    return services.cleanup()
