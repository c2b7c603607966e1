"""Delivery of the outbox: workers claim waiting messages in batches and send them.

A worker drains the queue batch after batch until nothing due is left. Each
batch is claimed in one statement, sent with one transport per channel (one
SMTP connection for all its e-mails), and its outcomes recorded together in
one transaction before the next batch is claimed. Every attempt is recorded;
a failure is retried with backoff until it succeeds, fails for good, or runs
out of attempts.

At least once, and at most one batch twice: a worker killed mid-batch leaves
its claims in ``sending``; once they have gone ``SENDING_LEASE`` without the
worker's heartbeat renewing them (``leases``), they return to the queue.
Only the messages of that one batch that the channel had accepted but the
worker had not yet recorded can go out a second time; a live worker's
claims are renewed, so they are never handed to a second worker.
"""

import logging
import time
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.notifications import leases
from fleetmaint.notifications.models import (
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    Outcome,
    WebhookEndpoint,
)
from fleetmaint.notifications.transports import TRANSPORTS, Receipt, Transport, TransportError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
BATCH_SIZE = 200
# A batch stops sending once it has run this long and gives its unsent
# messages back, so other messages do not wait long behind slow receivers
# (a slow webhook receiver times out at 10 s a message).
BATCH_BUDGET = timedelta(minutes=5)
# A drain takes no new batch after this share of django-q's job timeout, so
# the cluster never kills it mid-batch; what is left waits for the next run
# of the minute's sweep.
DRAIN_SHARE_OF_JOB_TIMEOUT = 0.8


def enqueue_delivery(event_ids: list[int] | None = None) -> None:
    """Queues a drain, the events' messages first; no ids means "drain what is waiting".

    The periodic sweep covers a broker outage.
    """
    from django_q.tasks import async_task

    try:
        async_task("fleetmaint.notifications.jobs.deliver_events", event_ids, group="deliveries")
    except Exception:  # the sweep will deliver them; the user's request must not fail
        log.exception("Could not queue delivery of events %s", event_ids)


# --- claiming -----------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, … capped at six hours."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def claim_batch(size: int, *, event_ids: list[int] | None = None) -> list[int]:
    """Takes up to ``size`` due messages for this worker, oldest first, in one statement.

    No message is ever claimed by two workers: on PostgreSQL the inner SELECT
    locks the rows it picks and skips rows another worker's claim is locking
    (so workers share a backlog instead of queueing behind each other), and
    the outer UPDATE checks ``status`` again. SQLite has no row locks and no
    SKIP LOCKED, but it runs one writer at a time, so the same UPDATE without
    them is already atomic. The partial index ``message_waiting_idx`` serves
    the inner SELECT.
    """
    skip_locked = " FOR UPDATE SKIP LOCKED" if sql.on_postgres() else ""
    # Materialized, so the pick runs once: as a plain IN (subquery) PostgreSQL
    # may scan it again for each row it updates and claim more than ``size``.
    materialized = " MATERIALIZED" if sql.on_postgres() else ""
    of_events = f" AND {sql.in_ids('event_id', 'events')}" if event_ids is not None else ""
    now = timezone.now()
    rows = sql.run(
        f"WITH picked AS{materialized} (SELECT id FROM notifications_message "
        f"WHERE status = 'pending' AND next_attempt_at <= %(now)s{of_events} "
        f"ORDER BY next_attempt_at LIMIT %(size)s{skip_locked}) "
        "UPDATE notifications_message SET status = 'sending', claimed_at = %(now)s, "
        "claimed_by = %(token)s, attempts = attempts + 1 WHERE status = 'pending' "
        "AND id IN (SELECT id FROM picked) RETURNING id",
        {
            "now": now,
            "size": size,
            "events": sql.ids_param(event_ids or []),
            "token": leases.new_claim_token(),
        },
    )
    return [row[0] for row in rows]


# --- draining -----------------------------------------------------------------


def deliver_pending(
    *,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
    event_ids: list[int] | None = None,
) -> int:
    """Delivers batch after batch until nothing due is left; returns how many went out.

    ``limit`` caps how many messages this call claims in all (None: no cap);
    ``event_ids`` keeps it to those events' messages. Any number of workers
    may drain at once: each claims its own batches.
    """
    leases.release_stale_claims()
    stop_at = time.monotonic() + _drain_seconds()
    delivered = claimed = 0
    while time.monotonic() < stop_at:
        size = batch_size if limit is None else min(batch_size, limit - claimed)
        ids = claim_batch(size, event_ids=event_ids) if size > 0 else []
        if not ids:
            break
        claimed += len(ids)
        delivered += deliver_batch(ids)
    return delivered


def deliver_events(event_ids: list[int] | None = None) -> int:
    """The on-commit job: the events' own messages first, then whatever else is due."""
    delivered = deliver_pending(event_ids=event_ids) if event_ids else 0
    return delivered + deliver_pending()


def deliver_due(*, limit: int | None = None) -> int:
    """The minute's sweep: delivers whatever is due, oldest first, with no cap by default."""
    return deliver_pending(limit=limit)


def _drain_seconds() -> float:
    return settings.Q_CLUSTER.get("timeout", 300) * DRAIN_SHARE_OF_JOB_TIMEOUT


# --- one batch ----------------------------------------------------------------


@dataclass
class Result:
    """What happened to one message of a batch, kept until the batch is recorded."""

    message: Message
    started_at: datetime
    duration_ms: int
    receipt: Receipt | None = None
    error: TransportError | None = None

    @property
    def outcome(self) -> str:
        if self.error is None:
            return Outcome.DELIVERED
        if self.error.permanent or self.message.attempts >= MAX_ATTEMPTS:
            return Outcome.FAILED
        return Outcome.RETRY


def deliver_batch(ids: list[int]) -> int:
    """Sends messages this worker claimed, records every outcome; returns how many went out."""
    messages = _claimed_messages(ids)
    if not messages:
        return 0
    with leases.Heartbeat(messages[0].claimed_by, [m.pk for m in messages]) as heartbeat:
        results, unsent = _send(
            messages, deadline=timezone.now() + BATCH_BUDGET, lost=heartbeat.lost
        )
    _record(results, unsent)
    return sum(r.outcome == Outcome.DELIVERED for r in results)


def _claimed_messages(ids: list[int]) -> list[Message]:
    return list(
        Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING)
        .select_related("event", "org", "endpoint")
        .order_by("channel", "next_attempt_at", "pk")
    )


def _send(
    messages: list[Message], *, deadline: datetime | None, lost: Container[int] = frozenset()
) -> tuple[list[Result], list[int]]:
    """Sends each message through one transport per channel; returns results and the unsent."""
    results: list[Result] = []
    unsent: list[int] = []
    for channel, group in groupby(messages, key=lambda m: m.channel):
        # The transport is opened only for its channel's run, so the SMTP
        # connection is not left idle while webhooks go out.
        with TRANSPORTS[channel]() as transport:
            for message in group:
                if message.pk in lost:
                    continue  # another worker may have it now (leases)
                # At least one message per batch, so a drain always moves on.
                if deadline is not None and results and timezone.now() >= deadline:
                    unsent.append(message.pk)
                else:
                    results.append(_attempt(transport, message))
    return results, unsent


def _attempt(transport: Transport, message: Message) -> Result:
    started = timezone.now()
    clock = time.monotonic()
    try:
        receipt = transport.send(message)
    except TransportError as error:
        return Result(message, started, _elapsed_ms(clock), error=error)
    except Exception as error:  # a bug in a transport must not lose the message
        log.exception("Delivery of message %s crashed", message.pk)
        return Result(message, started, _elapsed_ms(clock), error=TransportError(repr(error)))
    return Result(message, started, _elapsed_ms(clock), receipt=receipt)


def _elapsed_ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


def _record(results: list[Result], unsent: list[int]) -> None:
    """Writes a batch's outcomes in a fixed number of statements, all or nothing.

    Until this commits, the batch's messages stay ``sending``: a worker that
    dies before it leaves them to the lease, never half-recorded.
    """
    now = timezone.now()
    sent = [r.message.pk for r in results if r.error is None]
    failed = [_failure_changes(r, now) for r in results if r.error is not None]
    gone = {
        r.message.endpoint_id
        for r in results
        if r.error is not None
        and r.message.channel == Channel.WEBHOOK
        and r.error.status_code == 410
    }
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create([_attempt_row(r) for r in results])
        if sent:
            Message.objects.filter(pk__in=sent).update(
                status=MessageStatus.SENT, sent_at=now, last_error=""
            )
        if failed:
            Message.objects.bulk_update(failed, ["status", "next_attempt_at", "last_error"])
        if gone:
            WebhookEndpoint.objects.filter(pk__in=gone).update(
                active=False, disabled_reason="The endpoint answered 410 Gone."
            )
        if unsent:
            # Not tried: the claim's attempt is given back.
            Message.objects.filter(pk__in=unsent, status=MessageStatus.SENDING).update(
                status=MessageStatus.PENDING,
                attempts=F("attempts") - 1,
                claimed_at=None,
                claimed_by="",
            )


def _attempt_row(result: Result) -> DeliveryAttempt:
    error = result.error
    receipt = result.receipt or Receipt()
    return DeliveryAttempt(
        message=result.message,
        started_at=result.started_at,
        duration_ms=result.duration_ms,
        outcome=result.outcome,
        error=str(error) if error else "",
        status_code=error.status_code if error else receipt.status_code,
        response_excerpt=error.response if error else receipt.response,
    )


def _failure_changes(result: Result, now: datetime) -> Message:
    message = result.message
    message.last_error = str(result.error)[:2000]
    if result.outcome == Outcome.FAILED:
        message.status = MessageStatus.FAILED
    else:
        message.status = MessageStatus.PENDING
        message.next_attempt_at = now + retry_delay(message.attempts)
    return message


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
