"""The report's SQL wear says what ``tasks.services.wear`` says, for random tasks and moments."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.tasks import services, wear_sql
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

START = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
hours = st.decimals(min_value=0, max_value=5000, places=1)
micros = st.integers(-50 * 86_400_000_000, 400 * 86_400_000_000)


def sql_wear(task: ServiceTask, now: datetime) -> int:
    expression = wear_sql.task_wear("t", "v", str(wear_sql.micros_of(now)))
    [(wear,)] = sql.run(
        f"SELECT {expression} FROM tasks_servicetask t "
        "JOIN vehicles_vehicle v ON v.id = t.vehicle_id WHERE t.id = %(id)s",
        {"id": task.pk},
    )
    return wear


def python_wear(task: ServiceTask, now: datetime) -> int:
    task = ServiceTask.objects.select_related("vehicle").get(pk=task.pk)  # the stored values
    with time_machine.travel(now, tick=False):
        return services.wear(task)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    odometer=st.one_of(st.none(), st.integers(0, 200_000)),
    start_mileage=st.integers(0, 200_000),
    mileage_limit=st.one_of(st.none(), st.integers(0, 50_000)),
    engine_hours=st.one_of(st.none(), hours),
    start_hours=hours,
    hours_limit=st.one_of(st.none(), st.decimals(min_value=0, max_value=900, places=1)),
    start_offset=st.integers(0, 86_400_000_000),
    end_offset=st.one_of(st.none(), micros),
    now_offset=micros,
    done=st.booleans(),
    completion_wear=st.one_of(st.none(), st.integers(0, 250)),
)
@example(  # 29 of 100 km: 0.29 * 100 is 28.999999999999996 as floats, so 28
    odometer=1029,
    start_mileage=1000,
    mileage_limit=100,
    engine_hours=None,
    start_hours=Decimal(0),
    hours_limit=None,
    start_offset=0,
    end_offset=None,
    now_offset=0,
    done=False,
    completion_wear=None,
)
@example(  # a second to go before a day is over: 99%, never rounded up to 100
    odometer=None,
    start_mileage=0,
    mileage_limit=None,
    engine_hours=None,
    start_hours=Decimal(0),
    hours_limit=None,
    start_offset=999_999,
    end_offset=86_400_000_000,
    now_offset=86_399_000_000,
    done=False,
    completion_wear=None,
)
def test_a_tasks_wear_is_the_same_in_sql_and_in_python(
    vehicle,
    odometer,
    start_mileage,
    mileage_limit,
    engine_hours,
    start_hours,
    hours_limit,
    start_offset,
    end_offset,
    now_offset,
    done,
    completion_wear,
):
    if mileage_limit is None and hours_limit is None and end_offset is None:
        end_offset = 30 * 86_400_000_000
    Vehicle.objects.filter(pk=vehicle.pk).update(
        odometer=odometer, engine_hours=engine_hours, tracks_engine_hours=True
    )
    start = START + timedelta(microseconds=start_offset)
    task = ServiceTask.objects.create(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description="Check",
        start_mileage=start_mileage,
        start_engine_hours=start_hours,
        start_date=start,
        mileage_limit=mileage_limit,
        hours_limit=hours_limit,
        date_end=None if end_offset is None else start + timedelta(microseconds=end_offset),
        status=Status.DONE if done else Status.CREATED,
        completion_wear=completion_wear,
    )
    now = START + timedelta(microseconds=now_offset)

    assert sql_wear(task, now) == python_wear(task, now)


def test_the_worst_condition_decides_and_overdue_goes_past_100(vehicle):
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=12_500, engine_hours=Decimal("40.0"))
    task = ServiceTask.objects.create(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description="Service",
        start_mileage=10_000,
        mileage_limit=2_000,  # 2,500 of 2,000 km: 125%
        start_engine_hours=Decimal(0),
        hours_limit=Decimal("80.0"),  # 40 of 80 h: 50%
        start_date=START,
        date_end=START + timedelta(days=10),  # 5 of 10 days: 50%
    )

    assert sql_wear(task, START + timedelta(days=5)) == 125


def test_a_done_task_keeps_the_wear_it_was_completed_at(vehicle):
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=50_000)
    task = ServiceTask.objects.create(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description="Tyres",
        start_mileage=0,
        mileage_limit=10_000,
        start_date=START,
        status=Status.DONE,
        completion_wear=87,
    )

    assert sql_wear(task, START) == 87
