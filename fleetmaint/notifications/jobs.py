"""django-q2 entry points. Thin: each calls one service."""

from fleetmaint.notifications import delivery


def deliver_events(event_ids: list[int] | None = None) -> int:
    """Queued on commit: drains the outbox, these events' messages first (None: just drain)."""
    return delivery.deliver_events(event_ids)


def sweep_outbox() -> int:
    """Every minute: drains whatever is due and takes back claims a dead worker left."""
    return delivery.deliver_due()


def cleanup_deliveries() -> int:
    return delivery.cleanup()
