"""Readings at the speed of the database: the staged path, its SQL, its edges."""

import gc
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetmaint.errors import ValidationFailed
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import meters, reading_checks, reading_store, readings
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.meters import MeterPoint
from fleetmaint.vehicles.models import Reading, Vehicle

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row-level concurrency"
)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def item(index, *, vehicle_id=None, vehicle_key=None, **reading) -> readings.BulkItem:
    return readings.BulkItem(index, vehicle_id, vehicle_key, readings.ReadingInput(**reading))


def stored(vehicle) -> list[tuple]:
    return list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at", "id")
        .values_list("odometer", "engine_hours", "recorded_at")
    )


def fresh(vehicle) -> Vehicle:
    return Vehicle.objects.get(pk=vehicle.pk)


# --- the SQL daily usage is meters.daily_usage -------------------------------------------

DAY_US = 86_400_000_000
# Offsets back from the newest point, in microseconds: anywhere in 200 days, and
# right on the edges the rule has (one day apart, the 90-day window).
offsets = st.one_of(
    st.integers(0, 200 * DAY_US),
    st.sampled_from([0, 1, DAY_US - 1, DAY_US, DAY_US + 1]),
    st.integers(-2, 2).map(lambda d: 90 * DAY_US + d),
    st.integers(-2, 2).map(lambda d: 91 * DAY_US + d),
)
points = st.lists(
    st.tuples(offsets, st.integers(0, 500_000), st.booleans(), st.booleans()),
    min_size=0,
    max_size=12,
)


def as_points(rows: list[tuple], newest: datetime) -> list[tuple]:
    """(at, odometer, engine hours, resets) in the order they are inserted."""
    return [
        (
            newest - timedelta(microseconds=offset),
            value,
            Decimal(value) / 10 if with_hours else None,
            resets,
        )
        for offset, value, resets, with_hours in rows
    ]


def python_usage(history: list[tuple]) -> tuple[float | None, float | None]:
    """meters.daily_usage over the points sorted as the table sorts them: (time, id)."""
    ordered = sorted(enumerate(history), key=lambda pair: (pair[1][0], pair[0]))
    odometer = [MeterPoint(at, odo, resets) for _, (at, odo, _, resets) in ordered]
    hours = [MeterPoint(at, h, resets) for _, (at, _, h, resets) in ordered if h is not None]
    return (
        meters.daily_usage(odometer, window_days=readings.USAGE_WINDOW_DAYS),
        meters.daily_usage(hours, window_days=readings.USAGE_WINDOW_DAYS),
    )


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def vehicle_with(org, history: list[tuple]) -> Vehicle:
    """A vehicle whose stored readings are ``history`` and whose meters are its newest."""
    vehicle = Vehicle.objects.create(
        org=org, label="P", vehicle_key=f"P{Vehicle.objects.count()}", tracks_engine_hours=True
    )
    Reading.objects.bulk_create(
        Reading(
            org=org,
            vehicle=vehicle,
            odometer=odo,
            engine_hours=hours,
            recorded_at=at,
            is_correction=resets,
        )
        for at, odo, hours, resets in history
    )
    set_current_meters(vehicle)
    return vehicle


def set_current_meters(vehicle: Vehicle) -> None:
    # The invariant the service keeps: current values are the newest reading's.
    rows = Reading.objects.filter(vehicle=vehicle).order_by("-recorded_at", "-id")
    odo = rows.filter(odometer__isnull=False).first()
    hours = rows.filter(engine_hours__isnull=False).first()
    Vehicle.objects.filter(pk=vehicle.pk).update(
        odometer=odo.odometer if odo else None,
        odometer_at=odo.recorded_at if odo else None,
        engine_hours=hours.engine_hours if hours else None,
        engine_hours_at=hours.recorded_at if hours else None,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=points)
@example(rows=[(0, 200, False, True), (DAY_US, 100, False, True)])  # exactly one day
@example(rows=[(0, 200, False, False), (DAY_US - 1, 100, False, False)])  # just under
@example(rows=[(0, 900, False, False), (90 * DAY_US, 0, False, False)])  # window's first moment
@example(rows=[(0, 900, False, False), (90 * DAY_US + 1, 0, False, False), (DAY_US, 5, 0, 0)])
@example(rows=[(0, 90, False, False), (DAY_US, 50, True, False), (2 * DAY_US, 80, False, False)])
def test_the_sql_daily_usage_is_the_python_rule_for_any_history(org, rows):
    history = as_points(rows, NOW)
    vehicle = vehicle_with(org, history)
    distance, hours = readings.vehicles_daily_usage([vehicle.pk])[vehicle.pk]
    expected_distance, expected_hours = python_usage(history)
    assert close(distance, expected_distance), (distance, expected_distance)
    assert close(hours, expected_hours), (hours, expected_hours)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=points, staged_count=st.integers(0, 12))
def test_a_staged_batch_leaves_the_python_daily_usage_on_the_vehicle(org, rows, staged_count):
    # The write path computes usage over stored rows plus the ones it stages in
    # the same statement; any split of a history must give the same values.
    history = as_points(rows, NOW)
    split = max(len(history) - staged_count, 0)
    vehicle = vehicle_with(org, history[:split])
    current = readings._lock_vehicles_for(org, [item(0, vehicle_id=vehicle.pk)])[0]
    staged = [
        reading_checks.CleanReading(n, current, odo, hours, at, resets, False, "")
        for n, (at, odo, hours, resets) in enumerate(history[split:])
    ]
    if staged:
        reading_store.store_readings(org, staged, source="api", actor_id=None, now=NOW)
    got = fresh(vehicle)
    expected_distance, expected_hours = python_usage(history) if staged else (None, None)
    assert close(got.daily_distance, expected_distance), (got.daily_distance, expected_distance)
    assert close(got.daily_engine_hours, expected_hours)


# --- statements -------------------------------------------------------------------------


def tasked_vehicle(org, count: int) -> Vehicle:
    vehicle = vehicles.vehicle_create(org=org, label="Tasked", vehicle_key="TASKED")
    vehicles.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(30))
    for n in range(count):
        tasks.task_create(
            vehicle=vehicle,
            data=TaskInput(
                description=f"Task {n}", conditions=Conditions(mileage={"limit": 50_000})
            ),
        )
    return vehicle


def statements(run) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def their_part(org, vehicle) -> int:
    """What re-evaluating the vehicle costs, measured on its own."""
    return statements(lambda: readings._after_readings(org, {vehicle.pk}, set()))


# Savepoint, lock, one write (SQLite: insert and update apart), release.
OUR_STATEMENTS = 4 if connection.vendor == "postgresql" else 5


def test_one_reading_costs_a_fixed_handful_of_statements_besides_re_evaluation(org, clock):
    vehicle = tasked_vehicle(org, 20)
    whole = statements(lambda: vehicles.reading_record(vehicle=vehicle, odometer=1_500))
    assert whole - their_part(org, vehicle) <= OUR_STATEMENTS


def test_a_backfilled_reading_costs_one_statement_more_for_its_neighbours(org, clock):
    vehicle = tasked_vehicle(org, 20)
    vehicles.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(1))
    whole = statements(
        lambda: vehicles.reading_record(vehicle=vehicle, odometer=1_200, recorded_at=ago(20))
    )
    assert whole - their_part(org, vehicle) <= OUR_STATEMENTS + 1
    assert fresh(vehicle).odometer == 2_000


def test_a_batch_costs_the_same_statements_for_many_backfilled_vehicles_as_for_few(org, clock):
    def batch(count: int, prefix: str) -> int:
        fleet = [
            vehicles.vehicle_create(org=org, label=f"{prefix}{n}", vehicle_key=f"{prefix}{n}")
            for n in range(count)
        ]
        for vehicle in fleet:
            vehicles.reading_record(vehicle=vehicle, odometer=100, recorded_at=ago(10))
            vehicles.reading_record(vehicle=vehicle, odometer=300, recorded_at=ago(1))
        items = [
            item(n, vehicle_id=v.pk, odometer=200, recorded_at=ago(5)) for n, v in enumerate(fleet)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = readings.readings_bulk_record(org=org, items=items)
        assert (result.created, result.errors) == (count, [])
        return len(ctx.captured_queries)

    assert batch(2, "A") == batch(25, "B")


def test_a_batch_re_predicts_its_vehicles_dates_once_it_has_committed(
    org, clock, django_capture_on_commit_callbacks
):
    vehicle = vehicles.vehicle_create(org=org, label="Van", vehicle_key="VAN")
    vehicles.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(20))
    vehicles.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(10))  # 100 a day
    task = tasks.task_create(
        vehicle=fresh(vehicle),
        data=TaskInput(
            description="Tyres",
            conditions=Conditions(mileage={"limit": 3_000, "notification_interval": 1_000}),
        ),
    )
    assert task.predicted_end_date == ago(10) + timedelta(days=30)

    items = [item(0, vehicle_id=vehicle.pk, odometer=4_000, recorded_at=NOW)]  # 150 a day
    with django_capture_on_commit_callbacks(execute=False) as queued:
        readings.readings_bulk_record(org=org, items=items)
    # Decided at once: the task is due soon; its date waits for the job.
    task.refresh_from_db()
    assert (task.status, task.predicted_end_date) == ("notified", ago(10) + timedelta(days=30))

    for callback in queued:
        callback()  # the test settings run queued jobs in-process
    task.refresh_from_db()
    assert task.predicted_end_date == NOW + timedelta(days=1_000 / 150)


def test_without_a_broker_a_batch_re_predicts_its_dates_itself(org, clock, monkeypatch):
    vehicle = vehicles.vehicle_create(org=org, label="Van", vehicle_key="VAN")
    vehicles.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(20))
    vehicles.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(10))
    task = tasks.task_create(
        vehicle=fresh(vehicle),
        data=TaskInput(description="Tyres", conditions=Conditions(mileage={"limit": 3_000})),
    )
    Vehicle.objects.filter(pk=vehicle.pk).update(daily_distance=50)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("django_q.tasks.async_task", broker_down)
    readings.enqueue_predictions([vehicle.pk])

    task.refresh_from_db()
    assert task.predicted_end_date == ago(10) + timedelta(days=3_000 / 50)


def test_the_cycle_collector_runs_again_after_a_batch(org, clock):
    readings.readings_bulk_record(org=org, items=[item(0, vehicle_key="NOPE", odometer=1)])
    assert gc.isenabled()
    with pytest.raises(ValidationFailed), readings.collector_paused():
        assert not gc.isenabled()
        raise ValidationFailed("stop")
    assert gc.isenabled()


# --- edges --------------------------------------------------------------------------------


def test_ten_thousand_readings_with_bad_ones_in_the_middle(org, clock):
    fleet = [
        Vehicle.objects.create(org=org, label=f"F{n}", vehicle_key=f"F{n}", distance_unit="km")
        for n in range(50)
    ]
    bad = {1_234: "odometer", 5_000: "recorded_at", 7_777: "vehicle", 9_001: "engine_hours"}
    items = []
    for index in range(10_000):
        vehicle = fleet[index % 50]
        step = index // 50
        values = {"odometer": 1_000 + step * 10, "recorded_at": ago(30) + timedelta(hours=step)}
        if bad.get(index) == "odometer":
            values["odometer"] = "ten"
        elif bad.get(index) == "recorded_at":
            values["recorded_at"] = NOW + timedelta(days=1)
        elif bad.get(index) == "engine_hours":
            values["engine_hours"] = 5
        vehicle_id = 10**12 if bad.get(index) == "vehicle" else vehicle.pk
        items.append(item(index, vehicle_id=vehicle_id, **values))

    result = readings.readings_bulk_record(org=org, items=items)

    assert [(e["index"], e["field"]) for e in result.errors] == sorted(bad.items())
    assert result.created == 10_000 - len(bad)
    assert Reading.objects.filter(org=org).count() == 10_000 - len(bad)
    last = fresh(fleet[49])
    assert (last.odometer, last.odometer_at) == (1_000 + 199 * 10, ago(30) + timedelta(hours=199))
    # 1,990 km over 199 hours.
    assert last.daily_distance == pytest.approx(1_990 / (199 / 24))


def test_readings_for_one_vehicle_in_one_batch_are_checked_against_each_other_in_time_order(
    org, vehicle, clock
):
    result = readings.readings_bulk_record(
        org=org,
        items=[
            # Below the 2,000 of two days ago, though that one comes later in the list.
            item(0, vehicle_id=vehicle.pk, odometer=1_500, recorded_at=ago(1)),
            item(1, vehicle_id=vehicle.pk, odometer=1_000, recorded_at=ago(4)),
            item(2, vehicle_id=vehicle.pk, odometer=2_000, recorded_at=ago(2)),
            # The same reading twice: it fits next to itself.
            item(3, vehicle_id=vehicle.pk, odometer=1_000, recorded_at=ago(4)),
            item(4, vehicle_id=vehicle.pk, odometer=900, recorded_at=ago(3)),
        ],
    )
    assert [(e["index"], e["field"]) for e in result.errors] == [(0, "odometer"), (4, "odometer")]
    assert "previous reading was 2,000 km" in result.errors[0]["message"]
    assert "previous reading was 1,000 km" in result.errors[1]["message"]
    assert [odo for odo, _, _ in stored(vehicle)] == [1_000, 1_000, 2_000]
    assert (fresh(vehicle).odometer, fresh(vehicle).odometer_at) == (2_000, ago(2))


def test_a_backfill_between_two_readings_keeps_the_current_meters_and_moves_the_usage(
    org, vehicle, clock
):
    vehicles.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(100))
    vehicles.reading_record(vehicle=vehicle, odometer=3_000, recorded_at=ago(1))
    assert fresh(vehicle).daily_distance is None  # nothing else in the 90-day window

    result = readings.readings_bulk_record(
        org=org, items=[item(0, vehicle_id=vehicle.pk, odometer=1_500, recorded_at=ago(21))]
    )

    assert (result.created, result.errors) == (1, [])
    after = fresh(vehicle)
    assert (after.odometer, after.odometer_at) == (3_000, ago(1))
    assert after.daily_distance == pytest.approx(1_500 / 20)
    assert [odo for odo, _, _ in stored(vehicle)] == [1_000, 1_500, 3_000]


def test_engine_hours_are_refused_for_a_vehicle_that_does_not_track_them(org, vehicle, clock):
    truck = vehicles.vehicle_create(org=org, label="T", vehicle_key="T", tracks_engine_hours=True)
    result = readings.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=10, engine_hours=Decimal("3.5")),
            item(1, vehicle_id=truck.pk, engine_hours=Decimal("3.55")),
        ],
    )
    assert result.errors == [
        {
            "index": 0,
            "code": "invalid",
            "field": "engine_hours",
            "message": "This vehicle does not track engine hours.",
        }
    ]
    assert stored(vehicle) == []
    assert (fresh(truck).odometer, fresh(truck).engine_hours) == (None, Decimal("3.6"))


def test_a_note_with_a_nul_byte_is_reported_and_the_rest_is_stored(org, vehicle, clock):
    result = readings.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=10, note="ok"),
            item(1, vehicle_id=vehicle.pk, odometer=20, note="bad\x00note"),
            item(2, vehicle_id=vehicle.pk, odometer=30, note=" trimmed "),
        ],
    )
    assert [(e["index"], e["field"], e["message"]) for e in result.errors] == [
        (1, "note", "The note cannot contain NUL characters.")
    ]
    notes = Reading.objects.filter(vehicle=vehicle).order_by("id").values_list("note", flat=True)
    assert list(notes) == ["ok", "trimmed"]


def test_another_fleets_vehicle_id_is_unknown_and_left_alone(org, other_org, vehicle, clock):
    theirs = vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="VAN-1")
    result = readings.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=theirs.pk, odometer=100),
            item(1, vehicle_key="VAN-1", odometer=100),
        ],
    )
    assert result.errors == [
        {"index": 0, "code": "invalid", "field": "vehicle", "message": "Vehicle does not exist."}
    ]
    assert stored(theirs) == [] and fresh(theirs).odometer is None
    assert fresh(vehicle).odometer == 100


def test_one_reading_returns_the_stored_row_and_updates_the_vehicle_passed_in(
    org, vehicle, advisor, clock
):
    vehicles.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(10))
    reading = vehicles.reading_record(vehicle=vehicle, odometer=1_500, note=" hi ", actor=advisor)
    assert reading == Reading.objects.get(pk=reading.pk)
    row = Reading.objects.get(pk=reading.pk)
    assert (row.odometer, row.note, row.created_by, row.recorded_at) == (1_500, "hi", advisor, NOW)
    assert (vehicle.odometer, vehicle.odometer_at) == (1_500, NOW)
    assert vehicle.daily_distance == pytest.approx(50.0)


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_two_batches_over_the_same_vehicles_at_once_both_land(org):
    fleet = [
        vehicles.vehicle_create(org=org, label=f"C{n}", vehicle_key=f"C{n}") for n in range(30)
    ]
    now = datetime.now(UTC)
    batches = [
        [
            item(n, vehicle_id=v.pk, odometer=1_000, recorded_at=now - timedelta(days=2))
            for n, v in enumerate(fleet)
        ],
        # The same vehicles in the opposite order: locking by id keeps them from deadlocking.
        [
            item(n, vehicle_id=v.pk, odometer=1_100, recorded_at=now - timedelta(days=1))
            for n, v in enumerate(reversed(fleet))
        ],
    ]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send(batch):
        try:
            barrier.wait()
            results.append(readings.readings_bulk_record(org=org, items=batch))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted((r.created, len(r.errors)) for r in results) == [(30, 0), (30, 0)]
    assert set(Vehicle.objects.filter(org=org).values_list("odometer", flat=True)) == {1_100}
    assert Reading.objects.filter(org=org).count() == 60
