"""How many failures an account or an address may have before it must wait.

The policy (``docs/security.md`` says it for users):

- signing in, per account: 5 failures within 15 minutes lock that account's
  sign-in for 15 minutes;
- signing in, per address: 20 failures within 15 minutes lock sign-in from
  that address for 15 minutes (one address trying many accounts);
- API keys (the native API, the vendor-compatible endpoints, servicers' keys),
  per address: 20 wrong keys within 15 minutes lock key use from that address
  for 15 minutes;
- password reset e-mails: 5 requests an hour per address asking (the next
  is refused for an hour) and 3 an hour per e-mail address (the next are
  answered as usual but not sent, so the limit tells nobody whether the
  address has an account).

While locked even the right password or key is refused, with a message that
says how long to wait; a lock is over when its time is up, and the count then
starts again. A successful sign-in clears its account's count. Counts live in
the database, so every web worker sees the same ones.
"""

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fleetmaint.attempts.models import FailedAttempts
from fleetmaint.errors import TooManyAttempts

T = TypeVar("T")
KEY_LENGTH = 160


@dataclass(frozen=True)
class Policy:
    scope: str
    limit: int
    window: timedelta
    lock: timedelta
    message: str  # with {minutes}


SIGN_IN_ACCOUNT = Policy(
    "sign-in-account",
    5,
    timedelta(minutes=15),
    timedelta(minutes=15),
    "Too many failed sign-ins for this account. Try again in {minutes}.",
)
SIGN_IN_ADDRESS = Policy(
    "sign-in-address",
    20,
    timedelta(minutes=15),
    timedelta(minutes=15),
    "Too many failed sign-ins from your address. Try again in {minutes}.",
)
KEY_ADDRESS = Policy(
    "key-address",
    20,
    timedelta(minutes=15),
    timedelta(minutes=15),
    "Too many wrong API keys from your address. Try again in {minutes}.",
)


RESET_FROM_ADDRESS = Policy(
    "reset-address",
    5,
    timedelta(hours=1),
    timedelta(hours=1),
    "Too many password reset requests from your address. Try again in {minutes}.",
)
RESET_TO_EMAIL = Policy(
    "reset-email",
    3,
    timedelta(hours=1),
    timedelta(hours=1),
    "Too many password reset e-mails to this address.",
)


def client_address(request: HttpRequest) -> str:
    """The address a request came from.

    Behind ``FORWARDED_FOR_PROXIES`` reverse proxies it is the address the
    outermost of them saw, counted from the right of ``X-Forwarded-For``: what
    a client writes there itself stands further left and is not believed.
    """
    proxies = settings.FORWARDED_FOR_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies][:KEY_LENGTH]
    return request.META.get("REMOTE_ADDR", "")[:KEY_LENGTH]


def account_key(username: str) -> str:
    return username.strip().lower()[:KEY_LENGTH]


def check(policy: Policy, key: str) -> None:
    """Raises ``TooManyAttempts`` while ``key`` is locked under ``policy``."""
    now = timezone.now()
    locked_until = (
        FailedAttempts.objects.filter(scope=policy.scope, key=key, locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    if locked_until is not None:
        raise _locked(policy, locked_until - now)


def fail(policy: Policy, key: str) -> None:
    """Counts one failure of ``key``; raises ``TooManyAttempts`` if it locked the key."""
    now = timezone.now()
    with transaction.atomic():
        row, created = FailedAttempts.objects.select_for_update().get_or_create(
            scope=policy.scope, key=key, defaults={"failures": 1, "window_started_at": now}
        )
        if not created:
            if row.window_started_at <= now - policy.window:
                row.failures, row.window_started_at = 1, now
            else:
                row.failures += 1
        locks = row.failures >= policy.limit
        if locks:
            # The next count starts when the lock ends.
            row.failures, row.window_started_at = 0, now + policy.lock
            row.locked_until = now + policy.lock
        row.save()
    if locks:
        raise _locked(policy, policy.lock)


def use(policy: Policy, key: str) -> None:
    """One more use of something limited (not a failure): refused only once the limit is spent.

    Raises ``TooManyAttempts`` while locked; the use that reaches the limit
    still goes ahead, and locks the next ones.
    """
    check(policy, key)
    with contextlib.suppress(TooManyAttempts):
        fail(policy, key)


def forget(policy: Policy, key: str) -> None:
    FailedAttempts.objects.filter(scope=policy.scope, key=key).delete()


def forget_old() -> int:
    """The scheduled clean-up: counts whose window and lock ended a day ago."""
    day_ago = timezone.now() - timedelta(days=1)
    deleted, _ = (
        FailedAttempts.objects.filter(window_started_at__lt=day_ago)
        .exclude(locked_until__gte=day_ago)
        .delete()
    )
    return deleted


def guarded_sign_in(username: str, address: str, sign_in: Callable[[], T]) -> T:
    """Runs ``sign_in()`` unless the account or the address is locked.

    A failure (``sign_in`` raising) counts against both and may lock them; a
    success clears the account's count. Raises ``TooManyAttempts`` when locked.
    """
    account = account_key(username)
    check(SIGN_IN_ACCOUNT, account)
    check(SIGN_IN_ADDRESS, address)
    try:
        result = sign_in()
    except Exception:
        fail(SIGN_IN_ADDRESS, address)
        fail(SIGN_IN_ACCOUNT, account)
        raise
    forget(SIGN_IN_ACCOUNT, account)
    return result


def key_lookup(request: HttpRequest, find: Callable[[], T | None]) -> T | None:
    """``find()`` the key a request presents, counting a miss against its address.

    Raises ``TooManyAttempts`` when the address is locked, before looking, and
    when this miss locks it.
    """
    address = client_address(request)
    check(KEY_ADDRESS, address)
    found = find()
    if found is None:
        fail(KEY_ADDRESS, address)
    return found


def _locked(policy: Policy, remaining: timedelta) -> TooManyAttempts:
    seconds = max(1, math.ceil(remaining.total_seconds()))
    minutes = math.ceil(seconds / 60)
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return TooManyAttempts(policy.message.format(minutes=wait), retry_after=seconds)
