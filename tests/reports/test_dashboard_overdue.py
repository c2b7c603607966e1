"""The dashboard's timeline counts what is overdue on its own first line, not in this week.

An interval past its mileage is predicted "now" and a task past its end date is
predicted at that end, both today: counted by those days they would read as due
this week. They are overdue, and the line "Overdue" says so and links to the
lists that show them.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from fleetmaint.intervals import services as intervals
from fleetmaint.reports import queries
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

# NOW is Saturday 15 June 2030, 12:00 in Berlin: its week runs from Monday the 10th.
THIS_WEEK = NOW.date() - timedelta(days=NOW.weekday())


def _task(van: Vehicle, description: str, end) -> ServiceTask:
    data = TaskInput(description=description, conditions=Conditions(date={"end": end}))
    return tasks.task_create(vehicle=van, data=data)


@pytest.fixture
def van(vehicle) -> Vehicle:
    """At 20,000 km, past the oil change due at 19,500 km."""
    vehicles.reading_record(vehicle=vehicle, odometer=19_000, recorded_at=NOW - timedelta(days=30))
    intervals.interval_create(vehicle=vehicle, odometer=19_500, name="Oil Change")
    vehicles.reading_record(vehicle=vehicle, odometer=20_000, recorded_at=NOW - timedelta(hours=1))
    intervals.intervals_evaluate(vehicle_ids=[vehicle.pk])
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def overdue(van) -> None:
    """The oil change past its mileage, and a task whose end passed this morning."""
    past = _task(van, "Replace wipers", NOW - timedelta(hours=2))
    past.refresh_from_db()
    assert past.status == Status.EXPIRED
    # Both are predicted today, which is how they used to land in this week.
    assert past.predicted_end_date.date() == NOW.date()
    oil = van.intervals.get(name="Oil Change")
    assert oil.predicted_due_at.date() == NOW.date() and oil.due_at is not None


@pytest.fixture
def due_this_week(van) -> None:
    """A task and a service that fall due tomorrow, Sunday: still this week."""
    _task(van, "Check tyres", NOW + timedelta(days=1))
    intervals.interval_create(vehicle=van, time=NOW + timedelta(days=1), name="Brake check")


def _this_week(overview: queries.Overview) -> queries.DueWeek:
    [week] = [week for week in overview.weeks if week.start == THIS_WEEK]
    return week


def test_overdue_work_is_counted_apart_not_in_this_week(org, overdue, due_this_week):
    overview = queries.overview(org)

    week = _this_week(overview)
    assert (week.tasks, week.intervals) == (1, 1)  # tomorrow's, not the overdue ones
    assert sum(w.tasks for w in overview.weeks) == 1
    assert sum(w.intervals for w in overview.weeks) == 1
    assert overview.overdue == queries.Overdue(tasks=1, intervals=1)
    assert overview.overdue.tasks == overview.expired_tasks
    assert overview.overdue.intervals == overview.required_intervals


def test_with_nothing_else_due_this_week_counts_nothing(org, overdue):
    overview = queries.overview(org)
    assert _this_week(overview).total == 0
    assert not any(week.total for week in overview.weeks)
    assert overview.overdue.total == 2


def _timeline(html: str) -> str:
    return html[html.index('id="due-timeline"') :]


def _rows(timeline: str) -> list[str]:
    body = timeline[timeline.index("<tbody>") : timeline.index("</tbody>")]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)


def test_the_timeline_shows_overdue_first_linking_to_its_lists(
    advisor_client, overdue, due_this_week
):
    timeline = _timeline(advisor_client.get(reverse("home")).content.decode())
    first, this_week = _rows(timeline)[:2]
    assert first.startswith('<tr id="due-overdue" class="overdue">')
    assert ">Overdue<" in first
    assert f'<a href="{reverse("tasks:list")}?status=expired">1</a>' in first
    assert f'<a href="{reverse("intervals:due")}?state=required">1</a>' in first
    assert "—" in first  # orders have no limit to pass
    assert f'<time datetime="{THIS_WEEK:%Y-%m-%d}">' in this_week
    assert re.search(r'week-tasks"><a href="[^"]+">1</a>', this_week)
    assert re.search(r'week-services"><a href="[^"]+">1</a>', this_week)
    # The chart's first bar, apart in colour, opens the overdue line that links both lists.
    bars = re.findall(r'<a href="([^"]*)"><rect class="([^"]+)"', timeline)
    assert bars[0] == ("#due-overdue", "column danger")
    assert all(tone == "column" for _, tone in bars[1:])
    assert "<title>Overdue: 2</title>" in timeline


def test_an_overdue_bar_of_one_kind_opens_its_list(advisor_client, van):
    _task(van, "Replace wipers", NOW - timedelta(hours=2))
    van.intervals.update(serviced_at=NOW)  # only the task is overdue now
    timeline = _timeline(advisor_client.get(reverse("home")).content.decode())
    bars = re.findall(r'<a href="([^"]*)"><rect class="([^"]+)"', timeline)
    assert bars[0] == (f"{reverse('tasks:list')}?status=expired", "column danger")
    [first] = _rows(timeline)[:1]
    assert 'class="overdue"' in first and 'week-services">0<' in first


def test_nothing_overdue_shows_no_overdue_line(advisor_client, van, due_this_week):
    van.intervals.filter(name="Oil Change").update(serviced_at=NOW)
    timeline = _timeline(advisor_client.get(reverse("home")).content.decode())
    assert "Overdue" not in timeline
    assert "danger" not in timeline
