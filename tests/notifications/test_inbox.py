"""In-app notifications, preferences, and the schedules command."""

from django.core.management import call_command
from django_q.models import Schedule

from fleetmaint.notifications import delivery, queries
from fleetmaint.notifications.models import Channel, Message, Preference
from tests.notifications.conftest import tell


def _deliver():
    delivery.deliver_due()


def test_a_push_notification_shows_in_the_header_badge_and_the_inbox(org, advisor, advisor_client):
    tell(org, users=[advisor])
    _deliver()

    page = advisor_client.get("/vehicles/").content.decode()
    assert 'aria-label="1 unread"' in page
    badge = advisor_client.get("/notifications/badge/", headers={"HX-Request": "true"})
    assert b'aria-label="1 unread"' in badge.content
    assert b"<html" not in badge.content
    inbox = advisor_client.get("/notifications/").content.decode()
    assert "Oil change is overdue on Van 1" in inbox


def test_undelivered_push_messages_are_not_shown_yet(org, advisor, advisor_client):
    tell(org, users=[advisor])
    assert b"Oil change" not in advisor_client.get("/notifications/").content


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(org, advisor, advisor_client):
    tell(org, users=[advisor])
    _deliver()
    item = Message.objects.get(channel=Channel.PUSH)
    response = advisor_client.get(f"/notifications/{item.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/vehicles/1/"
    assert queries.unread_count(advisor, org) == 0


def test_mark_read_and_mark_all_read(org, advisor, advisor_client):
    tell(org, users=[advisor], key="a")
    tell(org, users=[advisor], key="b")
    _deliver()
    first = Message.objects.filter(channel=Channel.PUSH).first()
    advisor_client.post(f"/notifications/{first.pk}/read/")
    assert queries.unread_count(advisor, org) == 1
    advisor_client.post("/notifications/read-all/")
    assert queries.unread_count(advisor, org) == 0


def test_nobody_reads_someone_elses_notifications(org, advisor, viewer_client, outsider_client):
    tell(org, users=[advisor])
    _deliver()
    item = Message.objects.get(channel=Channel.PUSH)
    assert viewer_client.get(f"/notifications/{item.pk}/").status_code == 404
    assert outsider_client.post(f"/notifications/{item.pk}/read/").status_code == 404


def test_preferences_choose_channels_per_event(org, advisor, advisor_client):
    response = advisor_client.post(
        "/notifications/preferences/",
        {
            "phone": "+49 151 2345 6789",
            "channels-task.expired": ["sms"],
            "channels-interval.due": ["email", "push"],
        },
    )
    assert response.status_code == 302
    preference = Preference.objects.get(user=advisor)
    assert preference.phone == "+4915123456789"
    assert preference.channels_for("task.expired") == ["sms"]
    assert preference.channels_for("task.notified") == []

    advisor.refresh_from_db()
    tell(org, users=[advisor])
    assert list(Message.objects.values_list("channel", "address")) == [("sms", "+4915123456789")]


def test_sms_needs_a_valid_phone_number(advisor, advisor_client):
    response = advisor_client.post(
        "/notifications/preferences/", {"phone": "12", "channels-task.expired": ["sms"]}
    )
    assert response.status_code == 422
    assert "not a valid phone number" in response.content.decode()
    assert not Preference.objects.exists()
    response = advisor_client.post(
        "/notifications/preferences/", {"channels-task.expired": ["sms"]}
    )
    assert "Give a phone number" in response.content.decode()


def test_advisors_of_an_org_are_its_admins_and_advisors(org, admin_user, advisor, viewer):
    assert {u.username for u in queries.advisors_of(org)} == {"alice", "bob"}


def test_setup_schedules_is_idempotent(db):
    call_command("setup_schedules")
    call_command("setup_schedules")
    from fleetmaint.notifications.management.commands.setup_schedules import SCHEDULES

    assert Schedule.objects.count() == len(SCHEDULES) == 7
    assert set(Schedule.objects.values_list("func", flat=True)) == {
        "fleetmaint.notifications.jobs.sweep_outbox",
        "fleetmaint.sweeps.sweep_dates",
        "fleetmaint.notifications.jobs.cleanup_deliveries",
        "fleetmaint.reports.jobs.cleanup_reports",
        "fleetmaint.tasks.tally.compact",
        "fleetmaint.attempts.services.forget_old",
        "fleetmaint.idempotency.services.forget_old",
    }
