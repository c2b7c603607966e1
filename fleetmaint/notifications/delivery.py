"""Delivery of the outbox: workers claim waiting messages and hand them to their channel.

Every attempt is recorded; a failure is retried with backoff until it succeeds,
fails for good, or runs out of attempts.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.notifications.models import (
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    Outcome,
    WebhookEndpoint,
)
from fleetmaint.notifications.transports import TRANSPORTS, TransportError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
SENDING_LEASE = timedelta(minutes=10)


def enqueue_delivery(event_ids: list[int] | None = None) -> None:
    """Hands the events' messages to a worker; the periodic sweep covers a broker outage."""
    from django_q.tasks import async_task

    try:
        async_task("fleetmaint.notifications.jobs.deliver_events", event_ids, group="deliveries")
    except Exception:  # the sweep will deliver them; the user's request must not fail
        log.exception("Could not queue delivery of events %s", event_ids)


# --- delivery ---------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, … capped at six hours."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def claim(message_id: int) -> bool:
    """Takes the message for this worker; False when another worker has it or it is done."""
    now = timezone.now()
    return (
        Message.objects.filter(
            pk=message_id, status=MessageStatus.PENDING, next_attempt_at__lte=now
        ).update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def deliver(message_id: int) -> str | None:
    """Delivers one message if it can be claimed; returns the outcome, or None if not claimed."""
    if not claim(message_id):
        return None
    message = Message.objects.select_related("event", "org", "endpoint").get(pk=message_id)
    started = timezone.now()
    clock = time.monotonic()
    transport = TRANSPORTS[message.channel]()
    try:
        receipt = transport.send(message)
    except TransportError as error:
        outcome = _record_failure(message, error, started, clock)
    except Exception as error:  # a bug in a transport must not lose the message
        log.exception("Delivery of message %s crashed", message_id)
        outcome = _record_failure(message, TransportError(repr(error)), started, clock)
    else:
        outcome = Outcome.DELIVERED
        DeliveryAttempt.objects.create(
            message=message,
            started_at=started,
            duration_ms=_elapsed_ms(clock),
            outcome=outcome,
            status_code=receipt.status_code,
            response_excerpt=receipt.response,
        )
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=timezone.now(), last_error=""
        )
    return outcome


def _elapsed_ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


def _record_failure(message: Message, error: TransportError, started, clock: float) -> str:
    give_up = error.permanent or message.attempts >= MAX_ATTEMPTS
    outcome = Outcome.FAILED if give_up else Outcome.RETRY
    DeliveryAttempt.objects.create(
        message=message,
        started_at=started,
        duration_ms=_elapsed_ms(clock),
        outcome=outcome,
        error=str(error),
        status_code=error.status_code,
        response_excerpt=error.response,
    )
    changes = {"last_error": str(error)[:2000]}
    if give_up:
        changes["status"] = MessageStatus.FAILED
    else:
        changes["status"] = MessageStatus.PENDING
        changes["next_attempt_at"] = timezone.now() + retry_delay(message.attempts)
    Message.objects.filter(pk=message.pk).update(**changes)
    if message.channel == Channel.WEBHOOK and error.status_code == 410:
        WebhookEndpoint.objects.filter(pk=message.endpoint_id).update(
            active=False, disabled_reason="The endpoint answered 410 Gone."
        )
    return outcome


def deliver_events(event_ids: list[int]) -> int:
    """Delivers every waiting message of the events; returns how many went out."""
    if event_ids is None:
        return deliver_due()
    ids = Message.objects.filter(event_id__in=event_ids, status=MessageStatus.PENDING).values_list(
        "pk", flat=True
    )
    return sum(deliver(pk) == Outcome.DELIVERED for pk in list(ids))


def release_stale_claims() -> int:
    """Messages a killed worker left half-sent go back to the queue."""
    cutoff = timezone.now() - SENDING_LEASE
    return Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=cutoff).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now()
    )


def deliver_due(*, limit: int = 500) -> int:
    """The safety net: delivers whatever is due, oldest first."""
    release_stale_claims()
    ids = list(
        Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk) == Outcome.DELIVERED for pk in ids)


def redeliver(*, org: Organization, message_id: int) -> Message:
    """Sends a message again, whatever happened to it before."""
    message = Message.objects.filter(org=org, pk=message_id).select_related("endpoint").first()
    if message is None:
        raise NotFound("That delivery does not exist.")
    if message.status == MessageStatus.SENDING:
        raise ValidationFailed("This message is being delivered right now.")
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: enqueue_delivery([message.event_id]))
    message.refresh_from_db()
    return message


def cleanup(*, older_than_days: int | None = None) -> int:
    """Forgets old delivery history; failed messages stay visible until they are old too."""
    days = older_than_days or settings.NOTIFICATION_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    removed, _ = DeliveryAttempt.objects.filter(started_at__lt=cutoff).delete()
    gone, _ = (
        Message.objects.filter(
            Q(status=MessageStatus.SENT) | Q(status=MessageStatus.FAILED), created_at__lt=cutoff
        )
        .exclude(channel=Channel.PUSH, read_at=None)
        .delete()
    )
    return removed + gone
