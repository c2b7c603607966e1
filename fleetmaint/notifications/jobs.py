"""django-q2 entry points. Thin: each calls one service."""

from fleetmaint.notifications import delivery


def deliver_events(event_ids: list[int]) -> int:
    return delivery.deliver_events(event_ids)


def sweep_outbox() -> int:
    return delivery.deliver_due()


def cleanup_deliveries() -> int:
    return delivery.cleanup()
