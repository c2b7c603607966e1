"""``sql.json_moment`` and ``sql.local_time`` write a stored moment as their Python rules do."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.tasks.models import ServiceTask

pytestmark = pytest.mark.django_db

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)


def _in_sql(task_id: int, moment: datetime) -> str | None:
    """The moment stored as a column is, then written by SQL."""
    ServiceTask.objects.filter(pk=task_id).update(created_at=moment)
    [(text,)] = sql.run(
        f"SELECT {sql.json_moment('t.created_at')} FROM tasks_servicetask t WHERE t.id = %(id)s",
        {"id": task_id},
    )
    return text


@pytest.fixture
def task_id(vehicle) -> int:
    from fleetmaint.tasks import services
    from fleetmaint.tasks.services import Conditions, TaskInput

    conditions = Conditions(date={"end": "2031-01-01 00:00:00"})
    made = services.task_create(
        vehicle=vehicle, data=TaskInput(description="Check", conditions=conditions)
    )
    return made.pk


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=moments)
def test_sql_writes_a_moment_as_python_does(task_id, moment):
    assert _in_sql(task_id, moment) == sql.json_moment_text(moment)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2030, 6, 15, 10, 0, tzinfo=UTC), "2030-06-15T10:00:00Z"),
        (datetime(2030, 6, 15, 10, 0, 0, 999, tzinfo=UTC), "2030-06-15T10:00:00.000Z"),
        (datetime(2030, 6, 15, 10, 0, 0, 123999, tzinfo=UTC), "2030-06-15T10:00:00.123Z"),
    ],
)
def test_the_millisecond_is_truncated_and_only_written_with_a_fraction(task_id, moment, text):
    assert sql.json_moment_text(moment) == text
    assert _in_sql(task_id, moment) == text


def test_nothing_stays_nothing():
    assert sql.json_moment_text(None) is None


ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide"]


def _local_in_sql(task_id: int, moment: datetime, zone: str) -> str | None:
    ServiceTask.objects.filter(pk=task_id).update(created_at=moment)
    text, zones = sql.local_time("t.created_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {text} FROM tasks_servicetask t WHERE t.id = %s", [*[zone] * zones, task_id]
        )
        return cursor.fetchone()[0]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_sql_writes_local_time_as_python_does(task_id, moment, zone):
    expected = sql.local_time_text(moment, zoneinfo.ZoneInfo(zone))
    assert _local_in_sql(task_id, moment, zone) == expected


def test_local_time_is_the_wall_clock_of_the_zone(task_id):
    summer = datetime(2030, 6, 15, 21, 30, 15, 999999, tzinfo=UTC)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert sql.local_time_text(summer, berlin) == "2030-06-15 23:30:15"
    assert _local_in_sql(task_id, summer, "Europe/Berlin") == "2030-06-15 23:30:15"
    assert sql.local_time_text(None, berlin) is None
