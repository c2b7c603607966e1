"""The one way to tell people something: ``notify()``, and the delivery of what it queues.

``notify`` runs inside the caller's transaction and only writes rows; the
delivery job is queued when that transaction commits, so a rolled-back
change tells nobody and no request waits for a mail server.
"""

import base64
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from fleetmaint import outbound
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.notifications import outbox
from fleetmaint.notifications.delivery import enqueue_delivery
from fleetmaint.notifications.models import (
    EVENT_KINDS,
    Channel,
    Event,
    Message,
    Preference,
    WebhookEndpoint,
)
from fleetmaint.notifications.phones import normalize_phone
from fleetmaint.notifications.queries import inbox

log = logging.getLogger(__name__)

USER_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


@dataclass
class Recipients:
    """Who hears about an event: people (by their preferences) and explicit addresses."""

    advisors: bool = False
    users: Iterable[User] = ()
    emails: Iterable[str] = ()
    phones: Iterable[str] = ()
    webhooks: bool = True
    push: bool = True

    def audience(self) -> dict:
        """The form the outbox stores with the event and writes the messages from."""
        return {
            "advisors": self.advisors,
            "users": sorted({u.pk for u in self.users}),
            "emails": [e.strip().lower() for e in self.emails],
            "phones": list(self.phones),
            "push": self.push,
            "webhooks": self.webhooks,
        }


@dataclass
class Notice:
    """One thing to tell; see ``notify``."""

    org: Organization
    event: str
    dedupe_key: str
    subject: str
    recipients: Recipients
    text: str = ""
    link: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def notify(
    *,
    org: Organization,
    event: str,
    dedupe_key: str,
    subject: str,
    text: str = "",
    link: str = "",
    facts: list[tuple[str, str]] | None = None,
    data: dict | None = None,
    recipients: Recipients,
) -> Event | None:
    """Queues one event for its recipients; returns None if it was already told.

    ``dedupe_key`` names the crossing (``task:42:expired:cycle-1``): a second
    call with the same key, even from a concurrent transaction, does nothing.
    ``facts`` are label/value pairs shown in e-mails; ``data`` is the webhook payload.
    """
    notice = Notice(
        org=org,
        event=event,
        dedupe_key=dedupe_key,
        subject=subject,
        recipients=recipients,
        text=text,
        link=link,
        facts=list(facts or []),
        data=data or {},
    )
    created = notify_many([notice])
    return created[0] if created else None


def notify_many(notices: list[Notice]) -> list[Event]:
    """Queues many events with a fixed number of queries, whatever their number.

    Returns the events that were new; notices whose dedupe key was already
    used (by an earlier call or a concurrent one) are skipped.
    """
    if not notices:
        return []
    batch = outbox.new_batch()
    Event.objects.bulk_create(
        [
            Event(
                org=n.org,
                name=n.event,
                dedupe_key=n.dedupe_key[:200],
                subject=n.subject[:200],
                text=n.text,
                link=n.link,
                payload={"facts": [list(f) for f in n.facts], "data": n.data},
                audience=n.recipients.audience(),
                batch=batch,
            )
            for n in notices
        ],
        ignore_conflicts=True,
    )
    # Rows that lost a race to an existing key keep the other batch's token,
    # so this finds exactly the events this call created.
    created = list(Event.objects.filter(batch=batch).order_by("pk"))
    if created:
        outbox.messages_insert(batch)
    return created


# --- in-app notifications ---------------------------------------------------


def mark_read(*, user: User, org: Organization, message_id: int | None = None) -> int:
    """Marks one in-app notification, or all of them, as read."""
    unread = inbox(user, org).filter(read_at=None)
    if message_id is not None:
        unread = unread.filter(pk=message_id)
    return unread.update(read_at=timezone.now())


def event_mark_read(*, org: Organization, dedupe_key: str) -> int:
    """Marks the in-app messages of one event read for everyone it was for, in one UPDATE.

    For a notice that asked for something now done (an issue awaiting approval
    that someone decided); messages not delivered yet are marked too, so they
    arrive read.
    """
    return Message.objects.filter(
        org=org, channel=Channel.PUSH, read_at=None, event__org=org, event__dedupe_key=dedupe_key
    ).update(read_at=timezone.now())


# --- preferences --------------------------------------------------------------


def preference_update(*, user: User, phone: str, channels: dict[str, list[str]]) -> Preference:
    phone = normalize_phone(phone) if (phone or "").strip() else ""
    clean: dict[str, list[str]] = {}
    for event_name, chosen in channels.items():
        if event_name not in EVENT_KINDS:
            raise ValidationFailed(f"Unknown event {event_name!r}.", field="channels")
        unknown = set(chosen) - set(USER_CHANNELS)
        if unknown:
            raise ValidationFailed(f"Unknown channel {sorted(unknown)[0]!r}.", field="channels")
        clean[event_name] = [c for c in USER_CHANNELS if c in chosen]
    if not phone and any(Channel.SMS in c for c in clean.values()):
        raise ValidationFailed("Give a phone number to receive SMS.", field="phone")
    preference, _ = Preference.objects.update_or_create(
        user=user, defaults={"phone": phone, "channels": clean}
    )
    return preference


# --- webhooks -------------------------------------------------------------------


def _clean_webhook(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ValidationFailed("The URL must start with https://.", field="url")
    if len(url) > 500:
        raise ValidationFailed("The URL can be at most 500 characters.", field="url")
    if url.startswith("http://") and not settings.WEBHOOKS_ALLOW_HTTP:
        raise ValidationFailed("Webhooks are sent over HTTPS only.", field="url")
    if not outbound.private_allowed():
        try:
            outbound.check_url(url)
        except outbound.AddressRefused as error:
            raise ValidationFailed(
                f"Webhooks can reach only the public internet: {error}.", field="url"
            ) from None
    unknown = [e for e in events if e not in EVENT_KINDS]
    if unknown:
        raise ValidationFailed(f"Unknown event {unknown[0]!r}.", field="events")
    return url, sorted(set(events))


def webhook_create(
    *, org: Organization, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    url, events = _clean_webhook(url, events)
    return WebhookEndpoint.objects.create(
        org=org,
        url=url,
        events=events,
        description=(description or "")[:120],
        secret=_new_webhook_secret(),
    )


def _new_webhook_secret() -> str:
    # Standard Webhooks secrets are "whsec_" followed by base64 key bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_update(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], active: bool, description: str = ""
) -> WebhookEndpoint:
    endpoint.url, endpoint.events = _clean_webhook(url, events)
    endpoint.description = (description or "")[:120]
    if active and not endpoint.active:
        endpoint.disabled_reason = ""
    endpoint.active = active
    endpoint.save()
    return endpoint


def webhook_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Gives the endpoint a new secret; the old one keeps signing for a grace period.

    During ``settings.WEBHOOK_SECRET_GRACE_HOURS`` every delivery carries two
    signatures (the new secret's and the old one's), so the receiver can switch
    over without refusing a message.
    """
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            hours=settings.WEBHOOK_SECRET_GRACE_HOURS
        )
        endpoint.secret = _new_webhook_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def webhook_ping(*, endpoint: WebhookEndpoint) -> Event | None:
    """Sends a test event to one endpoint so its owner can check the receiver."""
    with transaction.atomic():
        record = Event.objects.create(
            org=endpoint.org,
            name="test.ping",
            dedupe_key=f"ping:{endpoint.pk}:{secrets.token_hex(6)}",
            subject="Test message",
            payload={"data": {"message": "Hello from fleetmaint", "endpoint": endpoint.pk}},
        )
        Message.objects.create(
            org=endpoint.org,
            event=record,
            channel=Channel.WEBHOOK,
            address=f"endpoint:{endpoint.pk}",
            endpoint=endpoint,
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(lambda: enqueue_delivery([record.pk]))
    return record
