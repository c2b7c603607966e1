"""Claiming an ``Idempotency-Key``, storing its answer, and forgetting keys after a day.

A key is claimed by inserting its row before any work (``claim``): the unique
constraint on (caller, key) makes one of two racing requests the owner; the
other finds the row and is told to replay, to wait (still in progress) or that
the body differs. The owner stores its answer (``complete``) or, when it
failed with a server error, gives the key back (``release``) so a retry can
do the work.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from fleetmaint.accounts.models import ApiKey
from fleetmaint.idempotency.models import StoredAnswer
from fleetmaint.orders.models import Servicer

# How long a key and its answer are kept.
KEPT_FOR = timedelta(hours=24)


def fingerprint(method: str, path: str, body_digest: str) -> str:
    """What makes two requests the same: the method, the path and the body's SHA-256."""
    text = f"{method.upper()}\n{path}\n{body_digest}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``new`` (do the work), ``replay``, ``mismatch`` or ``in_progress``."""

    outcome: Literal["new", "replay", "mismatch", "in_progress"]
    answer: StoredAnswer


def claim(
    *,
    key: str,
    fingerprint: str,
    api_key: ApiKey | None = None,
    servicer: Servicer | None = None,
) -> Claim:
    """Claims ``key`` for the caller, or says what an earlier request with it left."""
    caller = {"api_key": api_key} if api_key is not None else {"servicer": servicer}
    for _ in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = StoredAnswer.objects.create(
                    org=api_key.org if api_key is not None else None,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                    **caller,
                )
            return Claim("new", row)
        except IntegrityError:
            pass
        earlier = StoredAnswer.objects.filter(key=key, **caller).first()
        if earlier is None:
            continue  # released or forgotten meanwhile: claim again
        if earlier.created_at <= now - KEPT_FOR:
            # Older than a day: forgotten on read (the hourly job forgets the rest).
            StoredAnswer.objects.filter(pk=earlier.pk, created_at=earlier.created_at).delete()
            continue
        if earlier.fingerprint != fingerprint:
            return Claim("mismatch", earlier)
        if earlier.completed_at is None:
            return Claim("in_progress", earlier)
        return Claim("replay", earlier)
    raise RuntimeError("The Idempotency-Key could not be claimed.")  # pragma: no cover


def complete(row: StoredAnswer, *, status: int, body: bytes, headers: dict[str, str]) -> None:
    """Stores the answer of the claimed key, for the retries to come."""
    StoredAnswer.objects.filter(pk=row.pk).update(
        status=status, body=body, headers=headers, completed_at=timezone.now()
    )


def release(row: StoredAnswer) -> None:
    """Gives the key back after a server error: a retry does the work again."""
    StoredAnswer.objects.filter(pk=row.pk, completed_at=None).delete()


def forget_old() -> int:
    """Deletes keys older than a day (an hourly job, `setup_schedules`); returns how many."""
    deleted, _ = StoredAnswer.objects.filter(created_at__lte=timezone.now() - KEPT_FOR).delete()
    return deleted
