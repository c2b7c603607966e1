"""Workers drain the outbox in batches: one claim, one SMTP connection, one record per batch.

The crash and concurrency tests run workers in separate OS processes against
a real SMTP receiver on loopback, so they need committed rows (PostgreSQL).
"""

import asyncio
import os
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from werkzeug import Response

from fleetmaint.notifications import delivery, leases, services
from fleetmaint.notifications.models import (
    Channel,
    DeliveryAttempt,
    Event,
    Message,
    MessageStatus,
    Outcome,
)
from tests.notifications.conftest import SmtpReceiver, free_port, smtp_serving, tell
from tests.notifications.workers import SPAWN, start_worker

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="other processes must see committed rows"
)


@dataclass
class Receiver(SmtpReceiver):
    """Also notes which connection each message came on, and can hold one back.

    Once ``stall_after`` messages have arrived, the next one is not answered
    until ``released`` is set: the sender is stuck mid-batch, waiting.
    """

    peers: list[tuple] = field(default_factory=list)
    stall_after: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        if self.stall_after is not None and len(self.received) >= self.stall_after:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 60)
            return "451 Try again later"
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)

    def addresses(self) -> list[str]:
        return [m["To"] for m in self.received]


@pytest.fixture
def receiver(settings):
    with smtp_serving(Receiver(port=free_port()), settings, timeout=5) as receiver:
        try:
            yield receiver
        finally:
            receiver.released.set()  # a stalled handler lets go before the server stops


def backlog(org, count: int, *, channel: str = Channel.EMAIL) -> list[str]:
    """Writes ``count`` due messages straight into the outbox; returns their addresses.

    Rows, not ``notify()``: in a transactional test notify's on-commit job
    would deliver them at once, and these tests want the backlog waiting.
    """
    events = Event.objects.bulk_create(
        Event(org=org, name="task.expired", dedupe_key=f"backlog:{n}", subject=f"Task {n} is due")
        for n in range(count)
    )
    addresses = [
        f"driver-{n}@example.com" if channel == Channel.EMAIL else f"user:{n}" for n in range(count)
    ]
    now = timezone.now()
    Message.objects.bulk_create(
        Message(org=org, event=event, channel=channel, address=address, next_attempt_at=now)
        for event, address in zip(events, addresses, strict=True)
    )
    return addresses


def delivered_once_each() -> bool:
    """Every message is sent, with exactly one successful attempt in its delivery log."""
    per_message = (
        DeliveryAttempt.objects.filter(outcome=Outcome.DELIVERED)
        .values("message")
        .annotate(n=Count("id"))
    )
    return (
        not Message.objects.exclude(status=MessageStatus.SENT).exists()
        and {row["n"] for row in per_message} == {1}
        and len(per_message) == Message.objects.count()
    )


# --- in one process -------------------------------------------------------------------


def test_a_batch_of_emails_goes_over_one_smtp_connection(org, receiver):
    addresses = backlog(org, 30)

    assert delivery.deliver_pending(batch_size=10) == 30

    assert sorted(receiver.addresses()) == sorted(addresses)
    assert len(set(receiver.peers)) == 3  # three batches, three connections
    assert delivered_once_each()


def test_a_refused_address_fails_alone_and_the_rest_of_the_batch_goes_out(org, receiver):
    addresses = backlog(org, 5)
    receiver.refuse.add(addresses[2])

    assert delivery.deliver_pending() == 4

    refused = Message.objects.get(address=addresses[2])
    assert refused.status == MessageStatus.FAILED
    assert "refused" in refused.last_error
    assert refused.deliveries.get().outcome == Outcome.FAILED
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 4
    assert len(set(receiver.peers)) == 1


def test_with_the_mail_server_down_every_message_of_the_batch_waits_for_a_retry(org, smtp_down):
    backlog(org, 4)

    assert delivery.deliver_pending() == 0

    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.PENDING, 1)}
    attempts = DeliveryAttempt.objects.all()
    assert [a.outcome for a in attempts] == [Outcome.RETRY] * 4
    assert all("Mail server unavailable" in a.error for a in attempts)


def test_the_drain_has_no_cap_and_costs_the_same_statements_per_batch(org):
    backlog(org, 200, channel=Channel.PUSH)
    with CaptureQueriesContext(connection) as one_batch:
        assert delivery.deliver_pending(batch_size=200) == 200

    Message.objects.all().delete()
    Event.objects.all().delete()
    backlog(org, 1200, channel=Channel.PUSH)
    with CaptureQueriesContext(connection) as six_batches:
        assert delivery.deliver_due() == 1200  # more than the old 500 a minute

    assert delivered_once_each()
    assert len(six_batches.captured_queries) <= 6 * len(one_batch.captured_queries)


def test_enqueue_delivery_without_ids_drains_what_is_waiting(org, receiver):
    addresses = backlog(org, 3)

    delivery.enqueue_delivery()  # the outbox's call after a large set-based write

    assert sorted(receiver.addresses()) == sorted(addresses)
    assert delivered_once_each()


def test_a_batch_that_runs_out_of_time_gives_back_what_it_has_not_tried(org, httpserver):
    services.webhook_create(org=org, url=httpserver.url_for("/hook"), events=[])
    for number in range(3):
        tell(org, key=f"task:{number}:expired:cycle-1")

    with time_machine.travel(timezone.now()) as traveller:

        def slow(request):
            # This one answer takes the whole budget.
            traveller.shift(delivery.BATCH_BUDGET + timedelta(seconds=1))
            return Response("ok")

        httpserver.expect_oneshot_request("/hook").respond_with_handler(slow)
        httpserver.expect_request("/hook").respond_with_data("ok")
        assert delivery.deliver_batch(delivery.claim_batch(10)) == 1

        given_back = Message.objects.filter(status=MessageStatus.PENDING)
        assert given_back.count() == 2
        assert {(m.attempts, m.claimed_at) for m in given_back} == {(0, None)}
        assert DeliveryAttempt.objects.count() == 1

        assert delivery.deliver_pending() == 2
    assert len(httpserver.log) == 3
    assert len({req.headers["webhook-id"] for req, _ in httpserver.log}) == 3
    assert delivered_once_each()


def test_a_message_is_never_in_two_claimed_batches(org):
    backlog(org, 5, channel=Channel.PUSH)
    first = delivery.claim_batch(3)
    second = delivery.claim_batch(10)
    assert len(first) == 3
    assert len(second) == 2
    assert not set(first) & set(second)
    assert delivery.claim_batch(10) == []


# --- in other processes ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one_batch(org, receiver):
    batch = 10
    addresses = backlog(org, 25)
    # The first batch goes out and is recorded; the second is stuck on its fourth message.
    receiver.stall_after = batch + 3

    worker = start_worker(batch_size=batch)
    assert receiver.stalled.wait(timeout=60), "the worker never reached its second batch"
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=30)
    assert worker.exitcode == -signal.SIGKILL
    receiver.stall_after = None
    receiver.released.set()

    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert statuses == {MessageStatus.SENT: 10, MessageStatus.SENDING: 10, MessageStatus.PENDING: 5}

    # A second worker takes what is waiting, but not the dead worker's claims while they last.
    assert delivery.deliver_pending(batch_size=batch) == 5
    assert Message.objects.filter(status=MessageStatus.SENDING).count() == 10
    with time_machine.travel(timezone.now() + leases.SENDING_LEASE + timedelta(minutes=1)):
        assert delivery.deliver_pending(batch_size=batch) == 10

    assert delivered_once_each()
    assert set(receiver.addresses()) == set(addresses)
    duplicates = len(receiver.received) - len(addresses)
    assert 0 < duplicates <= batch  # accepted by the server, not yet recorded: sent again
    assert duplicates == 3


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_two_worker_processes_draining_one_backlog_send_each_message_once(org, receiver):
    addresses = backlog(org, 300)
    start = SPAWN.Barrier(2)
    results = SPAWN.Queue()

    workers = [start_worker(batch_size=20, start=start, results=results) for _ in range(2)]
    delivered = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert sum(delivered) == 300
    assert sorted(receiver.addresses()) == sorted(addresses)
    assert delivered_once_each()


# --- leases ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_a_live_worker_keeps_its_claims_past_the_lease(org, receiver, monkeypatch):
    # The heartbeat beats often here so the test need not wait ten seconds for it.
    monkeypatch.setattr(leases, "HEARTBEAT_SECONDS", 0.05)
    backlog(org, 1)
    receiver.stall_after = 0
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        worker = threading.Thread(target=_drain_then_close)
        worker.start()
        assert receiver.stalled.wait(timeout=30), "the worker never reached the receiver"

        # Long past the lease: only the heartbeat can keep the claim.
        traveller.shift(leases.SENDING_LEASE * 3)
        renewed_after = timezone.now()
        assert _claim_renewed_since(renewed_after), "the heartbeat never renewed the claim"
        assert leases.release_stale_claims() == 0
        assert delivery.deliver_pending() == 0

        receiver.released.set()  # the receiver answers "451 try again later"
        worker.join(timeout=30)
    # One worker, one attempt: the message was never handed to the second drain.
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert DeliveryAttempt.objects.get().outcome == Outcome.RETRY


def _drain_then_close() -> None:
    try:
        delivery.deliver_pending()
    finally:
        connection.close()


def _claim_renewed_since(moment) -> bool:
    """Waits (up to five seconds) for the heartbeat thread to write a newer claim."""
    waited = threading.Event()
    for _ in range(100):
        if Message.objects.filter(claimed_at__gte=moment).exists():
            return True
        waited.wait(0.05)
    return False


def test_a_claim_another_batch_took_over_is_noted_as_lost_and_not_sent(org, smtp):
    tell(org, emails=["a@example.com", "b@example.com"])
    ids = delivery.claim_batch(10)
    token = Message.objects.get(pk=ids[0]).claimed_by
    Message.objects.filter(pk=ids[1]).update(claimed_by="someone-else")

    heartbeat = leases.Heartbeat(token, ids)
    heartbeat.renew()
    assert heartbeat.lost == {ids[1]}
    messages = list(Message.objects.filter(pk__in=ids).order_by("pk"))
    results, _ = delivery._send(messages, deadline=None, lost=heartbeat.lost)
    assert [r.message.pk for r in results] == [ids[0]]
    assert len(smtp.received) == 1


def test_a_dead_workers_claim_is_released_within_a_minute(org, smtp):
    assert timedelta(minutes=1) >= leases.SENDING_LEASE
    tell(org, emails=["fleet@example.com"])
    delivery.claim_batch(10)  # the worker took it, then died
    with time_machine.travel(timezone.now() + leases.SENDING_LEASE + timedelta(seconds=1)):
        assert delivery.deliver_due() == 1
    assert len(smtp.received) == 1
