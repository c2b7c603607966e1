"""The organization's iCalendar feed: what falls due, for a calendar app to subscribe to.

The URL carries the organization's ``calendar_token``; it is the only secret, so
the feed needs no login. It holds a window around today (FEED_DAYS_BACK,
FEED_DAYS_AHEAD) of at most CALENDAR_FEED_LIMIT events per kind. An admin
rotates the token on the settings page, after which the old URL answers 404.
Every date is an all-day event on the day it falls in the organization's time
zone, with a UID that stays the same across fetches.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from fleetmaint import days
from fleetmaint.accounts.models import Organization
from fleetmaint.links import absolute_url
from fleetmaint.reports import queries

UID_DOMAIN = "fleetmaint"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _event(
    *, uid: str, day: date, summary: str, path: str, stamp: datetime, description: str = ""
) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("url", absolute_url(path))
    if description:
        event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


# What a calendar app is given: from a month back to a year ahead, and at most
# settings.CALENDAR_FEED_LIMIT events of each kind, the soonest. A fleet of a
# million open tasks would otherwise make a feed of hundreds of megabytes on
# every refresh.
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365


def _window(rows, zone, now: datetime):
    """The rows whose local day is from FEED_DAYS_BACK days before today to FEED_DAYS_AHEAD
    days after it, whole days of the organization's calendar."""
    today = days.today(zone, now)
    since = datetime.combine(today - timedelta(days=FEED_DAYS_BACK), time.min, tzinfo=zone)
    until = datetime.combine(today + timedelta(days=FEED_DAYS_AHEAD + 1), time.min, tzinfo=zone)
    return rows.filter(when__gte=since, when__lt=until)[: settings.CALENDAR_FEED_LIMIT]


def _day_window(rows, zone, now: datetime):
    """``_window`` of rows whose ``when`` is a day (a contract's end), not a moment."""
    today = days.today(zone, now)
    since, until = today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
    return rows.filter(when__gte=since, when__lte=until)[: settings.CALENDAR_FEED_LIMIT]


def build_calendar(org: Organization) -> Calendar:
    """The feed's calendar: open intervals, open tasks, active orders and the ends of
    active contracts, one query each."""
    zone = days.zone_of(org)
    now = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//fleetmaint//Maintenance calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{org.name} maintenance")
    calendar.add("x-wr-timezone", org.time_zone)

    for interval in _window(queries.coming_intervals(org), zone, now):
        calendar.add_component(
            _event(
                uid=f"interval-{interval.pk}",
                day=days.local_day(interval.when, zone),
                summary=f"{interval.name} due: {interval.vehicle.label}",
                path=reverse("intervals:schedule", args=[interval.vehicle_id]),
                stamp=interval.last_updated,
                description="Service interval"
                + (" (expected date)" if interval.predicted_due_at else ""),
            )
        )

    for task in _window(queries.coming_tasks(org), zone, now):
        calendar.add_component(
            _event(
                uid=f"task-{task.pk}",
                day=days.local_day(task.when, zone),
                summary=f"{task.description}: {task.vehicle.label}",
                path=reverse("tasks:vehicle", args=[task.vehicle_id]),
                stamp=task.updated_at,
                description=f"Service task ({task.get_status_display().lower()})",
            )
        )

    for order in _window(queries.coming_orders(org), zone, now):
        calendar.add_component(
            _event(
                uid=f"order-{order.pk}",
                day=days.local_day(order.when, zone),
                summary=f"Order {order.pk} ready at {order.servicer.name}: {order.vehicle.label}",
                path=reverse("orders:detail", args=[order.pk]),
                stamp=order.updated_at,
                description=f"{order.get_service_type_display()}, "
                f"{order.get_status_display().lower()}",
            )
        )

    for contract in _day_window(queries.coming_contracts(org), zone, now):
        calendar.add_component(
            _event(
                uid=f"contract-{contract.pk}",
                day=contract.when,
                summary=f"{contract.get_contract_type_display()} {contract.number} ends: "
                f"{contract.vehicle.label}",
                path=reverse("contracts:vehicle", args=[contract.vehicle_id])
                + f"#contract-{contract.pk}",
                stamp=contract.updated_at,
                description=f"Contract{f' with {contract.provider}' if contract.provider else ''}",
            )
        )
    return calendar


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    org = Organization.objects.filter(calendar_token=token).first()
    if org is None:
        raise Http404("Unknown calendar")
    response = HttpResponse(build_calendar(org).to_ical(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{org.slug}-maintenance.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
