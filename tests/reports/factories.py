"""Rows for the report tests, made directly: each test says what it needs."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import OrderItem, OrderStatus, Partnership, ServiceOrder, Servicer
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles


def servicer_for(org) -> Servicer:
    servicer = Servicer.objects.create(name="Quick Fix", service_types=["repair_depot"])
    Partnership.objects.create(org=org, servicer=servicer)
    return servicer


def interval(vehicle, *, days: int, name: str = "Oil Change") -> ServiceInterval:
    when = timezone.now() + timedelta(days=days)
    return ServiceInterval.objects.create(
        org=vehicle.org, vehicle=vehicle, name=name, service_at_date=when, predicted_due_at=when
    )


def open_task(vehicle, *, days: int, description: str = "Replace wipers") -> ServiceTask:
    when = timezone.now() + timedelta(days=days)
    return ServiceTask.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        description=description,
        date_end=when,
        predicted_end_date=when,
        start_date=timezone.now(),
    )


def done_task(vehicle, *, cost: str, completed_at) -> ServiceTask:
    return ServiceTask.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        description="Fix mirror",
        date_end=completed_at,
        start_date=completed_at - timedelta(days=10),
        status=Status.DONE,
        cost=Decimal(cost),
        completion_date=completed_at,
    )


def order(
    vehicle, servicer, *, status=OrderStatus.IN_PROGRESS, eta_days=None, completed_at=None, items=()
) -> ServiceOrder:
    order = ServiceOrder.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        servicer=servicer,
        service_type="repair_depot",
        status=status,
        estimated_completion=timezone.now() + timedelta(days=eta_days)
        if eta_days is not None
        else None,
        completed_at=completed_at,
    )
    for total in items:
        OrderItem.objects.create(
            order=order, code="part", name="Part", unit_price=Decimal(total), total=Decimal(total)
        )
    return order


def fleet(org, servicer, count: int, *, start: int = 0) -> list:
    """``count`` vehicles, each with one of everything the dashboard and the feed show."""
    made = []
    last_month = timezone.now() - timedelta(days=35)
    for number in range(start, start + count):
        van = vehicles.vehicle_create(org=org, label=f"Van {number}", vehicle_key=f"V-{number}")
        interval(van, days=10)
        open_task(van, days=20)
        done_task(van, cost="10.00", completed_at=last_month)
        order(van, servicer, eta_days=30)
        order(
            van,
            servicer,
            status=OrderStatus.COMPLETED,
            completed_at=timezone.now() - timedelta(hours=1),
            items=("100.00",),
        )
        made.append(van)
    return made
