"""Rows in bulk for the tests that hold a page's query count steady as a fleet grows."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.intervals.evaluation import intervals_evaluate
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import Quote, ServiceOrder, Servicer
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle


def grow(org: Organization, count: int) -> list[Vehicle]:
    """``count`` more vehicles, each with an open interval (every third one required), a
    due-soon and an expired task, a contract, an order and a pending quote."""
    now = timezone.now()
    start = Vehicle.objects.filter(org=org).count()
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            org=org,
            vehicle_key=f"G-{start + n}",
            label=f"Grown {start + n:04}",
            make=f"Make {n % 3}",
            distance_unit="km",
            odometer=10_000 + n,
            odometer_at=now,
        )
        for n in range(count)
    )
    ServiceInterval.objects.bulk_create(
        ServiceInterval(
            org=org,
            vehicle=v,
            name="Oil change",
            # Every third one is past its mileage already: required.
            service_at_mileage=v.odometer - 1 if n % 3 == 0 else v.odometer + 5_000,
            service_at_date=now + timedelta(days=30 + n),
            predicted_due_at=now + timedelta(days=20 + n),
            start_odometer=v.odometer,
        )
        for n, v in enumerate(vehicles)
    )
    # As the services leave them: due ones marked, those near their mileage flagged.
    intervals_evaluate(vehicle_ids=[v.pk for v in vehicles])
    ServiceTask.objects.bulk_create(
        ServiceTask(
            org=org,
            vehicle=v,
            description=f"Brakes {n}",
            mileage_limit=1_000,
            start_date=now,
            status=status,
            predicted_end_date=now + timedelta(days=n),
        )
        for n, v in enumerate(vehicles)
        for status in (Status.NOTIFIED, Status.EXPIRED)
    )
    VehicleContract.objects.bulk_create(
        VehicleContract(
            org=org,
            vehicle=v,
            contract_type="service_plan",
            number=f"C-{v.vehicle_key}",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=100 + n),
            warn_from_date=date.today() + timedelta(days=n - 5),
        )
        for n, v in enumerate(vehicles)
    )
    servicer = Servicer.objects.create(name="Bulk Garage", service_types=["scheduled_maintenance"])
    ServiceOrder.objects.bulk_create(
        ServiceOrder(org=org, vehicle=v, servicer=servicer, service_type="scheduled_maintenance")
        for v in vehicles
    )
    Quote.objects.bulk_create(
        Quote(
            org=org,
            vehicle=v,
            servicer=servicer,
            service_type="scheduled_maintenance",
            total=Decimal("10.00"),
            valid_until=now + timedelta(days=7),
        )
        for v in vehicles
    )
    return vehicles


def statements(client: Client, url: str, **headers) -> int:
    """How many SQL statements one request for ``url`` takes, sessions warmed."""
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as counted:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(counted.captured_queries)


def counts_as_the_fleet_grows(
    client: Client, org: Organization, url: Callable[[list[Vehicle]], str], **headers
) -> tuple[int, int]:
    """The statements of a page at 3 vehicles and again at 63 (past the 25-row page)."""
    small = statements(client, url(grow(org, 3)), **headers)
    large = statements(client, url(grow(org, 60)), **headers)
    return small, large
