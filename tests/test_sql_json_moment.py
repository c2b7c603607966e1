"""``sql.json_moment`` writes a stored moment as the JSON API's Python rule does."""

from datetime import UTC, datetime

import pytest
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
