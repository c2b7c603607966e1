"""10,000 vehicles with 100,000 open tasks: readings, the date sweep, and the lists.

Run with `make bench` (DATABASE_URL must point at PostgreSQL). Figures are
recorded in docs/benchmarks.md.
"""

import random
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Role
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.bench.conftest import measure

VEHICLES = 10_000
TASKS_PER_VEHICLE = 10
SIZE = VEHICLES * TASKS_PER_VEHICLE

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)


@pytest.fixture
def fleet(django_db_blocker, django_db_setup):
    """Builds the fleet once with bulk inserts; tasks get their thresholds like the service does."""
    with django_db_blocker.unblock():
        org = accounts.org_create(name="Bench Fleet", slug="bench-fleet")
        now = timezone.now()
        rng = random.Random(7)
        Vehicle.objects.bulk_create(
            [
                Vehicle(
                    org=org,
                    vehicle_key=f"B{n:05d}",
                    label=f"Truck {n:05d}",
                    distance_unit="km",
                    tracks_engine_hours=True,
                    odometer=rng.randrange(10_000, 300_000),
                    odometer_at=now - timedelta(days=1),
                    engine_hours=rng.randrange(100, 9_000),
                    engine_hours_at=now - timedelta(days=1),
                    daily_distance=rng.uniform(50, 400),
                    daily_engine_hours=rng.uniform(1, 10),
                )
                for n in range(VEHICLES)
            ],
            batch_size=5_000,
        )
        rows = []
        for vehicle in Vehicle.objects.filter(org=org):
            for n in range(TASKS_PER_VEHICLE):
                task = ServiceTask(
                    org=org,
                    vehicle=vehicle,
                    description=f"Task {n}",
                    cost=rng.randrange(0, 500),
                    start_mileage=vehicle.odometer,
                    start_engine_hours=vehicle.engine_hours,
                    start_date=now,
                )
                conditions = tasks.CleanConditions(
                    mileage_limit=rng.randrange(1_000, 60_000),
                    mileage_notify=500,
                    date_end=now + timedelta(days=rng.randrange(2, 400)),
                    date_notify_days=7,
                )
                tasks.apply_conditions(task, conditions)
                task.predicted_end_date = tasks.predict_end_date(task)
                rows.append(task)
        ServiceTask.objects.bulk_create(rows, batch_size=10_000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        user = accounts.member_invite(org=org, username="bench", email="", role=Role.ADVISOR)[0]
        yield org, user.user
        ServiceTask.objects.filter(org=org).delete()
        Vehicle.objects.filter(org=org).delete()
        org.delete()


@pytest.mark.django_db(transaction=True)
def test_tasks_at_fleet_scale(fleet):
    org, user = fleet
    results: dict = {}
    assert ServiceTask.objects.filter(org=org).count() == VEHICLES * TASKS_PER_VEHICLE

    vehicle = Vehicle.objects.filter(org=org).order_by("pk").first()
    with measure("(a) one reading re-evaluates its vehicle's tasks", results, size=SIZE):
        vehicles.reading_record(
            vehicle=vehicle, odometer=vehicle.odometer + 70_000, confirm_jump=True
        )
    assert ServiceTask.objects.filter(vehicle=vehicle, status=Status.EXPIRED).exists()

    with measure("(b) date sweep, nothing has come due", results, size=SIZE):
        tasks.tasks_sweep_dates()
    month_later = time_machine.travel(timezone.now() + timedelta(days=30))
    with month_later, measure("(b) date sweep, a month later", results, size=SIZE):
        moved = tasks.tasks_sweep_dates()
    print(f"    tasks moved by the sweep a month later: {moved}")
    four_months_later = time_machine.travel(timezone.now() + timedelta(days=120))
    with four_months_later, measure("(b) date sweep, four months later", results, size=SIZE):
        moved_more = tasks.tasks_sweep_dates()
    print(f"    tasks moved by the sweep four months later: {moved_more}")
    assert moved > 0 and moved_more > moved
    # The statement count is the same however many tasks move.
    month, four_months = (
        results["(b) date sweep, a month later"][1],
        results["(b) date sweep, four months later"][1],
    )
    assert month == four_months

    client = Client()
    client.force_login(user)
    with measure("(c) Tasks page, first page of 100,000", results, size=SIZE):
        response = client.get("/tasks/?status=all")
    assert response.status_code == 200
    with measure("(c) Tasks page, filtered to one status", results, size=SIZE):
        assert client.get("/tasks/?status=expired").status_code == 200
    _, raw = accounts.apikey_create(org=org, name="bench")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    with measure("(c) GET /api/v1/tasks?limit=100", results, size=SIZE):
        response = api.get("/api/v1/tasks?limit=100")
    assert response.status_code == 200
