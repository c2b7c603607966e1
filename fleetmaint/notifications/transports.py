"""One small class per channel behind one ``send(message)`` contract.

A transport raises ``TransportError`` when a message did not get through;
``permanent=True`` means trying again cannot help (a refused address, a
webhook endpoint that answered 410 Gone).

A worker uses one transport per channel for a whole batch, as a context
manager: the e-mail transport keeps one SMTP connection open across the
batch's messages and closes it on leaving.
"""

import contextlib
import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from standardwebhooks import Webhook

from fleetmaint import outbound
from fleetmaint.links import absolute_url
from fleetmaint.notifications.models import Channel, Message
from fleetmaint.notifications.phones import fit_sms

log = logging.getLogger(__name__)
# Enough of an answer to tell a receiver's error page from its success; no more is kept.
EXCERPT_LENGTH = 500


class TransportError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status_code: int | None = None,
        response: str = "",
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code
        self.response = response


@dataclass
class Receipt:
    status_code: int | None = None
    response: str = ""


class Transport:
    def send(self, message: Message) -> Receipt:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Lets go of whatever the batch held open; most channels hold nothing."""

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _context(message: Message) -> dict:
    event = message.event
    return {
        "event": event,
        "org": message.org,
        "facts": event.payload.get("facts", []),
        "url": absolute_url(event.link or "/"),
    }


class EmailTransport(Transport):
    """Sends each message on one connection kept open for the batch.

    Each message is sent on its own, so each gets its own outcome. After a
    failure the connection is dropped (its state is unknown) and the next
    message opens a new one; if even opening fails, the server is down and
    the rest of the batch fails fast with the same error instead of each
    message waiting for its own connect timeout.
    """

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._down: TransportError | None = None

    def send(self, message: Message) -> Receipt:
        if self._down is not None:
            raise TransportError(str(self._down))
        email = build_email(message)
        connection = self._open()
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            raise TransportError(f"Address refused: {error.recipients}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise TransportError(f"Mail server unavailable: {error}") from None
        return Receipt()

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as error:
                self._down = TransportError(f"Mail server unavailable: {error}")
                raise self._down from None
            self._connection = connection
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # A server that already hung up leaves nothing to tidy.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()


def build_email(message: Message) -> EmailMultiAlternatives:
    context = _context(message)
    email = EmailMultiAlternatives(
        subject=f"[{message.org.name}] {message.event.subject}",
        body=render_to_string("notifications/email.txt", context),
        to=[message.address],
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return email


class PushTransport(Transport):
    """In-app messages live in the database already: delivering makes them visible."""

    def send(self, message: Message) -> Receipt:
        return Receipt()


class SmsBackend:
    def send_sms(self, to: str, text: str) -> Receipt:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Writes texts to the log, for development."""

    def send_sms(self, to: str, text: str) -> Receipt:
        log.info("SMS to %s: %s", to, text)
        return Receipt()


class HttpGatewaySmsBackend(SmsBackend):
    """A Twilio-style gateway: form POST to .../Accounts/<sid>/Messages.json, basic auth."""

    def send_sms(self, to: str, text: str) -> Receipt:
        sid = settings.SMS_ACCOUNT_SID
        url = f"{settings.SMS_GATEWAY_URL.rstrip('/')}/Accounts/{sid}/Messages.json"
        body = urllib.parse.urlencode({"To": to, "From": settings.SMS_FROM, "Body": text})
        token = b64encode(f"{sid}:{settings.SMS_AUTH_TOKEN}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        status, response = _http(request)
        if 200 <= status < 300:
            return Receipt(status, response)
        # 4xx means the gateway will never take this message (bad number, bad
        # credentials), except 429, which asks us to slow down.
        permanent = 400 <= status < 500 and status != 429
        raise TransportError(
            f"SMS gateway answered {status}",
            permanent=permanent,
            status_code=status,
            response=response,
        )


class SmsTransport(Transport):
    """One gateway request per message; the backend is made once per batch."""

    def __init__(self) -> None:
        self._backend: SmsBackend = import_string(settings.SMS_BACKEND)()

    def send(self, message: Message) -> Receipt:
        text = fit_sms(f"{message.org.name}: {message.event.subject}. {message.event.text}")
        return self._backend.send_sms(message.address, text)


def webhook_body(message: Message) -> str:
    """The body a receiver gets, fixed when the event was written.

    ``timestamp`` is the event's moment, not the attempt's, so every attempt of one
    ``webhook-id`` carries the same bytes; the attempt's time travels only in the
    ``webhook-timestamp`` header, which the signature covers.
    """
    event = message.event
    return json.dumps(
        {
            "type": event.name,
            "timestamp": event.created_at.isoformat(),
            "data": event.payload.get("data", {}),
        },
        separators=(",", ":"),
        default=str,
    )


class WebhookTransport(Transport):
    """Standard Webhooks: webhook-id, webhook-timestamp and an HMAC-SHA256 signature."""

    def send(self, message: Message) -> Receipt:
        endpoint = message.endpoint
        now = timezone.now()
        body = webhook_body(message)
        msg_id = f"msg_{message.pk}"  # the same on every retry, so receivers can deduplicate
        signature = Webhook(endpoint.secret).sign(msg_id, now, body)
        # Just after a rotation the old secret signs too (space-separated, as the spec allows).
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and now < expires:
            signature += " " + Webhook(endpoint.previous_secret).sign(msg_id, now, body)
        request = urllib.request.Request(
            endpoint.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "fleetmaint-webhooks/1",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            },
        )
        status, response = _http(request)
        if 200 <= status < 300:
            return Receipt(status, response)
        raise TransportError(
            f"Endpoint answered {status}",
            permanent=status == 410,
            status_code=status,
            response=response,
        )


def _http(request: urllib.request.Request) -> tuple[int, str]:
    """Sends the request; returns status and a response excerpt, or raises for no answer.

    Only public addresses are reached and redirects are not followed
    (``fleetmaint.outbound``): a 3xx comes back as a failed attempt with its status.
    """
    try:
        with outbound.opener().open(request, timeout=settings.HTTP_DELIVERY_TIMEOUT) as response:
            return response.status, response.read(EXCERPT_LENGTH).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(EXCERPT_LENGTH).decode(errors="replace")
    except outbound.AddressRefused as error:
        raise TransportError(f"Refused: {error}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TransportError(f"No answer: {reason}") from None


TRANSPORTS: dict[str, type[Transport]] = {
    Channel.EMAIL: EmailTransport,
    Channel.SMS: SmsTransport,
    Channel.PUSH: PushTransport,
    Channel.WEBHOOK: WebhookTransport,
}
