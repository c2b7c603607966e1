"""Signed webhooks to a real HTTP receiver on loopback: retries, 410, redelivery, pages."""

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Response

from fleetmaint.notifications import delivery, services
from fleetmaint.notifications.models import Message, MessageStatus, Outcome, WebhookEndpoint
from tests.notifications.conftest import free_port, tell


@pytest.fixture
def endpoint(org, httpserver):
    return services.webhook_create(org=org, url=httpserver.url_for("/hook"), events=[])


def _later(minutes: int):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes))


def test_a_delivery_is_signed_the_standard_webhooks_way(
    org, endpoint, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("thanks")
    with django_capture_on_commit_callbacks(execute=True):
        tell(org)

    [(request, response)] = httpserver.log
    assert response.status_code == 200
    body = request.get_data(as_text=True)
    payload = Webhook(endpoint.secret).verify(body, dict(request.headers))
    assert payload["type"] == "task.expired"
    assert payload["data"] == {"task": {"id": 1}}
    message = Message.objects.get(channel="webhook")
    assert request.headers["webhook-id"] == f"msg_{message.pk}"
    attempt = message.deliveries.get()
    assert (attempt.status_code, attempt.response_excerpt) == (200, "thanks")


def test_a_forged_signature_does_not_verify(org, endpoint, httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    tell(org)
    delivery.deliver_due()
    request, _ = httpserver.log[0]
    headers = dict(request.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(request.get_data(as_text=True), headers)


def test_a_500_is_retried_with_backoff_and_delivered_once(org, endpoint, httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("oops", status=500)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok", status=200)
    tell(org)

    assert delivery.deliver_due() == 0
    message = Message.objects.get()
    assert message.status == MessageStatus.PENDING
    assert message.deliveries.get().status_code == 500
    with _later(5):
        assert delivery.deliver_due() == 1
    with _later(600):
        assert delivery.deliver_due() == 0

    assert [r.status_code for _, r in httpserver.log] == [500, 200]
    ids = {req.headers["webhook-id"] for req, _ in httpserver.log}
    assert ids == {f"msg_{message.pk}"}  # the same id on the retry, so receivers can deduplicate


def test_a_retry_carries_the_same_body_with_the_events_time(org, endpoint, httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("oops", status=503)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    tell(org)
    event_time = Message.objects.get().event.created_at

    delivery.deliver_due()
    with _later(2):
        assert delivery.deliver_due() == 1

    (first, _), (second, _) = httpserver.log
    assert first.get_data() == second.get_data()  # byte for byte
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    # The attempt's time is in the header only, and each attempt is signed for its own.
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 60
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    for request in (first, second):
        payload = Webhook(endpoint.secret).verify(request.get_data(), dict(request.headers))
        assert payload["timestamp"] == event_time.isoformat()


def test_a_receiver_that_is_down_gets_the_message_when_it_is_back(org):
    port = free_port()
    services.webhook_create(org=org, url=f"http://127.0.0.1:{port}/hook", events=[])
    tell(org)
    assert delivery.deliver_due() == 0
    assert Message.objects.get().deliveries.get().outcome == Outcome.RETRY

    server = HTTPServer(host="127.0.0.1", port=port)
    server.expect_request("/hook").respond_with_data("ok")
    server.start()
    try:
        with _later(5):
            assert delivery.deliver_due() == 1
    finally:
        server.stop()
    assert len(server.log) == 1
    assert Message.objects.get().status == MessageStatus.SENT


def test_an_endpoint_answering_410_is_disabled_and_not_retried(org, endpoint, httpserver):
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    tell(org)
    delivery.deliver_due()

    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "410" in endpoint.disabled_reason
    assert Message.objects.get().status == MessageStatus.FAILED
    with _later(60):
        assert delivery.deliver_due() == 0
    assert len(httpserver.log) == 1
    # A disabled endpoint gets no new events.
    tell(org, key="task:2:expired:cycle-1")
    assert Message.objects.count() == 1


def test_a_timeout_is_retried(org, endpoint, httpserver, settings):
    settings.HTTP_DELIVERY_TIMEOUT = 1

    released = threading.Event()

    def hanging(request):
        released.wait(5)  # the receiver hangs until the sender has given up
        return Response("late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(hanging)
    tell(org)
    delivery.deliver_due()
    released.set()
    message = Message.objects.get()
    assert message.status == MessageStatus.PENDING
    assert "No answer" in message.last_error


def test_endpoints_only_get_the_events_they_subscribed_to(org, httpserver):
    services.webhook_create(org=org, url=httpserver.url_for("/hook"), events=["service.created"])
    tell(org, event="task.expired")
    assert Message.objects.filter(channel="webhook").count() == 0
    tell(org, key="order:1:created", event="service.created")
    assert Message.objects.filter(channel="webhook").count() == 1


def test_redeliver_sends_a_delivered_message_again(
    org, endpoint, httpserver, admin_client, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    tell(org)
    delivery.deliver_due()
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT
    before = len(httpserver.log)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/notifications/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/"
        )
    assert response.status_code == 302
    assert len(httpserver.log) == before + 1
    assert message.deliveries.count() == 2


def test_webhook_settings_validate_the_url_and_events(org):
    with pytest.raises(Exception, match="https"):
        services.webhook_create(org=org, url="ftp://example.com", events=[])
    with pytest.raises(Exception, match="Unknown event"):
        services.webhook_create(org=org, url="https://example.com/h", events=["nope.nope"])


def test_the_secret_is_shown_once_when_the_endpoint_is_added(admin_client, org):
    response = admin_client.post(
        "/notifications/webhooks/",
        {"url": "https://hooks.example.com/fleet", "events": ["service.created"]},
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in admin_client.get("/notifications/webhooks/").content.decode()
    assert (
        endpoint.secret
        not in admin_client.get(f"/notifications/webhooks/{endpoint.pk}/").content.decode()
    )


def test_a_bad_url_shows_an_error_and_creates_nothing(admin_client):
    response = admin_client.post("/notifications/webhooks/", {"url": "not a url"})
    assert response.status_code == 422
    assert "Enter a valid URL" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_only_admins_manage_webhooks(advisor_client, viewer_client):
    assert advisor_client.get("/notifications/webhooks/").status_code == 403
    assert (
        viewer_client.post("/notifications/webhooks/", {"url": "https://x.test"}).status_code == 403
    )


def test_another_fleets_endpoint_is_not_found(outsider_client, endpoint):
    assert outsider_client.get(f"/notifications/webhooks/{endpoint.pk}/").status_code == 404
    assert outsider_client.post(f"/notifications/webhooks/{endpoint.pk}/delete/").status_code == 404


def test_the_delivery_log_shows_each_attempt(org, endpoint, httpserver, admin_client):
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    tell(org)
    delivery.deliver_due()
    page = admin_client.get(f"/notifications/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 503" in page
    assert "Redeliver" in page


def test_a_test_event_reaches_the_receiver(
    org, endpoint, httpserver, admin_client, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/notifications/webhooks/{endpoint.pk}/ping/")
    request, _ = httpserver.log[0]
    assert json.loads(request.get_data())["type"] == "test.ping"
