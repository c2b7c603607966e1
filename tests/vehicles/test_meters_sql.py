"""The SQL status rules say what meters.py says: random tasks and meters, both ways."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import meters, meters_sql
from fleetmaint.vehicles.models import Vehicle

START = datetime(2026, 1, 1, tzinfo=UTC)
RANK = {"created": 0, "notified": 1, "expired": 2}
hours = st.decimals(min_value=0, max_value=5000, places=1)


def _sql_status(task: ServiceTask, now: datetime) -> tuple[str, str]:
    [row] = sql.run(meters_sql.task_status_select("t.id = %(id)s"), {"id": task.pk, "now": now})
    return row[2], row[3]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    odometer=st.integers(0, 200_000),
    start_mileage=st.integers(0, 200_000),
    mileage_limit=st.one_of(st.none(), st.integers(1, 50_000)),
    mileage_notify=st.one_of(st.none(), st.integers(0, 60_000)),
    engine_hours=hours,
    start_hours=hours,
    hours_limit=st.one_of(st.none(), st.decimals(min_value="0.1", max_value=900, places=1)),
    hours_notify=st.one_of(st.none(), hours),
    end_days=st.one_of(st.none(), st.integers(-50, 400)),
    notify_days=st.one_of(st.none(), st.integers(0, 100)),
    now_seconds=st.integers(0, 400 * 86_400),
    stored=st.sampled_from(["created", "notified"]),
)
def test_a_tasks_status_is_the_same_in_sql_and_in_python(
    vehicle,
    odometer,
    start_mileage,
    mileage_limit,
    mileage_notify,
    engine_hours,
    start_hours,
    hours_limit,
    hours_notify,
    end_days,
    notify_days,
    now_seconds,
    stored,
):
    if mileage_limit is None and hours_limit is None and end_days is None:
        end_days = 30
    Vehicle.objects.filter(pk=vehicle.pk).update(
        odometer=odometer, engine_hours=engine_hours, tracks_engine_hours=True
    )
    vehicle.refresh_from_db()
    task = ServiceTask(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description="Check",
        start_mileage=start_mileage,
        start_engine_hours=Decimal(start_hours),
        start_date=START,
    )
    tasks.apply_conditions(
        task,
        tasks.CleanConditions(
            mileage_limit=mileage_limit,
            mileage_notify=mileage_notify,
            date_end=START + timedelta(days=end_days) if end_days is not None else None,
            date_notify_days=notify_days,
            hours_limit=hours_limit,
            hours_notify=hours_notify,
        ),
    )
    task.save()
    now = START + timedelta(seconds=now_seconds)

    expected = meters.task_status(tasks.task_conditions(task, now=now))

    assert _sql_status(task, now) == expected

    # A reading's evaluation looks only at the tasks whose next threshold was
    # reached (by index); it must move exactly the tasks measuring all would.
    ServiceTask.objects.filter(pk=task.pk).update(status=stored)
    with time_machine.travel(now, tick=False):
        tasks.tasks_evaluate(vehicle_ids=[vehicle.pk])
    moves = RANK[expected[0]] > RANK[stored]
    assert ServiceTask.objects.get(pk=task.pk).status == (expected[0] if moves else stored)


def _moment_param(name: str) -> str:
    return f"CAST(%({name})s AS timestamptz)" if sql.on_postgres() else f"%({name})s"


offsets = st.one_of(st.none(), st.integers(-400 * 86_400, 400 * 86_400))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(old=offsets, shift=st.integers(-40 * 86_400, 40 * 86_400), drop_new=st.booleans())
def test_a_prediction_moves_in_sql_exactly_when_python_says(db, old, shift, drop_new):
    now = START + timedelta(days=10)
    old_at = None if old is None else now + timedelta(seconds=old)
    base = old_at or now
    new_at = None if drop_new else base + timedelta(seconds=shift)
    moved = meters_sql.prediction_moved(_moment_param("old"), _moment_param("new"))
    [(in_sql,)] = sql.run(
        f"SELECT CASE WHEN {moved} THEN 1 ELSE 0 END", {"old": old_at, "new": new_at, "now": now}
    )
    assert bool(in_sql) == meters.prediction_moved(old_at, new_at, now)


def test_a_prediction_far_ahead_keeps_its_day_through_small_moves():
    now = START
    stored = now + timedelta(days=200)
    assert not meters.prediction_moved(stored, stored + timedelta(days=9), now)
    assert meters.prediction_moved(stored, stored + timedelta(days=11), now)
    assert meters.prediction_moved(now + timedelta(days=3), now + timedelta(days=4), now)
    assert not meters.prediction_moved(now + timedelta(days=3), now + timedelta(hours=80), now)
    assert meters.prediction_moved(None, stored, now)
    assert not meters.prediction_moved(None, None, now)


@pytest.mark.parametrize(
    ("odometer", "hours", "stored", "expected"),
    [
        (10_899, 0, "created", "created"),
        (10_900, 0, "created", "notified"),  # the reminder point itself
        (10_999, 0, "notified", "notified"),
        (11_000, 0, "notified", "expired"),  # the limit itself
        (11_000, 0, "created", "expired"),
        (10_000, 45, "created", "notified"),  # engine hours alone
        (10_000, 50, "notified", "expired"),
    ],
)
def test_a_reading_moves_a_task_exactly_at_its_thresholds(
    vehicle, odometer, hours, stored, expected
):
    Vehicle.objects.filter(pk=vehicle.pk).update(
        odometer=10_000, engine_hours=0, tracks_engine_hours=True
    )
    vehicle.refresh_from_db()
    task = ServiceTask(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description="Service",
        start_mileage=10_000,
        start_engine_hours=Decimal(0),
        start_date=START,
    )
    tasks.apply_conditions(
        task,
        tasks.CleanConditions(
            mileage_limit=1_000,
            mileage_notify=100,
            hours_limit=Decimal(50),
            hours_notify=Decimal(5),
        ),
    )
    task.status = stored
    task.save()
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=odometer, engine_hours=hours)

    tasks.tasks_evaluate(vehicle_ids=[vehicle.pk])

    assert ServiceTask.objects.get(pk=task.pk).status == expected
