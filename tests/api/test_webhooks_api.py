"""Webhook endpoints through the API: secret shown once, rotation with a grace period
verified by a real receiver on loopback, private URLs refused, the delivery log, redelivery."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from fleetmaint.accounts import services as accounts
from fleetmaint.idempotency.models import StoredAnswer
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import DeliveryAttempt
from tests.notifications.conftest import tell

pytestmark = pytest.mark.django_db


def _post(client: Client, path: str, body: dict | None = None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def _create(api: Client, url: str, **extra) -> dict:
    response = _post(api, "/api/v1/webhooks", {"url": url, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def test_the_secret_is_shown_once(api, httpserver: HTTPServer):
    created = _create(api, httpserver.url_for("/hook"), events=["task.expired"])
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["task.expired"]
    detail = api.get(f"/api/v1/webhooks/{created['id']}").json()
    listing = api.get("/api/v1/webhooks").json()
    assert "secret" not in detail and created["secret"] not in json.dumps(detail)
    assert created["secret"] not in json.dumps(listing)
    assert listing["count"] == 1


def test_no_answer_holding_a_secret_is_kept_for_an_idempotency_key(api, httpserver):
    body = json.dumps({"url": httpserver.url_for("/hook")})
    first = api.post(
        "/api/v1/webhooks", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201
    rotated = api.post(
        f"/api/v1/webhooks/{first.json()['id']}/rotate-secret", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    again = api.post(
        f"/api/v1/webhooks/{first.json()['id']}/rotate-secret", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert rotated.json()["secret"] != again.json()["secret"]
    assert StoredAnswer.objects.count() == 0


def test_change_and_remove(api, httpserver):
    created = _create(api, httpserver.url_for("/hook"))
    response = api.patch(
        f"/api/v1/webhooks/{created['id']}",
        json.dumps({"active": False, "events": ["service.created"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["events"]) == (False, ["service.created"])
    assert response.json()["url"] == created["url"]
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert api.get(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_unknown_events_are_refused(api, httpserver):
    response = _post(api, "/api/v1/webhooks", {"url": httpserver.url_for("/h"), "events": ["x"]})
    assert response.status_code in (400, 422)


def test_private_urls_are_refused(api, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url in ("https://10.0.0.5/hook", "https://127.0.0.1/hook", "https://[::1]/hook"):
        response = _post(api, "/api/v1/webhooks", {"url": url})
        assert response.status_code == 400, url
        assert response.json()["field"] == "url"


def _verifies(secret: str, request) -> bool:
    try:
        Webhook(secret).verify(request.get_data(as_text=True), dict(request.headers))
    except Exception:
        return False
    return True


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    api, org, httpserver, clock, settings
):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 24
    created = _create(api, httpserver.url_for("/hook"))
    old = created["secret"]
    response = _post(api, f"/api/v1/webhooks/{created['id']}/rotate-secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert new not in json.dumps(api.get(f"/api/v1/webhooks/{created['id']}").json())

    httpserver.expect_request("/hook").respond_with_data("ok")
    tell(org, key="during")
    delivery.deliver_due()
    request, _ = httpserver.log[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert _verifies(new, request) and _verifies(old, request)

    clock.shift(timedelta(hours=24, seconds=1))
    tell(org, key="after")
    delivery.deliver_due()
    request, _ = httpserver.log[-1]
    assert len(httpserver.log) == 2
    assert _verifies(new, request)
    assert not _verifies(old, request)


def test_deliveries_are_listed_newest_first_and_can_be_redelivered(api, org, httpserver, clock):
    created = _create(api, httpserver.url_for("/hook"))
    httpserver.expect_oneshot_request("/hook").respond_with_data("no", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    tell(org)
    delivery.deliver_due()
    page = api.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()
    assert page["count"] == 1
    [first] = page["items"]
    assert (first["status_code"], first["outcome"], first["event"]) == (
        500,
        "retry",
        "task.expired",
    )
    assert first["duration_ms"] >= 0 and "500" in first["error"]

    clock.shift(timedelta(seconds=5))
    response = _post(api, f"/api/v1/webhooks/{created['id']}/deliveries/{first['id']}/redeliver")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    delivery.deliver_due()
    page = api.get(f"/api/v1/webhooks/{created['id']}/deliveries?limit=1").json()
    assert page["count"] == 2
    [newest] = page["items"]
    assert (newest["status_code"], newest["outcome"]) == (200, "delivered")
    assert DeliveryAttempt.objects.count() == 2


def test_outsiders_get_404(api, other_api, httpserver):
    created = _create(api, httpserver.url_for("/hook"))
    base = f"/api/v1/webhooks/{created['id']}"
    assert other_api.get(base).status_code == 404
    assert other_api.delete(base).status_code == 404
    assert _post(other_api, f"{base}/rotate-secret").status_code == 404
    assert other_api.get(f"{base}/deliveries").status_code == 404
    assert other_api.get("/api/v1/webhooks").json()["count"] == 0
    assert api.get(base).status_code == 200


def test_read_only_keys_are_refused(org, httpserver):
    _, raw = accounts.apikey_create(org=org, name="reader", read_only=True)
    reader = Client(headers={"Authorization": f"Bearer {raw}"})
    assert reader.get("/api/v1/webhooks").status_code == 403
    response = _post(reader, "/api/v1/webhooks", {"url": httpserver.url_for("/hook")})
    assert response.status_code == 403
