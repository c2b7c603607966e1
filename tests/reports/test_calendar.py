"""The organization's iCalendar feed at a secret URL, and rotating that secret."""

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization
from fleetmaint.orders.models import OrderStatus
from fleetmaint.tasks.models import Status
from tests.reports import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def servicer(org):
    return make.servicer_for(org)


def _url(org) -> str:
    return reverse("calendar:feed", args=[org.calendar_token])


def _events(response) -> dict:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _local_day(moment: datetime, org) -> date:
    return moment.astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()


def test_every_organization_gets_a_distinct_token(org, other_org):
    assert len(org.calendar_token) >= 32
    assert org.calendar_token != other_org.calendar_token


def test_feed_lists_what_falls_due_as_all_day_events(org, vehicle, servicer, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    interval = make.interval(vehicle, days=10, name="Brake check")
    task = make.open_task(vehicle, days=20, description="Tyre swap")
    order = make.order(vehicle, servicer, status=OrderStatus.DELAYED, eta_days=3)
    done = make.open_task(vehicle, days=4, description="Done")
    done.status = Status.DONE
    done.save()
    serviced = make.interval(vehicle, days=5, name="Serviced")
    serviced.serviced_at = timezone.now()
    serviced.save()
    make.order(vehicle, servicer, status=OrderStatus.COMPLETED, eta_days=2)
    make.order(vehicle, servicer, eta_days=None)  # no estimate: nothing to show

    response = Client().get(_url(org))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response)
    assert set(events) == {
        f"interval-{interval.pk}@fleetmaint",
        f"task-{task.pk}@fleetmaint",
        f"order-{order.pk}@fleetmaint",
    }
    brake = events[f"interval-{interval.pk}@fleetmaint"]
    assert str(brake["SUMMARY"]) == "Brake check due: Van 1"
    assert brake.decoded("DTSTART") == _local_day(interval.predicted_due_at, org)
    assert brake.decoded("DTEND") == brake.decoded("DTSTART") + timedelta(days=1)
    assert not isinstance(brake.decoded("DTSTART"), datetime)  # all-day
    # Links lead to where the site is served (SITE_URL), not to a default port.
    assert str(brake["URL"]) == f"http://127.0.0.1:8101/vehicles/{vehicle.pk}/schedule/"
    tyre = events[f"task-{task.pk}@fleetmaint"]
    assert str(tyre["SUMMARY"]) == "Tyre swap: Van 1"
    assert tyre.decoded("DTSTART") == _local_day(task.predicted_end_date, org)
    assert str(tyre["URL"]) == "http://127.0.0.1:8101" + reverse("tasks:vehicle", args=[vehicle.pk])
    repair = events[f"order-{order.pk}@fleetmaint"]
    assert "Van 1" in str(repair["SUMMARY"])
    assert repair.decoded("DTSTART") == _local_day(order.estimated_completion, org)
    assert str(repair["URL"]) == "http://127.0.0.1:8101" + reverse("orders:detail", args=[order.pk])


def test_feed_holds_a_window_around_today_and_the_soonest_events(org, vehicle, settings):
    from fleetmaint.reports import calendar

    settings.CALENDAR_FEED_LIMIT = 2
    long_past = make.open_task(vehicle, days=-calendar.FEED_DAYS_BACK - 2, description="Old")
    far = make.open_task(vehicle, days=calendar.FEED_DAYS_AHEAD + 2, description="Far")
    soon = [make.open_task(vehicle, days=d, description=f"Soon {d}") for d in (9, 3, 6)]

    events = _events(Client().get(_url(org)))

    assert set(events) == {f"task-{soon[1].pk}@fleetmaint", f"task-{soon[2].pk}@fleetmaint"}
    assert long_past.pk and far.pk


def test_uids_stay_the_same_across_fetches(org, vehicle, servicer):
    make.interval(vehicle, days=10)
    make.order(vehicle, servicer, eta_days=3)
    first = Client().get(_url(org)).content
    second = Client().get(_url(org)).content
    assert first == second


def test_interval_without_prediction_uses_its_service_date(org, vehicle):
    interval = make.interval(vehicle, days=8)
    interval.predicted_due_at = None
    interval.save()
    event = _events(Client().get(_url(org)))[f"interval-{interval.pk}@fleetmaint"]
    assert event.decoded("DTSTART") == _local_day(interval.service_at_date, org)


def test_feed_shows_only_its_own_organization(org, other_org, vehicle):
    from fleetmaint.vehicles import services as vehicles

    mine = make.interval(vehicle, days=3)
    truck = vehicles.vehicle_create(org=other_org, label="Truck", vehicle_key="T-1")
    make.interval(truck, days=3)
    assert set(_events(Client().get(_url(org)))) == {f"interval-{mine.pk}@fleetmaint"}


def test_an_unknown_token_is_404(org):
    assert Client().get(reverse("calendar:feed", args=["not-the-token"])).status_code == 404


def test_another_organizations_token_shows_theirs_not_ours(org, other_org, vehicle):
    make.interval(vehicle, days=3)
    response = Client().get(_url(other_org))
    assert response.status_code == 200
    assert _events(response) == {}


def test_feed_query_count_does_not_grow(org, servicer):
    make.fleet(org, servicer, 3)
    with CaptureQueriesContext(connection) as few:
        Client().get(_url(org))
    make.fleet(org, servicer, 27, start=3)
    with CaptureQueriesContext(connection) as many:
        response = Client().get(_url(org))
    # The organization, then one query per kind: intervals, tasks, orders, contracts.
    assert len(many.captured_queries) == len(few.captured_queries) <= 5
    assert len(_events(response)) == 90  # 30 intervals, 30 tasks, 30 active orders


def test_rotating_retires_the_old_url(org):
    old = _url(org)
    assert Client().get(old).status_code == 200
    new_token = accounts.calendar_token_rotate(org)
    assert Client().get(old).status_code == 404
    org.refresh_from_db()
    assert org.calendar_token == new_token
    assert Client().get(_url(org)).status_code == 200


def test_settings_show_the_feed_url_to_admins(admin_client, org, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    html = admin_client.get(reverse("accounts:settings")).content.decode()
    assert "Calendar feed" in html
    assert f'value="http://127.0.0.1:8101{_url(org)}"' in html


def test_admin_rotates_from_the_settings_page(admin_client, org):
    old = _url(org)
    response = admin_client.post(reverse("accounts:calendar-rotate"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert _url(org) != old
    assert Client().get(old).status_code == 404
    assert Client().get(_url(org)).status_code == 200


def test_rotate_with_htmx_swaps_the_card(admin_client, org):
    response = admin_client.post(
        reverse("accounts:calendar-rotate"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    org.refresh_from_db()
    assert html.lstrip().startswith('<div class="card" id="calendar-feed">')
    assert _url(org) in html
    assert "new address" in html


@pytest.mark.parametrize("who", ["advisor_client", "viewer_client"])
def test_only_admins_rotate(request, who, org):
    token = org.calendar_token
    client = request.getfixturevalue(who)
    assert client.post(reverse("accounts:calendar-rotate")).status_code == 403
    assert Organization.objects.get(pk=org.pk).calendar_token == token


def test_rotate_needs_post(admin_client):
    assert admin_client.get(reverse("accounts:calendar-rotate")).status_code == 405


def test_rotate_needs_login(org):
    response = Client().post(reverse("accounts:calendar-rotate"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
