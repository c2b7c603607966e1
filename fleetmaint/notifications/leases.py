"""A worker's hold on the messages it claimed: renewed while it lives, lapsing soon after.

A claim is a lease: ``claimed_at`` says when it was last renewed and
``claimed_by`` whose batch it is. While a worker sends its batch, a
heartbeat thread renews the batch's claims every ``HEARTBEAT_SECONDS``, so a
live worker keeps them however long one receiver takes to answer. A worker
that is gone stops renewing, and the first drain after ``SENDING_LEASE``
gives its messages back to the queue (the sweep drains every minute).

If a claim was lost anyway (the heartbeat could not reach the database for a
whole lease), the heartbeat notes it and the worker does not send that
message: another worker may have it now, and sending it twice is what the
lease is there to prevent.
"""

import logging
import secrets
import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from fleetmaint.notifications.models import Message, MessageStatus

log = logging.getLogger(__name__)

SENDING_LEASE = timedelta(seconds=30)
HEARTBEAT_SECONDS = 10.0


def new_claim_token() -> str:
    return secrets.token_hex(8)


def release_stale_claims() -> int:
    """Messages whose worker stopped renewing its claim go back to the queue."""
    now = timezone.now()
    return Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - SENDING_LEASE
    ).update(status=MessageStatus.PENDING, next_attempt_at=now, claimed_by="")


class Heartbeat:
    """Renews one batch's claims from a thread of its own while the batch is sent.

    ``lost`` holds the ids whose claim was found gone; the sender skips them.
    """

    def __init__(self, token: str, ids: list[int]):
        self.token = token
        self.ids = set(ids)
        self.lost: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def renew(self) -> None:
        held = Message.objects.filter(
            pk__in=self.ids, claimed_by=self.token, status=MessageStatus.SENDING
        )
        held.update(claimed_at=timezone.now())
        self.lost |= self.ids - set(held.values_list("pk", flat=True))

    def _run(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self.renew()
                except Exception:  # the next beat tries again; the lease covers a miss
                    log.exception("Could not renew the claims of batch %s", self.token)
        finally:
            connection.close()  # this thread's own connection
