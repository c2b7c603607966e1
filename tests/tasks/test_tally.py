"""The task tally: counts kept as tasks change equal counts taken from the tasks themselves."""

import random
import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint import sweeps
from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization
from fleetmaint.tasks import services, tally
from fleetmaint.tasks.models import OPEN_STATUSES, ServiceTask, Status, TaskTally
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

NOW = datetime(2030, 6, 15, 21, 30, tzinfo=UTC)
FIRST, LAST = date(2030, 6, 10), date(2030, 9, 30)


def direct_status_counts(org: Organization) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    counts.update(Counter(ServiceTask.objects.filter(org=org).values_list("status", flat=True)))
    return counts


def direct_open_by_day(org: Organization, statuses=OPEN_STATUSES) -> dict[date, int]:
    zone = zoneinfo.ZoneInfo(org.time_zone)
    ends = ServiceTask.objects.filter(
        org=org, status__in=statuses, vehicle__archived=False, predicted_end_date__isnull=False
    ).values_list("predicted_end_date", flat=True)
    days = Counter(end.astimezone(zone).date() for end in ends)
    return {day: n for day, n in days.items() if FIRST <= day <= LAST}


def assert_tally_matches(org: Organization) -> None:
    org.refresh_from_db()
    assert tally.status_counts(org) == direct_status_counts(org)
    assert tally.open_tasks_by_day(org, FIRST, LAST) == direct_open_by_day(org)
    summary = tally.summary(org, FIRST, LAST)
    assert summary.statuses == direct_status_counts(org)
    assert summary.open_by_day == direct_open_by_day(org)
    # The dashboard's weeks: the open tasks not expired, which are overdue instead.
    upcoming = direct_open_by_day(org, [Status.CREATED, Status.NOTIFIED])
    assert summary.upcoming_by_day == upcoming
    for unplanned in (None, True, False):
        expected = ServiceTask.objects.filter(org=org, status__in=OPEN_STATUSES)
        if unplanned is not None:
            expected = expected.filter(unplanned=unplanned)
        assert tally.task_count(org, OPEN_STATUSES, unplanned) == expected.count()


def create(vehicle: Vehicle, end: datetime, *, unplanned: bool = False) -> ServiceTask:
    conditions = Conditions(date={"end": end, "notification_interval": 3})
    data = TaskInput(description="Check", conditions=conditions, unplanned=unplanned)
    return services.task_create(vehicle=vehicle, data=data)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def fleet(org, other_org, clock) -> list[Vehicle]:
    """Tasks ending around local midnights, where UTC and Berlin disagree on the day."""
    rng = random.Random(4)
    vans = [vehicles.vehicle_create(org=org, label=f"Van {n}") for n in range(3)]
    for n in range(40):
        end = NOW + timedelta(hours=1 + rng.randrange(24 * 60), minutes=rng.choice([0, 29, 31]))
        create(vans[n % 3], end, unplanned=n % 4 == 0)
    stranger = vehicles.vehicle_create(org=other_org, label="Other van")
    create(stranger, NOW + timedelta(days=2))
    return vans


def test_counts_follow_creation_completion_sweeps_archiving_and_deletion(org, fleet, clock):
    assert_tally_matches(org)

    task = ServiceTask.objects.filter(org=org).order_by("id").first()
    services.task_mark_done(task=task)
    assert_tally_matches(org)

    clock.move_to(NOW + timedelta(days=9))
    sweeps.sweep_dates()
    assert tally.status_counts(org)[Status.EXPIRED] > 0
    assert_tally_matches(org)

    vehicles.vehicle_set_archived(vehicle=fleet[0], archived=True)
    assert_tally_matches(org)
    vehicles.vehicle_set_archived(vehicle=fleet[0], archived=False)
    assert_tally_matches(org)

    doomed = list(ServiceTask.objects.filter(vehicle=fleet[1]).values_list("id", flat=True))
    services.tasks_delete(org=org, task_ids=doomed[:5])
    assert_tally_matches(org)


def test_a_new_time_zone_moves_every_day(org, fleet):
    accounts.org_update(
        org=org,
        name=org.name,
        time_zone="America/Los_Angeles",
        currency=org.currency,
        distance_unit=org.distance_unit,
        max_daily_distance=org.max_daily_distance,
    )
    assert_tally_matches(org)


def test_another_fleets_tasks_are_not_counted(org, other_org, fleet):
    assert sum(tally.status_counts(other_org).values()) == 1
    assert sum(tally.status_counts(org).values()) == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_compaction_folds_deltas_and_keeps_the_counts(org, fleet, clock):
    clock.move_to(NOW + timedelta(days=9))
    sweeps.sweep_dates()
    before = TaskTally.objects.count()

    folded = tally.compact()

    assert folded > 0
    assert TaskTally.objects.count() == before - folded
    assert not TaskTally.objects.filter(n=0).exists()
    assert_tally_matches(org)
    assert tally.compact() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_an_update_that_moves_no_count_writes_no_delta(org, fleet):
    before = TaskTally.objects.count()
    ServiceTask.objects.filter(org=org).update(comment="touched")
    assert TaskTally.objects.count() == before


def test_each_count_is_one_query(org, fleet):
    with CaptureQueriesContext(connection) as queries:
        tally.status_counts(org)
        tally.task_count(org, OPEN_STATUSES, None)
        tally.open_tasks_by_day(org, FIRST, LAST)
    assert len(queries) == 3
