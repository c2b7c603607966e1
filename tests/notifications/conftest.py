"""A real SMTP server on loopback, and helpers to drive the outbox."""

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from fleetmaint.notifications import services
from fleetmaint.notifications.services import Recipients


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpReceiver:
    """Collects what arrives; addresses in ``refuse`` are rejected with 550."""

    port: int
    received: list[email.message.Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        for _ in envelope.rcpt_tos:
            self.received.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.received if address in m["To"]]


@contextmanager
def smtp_serving(receiver: SmtpReceiver, settings, *, timeout: int) -> Iterator[SmtpReceiver]:
    """Runs ``receiver`` on loopback with Django's mail settings pointing at it."""
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = receiver.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = timeout
    try:
        yield receiver
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings):
    with smtp_serving(SmtpReceiver(port=free_port()), settings, timeout=3) as receiver:
        yield receiver


@pytest.fixture
def smtp_down(settings):
    """Mail settings pointing at a port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    return settings.EMAIL_PORT


def tell(
    org, *, key="task:1:expired:cycle-1", users=(), emails=(), phones=(), event="task.expired"
):
    """Notifies like a capability would, and returns the event (or None if already told)."""
    return services.notify(
        org=org,
        event=event,
        dedupe_key=key,
        subject="Oil change is overdue on Van 1",
        text="The oil change reached its limit.",
        link="/vehicles/1/",
        facts=[("Vehicle", "Van 1"), ("Odometer", "15,000 km")],
        data={"task": {"id": 1}},
        recipients=Recipients(users=users, emails=emails, phones=phones),
    )
