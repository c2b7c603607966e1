"""The outbox: written in the caller's transaction, delivered after commit, never twice."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from fleetmaint.notifications import delivery, leases, queries, services
from fleetmaint.notifications.models import (
    Channel,
    DeliveryAttempt,
    Event,
    Message,
    MessageStatus,
    Outcome,
)
from tests.notifications.conftest import tell


def test_it_sends_nothing_before_the_transaction_commits(
    org, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(org, emails=["fleet@example.com"])
    assert smtp.received == []
    assert Message.objects.get().status == MessageStatus.PENDING

    for callback in callbacks:
        callback()

    assert len(smtp.to("fleet@example.com")) == 1
    assert Message.objects.get().status == MessageStatus.SENT


def test_the_email_has_text_html_the_facts_and_a_link(
    org, smtp, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://fleet.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        tell(org, emails=["fleet@example.com"])

    [mail] = smtp.received
    assert mail["Subject"] == "[Acme Logistics] Oil change is overdue on Van 1"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }
    assert "Odometer: 15,000 km" in parts["text/plain"]
    assert "https://fleet.example.com/vehicles/1/" in parts["text/plain"]
    assert "<strong>15,000 km</strong>" in parts["text/html"]
    assert 'href="https://fleet.example.com/vehicles/1/"' in parts["text/html"]


def test_the_same_crossing_is_told_once(org, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = tell(org, emails=["fleet@example.com"])
        second = tell(org, emails=["fleet@example.com"])

    assert first is not None
    assert second is None
    assert Event.objects.count() == 1
    assert len(smtp.received) == 1


def test_one_message_per_recipient_and_channel(org, advisor, admin_user):
    advisor.email = "Shared@Example.com"
    advisor.save()
    tell(org, users=[advisor, admin_user], emails=["shared@example.com"])

    emails = Message.objects.filter(channel=Channel.EMAIL).values_list("address", flat=True)
    assert sorted(emails) == ["alice@example.com", "shared@example.com"]
    assert Message.objects.filter(channel=Channel.PUSH).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_tells_nobody(org, smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        tell(org, emails=["fleet@example.com"])
        raise RuntimeError("the caller's change failed")

    assert Event.objects.count() == 0
    assert Message.objects.count() == 0
    assert smtp.received == []


def test_with_the_mail_server_down_the_message_waits_and_goes_out_once_it_is_back(
    org, smtp_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell(org, emails=["fleet@example.com"])

    message = Message.objects.get()
    assert message.status == MessageStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > timezone.now()
    assert DeliveryAttempt.objects.get().outcome == Outcome.RETRY

    # Nothing is retried before its time.
    assert delivery.deliver_due() == 0

    from aiosmtpd.controller import Controller

    from tests.notifications.conftest import SmtpReceiver, free_port  # noqa: F401

    receiver = SmtpReceiver(port=smtp_down)
    controller = Controller(receiver, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            assert delivery.deliver_due() == 1
            assert delivery.deliver_due() == 0
    finally:
        controller.stop()
    assert len(receiver.received) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2


def test_a_refused_address_fails_for_good(org, smtp, django_capture_on_commit_callbacks):
    smtp.refuse.add("nobody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        tell(org, emails=["nobody@example.com"])

    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "refused" in message.last_error
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert delivery.deliver_due() == 0


def test_retries_back_off_exponentially_and_stop(org, smtp_down):
    assert delivery.retry_delay(1) == timedelta(seconds=30)
    assert delivery.retry_delay(2) == timedelta(seconds=60)
    assert delivery.retry_delay(5) == timedelta(seconds=480)
    assert delivery.retry_delay(30) == timedelta(hours=6)

    tell(org, emails=["fleet@example.com"])
    message = Message.objects.get()
    moment = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        moment += timedelta(hours=7)
        with time_machine.travel(moment):
            assert delivery.deliver_due() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == delivery.MAX_ATTEMPTS
    assert message.deliveries.count() == delivery.MAX_ATTEMPTS


def test_a_message_left_half_sent_by_a_killed_worker_is_delivered_later(org, smtp):
    tell(org, emails=["fleet@example.com"])
    assert len(delivery.claim_batch(10)) == 1  # the worker took it, then died

    assert delivery.deliver_due() == 0  # still inside the lease
    with time_machine.travel(timezone.now() + leases.SENDING_LEASE + timedelta(minutes=1)):
        assert delivery.deliver_due() == 1
    assert len(smtp.received) == 1


def test_a_claimed_message_cannot_be_claimed_again(org):
    tell(org, emails=["fleet@example.com"])
    message = Message.objects.get()
    assert delivery.claim_batch(10) == [message.pk]
    assert delivery.claim_batch(10) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row-level concurrency")
def test_two_workers_delivering_the_same_outbox_send_each_message_once(org, smtp):
    for number in range(20):
        tell(org, key=f"task:{number}:expired:cycle-1", emails=[f"person{number}@example.com"])
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            delivery.deliver_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(smtp.received) == 20
    assert sorted(m["To"] for m in smtp.received) == sorted(
        f"person{n}@example.com" for n in range(20)
    )
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 20
    assert DeliveryAttempt.objects.count() == 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row-level concurrency")
def test_two_sweeps_finding_the_same_crossing_tell_it_once(org):
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        barrier.wait()
        try:
            with transaction.atomic():
                results.append(tell(org, emails=["fleet@example.com"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r is not None for r in results) == 1
    assert Event.objects.count() == 1
    assert Message.objects.count() == 1


def test_cleanup_forgets_old_history_but_keeps_unread_inbox_items(org, advisor, smtp):
    tell(org, users=[advisor])
    delivery.deliver_due()
    assert Message.objects.count() == 2
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        delivery.cleanup(older_than_days=90)
    assert list(Message.objects.values_list("channel", flat=True)) == [Channel.PUSH]
    assert DeliveryAttempt.objects.count() == 0


def _notices(org, users, count, prefix):
    return [
        services.Notice(
            org=org,
            event="task.expired",
            dedupe_key=f"{prefix}:{n}",
            subject=f"Task {n} expired",
            recipients=services.Recipients(users=users, emails=[f"t{n}@example.com"]),
        )
        for n in range(count)
    ]


def test_notifying_many_takes_as_many_queries_as_notifying_a_few(org, advisor, admin_user):
    from django.test.utils import CaptureQueriesContext

    users = queries.advisors_of(org)
    with CaptureQueriesContext(connection) as few:
        assert len(services.notify_many(_notices(org, users, 2, "few"))) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(services.notify_many(_notices(org, users, 60, "many"))) == 60

    assert len(many.captured_queries) == len(few.captured_queries)
    assert Message.objects.filter(event__dedupe_key__startswith="many:").count() == 60 * 5


def test_notify_many_skips_what_was_already_told(org):
    services.notify_many(_notices(org, [], 3, "k"))
    again = services.notify_many(_notices(org, [], 5, "k"))
    assert [e.dedupe_key for e in again] == ["k:3", "k:4"]
    assert Event.objects.count() == 5
