"""The rules of service tasks (seed 004): status, reminders, repetition, updates, files."""

import itertools
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint import sweeps
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.notifications.models import Event
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask, Status, TaskFile
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("media")

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
RANK = {Status.CREATED: 0, Status.NOTIFIED: 1, Status.EXPIRED: 2, Status.DONE: 3}


def read(vehicle: Vehicle, odometer=None, engine_hours=None):
    """Records a reading now, as a driver's app would."""
    return vehicles.reading_record(
        vehicle=vehicle, odometer=odometer, engine_hours=engine_hours, confirm_jump=True
    )


def task_input(**overrides) -> TaskInput:
    values = {"description": "Oil change", "conditions": Conditions()}
    values.update(overrides)
    return TaskInput(**values)


def create(vehicle: Vehicle, *, mileage=None, date=None, engine_hours=None, **fields):
    conditions = Conditions(mileage=mileage, date=date, engine_hours=engine_hours)
    return services.task_create(vehicle=vehicle, data=task_input(conditions=conditions, **fields))


def fresh(task: ServiceTask) -> ServiceTask:
    return ServiceTask.objects.select_related("vehicle").get(pk=task.pk)


def events(task: ServiceTask) -> list[str]:
    """The crossings told about a task, oldest first, as their dedupe keys."""
    return list(
        Event.objects.filter(dedupe_key__startswith=f"task:{task.pk}:")
        .order_by("id")
        .values_list("dedupe_key", flat=True)
    )


def key(task: ServiceTask, status: str, cycle: int = 1) -> str:
    return f"task:{task.pk}:{status}:cycle-{cycle}"


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van at 10,000 km."""
    read(vehicle, odometer=10_000)
    return vehicle


@pytest.fixture
def loader(org, clock) -> Vehicle:
    """A loader that counts engine hours: 5,000 km and 100 h."""
    truck = vehicles.vehicle_create(
        org=org, label="Loader", vehicle_key="LOAD-1", tracks_engine_hours=True
    )
    read(truck, odometer=5_000, engine_hours=100)
    return truck


def upload(name: str = "invoice.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- status from creation -------------------------------------------------------------


def test_a_task_far_from_its_limits_starts_created(van):
    task = create(
        van,
        mileage={"limit": 5_000, "notification_interval": 500},
        date={"end": NOW + timedelta(days=30), "notification_interval": 3},
    )
    assert (task.status, task.status_condition) == (Status.CREATED, "")
    assert (task.start_mileage, task.start_date) == (10_000, NOW)
    assert (task.mileage_notify_at, task.mileage_expire_at) == (14_500, 15_000)
    assert task.date_notify_at == NOW + timedelta(days=27)
    assert events(task) == []


def test_a_date_already_inside_its_reminder_window_notifies_at_once(vehicle, clock):
    task = create(vehicle, date={"end": NOW + timedelta(days=2), "notification_interval": 3})
    assert (task.status, task.status_condition) == (Status.NOTIFIED, "date")
    assert events(task) == [key(task, "notified")]
    event = Event.objects.get()
    assert event.name == "task.notified"
    assert event.payload["data"] == {
        "task_id": task.pk,
        "vehicle_id": vehicle.pk,
        "status": "notified",
        "condition": "date",
    }


def test_a_date_already_past_expires_at_once_with_one_notice(vehicle, clock):
    task = create(vehicle, date={"end": NOW - timedelta(hours=1), "notification_interval": 3})
    assert (task.status, task.status_condition) == (Status.EXPIRED, "date")
    assert events(task) == [key(task, "expired")]


def test_a_reminder_as_long_as_the_limit_is_refused_as_it_would_notify_at_once(van):
    with pytest.raises(ValidationFailed) as error:
        create(van, mileage={"limit": 1_000, "notification_interval": 1_000})
    assert error.value.field == "conditions.mileage.notification_interval"
    assert not ServiceTask.objects.exists()


def test_a_naive_end_date_is_read_in_the_fleets_time_zone(vehicle, clock):
    # The organization is in Europe/Berlin, two hours ahead of UTC in June.
    task = create(vehicle, date={"end": "2030-07-01 12:00:00"})
    assert task.date_end == datetime(2030, 7, 1, 10, 0, tzinfo=UTC)


# --- crossings ------------------------------------------------------------------------


def test_readings_move_a_mileage_task_through_reminder_and_limit_telling_each_once(van, clock):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(van, odometer=10_899)
    assert fresh(task).status == Status.CREATED

    read(van, odometer=10_900)
    assert (fresh(task).status, fresh(task).status_condition) == (Status.NOTIFIED, "mileage")
    assert events(task) == [key(task, "notified")]

    read(van, odometer=10_950)
    assert events(task) == [key(task, "notified")]

    read(van, odometer=11_000)
    assert fresh(task).status == Status.EXPIRED
    read(van, odometer=12_000)
    assert fresh(task).status == Status.EXPIRED
    assert events(task) == [key(task, "notified"), key(task, "expired")]
    assert list(
        Event.objects.filter(dedupe_key__startswith=f"task:{task.pk}:").values_list(
            "name", flat=True
        )
    ) == ["task.expired", "task.notified"]


def test_a_reading_past_the_limit_expires_at_once_with_a_single_notice(van):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(van, odometer=20_000)
    assert fresh(task).status == Status.EXPIRED
    assert events(task) == [key(task, "expired")]


def test_engine_hour_readings_move_an_engine_hours_task(loader):
    task = create(loader, engine_hours={"limit": 250, "notification_interval": "25.5"})
    assert (task.hours_notify_at, task.hours_expire_at) == (Decimal("324.5"), Decimal("350.0"))
    read(loader, engine_hours=324)
    assert fresh(task).status == Status.CREATED
    read(loader, engine_hours=Decimal("324.5"))
    assert (fresh(task).status, fresh(task).status_condition) == (
        Status.NOTIFIED,
        "engine_hours",
    )
    read(loader, engine_hours=350)
    assert fresh(task).status == Status.EXPIRED
    assert events(task) == [key(task, "notified"), key(task, "expired")]


def test_a_reading_of_another_vehicle_leaves_the_task_alone(van, loader):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(loader, odometer=50_000)
    assert fresh(task).status == Status.CREATED
    assert events(task) == []


def test_time_passing_moves_a_date_task_through_the_sweep(vehicle, clock):
    task = create(vehicle, date={"end": NOW + timedelta(days=10), "notification_interval": 3})
    clock.shift(timedelta(days=7) - timedelta(seconds=1))
    assert services.tasks_sweep_dates() == 0
    assert fresh(task).status == Status.CREATED

    clock.shift(timedelta(seconds=1))
    assert services.tasks_sweep_dates() == 1
    assert (fresh(task).status, fresh(task).status_condition) == (Status.NOTIFIED, "date")
    assert services.tasks_sweep_dates() == 0
    assert events(task) == [key(task, "notified")]

    clock.shift(timedelta(days=3))
    assert sweeps.sweep_dates()["fleetmaint.tasks.services.tasks_sweep_dates"] == 1
    assert fresh(task).status == Status.EXPIRED
    clock.shift(timedelta(days=30))
    assert services.tasks_sweep_dates() == 0
    assert events(task) == [key(task, "notified"), key(task, "expired")]


def test_the_sweep_leaves_done_tasks_alone(vehicle, clock):
    task = create(vehicle, date={"end": NOW + timedelta(days=10), "notification_interval": 3})
    services.task_mark_done(task=task)
    clock.shift(timedelta(days=30))
    assert services.tasks_sweep_dates() == 0
    assert fresh(task).status == Status.DONE
    assert events(task) == []


def test_the_first_condition_to_cross_decides(van, clock):
    task = create(
        van,
        mileage={"limit": 1_000, "notification_interval": 100},
        date={"end": NOW + timedelta(days=30), "notification_interval": 3},
    )
    clock.shift(timedelta(days=28))
    services.tasks_sweep_dates()
    assert (fresh(task).status, fresh(task).status_condition) == (Status.NOTIFIED, "date")
    read(van, odometer=11_000)
    assert (fresh(task).status, fresh(task).status_condition) == (Status.EXPIRED, "mileage")


# --- the property: status only moves forward ------------------------------------------

STEP = st.one_of(
    st.tuples(st.just("drive"), st.integers(0, 3_000), st.integers(0, 60)),
    st.tuples(st.just("wait"), st.integers(0, 24 * 20), st.just(0)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_status_and_wear_never_go_back_and_each_crossing_is_told_once(org, steps):
    with time_machine.travel(NOW, tick=False) as clock:
        truck = vehicles.vehicle_create(org=org, label="Loader", tracks_engine_hours=True)
        read(truck, odometer=1_000, engine_hours=100)
        task = create(
            truck,
            mileage={"limit": 10_000, "notification_interval": 1_000},
            date={"end": NOW + timedelta(days=60), "notification_interval": 7},
            engine_hours={"limit": 500, "notification_interval": 50},
        )
        statuses = [task.status]
        wears = [services.wear(fresh(task))]
        for kind, amount, hours in steps:
            if kind == "drive":
                clock.shift(timedelta(hours=1))
                read(
                    truck, odometer=truck.odometer + amount, engine_hours=truck.engine_hours + hours
                )
            else:
                clock.shift(timedelta(hours=amount))
                services.tasks_sweep_dates()
            current = fresh(task)
            statuses.append(current.status)
            wears.append(services.wear(current))

    ranks = [RANK[s] for s in statuses]
    assert ranks == sorted(ranks), statuses
    assert wears == sorted(wears), wears
    changes = sum(1 for before, after in itertools.pairwise(statuses) if before != after)
    assert len(events(task)) == changes + (statuses[0] != Status.CREATED)
    if statuses[-1] == Status.EXPIRED:
        assert wears[-1] >= 100


# --- wear and prediction --------------------------------------------------------------


def test_wear_is_the_most_used_condition(van, clock):
    task = create(
        van,
        mileage={"limit": 1_000},
        date={"end": NOW + timedelta(days=10)},
    )
    assert services.wear(fresh(task)) == 0
    read(van, odometer=10_250)
    assert services.wear(fresh(task)) == 25
    clock.shift(timedelta(days=5))
    assert services.wear(fresh(task)) == 50
    read(van, odometer=10_900)
    assert services.wear(fresh(task)) == 90


def test_done_freezes_the_wear(van, clock):
    task = create(van, mileage={"limit": 1_000})
    read(van, odometer=10_400)
    done, _ = services.task_mark_done(task=task)
    assert done.completion_wear == 40
    read(van, odometer=19_000)
    assert services.wear(fresh(task)) == 40


def test_the_predicted_end_is_the_earliest_expected_limit(vehicle, clock):
    clock.shift(-timedelta(days=10))
    read(vehicle, odometer=10_000)
    clock.shift(timedelta(days=10))
    read(vehicle, odometer=11_000)  # 100 km a day
    vehicle.refresh_from_db()  # the usage rate is computed on the stored row
    task = create(vehicle, mileage={"limit": 2_000}, date={"end": NOW + timedelta(days=30)})
    assert task.predicted_end_date == NOW + timedelta(days=20)
    short = create(vehicle, mileage={"limit": 5_000}, date={"end": NOW + timedelta(days=7)})
    assert short.predicted_end_date == NOW + timedelta(days=7)


# --- done and repeat ------------------------------------------------------------------


def test_done_freezes_the_completion_values(loader, clock):
    task = create(loader, mileage={"limit": 1_000}, engine_hours={"limit": 50})
    clock.shift(timedelta(days=2))
    read(loader, odometer=5_400, engine_hours=120)
    done, successor = services.task_mark_done(task=task)
    assert successor is None
    assert done.status == Status.DONE
    assert (done.completion_mileage, done.completion_engine_hours) == (5_400, Decimal("120.0"))
    assert done.completion_date == NOW + timedelta(days=2)
    assert done.predicted_end_date is None


def test_done_takes_the_odometer_the_mechanic_gives(van):
    done, _ = services.task_mark_done(
        task=create(van, mileage={"limit": 1_000, "repeat_interval": 500}, repeat=True),
        odometer=10_100,
    )
    assert done.completion_mileage == 10_100
    assert done.repeated_by.mileage_expire_at == 10_600


@pytest.mark.parametrize(
    ("repeat_interval", "next_limit"), [(None, 1_000), (2_500, 2_500)], ids=["limit", "interval"]
)
def test_a_repeating_mileage_task_starts_again_from_the_completion(
    van, repeat_interval, next_limit
):
    task = create(
        van,
        mileage={"limit": 1_000, "notification_interval": 100, "repeat_interval": repeat_interval},
        repeat=True,
        emails=["fleet@example.com"],
        cost="120.50",
    )
    read(van, odometer=10_950)
    done, successor = services.task_mark_done(task=task)
    assert successor.repeated_from == done
    assert successor.status == Status.CREATED
    assert (successor.start_mileage, successor.mileage_limit) == (10_950, next_limit)
    assert successor.mileage_expire_at == 10_950 + next_limit
    assert successor.mileage_notify_at == 10_950 + next_limit - 100
    assert (successor.mileage_notify, successor.mileage_repeat) == (100, repeat_interval)
    assert (successor.description, successor.cost, successor.emails) == (
        "Oil change",
        Decimal("120.50"),
        ["fleet@example.com"],
    )
    assert successor.repeat is True


@pytest.mark.parametrize(
    ("repeat_days", "next_span"), [(None, 30), (90, 90)], ids=["span", "interval"]
)
def test_a_repeating_date_task_ends_again_after_its_interval(
    vehicle, clock, repeat_days, next_span
):
    task = create(
        vehicle,
        date={
            "end": NOW + timedelta(days=30),
            "notification_interval": 5,
            "repeat_interval": repeat_days,
        },
        repeat=True,
    )
    clock.shift(timedelta(days=33))
    done, successor = services.task_mark_done(task=task)
    assert successor.start_date == done.completion_date == NOW + timedelta(days=33)
    assert successor.date_end == NOW + timedelta(days=33 + next_span)
    assert successor.date_notify_at == successor.date_end - timedelta(days=5)
    assert successor.status == Status.CREATED


@pytest.mark.parametrize(
    ("repeat_hours", "next_limit"),
    [(None, Decimal("250")), ("100.5", Decimal("100.5"))],
    ids=["limit", "interval"],
)
def test_a_repeating_engine_hours_task_starts_again_from_the_completion(
    loader, repeat_hours, next_limit
):
    task = create(
        loader,
        engine_hours={"limit": 250, "notification_interval": 10, "repeat_interval": repeat_hours},
        repeat=True,
    )
    read(loader, engine_hours=400)
    assert fresh(task).status == Status.EXPIRED
    _, successor = services.task_mark_done(task=task)
    assert successor.start_engine_hours == Decimal("400.0")
    assert successor.hours_limit == next_limit
    assert successor.hours_expire_at == Decimal("400") + next_limit
    assert successor.status == Status.CREATED


def test_a_successor_within_its_reminder_window_is_notified_at_once(vehicle, clock):
    task = create(
        vehicle,
        date={"end": NOW + timedelta(days=30), "notification_interval": 5, "repeat_interval": 3},
        repeat=True,
    )
    _, successor = services.task_mark_done(task=task)
    assert successor.status == Status.NOTIFIED
    assert events(successor) == [key(successor, "notified")]


def test_a_task_that_does_not_repeat_has_no_successor(van):
    done, successor = services.task_mark_done(task=create(van, mileage={"limit": 1_000}))
    assert successor is None
    assert ServiceTask.objects.count() == 1
    assert done.status == Status.DONE


def test_done_twice_completes_once_and_repeats_once(van, clock):
    task = create(van, mileage={"limit": 1_000}, repeat=True)
    done, successor = services.task_mark_done(task=task)
    clock.shift(timedelta(days=1))
    read(van, odometer=10_500)
    again, same = services.task_mark_done(task=task)
    assert same.pk == successor.pk
    assert again.completion_date == done.completion_date == NOW
    assert again.completion_mileage == 10_000
    assert ServiceTask.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row-level concurrency")
def test_two_people_marking_the_same_task_done_at_once_complete_it_once(org):
    van = vehicles.vehicle_create(org=org, label="Van 1", vehicle_key="VAN-1")
    read(van, odometer=10_000)
    task = create(van, mileage={"limit": 1_000}, repeat=True)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def mark_done():
        try:
            mine = ServiceTask.objects.get(pk=task.pk)
            barrier.wait()
            done, successor = services.task_mark_done(task=mine)
            results.append((done.completion_date, successor.pk))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=mark_done) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert ServiceTask.objects.filter(repeated_from_id=task.pk).count() == 1
    assert ServiceTask.objects.count() == 2
    assert fresh(task).status == Status.DONE


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row-level concurrency")
def test_two_sweeps_at_once_tell_each_crossing_once(org):
    with time_machine.travel(NOW, tick=False) as clock:
        van = vehicles.vehicle_create(org=org, label="Van 1", vehicle_key="VAN-1")
        tasks = [
            create(van, date={"end": NOW + timedelta(days=10), "notification_interval": 3})
            for _ in range(20)
        ]
        clock.shift(timedelta(days=8))
        barrier = threading.Barrier(2)
        moved, errors = [], []

        def sweep():
            try:
                barrier.wait()
                moved.append(services.tasks_sweep_dates())
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sum(moved) == 20
    assert set(ServiceTask.objects.values_list("status", flat=True)) == {Status.NOTIFIED}
    assert Event.objects.filter(name="task.notified").count() == 20
    assert all(events(task) == [key(task, "notified")] for task in tasks)


# --- updates --------------------------------------------------------------------------


def update(task: ServiceTask, **overrides) -> ServiceTask:
    values = {"description": task.description, **overrides}
    values.setdefault("conditions", {"mileage": {"limit": task.mileage_limit}})
    return services.task_update(task=fresh(task), data=task_input(**values))


def test_an_update_that_lowers_a_limit_notifies_now(van):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(van, odometer=10_500)
    updated = update(
        task, conditions=Conditions(mileage={"limit": 550, "notification_interval": 100})
    )
    assert (updated.status, updated.cycle) == (Status.NOTIFIED, 1)
    assert events(task) == [key(task, "notified")]


def test_raising_a_limit_reopens_the_task_and_the_next_crossing_is_told_again(van):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(van, odometer=10_950)
    assert fresh(task).status == Status.NOTIFIED

    reopened = update(
        task, conditions=Conditions(mileage={"limit": 2_000, "notification_interval": 100})
    )
    assert (reopened.status, reopened.status_condition, reopened.cycle) == (Status.CREATED, "", 2)
    assert reopened.mileage_expire_at == 12_000

    read(van, odometer=11_900)
    assert fresh(task).status == Status.NOTIFIED
    assert events(task) == [key(task, "notified"), key(task, "notified", cycle=2)]


def test_an_update_that_leaves_the_crossing_is_not_told_again(van):
    task = create(van, mileage={"limit": 1_000, "notification_interval": 100})
    read(van, odometer=10_950)
    updated = update(
        task,
        description="Oil and filter",
        conditions=Conditions(mileage={"limit": 1_000, "notification_interval": 100}),
        comment="Use 5W-30",
    )
    assert (updated.status, updated.cycle, updated.description) == (
        Status.NOTIFIED,
        1,
        "Oil and filter",
    )
    read(van, odometer=10_960)
    assert events(task) == [key(task, "notified")]


def test_an_expired_task_given_a_later_date_is_reopened(vehicle, clock):
    task = create(vehicle, date={"end": NOW + timedelta(days=1)})
    clock.shift(timedelta(days=2))
    services.tasks_sweep_dates()
    assert fresh(task).status == Status.EXPIRED
    reopened = update(task, conditions=Conditions(date={"end": NOW + timedelta(days=30)}))
    assert (reopened.status, reopened.cycle) == (Status.CREATED, 2)
    clock.shift(timedelta(days=30))
    services.tasks_sweep_dates()
    assert events(task) == [key(task, "expired"), key(task, "expired", cycle=2)]


def test_a_task_that_is_done_cannot_be_changed(van):
    task = create(van, mileage={"limit": 1_000})
    services.task_mark_done(task=task)
    with pytest.raises(Conflict):
        update(task, description="Too late")


# --- validation -----------------------------------------------------------------------


def test_engine_hours_on_a_vehicle_without_them_are_refused(van):
    with pytest.raises(services.EngineHoursNotTracked) as caught:
        create(van, engine_hours={"limit": 100})
    assert caught.value.field == "conditions.engine_hours"
    assert caught.value.code == "engine_hours_not_tracked"
    assert not ServiceTask.objects.exists()


def test_a_mileage_condition_needs_an_odometer_reading(vehicle):
    with pytest.raises(services.MeterMissing) as caught:
        create(vehicle, mileage={"limit": 100})
    assert caught.value.field == "conditions.mileage"


@pytest.mark.parametrize(
    ("conditions", "fields", "field"),
    [
        ({}, {}, "conditions"),
        ({"mileage": {"limit": "ten"}}, {}, "conditions.mileage.limit"),
        ({"mileage": {"limit": 1.5}}, {}, "conditions.mileage.limit"),
        ({"mileage": {"limit": 0}}, {}, "conditions.mileage.limit"),
        ({"mileage": "far"}, {}, "conditions.mileage"),
        ({"date": {"end": "soon"}}, {}, "conditions.date.end"),
        ({"date": {}}, {}, "conditions.date.end"),
        ({"date": {"end": "3030-01-01 00:00:00"}}, {}, "conditions.date.end"),
        ({"mileage": {"limit": 10}}, {"cost": "lots"}, "cost"),
        ({"mileage": {"limit": 10}}, {"cost": -1}, "cost"),
        ({"mileage": {"limit": 10}}, {"repeat": "yes"}, "repeat"),
        ({"mileage": {"limit": 10}}, {"description": ""}, "description"),
        ({"mileage": {"limit": 10}}, {"description": "x" * 256}, "description"),
        ({"mileage": {"limit": 10}}, {"description": "oil\x00"}, "description"),
        ({"mileage": {"limit": 10}}, {"comment": "brake\ud800"}, "comment"),
        ({"mileage": {"limit": 10}}, {"emails": ["not-an-address"]}, "notifications.emails"),
    ],
)
def test_wrong_input_is_refused_naming_the_field(van, conditions, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        create(van, **conditions, **fields)
    assert caught.value.field == field
    assert not ServiceTask.objects.exists()


def test_the_messages_are_plain_words(van):
    with pytest.raises(ValidationFailed) as caught:
        create(van)
    assert caught.value.message == "Give at least one condition: a mileage, a date or engine hours."
    with pytest.raises(ValidationFailed) as caught:
        create(van, date={"end": "3030-01-01 00:00:00"})
    assert caught.value.message == "The due date must be within a hundred years of today."


def test_a_task_stays_on_its_vehicle(van, loader):
    task = create(van, mileage={"limit": 1_000})
    with pytest.raises(ValidationFailed) as caught:
        services.task_update(
            task=task, data=task_input(conditions=Conditions()), vehicle_id=loader.pk
        )
    assert caught.value.field == "vehicle_id"
    same = services.task_update(
        task=task,
        data=task_input(description="Moved?", conditions={"mileage": {"limit": 900}}),
        vehicle_id=van.pk,
    )
    assert (same.vehicle_id, same.description) == (van.pk, "Moved?")


# --- batches --------------------------------------------------------------------------


def test_a_batch_creates_one_task_per_vehicle_sharing_the_files(org, van, loader):
    shared = services.file_upload(org=org, upload=upload())
    tasks = services.tasks_batch_create(
        org=org,
        vehicle_ids=[van.pk, loader.pk],
        data=task_input(conditions=Conditions(mileage={"limit": 1_000}), file_ids=[shared.pk]),
    )
    assert sorted(t.vehicle_id for t in tasks) == sorted([van.pk, loader.pk])
    assert {t.start_mileage for t in tasks} == {10_000, 5_000}
    assert all(list(t.files.all()) == [shared] for t in tasks)


def test_a_batch_with_an_unknown_vehicle_creates_nothing(org, van, other_org):
    stranger = vehicles.vehicle_create(org=other_org, label="Theirs")
    for vehicle_ids in ([van.pk, 999_999], [van.pk, stranger.pk]):
        with pytest.raises(services.UnknownVehicles) as caught:
            services.tasks_batch_create(
                org=org,
                vehicle_ids=vehicle_ids,
                data=task_input(conditions=Conditions(date={"end": NOW + timedelta(days=9)})),
            )
        assert caught.value.field == "vehicle_ids"
    assert not ServiceTask.objects.exists()


def test_a_batch_with_one_vehicle_unable_to_count_hours_creates_nothing(org, van, loader):
    with pytest.raises(services.EngineHoursNotTracked):
        services.tasks_batch_create(
            org=org,
            vehicle_ids=[loader.pk, van.pk],
            data=task_input(conditions=Conditions(engine_hours={"limit": 10})),
        )
    assert not ServiceTask.objects.exists()


def test_a_batch_task_already_due_is_notified_for_every_vehicle(org, van, loader):
    tasks = services.tasks_batch_create(
        org=org,
        vehicle_ids=[van.pk, loader.pk],
        data=task_input(
            conditions=Conditions(date={"end": NOW + timedelta(days=1), "notification_interval": 2})
        ),
    )
    assert {fresh(t).status for t in tasks} == {Status.NOTIFIED}
    assert Event.objects.filter(name="task.notified").count() == 2


# --- files ----------------------------------------------------------------------------


def test_pdfs_and_images_are_stored_with_their_real_type(org):
    pdf = services.file_upload(org=org, upload=upload("invoice.pdf", PDF))
    png = services.file_upload(org=org, upload=upload("photo.png", PNG))
    assert (pdf.content_type, pdf.size, pdf.name) == ("application/pdf", len(PDF), "invoice.pdf")
    assert png.content_type == "image/png"
    assert default_storage.exists(pdf.file.name)


@pytest.mark.parametrize(
    "content", [b"MZ\x90\x00 not a document", b"<html><script>", b"PK\x03\x04zip", b""]
)
def test_an_upload_that_is_not_a_pdf_or_an_image_is_refused(org, content):
    with pytest.raises(ValidationFailed) as caught:
        services.file_upload(org=org, upload=upload("invoice.pdf", content))
    assert caught.value.field == "file"
    assert not TaskFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(org, settings):
    settings.TASK_FILE_MAX_BYTES = 100
    services.file_upload(org=org, upload=upload("small.pdf", PDF))
    with pytest.raises(ValidationFailed) as caught:
        services.file_upload(org=org, upload=upload("big.pdf", PDF + b"0" * 100))
    assert caught.value.field == "file"
    assert "big.pdf" in caught.value.message
    assert TaskFile.objects.count() == 1


def test_a_file_shared_by_a_batch_lives_until_its_last_task_goes(
    org, van, loader, django_capture_on_commit_callbacks
):
    shared = services.file_upload(org=org, upload=upload())
    stored = shared.file.name
    first, second = services.tasks_batch_create(
        org=org,
        vehicle_ids=[van.pk, loader.pk],
        data=task_input(conditions=Conditions(mileage={"limit": 1_000}), file_ids=[shared.pk]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.tasks_delete(org=org, task_ids=[first.pk])
    assert TaskFile.objects.filter(pk=shared.pk).exists()
    assert default_storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        services.tasks_delete(org=org, task_ids=[second.pk])
    assert not TaskFile.objects.filter(pk=shared.pk).exists()
    assert not default_storage.exists(stored)


def test_a_repeated_task_keeps_its_files_after_the_done_one_is_deleted(org, van):
    shared = services.file_upload(org=org, upload=upload())
    task = create(van, mileage={"limit": 1_000}, repeat=True, file_ids=[shared.pk])
    _, successor = services.task_mark_done(task=task)
    services.tasks_delete(org=org, task_ids=[task.pk])
    assert list(successor.files.all()) == [shared]


def test_detaching_a_shared_file_keeps_it_for_the_other_task(
    org, van, loader, django_capture_on_commit_callbacks
):
    shared = services.file_upload(org=org, upload=upload())
    first, second = services.tasks_batch_create(
        org=org,
        vehicle_ids=[van.pk, loader.pk],
        data=task_input(conditions=Conditions(mileage={"limit": 1_000}), file_ids=[shared.pk]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.task_detach(task=first, file_id=shared.pk)
    assert list(first.files.all()) == []
    assert list(second.files.all()) == [shared]
    with django_capture_on_commit_callbacks(execute=True):
        services.task_detach(task=second, file_id=shared.pk)
    assert not TaskFile.objects.exists()


def test_detaching_a_file_the_task_does_not_hold_deletes_nothing(org, other_org, van):
    theirs = services.file_upload(org=other_org, upload=upload())
    task = create(van, mileage={"limit": 1_000})
    with pytest.raises(NotFound):
        services.task_detach(task=task, file_id=theirs.pk)
    assert TaskFile.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("whose", ["another fleet's", "nobody's"])
def test_a_task_cannot_use_a_file_that_is_not_the_fleets(other_org, van, whose):
    theirs = whose == "another fleet's"
    file_id = services.file_upload(org=other_org, upload=upload()).pk if theirs else 999_999
    with pytest.raises(NotFound) as caught:
        create(van, mileage={"limit": 1_000}, file_ids=[file_id])
    assert caught.value.field == "file_ids"
    assert not ServiceTask.objects.exists()


# --- deletion and tenancy -------------------------------------------------------------


def test_deleting_needs_every_task_to_be_the_fleets(org, other_org, van):
    mine = create(van, mileage={"limit": 1_000})
    stranger = vehicles.vehicle_create(org=other_org, label="Theirs")
    theirs = services.task_create(
        vehicle=stranger,
        data=task_input(conditions=Conditions(date={"end": NOW + timedelta(days=9)})),
    )
    with pytest.raises(NotFound):
        services.tasks_delete(org=org, task_ids=[mine.pk, theirs.pk])
    assert ServiceTask.objects.count() == 2
    with pytest.raises(NotFound):
        queries.task_for(org, theirs.pk)
    assert services.tasks_delete(org=org, task_ids=[mine.pk]) == 1


def test_engine_hours_reaching_the_reminder_point_exactly_notify(loader):
    # 100 h + 1.1 h limit - 0.2 h reminder: the reminder point is 100.9 h, which
    # floating point arithmetic would put a hair later (1.1 - 0.2 = 0.9000000000000001).
    task = create(loader, engine_hours={"limit": "1.1", "notification_interval": "0.2"})
    assert task.hours_notify_at == Decimal("100.9")
    read(loader, engine_hours=Decimal("100.9"))
    assert fresh(task).status == Status.NOTIFIED
    assert events(task) == [key(task, "notified")]


def test_a_file_an_update_drops_is_deleted_unless_another_task_holds_it(
    org, van, loader, django_capture_on_commit_callbacks
):
    own = services.file_upload(org=org, upload=upload("own.pdf"))
    shared = services.file_upload(org=org, upload=upload("shared.pdf"))
    task = create(van, mileage={"limit": 1_000}, file_ids=[own.pk, shared.pk])
    other = create(loader, mileage={"limit": 1_000}, file_ids=[shared.pk])
    with django_capture_on_commit_callbacks(execute=True):
        update(task, file_ids=[])
    assert list(fresh(task).files.all()) == []
    assert not TaskFile.objects.filter(pk=own.pk).exists()
    assert not default_storage.exists(own.file.name)
    assert list(other.files.all()) == [shared]
