"""People read events in words: "Task overdue", not ``task.expired``; a retry says when."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fleetmaint.notifications import delivery, services
from fleetmaint.notifications.models import EVENT_KINDS, EVENT_LABELS, Message, MessageStatus
from tests.notifications.conftest import tell


def _text(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_event_has_a_label():
    assert EVENT_LABELS.keys() == EVENT_KINDS.keys()
    assert EVENT_LABELS["task.expired"] == "Task overdue"
    assert EVENT_LABELS["task.notified"] == "Task due soon"


def test_the_preferences_name_each_event_in_words(advisor_client):
    html = advisor_client.get("/notifications/preferences/").content.decode()
    text = _text(html)
    assert "Task overdue" in text and "Task due soon" in text and "Service due" in text
    assert "task.expired" not in text and "interval.due" not in text
    # The form still posts the event names.
    assert 'name="channels-task.expired"' in html
    assert 'aria-label="E-mail: Task overdue"' in html


def test_the_inbox_names_the_kind_of_each_notification(org, advisor, advisor_client):
    tell(org, users=[advisor])
    delivery.deliver_due()
    text = _text(advisor_client.get("/notifications/").content.decode())
    assert "Task overdue" in text
    assert "task.expired" not in text


def test_webhook_events_are_checkboxes_beside_their_words(admin_client):
    html = admin_client.get("/notifications/webhooks/").content.decode()
    # Only the group is a grid; each checkbox sits inside its own label, before its words.
    assert html.count('class="checkgrid"') == 1
    box = re.search(
        r'<label[^>]*>\s*<input type="checkbox" name="events" value="task.expired"'
        r'[^>]*>\s*Task overdue <code class="muted small">task.expired</code>',
        html,
    )
    assert box, "the task.expired checkbox is not inside its label"
    assert 'class="checkgrid"' not in re.search(r'<input[^>]*value="task.expired"[^>]*>', html)[0]
    assert "<legend>Events</legend>" in html


def test_an_endpoints_events_are_listed_in_words(org, admin_client):
    services.webhook_create(org=org, url="https://example.com/hook", events=["task.expired"])
    html = admin_client.get("/notifications/webhooks/").content.decode()
    listed = _text(html[html.index("<table") : html.index("</table>")])
    assert "Task overdue" in listed and "task.expired" not in listed


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-5, "retrying now"),
        (0, "retrying now"),
        (20, "next try in under a minute"),
        (5 * 60 + 20, "next try in 5 minutes"),
    ],
)
def test_the_delivery_log_says_when_the_next_try_is(org, admin_client, seconds, words):
    endpoint = services.webhook_create(org=org, url="https://example.com/hook", events=[])
    tell(org)
    message = Message.objects.get(endpoint=endpoint)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING,
        attempts=1,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds),
    )
    text = _text(admin_client.get(f"/notifications/webhooks/{endpoint.pk}/").content.decode())
    assert words in text
    assert "0 minutes" not in text
    assert "Task overdue" in text
