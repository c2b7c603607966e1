"""Webhooks and the SMS gateway reach only the public internet, and follow no redirects.

The receivers are real HTTP servers on loopback, which is exactly what the
guard refuses: each test turns ``WEBHOOKS_ALLOW_PRIVATE`` off where the
guard is under test. Name lookups that must return a chosen address replace
``socket.getaddrinfo`` (the operating system's resolver), never our code.
"""

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fleetmaint import outbound
from fleetmaint.errors import ValidationFailed
from fleetmaint.notifications import delivery, services
from fleetmaint.notifications.models import Message, MessageStatus, Outcome, WebhookEndpoint
from tests.notifications.conftest import tell

PUBLIC_IP = "93.184.215.14"

REFUSED_URLS = [
    "https://127.0.0.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://100.64.0.1/",
    "https://0.0.0.0/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[2002:7f00:1::]/",
    "https://[64:ff9b::a00:5]/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://localhost:5432/",
    "https://0x7f000001/",
    "https://2130706433/",
]


@pytest.fixture
def guarded(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def resolve_as(monkeypatch):
    """Makes every name resolve to the addresses given, in turn, one list per lookup."""

    def install(*answers: str):
        queue = list(answers)
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return real(address, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return install


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_webhook_to_an_inside_address_is_refused_when_saved(org, guarded, url):
    with pytest.raises(ValidationFailed, match="public internet") as refused:
        services.webhook_create(org=org, url=url, events=[])
    assert refused.value.field == "url"
    assert WebhookEndpoint.objects.count() == 0


def test_a_name_that_resolves_inside_is_refused_too(org, guarded, resolve_as):
    resolve_as("10.1.2.3")
    with pytest.raises(ValidationFailed, match=r"10\.1\.2\.3 is not a public internet address"):
        services.webhook_create(org=org, url="https://hooks.example.com/in", events=[])


def test_a_name_that_does_not_resolve_is_refused_with_its_name(org, guarded):
    with pytest.raises(ValidationFailed, match=r"no-such-host\.invalid does not resolve"):
        services.webhook_create(org=org, url="https://no-such-host.invalid/h", events=[])


def test_a_public_address_is_accepted(org, guarded):
    endpoint = services.webhook_create(org=org, url=f"https://{PUBLIC_IP}/hook", events=[])
    assert endpoint.url == f"https://{PUBLIC_IP}/hook"


def test_an_update_to_an_inside_address_is_refused_and_keeps_the_old_url(org, guarded):
    endpoint = services.webhook_create(org=org, url=f"https://{PUBLIC_IP}/hook", events=[])
    with pytest.raises(ValidationFailed):
        services.webhook_update(
            endpoint=endpoint, url="https://169.254.169.254/", events=[], active=True
        )
    endpoint.refresh_from_db()
    assert endpoint.url == f"https://{PUBLIC_IP}/hook"


def test_the_page_says_why_the_url_was_refused(admin_client, guarded):
    response = admin_client.post(
        "/notifications/webhooks/", {"url": "https://169.254.169.254/latest/meta-data/"}
    )
    assert response.status_code == 422
    assert "public internet" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_private_targets_are_allowed_when_the_installation_says_so(org, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = services.webhook_create(org=org, url="https://10.0.0.5/hook", events=[])
    assert endpoint.pk


@pytest.mark.parametrize(("debug", "allowed"), [("false", "False"), ("true", "True")])
def test_private_targets_are_off_in_production_and_on_under_make_run(debug, allowed):
    hidden = {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "WEBHOOKS_ALLOW_PRIVATE"}
    environment = {k: v for k, v in os.environ.items() if k not in hidden}
    environment.update(DEBUG=debug, SECRET_KEY="x" * 50)
    result = subprocess.run(
        [sys.executable, "-c", "import fleetmaint.settings as s; print(s.WEBHOOKS_ALLOW_PRIVATE)"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == allowed, result.stderr


# --- at connect time --------------------------------------------------------------------


def _webhook_to(org, httpserver, path="/hook"):
    """An endpoint on the loopback receiver, saved while private targets are allowed."""
    return services.webhook_create(org=org, url=httpserver.url_for(path), events=[])


def test_a_saved_endpoint_is_not_reached_once_it_resolves_inside(org, httpserver, settings):
    _webhook_to(org, httpserver)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    tell(org)
    delivery.deliver_due()

    assert httpserver.log == []
    message = Message.objects.get(channel="webhook")
    attempt = message.deliveries.get()
    assert attempt.outcome == Outcome.RETRY
    assert attempt.error.startswith("Refused: 127.0.0.1 is not a public internet address")
    assert (attempt.status_code, attempt.response_excerpt) == (None, "")


def test_dns_rebinding_after_the_check_does_not_reach_inside(org, httpserver, guarded, resolve_as):
    # The name is public when the URL is saved, loopback when the delivery connects.
    resolve_as(PUBLIC_IP, "127.0.0.1")
    url = f"http://rebind.example:{httpserver.port}/hook"
    services.webhook_create(org=org, url=url, events=[])
    tell(org)
    delivery.deliver_due()

    assert httpserver.log == []
    attempt = Message.objects.get(channel="webhook").deliveries.get()
    assert attempt.error.startswith("Refused: 127.0.0.1")


def test_the_connected_peer_is_checked_not_only_the_name(monkeypatch, guarded):
    # Whatever the lookup says, the address the socket reached is checked again.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: real("127.0.0.1", port)[:1])
    monkeypatch.setattr(outbound, "check_address", _only_the_peer_check(outbound.check_address))
    with pytest.raises(outbound.AddressRefused):
        outbound._connect("peer.example", port, 2)
    listener.close()


def _only_the_peer_check(check):
    """Lets the lookup's address through once; the peer check must still refuse."""
    calls = []

    def checked(text: str):
        calls.append(text)
        if len(calls) == 1:
            return ipaddress.ip_address(text)
        return check(text)

    return checked


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(org, httpserver):
    _webhook_to(org, httpserver)
    httpserver.expect_request("/hook").respond_with_data(
        "moved", status=302, headers={"Location": httpserver.url_for("/secret")}
    )
    httpserver.expect_request("/secret").respond_with_data("ami-id: i-0123")
    tell(org)
    delivery.deliver_due()

    assert [request.path for request, _ in httpserver.log] == ["/hook"]
    message = Message.objects.get(channel="webhook")
    attempt = message.deliveries.get()
    assert (attempt.outcome, attempt.status_code) == (Outcome.RETRY, 302)
    assert "ami-id" not in attempt.response_excerpt
    assert message.status == MessageStatus.PENDING


def test_the_excerpt_kept_is_short(org, httpserver):
    _webhook_to(org, httpserver)
    httpserver.expect_request("/hook").respond_with_data("x" * 5000, status=500)
    tell(org)
    delivery.deliver_due()
    attempt = Message.objects.get(channel="webhook").deliveries.get()
    assert len(attempt.response_excerpt) == 500


def test_the_sms_gateway_is_guarded_the_same_way(org, settings, httpserver):
    settings.SMS_BACKEND = "fleetmaint.notifications.transports.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = httpserver.url_for("/2010-04-01")
    settings.SMS_ACCOUNT_SID = "AC123"
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    tell(org, phones=["+4915123456789"])
    delivery.deliver_due()

    assert httpserver.log == []
    message = Message.objects.get(channel="sms")
    assert message.deliveries.get().error.startswith("Refused: 127.0.0.1")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC_IP, True),
        ("2606:4700:4700::1111", True),
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("::ffff:10.0.0.1", False),
        ("2002:0a00:0001::", False),
        ("2002:0808:0808::", True),
        ("ff02::1", False),
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("255.255.255.255", False),
    ],
)
def test_which_addresses_count_as_public(address, public):
    assert outbound.is_public(ipaddress.ip_address(address)) is public
