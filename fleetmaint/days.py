"""Days counted as people count them: calendar days in the organization's time zone.

Something due on the 2nd is due "today" all through the 2nd, "1 day overdue"
all through the 3rd and "1 day left" all through the 1st, whatever the hour and
whatever the clocks did in between (a day of 23 or 25 hours is still one day).
Every page, report, e-mail and the calendar feed that says "N days left",
"N days overdue" or "today" counts with ``days_until`` and words it with
``days_text``; ``days_until_sql`` is the same count as an SQL expression for a
list that computes it in the database.

This module also holds how far ahead (and, for work confirmed as already
overdue, how far back) a new date may be: ``HORIZON_YEARS``.
"""

import zoneinfo
from datetime import date, datetime, tzinfo

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from fleetmaint import sql

# How far from today a date of a service interval or a task may be. The presets
# schedule up to five years ahead; ten leaves room for long-lived items (a
# ten-year brake-line check, a registration renewed every few years).
HORIZON_YEARS = 10
HORIZON_WORDS = "ten years"


def zone_of(where: object) -> tzinfo:
    """The time zone of an organization (anything with ``time_zone``), a zone name or a zone.

    An unknown zone name is read as UTC, as the rest of the product does.
    """
    if isinstance(where, tzinfo):
        return where
    name = where if isinstance(where, str) else getattr(where, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_day(when: date | datetime, where: object) -> date:
    """The calendar day ``when`` falls on in the zone; a date is its own day.

    A naive datetime is a wall-clock time of the zone already.
    """
    if isinstance(when, datetime):
        if timezone.is_naive(when):
            return when.date()
        return when.astimezone(zone_of(where)).date()
    return when


def today(where: object, now: datetime | None = None) -> date:
    """The calendar day it is in the zone at ``now`` (default: this moment)."""
    return local_day(now or timezone.now(), where)


def days_until(when: date | datetime, where: object, now: datetime | None = None) -> int:
    """Calendar days from today to the day ``when`` falls on, in the zone.

    0 on the day itself, 1 the day before, -1 the day after.
    """
    return (local_day(when, where) - today(where, now)).days


def days_text(days: int | None) -> str:
    """``days_until`` in words: "today", "1 day left", "3 days overdue"; "" when unknown."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    count = abs(days)
    noun = "day" if count == 1 else "days"
    return f"{count:,} {noun} {'left' if days > 0 else 'overdue'}"


def due_text(when: date | datetime | None, where: object, now: datetime | None = None) -> str:
    """How far ``when`` is from today, in words; "" without a date."""
    if when is None:
        return ""
    return days_text(days_until(when, where, now))


def horizon(day: date) -> date:
    """The last day a date given on ``day`` may fall on (and, counted back, the first)."""
    return day + relativedelta(years=HORIZON_YEARS)


def horizon_start(day: date) -> date:
    return day - relativedelta(years=HORIZON_YEARS)


def days_until_sql(moment: str, zone: str, today_param: str = "%(today)s") -> str:
    """``days_until`` as an SQL expression: the moment's local day minus today's, in days.

    ``moment`` is a UTC timestamp expression, ``zone`` an expression holding the
    zone's name and ``today_param`` a date parameter holding ``today(...)``.
    """
    day = sql.local_date(moment, zone)
    if sql.on_postgres():
        return f"({day} - CAST({today_param} AS date))"
    return f"CAST(julianday({day}) - julianday({today_param}) AS integer)"
