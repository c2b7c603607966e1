"""Voiding a wrong reading: kept as voided, out of the meters, and the schedule moves back."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.errors import Conflict, ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.notifications.models import Event
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import queries, reading_void, readings
from fleetmaint.vehicles.models import Reading, Vehicle


def read(vehicle: Vehicle, odometer: int, *, days_ago: float = 0) -> Reading:
    moment = timezone.now() - timedelta(days=days_ago)
    return readings.reading_record(
        vehicle=vehicle, odometer=odometer, recorded_at=moment, confirm_jump=True
    )


def fresh(vehicle: Vehicle) -> Vehicle:
    return Vehicle.objects.get(pk=vehicle.pk)


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """A van read at 10,000 km thirty days ago and 11,500 km ten days ago."""
    read(vehicle, 10_000, days_ago=30)
    read(vehicle, 11_500, days_ago=10)
    return fresh(vehicle)


def test_a_voided_reading_is_kept_and_no_longer_sets_the_meters(van, advisor):
    wrong = read(van, 150_000)
    assert fresh(van).odometer == 150_000

    voided = reading_void.reading_void(reading=wrong, reason="Typed a zero too many", actor=advisor)

    assert (voided.voided_by, voided.void_reason) == (advisor, "Typed a zero too many")
    assert voided.voided_at == timezone.now()
    van = fresh(van)
    assert van.odometer == 11_500
    assert van.odometer_at == timezone.now() - timedelta(days=10)
    assert van.daily_distance == pytest.approx(1_500 / 20)
    assert Reading.objects.filter(vehicle=van).count() == 3
    assert 150_000 not in [r.odometer for r in queries.reading_series(van)]


def test_later_readings_are_checked_against_the_counted_ones_only(van, advisor):
    wrong = read(van, 150_000)
    reading_void.reading_void(reading=wrong, reason="Wrong vehicle", actor=advisor)

    # Below the voided value but above the counted one: a normal reading again.
    readings.reading_record(vehicle=van, odometer=11_900)

    assert fresh(van).odometer == 11_900


def test_voiding_undoes_the_crossings_and_does_not_tell_them_twice(van, advisor, org):
    interval = intervals.interval_create(vehicle=van, odometer=15_000, name="Oil Change")
    task = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Tyres",
            conditions=Conditions(mileage={"limit": 3_000, "notification_interval": 500}),
        ),
    )
    contract = contracts.contract_create(
        vehicle=van,
        data=ContractInput(
            contract_type="manufacturer_warranty",
            number="W-1",
            start_date="2030-01-01",
            distance_limit=20_000,
        ),
    )
    wrong = read(van, 40_000)
    interval.refresh_from_db()
    task.refresh_from_db()
    contract.refresh_from_db()
    assert interval.due_at is not None
    assert task.status == "expired"
    assert contract.status == "expired"
    told = Event.objects.filter(org=org).count()

    reading_void.reading_void(reading=wrong, reason="Meter misread", actor=advisor)

    interval.refresh_from_db()
    task.refresh_from_db()
    contract.refresh_from_db()
    assert (interval.due_at, interval.near_at) == (None, None)
    assert (task.status, task.status_condition) == ("created", "")
    assert (contract.status, contract.expiring_told) == ("active", False)
    assert interval.predicted_due_at > timezone.now() + timedelta(days=30)

    # The same crossings reached again by a true reading are not told again.
    read(van, 40_100)
    interval.refresh_from_db()
    task.refresh_from_db()
    assert interval.due_at is not None and task.status == "expired"
    assert Event.objects.filter(org=org).count() == told


def test_an_interval_due_by_its_date_stays_due(van, advisor, clock):
    interval = intervals.interval_create(
        vehicle=van, time=timezone.now() + timedelta(days=5), name="Inspection"
    )
    wrong = read(van, 60_000)
    clock.shift(timedelta(days=6))
    intervals.intervals_sweep_dates()

    reading_void.reading_void(reading=wrong, reason="Wrong", actor=advisor)

    interval.refresh_from_db()
    assert interval.due_at is not None


def test_a_reason_is_required_and_bounded(van, advisor):
    wrong = read(van, 150_000)
    for reason, message in (
        ("", "Say why the reading is void."),
        ("   ", "Say why the reading is void."),
        ("x" * 256, "at most 255 characters"),
        ("bad\x00", "reason"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            reading_void.reading_void(reading=wrong, reason=reason, actor=advisor)
    assert fresh(van).odometer == 150_000
    assert Reading.objects.get(pk=wrong.pk).voided_at is None


def test_a_reading_is_voided_once(van, advisor):
    wrong = read(van, 150_000)
    reading_void.reading_void(reading=wrong, reason="Wrong", actor=advisor)
    with pytest.raises(Conflict, match="already voided"):
        reading_void.reading_void(reading=wrong, reason="Again", actor=advisor)


def test_voiding_the_only_reading_leaves_no_odometer(vehicle, advisor, clock):
    only = read(vehicle, 5_000)
    reading_void.reading_void(reading=only, reason="Wrong vehicle", actor=advisor)
    vehicle = fresh(vehicle)
    assert (vehicle.odometer, vehicle.odometer_at, vehicle.daily_distance) == (None, None, None)


def test_a_void_costs_the_same_statements_however_long_the_history(van, advisor):
    def statements() -> int:
        wrong = read(van, fresh(van).odometer + 90_000)
        with CaptureQueriesContext(connection) as captured:
            reading_void.reading_void(reading=wrong, reason="Wrong", actor=advisor)
        return len(captured)

    first = statements()
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        for hours in range(40, 0, -1):
            read(van, fresh(van).odometer + 50, days_ago=hours / 100)
        assert statements() == first
