"""Days are calendar days in the organization's time zone, counted by one function."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetmaint import days, sql

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Zones with a one-hour, a half-hour and no daylight saving change, and a change at midnight.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
]

local_dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2040, 12, 31))
# Times around midnight and the usual hours of a clock change are drawn often.
local_times = st.one_of(
    st.times(),
    st.sampled_from([time(0, 0), time(0, 30), time(1, 59, 59), time(2, 30), time(23, 59, 59)]),
)


def _moment(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The moment a clock in the zone shows ``day`` and ``at``, as UTC."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def test_the_day_itself_is_today_all_day():
    due = datetime(2026, 12, 2, 0, 0, tzinfo=BERLIN)
    for hour in (0, 10, 23):
        now = datetime(2026, 12, 2, hour, 30, tzinfo=BERLIN)
        assert days.days_until(due, BERLIN, now) == 0
        assert days.due_text(due, BERLIN, now) == "today"


def test_the_counts_the_issue_found_wrong():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)
    assert days.due_text(datetime(2026, 12, 16, tzinfo=BERLIN), BERLIN, now) == "14 days left"
    assert days.due_text(datetime(2027, 12, 2, tzinfo=BERLIN), BERLIN, now) == "365 days left"
    later = datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN)
    assert days.due_text(datetime(2026, 12, 2, tzinfo=BERLIN), BERLIN, later) == "1 day overdue"


def test_words():
    assert days.days_text(0) == "today"
    assert days.days_text(1) == "1 day left"
    assert days.days_text(2) == "2 days left"
    assert days.days_text(-1) == "1 day overdue"
    assert days.days_text(-1200) == "1,200 days overdue"
    assert days.days_text(None) == ""
    assert days.due_text(None, BERLIN) == ""


def test_a_date_is_its_own_day_and_an_organization_gives_its_zone(org):
    now = datetime(2030, 6, 15, 23, 30, tzinfo=UTC)  # already the 16th in Berlin
    assert days.today(org, now) == date(2030, 6, 16)
    assert days.days_until(date(2030, 6, 16), org, now) == 0
    assert days.days_until(date(2030, 6, 16), "UTC", now) == 1
    assert days.zone_of("Not/AZone") == zoneinfo.ZoneInfo("UTC")


def test_the_horizon_is_ten_years_either_way():
    assert days.horizon(date(2030, 6, 15)) == date(2040, 6, 15)
    assert days.horizon_start(date(2030, 6, 15)) == date(2020, 6, 15)
    assert days.horizon(date(2028, 2, 29)) == date(2038, 2, 28)


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    now_day=local_dates,
    now_at=local_times,
    offset=st.integers(min_value=-4000, max_value=4000),
    due_at=local_times,
)
def test_it_is_plain_date_arithmetic_in_the_zone(zone_name, now_day, now_at, offset, due_at):
    zone = zoneinfo.ZoneInfo(zone_name)
    due_day = now_day + timedelta(days=offset)
    now = _moment(now_day, now_at, zone)
    due = _moment(due_day, due_at, zone)
    # A clock time skipped by a change lands later on the same day, never on another one.
    assert days.days_until(due, zone, now) == (due_day - now_day).days == offset
    assert days.days_until(due_day, zone, now) == offset
    assert days.days_until(due.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")), zone, now) == offset


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    now=st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    step=st.integers(min_value=-400, max_value=400),
)
def test_a_day_later_is_one_more_whatever_the_hours(zone_name, now, step):
    zone = zoneinfo.ZoneInfo(zone_name)
    due_day = days.today(zone, now) + timedelta(days=step)
    first = datetime.combine(due_day, time.min, tzinfo=zone)
    last = datetime.combine(due_day, time.max, tzinfo=zone)
    assert days.days_until(first, zone, now) == days.days_until(last, zone, now) == step
    next_day = datetime.combine(due_day + timedelta(days=1), time(12), tzinfo=zone)
    assert days.days_until(next_day, zone, now) == step + 1


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    now_day=local_dates,
    offset=st.integers(min_value=-800, max_value=800),
    due_at=local_times,
)
def test_the_sql_twin_counts_the_same(zone_name, now_day, offset, due_at):
    zone = zoneinfo.ZoneInfo(zone_name)
    due = _moment(now_day + timedelta(days=offset), due_at, zone)
    today = now_day
    expression = days.days_until_sql("%(due)s", "%(zone)s")
    if connection.vendor == "postgresql":
        expression = days.days_until_sql("CAST(%(due)s AS timestamptz)", "%(zone)s")
    [(counted,)] = sql.run(f"SELECT {expression}", {"due": due, "zone": zone_name, "today": today})
    assert counted == days.days_until(due, zone, _moment(now_day, time(12), zone)) == offset
