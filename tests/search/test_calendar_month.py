"""The month calendar: what falls due on which day, in the fleet's time zone, at a fixed cost."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import OrderStatus, Partnership, Servicer
from fleetmaint.reports import month as months
from fleetmaint.tasks.models import Status
from fleetmaint.vehicles import services as vehicles
from tests.search import rows

pytestmark = pytest.mark.django_db

TODAY = date(2030, 6, 15)  # tests.clock.NOW, 12:00 in Berlin, where the fleet is


@pytest.fixture(autouse=True)
def still(clock):
    return clock


@pytest.fixture
def servicer(org):
    made = Servicer.objects.create(name="Quick Fix", service_types=["repair_depot"])
    Partnership.objects.create(org=org, servicer=made)
    return made


def _interval(vehicle, when: datetime, name: str = "Oil change", **more) -> ServiceInterval:
    return ServiceInterval.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        name=name,
        service_at_date=when,
        predicted_due_at=when,
        **more,
    )


def _day(month: months.Month, day: date) -> months.Day:
    return next(d for week in month.weeks for d in week if d.day == day)


def _titles(month: months.Month, day: date) -> list[str]:
    return [item.title for item in _day(month, day).items]


def _page(client, **query):
    return client.get(reverse("calendar:month"), query)


# --- the right items on the right days ---------------------------------------------------------


def test_each_kind_falls_on_its_local_day(org, vehicle, servicer):
    # 23:30 UTC on June 30th is already July 1st in Berlin.
    late = datetime(2030, 6, 30, 23, 30, tzinfo=UTC)
    _interval(vehicle, late, name="Brake check")
    rows.task(vehicle, description="Tyre swap", ends=datetime(2030, 7, 3, 21, 59, tzinfo=UTC))
    order = rows.order(vehicle, servicer, ready=datetime(2030, 7, 9, 8, tzinfo=UTC))
    rows.contract(vehicle, number="SP-1", ends=date(2030, 7, 20))

    july = months.month_of(org, date(2030, 7, 1), TODAY)

    assert _titles(july, date(2030, 7, 1)) == ["Brake check"]
    assert _titles(july, date(2030, 7, 3)) == ["Tyre swap"]
    assert _titles(july, date(2030, 7, 9)) == [f"Order {order.pk} ready at Quick Fix"]
    assert _titles(july, date(2030, 7, 20)) == ["Service plan SP-1 ends"]
    assert july.total == 4
    june = months.month_of(org, date(2030, 6, 1), TODAY)
    assert june.busy_days == []


def test_a_task_just_before_midnight_in_berlin_stays_on_its_day(org, vehicle):
    rows.task(vehicle, description="Late", ends=datetime(2030, 7, 3, 21, 59, tzinfo=UTC))
    rows.task(vehicle, description="Next day", ends=datetime(2030, 7, 3, 22, 0, tzinfo=UTC))
    july = months.month_of(org, date(2030, 7, 1), TODAY)
    assert _titles(july, date(2030, 7, 3)) == ["Late"]
    assert _titles(july, date(2030, 7, 4)) == ["Next day"]


def test_it_shows_what_the_feed_shows_and_nothing_closed(org, vehicle, servicer):
    when = datetime(2030, 7, 10, 10, tzinfo=UTC)
    rows.task(vehicle, description="Done already", status=Status.DONE, ends=when)
    _interval(vehicle, when, name="Serviced", serviced_at=when)
    rows.order(vehicle, servicer, status=OrderStatus.COMPLETED, ready=when)
    rows.contract(vehicle, number="Old", ends=date(2030, 7, 10), status="cancelled")
    archived = vehicles.vehicle_create(org=org, label="Retired", vehicle_key="R-1")
    rows.task(archived, description="Of a retired van", ends=when)
    archived.archived = True
    archived.save()
    rows.task(vehicle, description="Open", ends=when)

    july = months.month_of(org, date(2030, 7, 1), TODAY)

    assert _titles(july, date(2030, 7, 10)) == ["Open"]
    assert july.total == 1


def test_an_interval_without_a_prediction_falls_on_its_own_date(org, vehicle):
    interval = _interval(vehicle, datetime(2030, 7, 5, 10, tzinfo=UTC))
    interval.predicted_due_at = None
    interval.save()
    july = months.month_of(org, date(2030, 7, 1), TODAY)
    assert _titles(july, date(2030, 7, 5)) == ["Oil change"]


def test_another_fleets_items_never_appear(org, other_org, vehicle, advisor_client):
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    when = datetime(2030, 7, 10, 10, tzinfo=UTC)
    rows.task(theirs, description="Their task", ends=when)
    _interval(theirs, when, name="Their service")
    rows.contract(theirs, number="THEIRS", ends=date(2030, 7, 10))
    rows.task(vehicle, description="Our task", ends=when)

    july = months.month_of(org, date(2030, 7, 1), TODAY)

    assert _titles(july, date(2030, 7, 10)) == ["Our task"]
    html = _page(advisor_client, month="2030-07").content.decode()
    assert "Our task" in html
    assert "Their" not in html


def test_a_busy_day_shows_a_few_and_counts_the_rest(org, vehicle, advisor_client):
    when = datetime(2030, 7, 10, 8, tzinfo=UTC)
    for number in range(6):
        rows.task(vehicle, description=f"Task {number}", ends=when + timedelta(minutes=number))
    for number in range(2):
        _interval(vehicle, when + timedelta(minutes=number), name=f"Service {number}")

    july = months.month_of(org, date(2030, 7, 1), TODAY)

    day = _day(july, date(2030, 7, 10))
    assert day.total == 8
    assert len(day.items) == months.CELL_ITEMS
    # The first of each kind, then the second: a busy day shows more than one kind.
    assert [item.title for item in day.items] == ["Service 0", "Task 0", "Service 1"]
    assert day.more == 5
    html = _page(advisor_client, month="2030-07").content.decode()
    assert "+5 more" in html
    assert "?month=2030-07&amp;day=2030-07-10" in html


def test_an_opened_day_lists_everything_of_that_day(org, vehicle, advisor_client):
    when = datetime(2030, 7, 10, 8, tzinfo=UTC)
    for number in range(6):
        rows.task(vehicle, description=f"Task {number}", ends=when + timedelta(minutes=number))
    rows.task(vehicle, description="Another day", ends=when + timedelta(days=1))

    items, totals = months.day_of(org, date(2030, 7, 10), TODAY)

    assert [item.title for item in items] == [f"Task {n}" for n in range(6)]
    assert totals == {"task": 6}
    html = _page(advisor_client, month="2030-07", day="2030-07-10").content.decode()
    assert 'id="day"' in html
    assert "Wednesday 10 July 2030" in html
    assert all(f"Task {n}" in html for n in range(6))


def test_a_day_outside_the_month_is_not_opened(advisor_client):
    html = _page(advisor_client, month="2030-07", day="2030-08-10").content.decode()
    assert 'id="day"' not in html


# --- the grid ---------------------------------------------------------------------------------


def test_the_grid_has_whole_weeks_monday_first(org):
    july = months.month_of(org, date(2030, 7, 1), TODAY)
    assert july.weeks[0][0].day == date(2030, 7, 1)  # a Monday
    assert all(len(week) == 7 for week in july.weeks)
    assert july.weeks[-1][-1].day == date(2030, 8, 4)
    assert not _day(july, date(2030, 8, 1)).in_month


def test_today_is_marked(advisor_client):
    html = _page(advisor_client).content.decode()
    assert "June 2030" in html
    [cell] = re.findall(
        r'<td class="[^"]*cal-today[^"]*" aria-current="date">\s*'
        r'<div class="cal-date"><time datetime="([\d-]+)"',
        html,
    )
    assert cell == "2030-06-15"


def test_past_items_are_overdue_and_so_are_expired_tasks(org, vehicle, advisor_client):
    rows.task(vehicle, description="Was due", ends=datetime(2030, 6, 10, 10, tzinfo=UTC))
    rows.task(vehicle, description="Due today", ends=datetime(2030, 6, 15, 15, tzinfo=UTC))
    rows.task(
        vehicle,
        description="Past its mileage",
        status=Status.EXPIRED,
        ends=datetime(2030, 6, 20, 10, tzinfo=UTC),
    )

    june = months.month_of(org, date(2030, 6, 1), TODAY)

    overdue = {item.title: item.overdue for d in june.busy_days for item in d.items}
    assert overdue == {"Was due": True, "Due today": False, "Past its mileage": True}
    html = _page(advisor_client).content.decode()
    assert html.count('class="cal-item cal-task is-overdue"') == 2 * 2  # the grid and the list


def test_items_link_to_their_pages(org, vehicle, servicer):
    when = datetime(2030, 7, 10, 10, tzinfo=UTC)
    task = rows.task(vehicle, ends=when)
    _interval(vehicle, when)
    order = rows.order(vehicle, servicer, ready=when)
    contract = rows.contract(vehicle, number="C-9", ends=date(2030, 7, 10))

    items, _ = months.day_of(org, date(2030, 7, 10), TODAY)

    assert {item.kind: item.url for item in items} == {
        "interval": reverse("intervals:schedule", args=[vehicle.pk]),
        "task": reverse("tasks:detail", args=[task.pk]),
        "order": reverse("orders:detail", args=[order.pk]),
        "contract": reverse("contracts:vehicle", args=[vehicle.pk]) + f"#contract-{contract.pk}",
    }


def test_previous_and_next_months_are_linked(advisor_client):
    html = _page(advisor_client, month="2030-01").content.decode()
    assert "January 2030" in html
    assert 'href="?month=2029-12"' in html
    assert 'href="?month=2030-02"' in html
    assert ">This month</a>" in html


def test_the_htmx_request_gets_the_calendar_only(advisor_client):
    response = advisor_client.get(
        reverse("calendar:month"), {"month": "2030-08"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calendar"')
    assert "<title>Calendar · August 2030 · fleetmaint</title>" in html


# --- the month asked for ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["2030-13", "2030-00", "june", "2030-6-1", "99999-01", "1900-01", "2030-07\x00", "%"]
)
def test_a_bad_month_shows_this_month_with_a_message(advisor_client, raw):
    response = _page(advisor_client, month=raw)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>June 2030</h1>" in html
    assert "is not a month such as 2030-06: this month is shown instead." in html


def test_no_month_is_this_month_without_a_message(advisor_client):
    html = _page(advisor_client).content.decode()
    assert "<h1>June 2030</h1>" in html
    assert "is not a month" not in html


def test_a_month_may_be_written_with_one_digit(advisor_client):
    assert "<h1>July 2030</h1>" in _page(advisor_client, month="2030-7").content.decode()


def test_months_parse():
    assert months.parse_month("2031-02", TODAY) == (date(2031, 2, 1), True)
    assert months.parse_month("", TODAY) == (date(2030, 6, 1), True)
    assert months.parse_month("2031-02-01", TODAY) == (date(2030, 6, 1), False)
    assert months.parse_day("2031-02-28", date(2031, 2, 1)) == date(2031, 2, 28)
    assert months.parse_day("2031-02-30", date(2031, 2, 1)) is None


def test_it_is_for_members_only(client, viewer_client):
    assert client.get(reverse("calendar:month")).status_code == 302
    assert viewer_client.get(reverse("calendar:month")).status_code == 200


# --- what it costs --------------------------------------------------------------------------------


def _busy(org, vehicle, servicer, count: int) -> None:
    for number in range(count):
        when = datetime(2030, 7, 1 + number % 28, 9, tzinfo=UTC)
        rows.task(vehicle, description=f"Task {number}", ends=when)
        _interval(vehicle, when, name=f"Service {number}")
        rows.order(vehicle, servicer, ready=when)
        rows.contract(vehicle, number=f"C-{number}", ends=when.date())


def test_a_month_costs_the_same_statements_whatever_it_holds(org, vehicle, servicer):
    with CaptureQueriesContext(connection) as empty:
        months.month_of(org, date(2030, 7, 1), TODAY)
    _busy(org, vehicle, servicer, 60)
    with CaptureQueriesContext(connection) as busy:
        july = months.month_of(org, date(2030, 7, 1), TODAY)
    assert july.total == 240
    assert len(empty.captured_queries) == len(busy.captured_queries) <= 2


def test_the_page_costs_the_same_for_an_empty_month_and_a_busy_one(
    org, vehicle, servicer, advisor_client
):
    _page(advisor_client, month="2030-08")
    with CaptureQueriesContext(connection) as empty:
        _page(advisor_client, month="2030-08")
    _busy(org, vehicle, servicer, 30)
    with CaptureQueriesContext(connection) as busy:
        _page(advisor_client, month="2030-07")
    assert len(empty.captured_queries) == len(busy.captured_queries)


# --- the feed holds the same ----------------------------------------------------------------------


def test_the_feed_lists_contracts_ending_too(org, vehicle, settings):
    from icalendar import Calendar

    settings.SITE_URL = "http://127.0.0.1:8101"
    contract = rows.contract(vehicle, number="SP-7", provider="RoadCare", ends=date(2030, 7, 20))
    rows.contract(vehicle, number="GONE", ends=date(2030, 7, 21), status="cancelled")

    response = _feed(org)

    events = {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert set(events) == {f"contract-{contract.pk}@fleetmaint"}
    event = events[f"contract-{contract.pk}@fleetmaint"]
    assert str(event["SUMMARY"]) == "Service plan SP-7 ends: Van 1"
    assert event.decoded("DTSTART") == date(2030, 7, 20)
    assert str(event["URL"]).endswith(f"/vehicles/{vehicle.pk}/contracts/#contract-{contract.pk}")


def _feed(org):
    from django.test import Client

    return Client().get(reverse("calendar:feed", args=[org.calendar_token]))
