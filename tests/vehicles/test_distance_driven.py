"""How far a vehicle went in a period, by its counted readings."""

from datetime import UTC, datetime

import pytest

from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading
from fleetmaint.vehicles.queries import distance_driven
from fleetmaint.vehicles.reading_void import reading_void

pytestmark = pytest.mark.usefixtures("clock")


def day(month: int, date: int) -> datetime:
    return datetime(2030, month, date, 12, tzinfo=UTC)


def read(vehicle, odometer: int, on: datetime, **extra) -> Reading:
    return vehicles.reading_record(
        vehicle=vehicle, odometer=odometer, recorded_at=on, confirm_jump=True, **extra
    )


def test_no_readings_no_distance(vehicle):
    assert distance_driven(vehicle, day(1, 1), day(6, 1)) == 0


def test_the_steps_inside_the_period_count_in_full(vehicle):
    read(vehicle, 1_000, day(2, 1))
    read(vehicle, 1_600, day(3, 1))
    read(vehicle, 2_500, day(4, 1))
    assert distance_driven(vehicle, day(1, 1), day(6, 1)) == 1_500
    # A period ending before the last reading leaves it out.
    assert distance_driven(vehicle, day(1, 1), day(3, 15)) == 600


def test_the_step_across_the_start_counts_for_its_share(vehicle):
    read(vehicle, 1_000, day(3, 1))
    read(vehicle, 1_400, day(3, 5))  # four days, two of them in the period
    assert distance_driven(vehicle, day(3, 3), day(6, 1)) == 200


def test_a_voided_reading_does_not_count(vehicle):
    read(vehicle, 1_000, day(2, 1))
    wrong = read(vehicle, 9_000, day(3, 1))
    read(vehicle, 9_100, day(4, 1))
    reading_void(reading=wrong, reason="Typed 9 for 1")
    # 1,000 to 9,100 once the slip is gone: the meter itself went that far.
    assert distance_driven(vehicle, day(1, 1), day(6, 1)) == 8_100


def test_a_new_meter_starts_again(vehicle):
    read(vehicle, 50_000, day(2, 1))
    read(vehicle, 100, day(3, 1), is_correction=True)
    read(vehicle, 700, day(4, 1))
    assert distance_driven(vehicle, day(1, 1), day(6, 1)) == 600
