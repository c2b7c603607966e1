"""The operator's admin actions go through the services: key revocation and redelivery."""

import pytest
from django.test import Client
from pytest_httpserver import HTTPServer

from fleetmaint.notifications import delivery
from fleetmaint.notifications import services as notifications
from fleetmaint.notifications.models import Message, MessageStatus
from fleetmaint.orders import servicers
from fleetmaint.orders.models import ServicerApiKey
from tests.notifications.conftest import tell


@pytest.fixture
def operator(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("operator", "op@example.net", "x" * 16)
    client = Client()
    client.force_login(user)
    return client


def test_revoking_keys_in_the_admin_locks_them_out_at_once(operator, garage, mobile):
    kept, _ = servicers.servicer_apikey_create(servicer=mobile, name="kept")
    revoked, raw = servicers.servicer_apikey_create(servicer=garage, name="lost laptop")
    assert servicers.servicer_authenticate(raw) == garage

    response = operator.post(
        "/admin/orders/servicerapikey/",
        {"action": "revoke", "_selected_action": [revoked.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Revoked 1 key(s)." in response.content.decode()
    assert servicers.servicer_authenticate(raw) is None
    assert ServicerApiKey.objects.get(pk=kept.pk).revoked_at is None


def test_revoking_a_revoked_key_keeps_its_first_revocation(operator, garage):
    key, _ = servicers.servicer_apikey_create(servicer=garage, name="old")
    servicers.servicer_apikeys_revoke(keys=[key])
    first = ServicerApiKey.objects.get(pk=key.pk).revoked_at
    operator.post(
        "/admin/orders/servicerapikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert ServicerApiKey.objects.get(pk=key.pk).revoked_at == first


def test_the_servicer_page_shows_keys_read_only(operator, garage):
    servicers.servicer_apikey_create(servicer=garage, name="desk")
    html = operator.get(f"/admin/orders/servicer/{garage.pk}/change/").content.decode()
    assert 'name="api_keys-0-revoked_at"' not in html


def test_retrying_in_the_admin_redelivers_once_committed(
    org, operator, httpserver: HTTPServer, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    notifications.webhook_create(org=org, url=httpserver.url_for("/hook"), events=[])
    tell(org)
    delivery.deliver_due()
    message = Message.objects.get(channel="webhook")
    assert message.status == MessageStatus.SENT
    before = len(httpserver.log)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = operator.post(
            "/admin/notifications/message/",
            {"action": "retry_now", "_selected_action": [message.pk]},
            follow=True,
        )
    assert "1 message(s) queued again." in response.content.decode()
    assert len(queued) == 1  # the delivery waits for the commit
    assert len(httpserver.log) == before
    queued[0]()
    assert len(httpserver.log) == before + 1
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT
