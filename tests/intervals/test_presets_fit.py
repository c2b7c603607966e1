"""Presets know the vehicle: which ones a schedule takes, in which unit, and what they make.

An electric van gets no oil, plugs or gearbox oil; a diesel no spark plugs;
equipment counted in engine hours gets repeating engine-hour tasks and no
kilometre items; a vehicle in miles reads its distances in miles.
"""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.errors import ValidationFailed
from fleetmaint.intervals import services
from fleetmaint.intervals.models import IntervalPreset, ServiceInterval
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

ENGINE_ONLY = {"Oil Change", "Replace Spark Plugs", "Replace Transmission Fluid"}
HOUR_PRESETS = {
    "Engine Oil and Filter",
    "Replace Hydraulic Filter",
    "Replace Air Filter",
    "Fuel Filter and Water Separator",
}


def new_vehicle(org, key: str, *, odometer: int | None = 10_000, hours=None, **values) -> Vehicle:
    vehicle = vehicles.vehicle_create(org=org, label=key, vehicle_key=key, **values)
    if odometer is not None or hours is not None:
        vehicles.reading_record(
            vehicle=vehicle,
            odometer=odometer,
            engine_hours=hours,
            recorded_at=NOW - timedelta(days=1),
        )
    vehicle.refresh_from_db()
    return vehicle


def interval_names(vehicle: Vehicle) -> set[str]:
    return set(ServiceInterval.objects.filter(vehicle=vehicle).values_list("name", flat=True))


def hour_tasks(vehicle: Vehicle) -> dict[str, ServiceTask]:
    return {t.description: t for t in ServiceTask.objects.filter(vehicle=vehicle)}


@pytest.fixture
def excavator(org) -> Vehicle:
    """Equipment that counts engine hours, read at 1,200 h; its odometer means nothing."""
    return new_vehicle(
        org,
        "EXC-1",
        odometer=None,
        hours=Decimal("1200.0"),
        powertrain="equipment",
        tracks_engine_hours=True,
    )


# --- which presets a vehicle takes ------------------------------------------------------


def test_an_electric_van_gets_no_oil_change_spark_plugs_or_transmission_fluid(org):
    van = new_vehicle(org, "EV-1", powertrain="electric")

    services.intervals_generate(org=org, vehicles=[van])

    names = interval_names(van)
    assert not names & ENGINE_ONLY
    assert "Replace Engine Air Filter" not in names
    assert {"Tire Rotation", "Replace Brake Fluid", "Replace Cabin Air Filter"} <= names
    coolant = ServiceInterval.objects.get(vehicle=van, name="Battery Coolant Check")
    # Counted by time alone: a date two years on, no mileage.
    assert coolant.service_at_mileage is None
    assert coolant.service_at_date == NOW.replace(year=2032)
    assert not ServiceTask.objects.filter(vehicle=van).exists()


def test_a_diesel_gets_no_spark_plugs_and_its_fuel_filter(org):
    truck = new_vehicle(org, "TRK-1", powertrain="diesel")

    services.intervals_generate(org=org, vehicles=[truck])

    names = interval_names(truck)
    assert "Replace Spark Plugs" not in names
    assert {"Oil Change", "Replace Transmission Fluid", "Replace Diesel Fuel Filter"} <= names
    assert "Battery Coolant Check" not in names


def test_a_petrol_van_keeps_the_eight_presets_of_the_vendor_api(org):
    van = new_vehicle(org, "VAN-1")
    assert services.intervals_generate(org=org, vehicles=[van]) == 8
    assert "Replace Spark Plugs" in interval_names(van)


def test_equipment_with_engine_hours_gets_engine_hour_tasks_and_no_distance_items(org, excavator):
    result = services.schedule_generate(org=org, vehicles=[excavator])

    assert (result.intervals, result.tasks, result.waiting) == (1, 4, 0)
    # The one interval is greasing, every week by date: nothing counted in kilometres.
    grease = ServiceInterval.objects.get(vehicle=excavator)
    assert (grease.name, grease.service_at_mileage) == ("Grease Pivot Points", None)
    assert grease.service_at_date == NOW + timedelta(weeks=1)
    tasks = hour_tasks(excavator)
    assert set(tasks) == HOUR_PRESETS
    oil = tasks["Engine Oil and Filter"]
    assert oil.repeat
    assert (oil.hours_limit, oil.hours_repeat, oil.hours_notify) == (250, 250, 25)
    assert oil.start_engine_hours == 1200
    assert oil.hours_expire_at == 1450
    assert oil.date_end == NOW.replace(month=12)  # six months on
    assert oil.mileage_limit is None
    assert oil.status == Status.CREATED
    hydraulic = tasks["Replace Hydraulic Filter"]
    assert (hydraulic.hours_limit, hydraulic.date_end) == (500, None)


def test_generating_again_adds_no_second_engine_hour_task(org, excavator):
    services.intervals_generate(org=org, vehicles=[excavator])
    assert services.intervals_generate(org=org, vehicles=[excavator]) == 0
    assert ServiceTask.objects.filter(vehicle=excavator).count() == 4


def test_an_engine_hour_task_done_repeats_every_so_many_hours(org, excavator, clock):
    services.intervals_generate(org=org, vehicles=[excavator])
    oil = hour_tasks(excavator)["Engine Oil and Filter"]
    clock.shift(timedelta(days=20))

    done, following = tasks.task_mark_done(task=oil, engine_hours=Decimal("1460.0"))

    assert done.status == Status.DONE
    assert following.description == "Engine Oil and Filter"
    assert (following.start_engine_hours, following.hours_expire_at) == (1460, 1710)
    # Generating now finds the next one planned.
    assert services.intervals_generate(org=org, vehicles=[excavator]) == 0


def test_vehicles_that_do_not_track_engine_hours_never_get_engine_hour_items(org):
    loader = new_vehicle(org, "LOAD-1", powertrain="equipment", tracks_engine_hours=False)
    diesel_with_hours = new_vehicle(
        org, "TRK-2", powertrain="diesel", tracks_engine_hours=True, hours=Decimal("10")
    )

    services.intervals_generate(org=org, vehicles=[loader, diesel_with_hours])

    assert interval_names(loader) == {"Grease Pivot Points"}
    assert not ServiceTask.objects.exists()


def test_equipment_without_an_engine_hours_reading_waits_for_one(org):
    new = new_vehicle(org, "EXC-2", odometer=None, powertrain="equipment", tracks_engine_hours=True)

    result = services.schedule_generate(org=org, vehicles=[new])

    assert (result.tasks, result.waiting) == (0, 4)
    vehicles.reading_record(vehicle=new, engine_hours=Decimal("5"))
    new.refresh_from_db()
    assert services.schedule_generate(org=org, vehicles=[new]).tasks == 4


def test_a_first_engine_hours_reading_makes_the_waiting_tasks_when_the_fleet_asks(org):
    services.schedule_settings_update(org=org, for_new_vehicles=True, on_first_reading=True)
    new = new_vehicle(org, "EXC-3", odometer=None, powertrain="equipment", tracks_engine_hours=True)
    assert hour_tasks(new) == {}

    vehicles.reading_record(vehicle=new, engine_hours=Decimal("5"))

    assert set(hour_tasks(new)) == HOUR_PRESETS
    vehicles.reading_record(vehicle=new, engine_hours=Decimal("9"))
    assert ServiceTask.objects.filter(vehicle=new).count() == len(HOUR_PRESETS)


def test_a_disabled_preset_or_one_without_the_kind_is_left_out(org):
    presets = {p.name: p for p in services.presets_ensure(org)}
    services.presets_update(
        org=org,
        changes={
            presets["Tire Rotation"].pk: {"enabled": False},
            presets["Oil Change"].pk: {"kinds": ["electric"]},
        },
    )
    ev = new_vehicle(org, "EV-2", powertrain="electric")
    petrol = new_vehicle(org, "VAN-2")

    services.intervals_generate(org=org, vehicles=[ev, petrol])

    assert "Oil Change" in interval_names(ev)
    assert "Oil Change" not in interval_names(petrol)
    assert "Tire Rotation" not in interval_names(ev) | interval_names(petrol)


# --- units ------------------------------------------------------------------------------


def test_a_vehicle_in_miles_gets_the_distances_in_miles(org, advisor_client):
    pickup = new_vehicle(org, "PICK-1", distance_unit="mi", odometer=20_000)

    services.intervals_generate(org=org, vehicles=[pickup])

    rows = {i.name: i for i in ServiceInterval.objects.filter(vehicle=pickup)}
    assert rows["Oil Change"].service_at_mileage == 20_000 + 9_321  # 15,000 km
    assert rows["Tire Rotation"].service_at_mileage == 20_000 + 6_214  # 10,000 km
    page = advisor_client.get(f"/vehicles/{pickup.pk}/schedule/").content.decode()
    assert "preset · every 9,321 mi / 12 months" in page
    assert "every 15,000 km" not in page


def test_a_preset_kept_in_miles_is_converted_for_a_vehicle_in_kilometres(other_org):
    # Other Fleet counts in miles, so its presets do; this truck counts kilometres.
    truck = new_vehicle(other_org, "KM-1", distance_unit="km", odometer=0)
    services.intervals_generate(org=other_org, vehicles=[truck])
    oil = ServiceInterval.objects.get(vehicle=truck, name="Oil Change")
    assert oil.service_at_mileage == 15_001  # 9,321 mi, rounded once each way


def test_the_schedule_lists_the_presets_that_fit_in_the_vehicles_words(org, advisor_client):
    excavator = new_vehicle(
        org,
        "EXC-3",
        odometer=None,
        hours=Decimal("1"),
        powertrain="equipment",
        tracks_engine_hours=True,
    )
    page = advisor_client.get(f"/vehicles/{excavator.pk}/schedule/").content.decode()
    fitting = page.split('id="fitting-presets"', 1)[1].split("</ul>", 1)[0]
    assert 'Engine Oil and Filter <span class="muted">· every 250 h / 6 months' in fitting
    assert "as a repeating task" in fitting
    assert 'Grease Pivot Points <span class="muted">· every week' in fitting
    assert "Oil Change" not in fitting


# --- statements -------------------------------------------------------------------------


def generating_costs(org, vehicle: Vehicle) -> int:
    with CaptureQueriesContext(connection) as context:
        services.intervals_generate(org=org, vehicles=[vehicle])
    return len(context.captured_queries)


def add_custom_presets(org, count: int) -> None:
    for number in range(count):
        hours = number % 2 == 0
        services.presets_update(
            org=org,
            changes={},
            new={
                "name": f"Check {number}",
                "kinds": ["combustion", "equipment"],
                "meter": "hours" if hours else "distance",
                "hours": 100 + number if hours else None,
                "distance": None if hours else 5_000 + number,
                "months": 6,
            },
        )


def test_generating_costs_the_same_statements_however_many_presets(
    org, django_assert_max_num_queries
):
    services.presets_ensure(org)
    equipment = {"odometer": 100, "powertrain": "equipment", "tracks_engine_hours": True}
    first = new_vehicle(org, "A-1", hours=Decimal("10"), **equipment)
    few = generating_costs(org, first)
    add_custom_presets(org, 20)
    second = new_vehicle(org, "A-2", hours=Decimal("10"), **equipment)
    many = generating_costs(org, second)

    # Built in: four engine-hour tasks and the weekly greasing; then ten of each more.
    assert ServiceTask.objects.filter(vehicle=second).count() == 4 + 10
    assert ServiceInterval.objects.filter(vehicle=second).count() == 1 + 10
    assert many == few
    third = new_vehicle(org, "A-3", hours=Decimal("10"), **equipment)
    with django_assert_max_num_queries(12):
        services.intervals_generate(org=org, vehicles=[third])


# --- the presets' rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    "values, field, words",
    [
        ({"kinds": []}, "kinds", "choose at least one kind of vehicle"),
        ({"kinds": ["steam"]}, "kinds", "'steam' is not a kind of vehicle"),
        ({"meter": "furlongs"}, "meter", "'furlongs' is none of them"),
        ({"meter": "hours"}, "hours", "give the hours between services"),
        ({"meter": "time", "months": None}, "months", "give the period in months or weeks"),
        ({"distance": None}, "distance", "give the distance between services"),
        ({"months": None}, "months", "a vehicle without an odometer reading"),
        ({"months": 6, "weeks": 2}, "weeks", "in months or in weeks, not both"),
        ({"hours": 0}, "hours", "the engine hours must be between 1 and 100,000"),
    ],
)
def test_a_preset_refuses_what_cannot_be_meant(org, values, field, words):
    oil = next(p for p in services.presets_ensure(org) if p.name == "Oil Change")
    with pytest.raises(ValidationFailed) as refused:
        services.presets_update(org=org, changes={oil.pk: values})
    assert refused.value.field == field
    assert words in refused.value.message
    oil.refresh_from_db()
    assert (oil.meter, oil.kinds, oil.distance, oil.months) == (
        "distance",
        ["combustion", "diesel", "hybrid"],
        15_000,
        12,
    )


def test_weeks_given_replace_months(org):
    oil = next(p for p in services.presets_ensure(org) if p.name == "Oil Change")
    services.presets_update(org=org, changes={oil.pk: {"weeks": 26}})
    oil.refresh_from_db()
    assert (oil.months, oil.weeks) == (None, 26)


def test_a_weekly_interval_serviced_schedules_the_next_a_week_later(org, excavator, clock):
    services.intervals_generate(org=org, vehicles=[excavator])
    grease = ServiceInterval.objects.get(vehicle=excavator, name="Grease Pivot Points")
    following = services.interval_mark_serviced(interval=grease)
    assert following.service_at_date == NOW + timedelta(weeks=1)
    assert following.service_at_mileage is None


def test_an_interval_of_a_preset_now_counting_hours_schedules_no_next_one(org):
    van = new_vehicle(org, "VAN-3")
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    services.presets_update(org=org, changes={oil.preset_id: {"meter": "hours", "hours": 250}})
    assert services.interval_mark_serviced(interval=oil) is None


# --- the data migration ----------------------------------------------------------------


def test_the_migration_gives_existing_presets_their_kinds_and_adds_the_new_ones(other_org):
    """An organization with the eight presets of before (road kinds, distance) in miles."""
    migration = importlib.import_module(
        "fleetmaint.intervals.migrations.0007_presets_know_the_vehicle"
    )
    for position, name in enumerate(migration.EXISTING):
        IntervalPreset.objects.create(
            org=other_org,
            name=name,
            distance=9_321,
            distance_unit="mi",
            months=12,
            builtin=True,
            position=position,
        )
    IntervalPreset.objects.create(org=other_org, name="grease pivot points", distance=1, months=1)

    migration.forwards(apps, None)

    presets = {p.name: p for p in IntervalPreset.objects.filter(org=other_org)}
    assert presets["Oil Change"].kinds == ["combustion", "diesel", "hybrid"]
    assert presets["Oil Change"].distance == 9_321  # edited values are kept
    assert presets["Replace Spark Plugs"].kinds == ["combustion", "hybrid"]
    assert presets["Tire Rotation"].kinds == ["combustion", "diesel", "electric", "hybrid"]
    assert presets["Replace Diesel Fuel Filter"].distance == 37_282  # 60,000 km in miles
    assert (presets["Engine Oil and Filter"].meter, presets["Engine Oil and Filter"].hours) == (
        "hours",
        250,
    )
    # The fleet's own preset of that name stays; no built-in joins beside it.
    assert "Grease Pivot Points" not in presets
    assert presets["grease pivot points"].builtin is False
