"""The service works report over 100,000 tasks: XLSX, CSV and PDF, time and peak memory.

Run on purpose against PostgreSQL (skipped otherwise). Each format is built
twice: once for the time, once under tracemalloc for the peak of Python
memory (tracemalloc slows Python down, so its run is not the one timed).
Figures are recorded in docs/benchmarks.md.
"""

import random
import tempfile
import tracemalloc
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.reports import task_report
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle
from tests.bench.conftest import amend_last, measure, peak_rss_mb, reset_peak_rss

VEHICLES = 1_000
TASKS_PER_VEHICLE = 100

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)


@pytest.fixture
def fleet(django_db_blocker, django_db_setup):
    with django_db_blocker.unblock():
        org = accounts.org_create(name="Report Bench", slug="report-bench", currency="EUR")
        now = timezone.now()
        rng = random.Random(11)
        Vehicle.objects.bulk_create(
            [
                Vehicle(
                    org=org,
                    vehicle_key=f"R{n:05d}",
                    label=f"Truck {n:05d}",
                    distance_unit="km",
                    odometer=rng.randrange(10_000, 300_000),
                    odometer_at=now - timedelta(days=1),
                    daily_distance=rng.uniform(50, 400),
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
                    description=f"Task {n} for {vehicle.label}",
                    cost=rng.randrange(0, 50_000) / 100,
                    start_mileage=vehicle.odometer,
                    start_date=now,
                )
                tasks.apply_conditions(
                    task,
                    tasks.CleanConditions(
                        mileage_limit=rng.randrange(1_000, 60_000),
                        mileage_notify=500,
                        date_end=now + timedelta(days=rng.randrange(2, 400)),
                        date_notify_days=7,
                    ),
                )
                task.predicted_end_date = tasks.predict_end_date(task)
                rows.append(task)
        ServiceTask.objects.bulk_create(rows, batch_size=10_000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield org
        ServiceTask.objects.filter(org=org).delete()
        Vehicle.objects.filter(org=org).delete()
        org.delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("fmt", "group_by"), [("xlsx", None), ("xlsx", "vehicle"), ("csv", None), ("pdf", "status")]
)
def test_report_of_100k_tasks(fleet, fmt, group_by):
    org = fleet
    request = task_report.report_request(
        task_report.page_filters({"status": "all"}), format=fmt, group_by=group_by
    )
    label = f"{fmt.upper()} of 100,000 tasks" + (f", grouped by {group_by}" if group_by else "")
    results: dict = {}
    report_rows = VEHICLES * TASKS_PER_VEHICLE
    reset_peak_rss()
    with tempfile.TemporaryFile() as out, measure(label, results, size=report_rows):
        report = task_report.write_report(org, request, out)
        size = out.tell()
    rss = peak_rss_mb()
    assert report.count == VEHICLES * TASKS_PER_VEHICLE

    tracemalloc.start()
    with tempfile.TemporaryFile() as out:
        task_report.write_report(org, request, out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'':<55} {peak / 1_000_000:>10.1f} MB peak (tracemalloc), file {size / 1e6:.1f} MB")
    amend_last(bytes=size, peak_rss_mb=rss, peak_python_mb=peak / 1_000_000)
