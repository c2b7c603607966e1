"""SMS: numbers normalised, texts kept short, and a Twilio-style gateway over real HTTP."""

from base64 import b64encode
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from fleetmaint.errors import ValidationFailed
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import Message, MessageStatus
from fleetmaint.notifications.phones import fit_sms, normalize_phone
from tests.notifications.conftest import tell


def test_phone_numbers_are_normalised_to_international_form():
    assert normalize_phone("+49 151 2345 6789") == "+4915123456789"
    assert normalize_phone("+1 (415) 555-2671") == "+14155552671"


@pytest.mark.parametrize("raw", ["", "12", "0151 2345 6789", "+49 abc", "+999 1234"])
def test_it_refuses_numbers_it_cannot_read(raw):
    with pytest.raises(ValidationFailed, match="international form"):
        normalize_phone(raw)


@given(st.text(max_size=2000))
def test_a_text_always_fits_two_segments(text):
    fitted = fit_sms(text)
    gsm = all(ord(c) < 128 and c not in "`" for c in fitted)
    if gsm:
        assert len(fitted) <= 306
    assert len(fitted) <= 306


def test_a_short_text_is_left_alone_and_a_long_one_is_cut_with_an_ellipsis():
    assert fit_sms("Oil change due") == "Oil change due"
    long = fit_sms("x" * 500)
    assert len(long) == 306 and long.endswith("…")
    assert len(fit_sms("ü✓" * 200)) == 134


@pytest.fixture
def gateway(settings, httpserver):
    settings.SMS_BACKEND = "fleetmaint.notifications.transports.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = httpserver.url_for("/2010-04-01")
    settings.SMS_ACCOUNT_SID = "AC123"
    settings.SMS_AUTH_TOKEN = "secret-token"
    settings.SMS_FROM = "+15005550006"
    return httpserver


def test_the_gateway_receives_a_form_post_with_basic_auth(org, gateway):
    gateway.expect_request(
        "/2010-04-01/Accounts/AC123/Messages.json", method="POST"
    ).respond_with_json({"sid": "SM1"}, status=201)
    tell(org, phones=["+4915123456789"])
    assert delivery.deliver_due() == 1

    request, _ = gateway.log[0]
    form = parse_qs(request.get_data(as_text=True))
    assert form["To"] == ["+4915123456789"]
    assert form["From"] == ["+15005550006"]
    assert form["Body"][0].startswith("Acme Logistics: Oil change is overdue on Van 1.")
    assert request.headers["Authorization"] == "Basic " + b64encode(b"AC123:secret-token").decode()


def test_a_gateway_outage_is_retried(org, gateway):
    gateway.expect_oneshot_request("/2010-04-01/Accounts/AC123/Messages.json").respond_with_data(
        "busy", status=503
    )
    gateway.expect_oneshot_request("/2010-04-01/Accounts/AC123/Messages.json").respond_with_json(
        {"sid": "SM1"}, status=201
    )
    tell(org, phones=["+4915123456789"])
    assert delivery.deliver_due() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert delivery.deliver_due() == 1
    assert Message.objects.get().status == MessageStatus.SENT


def test_a_number_the_gateway_rejects_fails_for_good(org, gateway):
    gateway.expect_request("/2010-04-01/Accounts/AC123/Messages.json").respond_with_json(
        {"code": 21211, "message": "Invalid 'To' Phone Number"}, status=400
    )
    tell(org, phones=["+4915123456789"])
    delivery.deliver_due()
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "Invalid 'To' Phone Number" in message.deliveries.get().response_excerpt


def test_the_console_backend_is_the_default(org, settings, caplog):
    assert settings.SMS_BACKEND.endswith("ConsoleSmsBackend")
    tell(org, phones=["+4915123456789"])
    with caplog.at_level("INFO"):
        assert delivery.deliver_due() == 1
    assert "SMS to +4915123456789" in caplog.text
