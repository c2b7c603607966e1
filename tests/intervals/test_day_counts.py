"""Pages say how many calendar days are left in the fleet's time zone (Europe/Berlin)."""

import zoneinfo
from datetime import date, datetime

import pytest
from django.urls import reverse

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractStatus
from fleetmaint.intervals import services
from fleetmaint.reports.calendar import build_calendar
from fleetmaint.vehicles import services as vehicles

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.usefixtures("clock")  # 2030-06-15 12:00 in Berlin


def _due_on(vehicle, day: date, name: str):
    return services.interval_create(
        vehicle=vehicle, time=datetime.combine(day, datetime.min.time(), tzinfo=BERLIN), name=name
    )


def _schedule(client, vehicle) -> str:
    return client.get(reverse("intervals:schedule", args=[vehicle.pk])).content.decode()


def test_the_schedule_counts_calendar_days(advisor_client, vehicle):
    _due_on(vehicle, date(2030, 6, 29), "Brake check")
    _due_on(vehicle, date(2030, 6, 16), "Tyre check")
    page = _schedule(advisor_client, vehicle)
    # Midnight in Berlin is 22:00 the day before in UTC: a count by hours said 13 and 0.
    assert "14 days left" in page
    assert "1 day left" in page


def test_a_date_reached_today_reads_today_all_day(advisor_client, vehicle, clock):
    _due_on(vehicle, date(2030, 6, 16), "Brake check")
    clock.move_to(datetime(2030, 6, 16, 23, 30, tzinfo=BERLIN))
    page = _schedule(advisor_client, vehicle)
    assert "today" in page and "day overdue" not in page
    due = advisor_client.get(reverse("intervals:due")).content.decode()
    assert "today" in due and "day overdue" not in due
    clock.move_to(datetime(2030, 6, 17, 0, 30, tzinfo=BERLIN))
    assert "1 day overdue" in _schedule(advisor_client, vehicle)


def test_a_year_ahead_is_365_days(advisor_client, vehicle, clock):
    clock.move_to(datetime(2030, 6, 15, 8, 0, tzinfo=BERLIN))
    _due_on(vehicle, date(2031, 6, 15), "Inspection")
    assert "365 days left" in _schedule(advisor_client, vehicle)


def test_a_contract_ended_by_distance_reads_ended(advisor_client, vehicle):
    vehicles.reading_record(vehicle=vehicle, odometer=10_000, confirm_jump=True)
    vehicle.refresh_from_db()
    contract = contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-9",
            start_date="2030-01-01",
            end_date="2030-11-20",
            start_odometer=5_000,
            distance_limit=6_000,
        ),
    )
    vehicles.reading_record(vehicle=vehicle, odometer=11_500, confirm_jump=True)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    page = advisor_client.get(reverse("contracts:vehicle", args=[vehicle.pk])).content.decode()
    assert "ended" in page and "days left" not in page


def test_an_active_contract_counts_days_to_its_end(advisor_client, vehicle):
    contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="extended_warranty",
            number="W-1",
            start_date="2030-01-01",
            end_date="2030-06-29",
        ),
    )
    page = advisor_client.get(reverse("contracts:vehicle", args=[vehicle.pk])).content.decode()
    assert "14 days left" in page


def test_the_calendar_feed_puts_each_date_on_its_local_day(org, vehicle):
    _due_on(vehicle, date(2030, 6, 29), "Brake check")
    feed = build_calendar(org).to_ical().decode()
    assert "DTSTART;VALUE=DATE:20300629" in feed
