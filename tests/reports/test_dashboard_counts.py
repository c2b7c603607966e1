"""The dashboard's counts of services required or due soon and of contracts ending soon
equal counts taken by comparing every interval and contract with its vehicle's odometer.

The dashboard reads only the intervals and contracts that a date or the evaluation's
flags (``due_at``, ``near_at``, ``expiring_told``) point to; these tests move
odometers, add intervals and contracts, sweep, archive and correct through the
services, and hold the two ways equal after every step.
"""

import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint import sweeps
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import queries as contract_queries
from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.intervals import queries as interval_queries
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications.models import Event
from fleetmaint.reports import queries
from fleetmaint.vehicles import readings
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 6, 15, 21, 30, tzinfo=UTC)


def direct_interval_summary(org: Organization, first: date, last: date) -> tuple[int, int, dict]:
    """Required, due soon, and the others per local expected day: every interval measured.

    A required interval is overdue, whatever day its prediction names: it counts in no day.
    """
    zone = zoneinfo.ZoneInfo(org.time_zone)
    rows = list(interval_queries.open_intervals(org, interval_queries.DueFilters()))
    required = sum(1 for i in rows if i.is_required)
    soon = sum(1 for i in rows if not i.is_required and i.is_soon)
    days = Counter(
        (i.predicted_due_at or i.service_at_date).astimezone(zone).date()
        for i in rows
        if (i.predicted_due_at or i.service_at_date) and not i.is_required
    )
    return required, soon, {day: n for day, n in days.items() if first <= day <= last}


def assert_counts_match(org: Organization) -> None:
    org.refresh_from_db()
    zone = zoneinfo.ZoneInfo(org.time_zone)
    first = NOW.astimezone(zone).date()
    today = datetime.now(tz=zone).date()
    last = today + timedelta(days=queries.TIMELINE_DAYS)
    summary = queries._interval_summary(org, zone, today, last)
    required, soon, by_day = direct_interval_summary(org, today, last)
    assert (summary.required, summary.soon, summary.by_day) == (required, soon, by_day)
    assert first <= today
    expiring = contract_queries.contract_list(
        org, contract_queries.ContractFilters(expiring=True), today
    )
    assert contract_queries.expiring_count(org, today) == expiring.count()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def read(vehicle: Vehicle, odometer: int, clock, *, correction: bool = False) -> None:
    clock.shift(timedelta(hours=1))
    vehicle.refresh_from_db()
    readings.reading_record(
        vehicle=vehicle, odometer=odometer, is_correction=correction, confirm_jump=True
    )


def contract(vehicle: Vehicle, number: str, *, distance: int, days: int) -> None:
    contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="service_plan",
            number=number,
            start_date=NOW.date() - timedelta(days=30),
            end_date=NOW.date() + timedelta(days=days),
            start_odometer=vehicle.odometer,
            distance_limit=distance,
        ),
    )


@pytest.fixture
def vans(org, other_org, clock) -> list[Vehicle]:
    """Vans with intervals by mileage and date, and contracts by distance and date."""
    made = []
    for n in range(4):
        van = vehicles.vehicle_create(org=org, label=f"Van {n}")
        read(van, 10_000 + n * 1_000, clock)
        van.refresh_from_db()
        intervals.interval_create(vehicle=van, odometer=van.odometer + 800 + n * 300)
        intervals.interval_create(vehicle=van, time=NOW + timedelta(days=20 + n * 15))
        intervals.interval_create(
            vehicle=van, odometer=van.odometer + 5_000, time=NOW + timedelta(days=200)
        )
        contract(van, f"C-{n}", distance=3_000 + n * 2_000, days=400)
        made.append(van)
    stranger = vehicles.vehicle_create(org=other_org, label="Other van")
    read(stranger, 50_000, clock)
    intervals.interval_create(vehicle=stranger, odometer=50_100)
    return made


def test_counts_follow_readings_services_sweeps_archiving_and_corrections(org, vans, clock):
    assert_counts_match(org)

    # Odometers move past the due-soon distances, the mileages and the warnings.
    for step in range(1, 5):
        for n, van in enumerate(vans):
            van.refresh_from_db()
            read(van, van.odometer + 400 * step + n * 100, clock)
        assert_counts_match(org)
    assert ServiceInterval.objects.filter(org=org).exclude(near_at=None).exists()

    # Serviced intervals leave; a preset's next one starts.
    due = ServiceInterval.objects.filter(org=org, serviced_at=None).exclude(due_at=None).first()
    intervals.interval_mark_serviced(interval=due)
    assert_counts_match(org)

    # A short preset starts near its mileage at once.
    intervals.presets_update(
        org=org, changes={}, new={"name": "Quick check", "distance": 600, "months": 1}
    )
    intervals.intervals_generate(org=org, vehicles=[vans[0]])
    assert_counts_match(org)

    # Dates come: the sweep, and later a day with nothing swept yet.
    clock.move_to(NOW + timedelta(days=40))
    sweeps.sweep_dates()
    assert_counts_match(org)
    clock.move_to(NOW + timedelta(days=70))
    assert_counts_match(org)

    # An archived vehicle drops out; its contracts still count where the filter says.
    vehicles.vehicle_set_archived(vehicle=vans[1], archived=True)
    assert_counts_match(org)
    vans[1].refresh_from_db()
    read(vans[1], vans[1].odometer + 30_000, clock)
    contract(vans[1], "C-parked", distance=1_000, days=500)
    assert_counts_match(org)
    vehicles.vehicle_set_archived(vehicle=vans[1], archived=False)
    assert_counts_match(org)

    # An odometer corrected downwards leaves flags behind; the counts measure them.
    vans[2].refresh_from_db()
    read(vans[2], vans[2].odometer - 6_000, clock, correction=True)
    assert_counts_match(org)


def test_the_summary_is_one_statement(org, vans):
    zone = zoneinfo.ZoneInfo(org.time_zone)
    today = datetime.now(tz=zone).date()
    with CaptureQueriesContext(connection) as counted:
        queries._interval_summary(org, zone, today, today + timedelta(days=90))
        contract_queries.expiring_count(org, today)
    assert len(counted.captured_queries) == 2


def test_evaluation_flags_near_intervals_and_tells_only_due_ones(org, clock):
    van = vehicles.vehicle_create(org=org, label="Flagged van")
    read(van, 1_000, clock)
    near = intervals.interval_create(vehicle=van, odometer=1_900)
    far = intervals.interval_create(vehicle=van, odometer=5_000)
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.near_at is not None and near.due_at is None
    assert far.near_at is None and far.due_at is None

    read(van, 1_850, clock)
    near.refresh_from_db()
    assert near.due_at is None  # near, not reached: nothing told
    assert not Event.objects.filter(org=org, name="interval.due").exists()
    read(van, 4_100, clock)
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.due_at is not None
    assert far.near_at is not None and far.due_at is None
    told = Event.objects.filter(org=org, name="interval.due").values_list("dedupe_key", flat=True)
    assert list(told) == [f"interval:{near.pk}:due"]
