"""A vehicle's change of distance unit converts every distance it holds, set-based.

The vehicle here has one of everything that holds a distance: readings (and so
an odometer and a daily use), an interval ahead and one serviced, a task ahead
and one done, a contract and a completed order. Each column is checked against
``units.convert_distance``, the same rounding the confirmation promises.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.errors import ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import IntervalService, ServiceInterval
from fleetmaint.orders.models import OrderStatus, ServiceOrder
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import Conditions, MileageCondition, TaskInput
from fleetmaint.tasks.models import ServiceTask, TaskCompletion
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles import unit_change
from fleetmaint.vehicles.inputs import VehicleChanges
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.units import KM_PER_MILE, Conversion, convert_distance
from tests.orders.api_support import make_order, make_servicer

# Every distance column, by model, that a change of unit converts.
COLUMNS = {
    Reading: ("odometer",),
    Vehicle: ("odometer",),
    ServiceInterval: ("service_at_mileage", "start_odometer", "serviced_odometer"),
    IntervalService: ("odometer",),
    ServiceTask: (
        "mileage_limit",
        "mileage_notify",
        "mileage_repeat",
        "mileage_notify_at",
        "mileage_expire_at",
        "start_mileage",
        "completion_mileage",
    ),
    TaskCompletion: ("odometer",),
    VehicleContract: ("start_odometer", "distance_limit", "ends_at_odometer", "warn_at_odometer"),
    ServiceOrder: ("completion_odometer",),
}


def read(vehicle: Vehicle, odometer: int) -> None:
    vehicles.reading_record(vehicle=vehicle, odometer=odometer, confirm_jump=True)
    vehicle.refresh_from_db()


def mileage_task(vehicle: Vehicle, description: str, limit: int) -> ServiceTask:
    mileage = MileageCondition(limit=limit, notification_interval=500, repeat_interval=limit)
    data = TaskInput(description=description, conditions=Conditions(mileage=mileage))
    return tasks.task_create(vehicle=vehicle, data=data)


def contract(vehicle: Vehicle, number: str) -> VehicleContract:
    data = ContractInput(
        contract_type="service_plan", number=number, start_date="2030-01-01", distance_limit=100_000
    )
    return contracts.contract_create(vehicle=vehicle, data=data)


def stock(vehicle: Vehicle, clock, *, readings: int = 2, name: str = "A") -> Vehicle:
    """The vehicle driven to about 10,000 km over ``readings`` readings, with one of each."""
    clock.shift(-timedelta(days=readings))
    for step in range(readings):
        read(vehicle, 10_000 - 157 * (readings - 1 - step))
        clock.shift(timedelta(days=1))
    intervals.interval_create(vehicle=vehicle, odometer=25_001, name="Brakes")
    serviced = intervals.interval_create(vehicle=vehicle, odometer=12_573, name="Oil")
    intervals.interval_mark_serviced(interval=serviced)
    mileage_task(vehicle, "Tyres", 5_003)
    done = mileage_task(vehicle, "Wipers", 8_001)
    tasks.task_mark_done(task=done)
    contract(vehicle, f"SP-{name}")
    garage = make_servicer(
        f"Garage {name}",
        ["scheduled_maintenance"],
        [("oil", "Oil", "90", 30)],
        fleets=(vehicle.org,),
    )
    make_order(
        OrderStatus.COMPLETED,
        org=vehicle.org,
        vehicle=vehicle,
        servicer=garage,
        service_type="scheduled_maintenance",
        code="oil",
    )
    vehicle.refresh_from_db()
    return vehicle


def distances(vehicle: Vehicle) -> dict:
    """Every distance column of the vehicle's rows, by model, in a fixed order."""
    found = {}
    for model, columns in COLUMNS.items():
        rows = model.objects.filter(**{"pk" if model is Vehicle else "vehicle": vehicle.pk})
        found[model.__name__] = list(rows.order_by("pk").values_list(*columns))
    return found


def converted(values: dict, from_unit: str, to_unit: str) -> dict:
    def one(value):
        return None if value is None else convert_distance(value, from_unit, to_unit)

    return {
        name: [tuple(one(value) for value in row) for row in rows] for name, rows in values.items()
    }


def change(vehicle: Vehicle, unit: str, *, confirmed: bool = True) -> Vehicle:
    return unit_change.vehicle_change_unit(vehicle=vehicle, to_unit=unit, confirmed=confirmed)


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    return stock(vehicle, clock)


# --- the rounding --------------------------------------------------------------------


def test_halves_round_up_as_postgresql_rounds_them():
    # 12,573 km is exactly 7,812.5 mi: Python's round() would say 7,812.
    assert convert_distance(12_573, "km", "mi") == 7_813
    assert convert_distance(1, "mi", "km") == 2
    assert convert_distance(2_000, "km", "mi") == 1_243
    assert convert_distance(500, "km", "km") == 500


DISTANCES = st.integers(min_value=0, max_value=2_147_483_647)  # what the columns hold


@given(DISTANCES)
def test_a_distance_converted_there_and_back_comes_home_within_one(distance):
    there = convert_distance(distance, "km", "mi")
    assert abs(convert_distance(there, "mi", "km") - distance) <= 1
    there = convert_distance(distance, "mi", "km")
    assert convert_distance(there, "km", "mi") == distance


@given(DISTANCES)
def test_it_is_the_exact_quotient_rounded_half_up(distance):
    for exact, from_unit, to_unit in (
        (Decimal(distance) / KM_PER_MILE, "km", "mi"),
        (Decimal(distance) * KM_PER_MILE, "mi", "km"),
    ):
        rounded = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert convert_distance(distance, from_unit, to_unit) == rounded
    assert convert_distance(distance, "km", "km") == distance


def test_the_database_rounds_as_python_does(van):
    # Odometers that land on and around a half mile (12,573 km is 7,812.5 mi, which a
    # float puts a hair below), and the largest a column holds, converted in SQL.
    values = [12_572, 12_573, 12_574, 37_719, 62_865, 1, 2, 2_147_483_647]
    Reading.objects.bulk_create(
        Reading(org=van.org, vehicle=van, odometer=value, recorded_at=van.odometer_at)
        for value in values
    )
    written = Reading.objects.filter(odometer__in=values)
    written.update(odometer=Conversion("km", "mi").column("odometer"))
    in_miles = sorted(convert_distance(value, "km", "mi") for value in values)
    stored = Reading.objects.filter(odometer__in=in_miles, vehicle=van)
    assert sorted(stored.values_list("odometer", flat=True)) == in_miles
    stored.update(odometer=Conversion("mi", "km").column("odometer"))
    back = sorted(convert_distance(value, "mi", "km") for value in in_miles)
    assert sorted(Reading.objects.filter(odometer__in=back).values_list("odometer", flat=True)) == (
        back
    )


# --- the conversion ------------------------------------------------------------------


def test_every_distance_of_the_vehicle_is_converted_to_miles(van):
    before = distances(van)
    assert all(rows for rows in before.values()), before  # one of each is there

    change(van, "mi")

    after = distances(van)
    expected = converted(before, "km", "mi")
    # The thresholds are derived as the services derive them, from the converted values.
    assert after == _with_derived_thresholds(expected)
    van.refresh_from_db()
    assert van.distance_unit == "mi"


def _with_derived_thresholds(values: dict) -> dict:
    """Task and contract thresholds as the services derive them from their given values."""
    derived = dict(values)
    derived["ServiceTask"] = [
        (
            limit,
            notify,
            repeat,
            None if limit is None else max(start, start + limit - (notify or 0)),
            None if limit is None else start + limit,
            start,
            done,
        )
        for limit, notify, repeat, _notify_at, _expire_at, start, done in values["ServiceTask"]
    ]
    derived["VehicleContract"] = [
        (start, limit, start + limit, min(warn, start + limit))
        for start, limit, _ends, warn in values["VehicleContract"]
    ]
    return derived


def test_the_vehicle_and_its_readings_are_converted(van):
    before = list(Reading.objects.filter(vehicle=van).values_list("odometer", flat=True))
    daily = van.daily_distance

    returned = change(van, "mi")

    assert returned is van
    assert (van.distance_unit, van.odometer) == ("mi", convert_distance(10_000, "km", "mi"))
    assert van.daily_distance == pytest.approx(daily / float(KM_PER_MILE))
    assert list(Reading.objects.filter(vehicle=van).values_list("odometer", flat=True)) == [
        convert_distance(value, "km", "mi") for value in before
    ]


def test_km_to_miles_and_back_returns_every_value_within_one(van):
    before = distances(van)
    change(van, "mi")
    change(van, "km")
    after = distances(van)
    for name, rows in before.items():
        for old_row, new_row in zip(rows, after[name], strict=True):
            for old, new in zip(old_row, new_row, strict=True):
                assert (old is None) == (new is None), name
                if old is not None:
                    assert abs(new - old) <= 1, (name, old_row, new_row)
    van.refresh_from_db()
    assert van.distance_unit == "km"


def test_miles_to_km_and_back_returns_every_value_exactly(van):
    change(van, "mi")
    in_miles = distances(van)
    change(van, "km")
    change(van, "mi")
    assert distances(van) == in_miles


def test_nothing_newly_crosses_and_predictions_follow(van):
    open_tasks = ServiceTask.objects.filter(vehicle=van, completion_mileage=None)
    statuses = sorted(open_tasks.values_list("status", flat=True))
    interval = ServiceInterval.objects.get(vehicle=van, name="Brakes")
    predicted = interval.predicted_due_at
    assert predicted is not None

    change(van, "mi")

    assert sorted(open_tasks.values_list("status", flat=True)) == statuses
    interval.refresh_from_db()
    assert interval.due_at is None
    # The same road ahead at the same use: the predicted day barely moves.
    assert abs(interval.predicted_due_at - predicted) < timedelta(days=1)


def test_other_vehicles_and_fleets_are_untouched(van, clock, org, other_org):
    mine = stock(vehicles.vehicle_create(org=org, label="Van 2"), clock, name="B")
    theirs = stock(vehicles.vehicle_create(org=other_org, label="Their van"), clock, name="C")
    before = (distances(mine), distances(theirs))

    change(van, "mi")

    assert (distances(mine), distances(theirs)) == before
    assert Vehicle.objects.get(pk=theirs.pk).distance_unit == "mi"  # the other fleet's unit
    assert Vehicle.objects.get(pk=mine.pk).distance_unit == "km"


def test_the_conversion_costs_the_same_statements_whatever_the_rows(vehicle, org, clock):
    small = stock(vehicle, clock, readings=2, name="S")
    large = stock(vehicles.vehicle_create(org=org, label="Van 2"), clock, readings=40, name="L")
    for number in range(15):
        mileage_task(large, f"Check {number}", 6_000 + number)
        contract(large, f"EXTRA-{number}")

    def statements(vehicle: Vehicle) -> int:
        with CaptureQueriesContext(connection) as captured:
            change(vehicle, "mi")
        return len(captured)

    assert statements(small) == statements(large) <= 20


def test_the_preview_counts_what_would_be_converted(van):
    preview = unit_change.unit_change_preview(vehicle=van, to_unit="mi")
    assert [c.words() for c in preview.counted] == [
        "2 readings",
        "2 intervals",
        "2 tasks",
        "1 contract",
        "1 order",
    ]
    assert preview.summary == (
        "Changing to miles converts 2 readings, 2 intervals, 2 tasks, 1 contract and 1 order "
        "of this vehicle: the odometer 10,000 km becomes 6,214 mi."
    )


# --- confirmation --------------------------------------------------------------------


def test_a_vehicle_with_distances_is_not_changed_unconfirmed(van):
    before = distances(van)
    with pytest.raises(unit_change.UnitConversionRequired) as refused:
        change(van, "mi", confirmed=False)
    assert refused.value.status == 409
    assert refused.value.field == "distance_unit"
    assert refused.value.message.startswith("Changing to miles converts 2 readings")
    assert distances(van) == before
    assert Vehicle.objects.get(pk=van.pk).distance_unit == "km"


def test_one_reading_is_enough_to_ask(vehicle, clock):
    read(vehicle, 2_000)
    with pytest.raises(unit_change.UnitConversionRequired) as refused:
        change(vehicle, "mi", confirmed=False)
    assert refused.value.change.summary == (
        "Changing to miles converts 1 reading of this vehicle: "
        "the odometer 2,000 km becomes 1,243 mi."
    )


def test_a_vehicle_without_distances_changes_unit_without_a_question(vehicle):
    change(vehicle, "mi", confirmed=False)
    assert Vehicle.objects.get(pk=vehicle.pk).distance_unit == "mi"


def test_the_same_unit_changes_nothing(van):
    before = distances(van)
    change(van, "km", confirmed=False)
    assert distances(van) == before


def test_a_distance_too_large_for_the_new_unit_is_refused_and_nothing_changes(org, clock):
    vehicle = vehicles.vehicle_create(org=org, label="Old timer", distance_unit="mi")
    read(vehicle, 700_000)
    # 800,000 mi is 1,287,475 km, past the largest mileage an interval may have.
    intervals.interval_create(vehicle=vehicle, odometer=800_000, name="Far away")
    before = distances(vehicle)
    with pytest.raises(ValidationFailed) as refused:
        change(vehicle, "km")
    assert "too large in kilometres" in refused.value.message
    assert distances(vehicle) == before
    assert Vehicle.objects.get(pk=vehicle.pk).distance_unit == "mi"


# --- through vehicle_update, as every face calls it ----------------------------------


def _unit(unit: str, *, convert: bool = False, **values) -> VehicleChanges:
    return VehicleChanges(distance_unit=unit, convert_distances=convert, **values)


def test_an_update_with_other_values_and_no_confirmation_saves_nothing(van):
    with pytest.raises(unit_change.UnitConversionRequired):
        vehicles.vehicle_update(vehicle=van, changes=_unit("mi", label="Renamed"))
    stored = Vehicle.objects.get(pk=van.pk)
    assert (stored.label, stored.distance_unit) == ("Van 1", "km")


def test_a_confirmed_update_converts_and_saves_the_other_values(van):
    vehicles.vehicle_update(vehicle=van, changes=_unit("mi", convert=True, label="Renamed"))
    stored = Vehicle.objects.get(pk=van.pk)
    assert (stored.label, stored.distance_unit, stored.odometer) == ("Renamed", "mi", 6_214)
    assert (van.distance_unit, van.odometer) == ("mi", 6_214)


def test_an_update_without_a_unit_does_not_lock_or_count(van):
    with CaptureQueriesContext(connection) as captured:
        vehicles.vehicle_update(vehicle=van, changes=VehicleChanges(label="Renamed"))
    assert not any("FOR UPDATE" in query["sql"] for query in captured)
