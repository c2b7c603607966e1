"""Rows for the search and calendar tests, made directly: each test says what it needs."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.orders.models import OrderItem, OrderStatus, ServiceOrder, Servicer
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle


def task(
    vehicle: Vehicle,
    *,
    description: str = "Replace wipers",
    comment: str = "",
    status: str = Status.CREATED,
    ends: datetime | None = None,
) -> ServiceTask:
    ends = ends or timezone.now() + timedelta(days=30)
    return ServiceTask.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        description=description,
        comment=comment,
        status=status,
        date_end=ends,
        predicted_end_date=ends,
        start_date=timezone.now(),
    )


def order(
    vehicle: Vehicle,
    servicer: Servicer,
    *,
    reason: str = "",
    items: tuple[str, ...] = (),
    status: str = OrderStatus.IN_PROGRESS,
    ready: datetime | None = None,
) -> ServiceOrder:
    made = ServiceOrder.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        servicer=servicer,
        service_type="repair_depot",
        status=status,
        status_reason=reason,
        estimated_completion=ready,
    )
    for name in items:
        OrderItem.objects.create(
            order=made, code="part", name=name, unit_price=Decimal("10"), total=Decimal("10")
        )
    return made


def contract(
    vehicle: Vehicle,
    *,
    number: str,
    provider: str = "",
    ends: date | None = None,
    status: str = ContractStatus.ACTIVE,
) -> VehicleContract:
    return VehicleContract.objects.create(
        org=vehicle.org,
        vehicle=vehicle,
        contract_type="service_plan",
        number=number,
        provider=provider,
        start_date=(ends or date(2031, 1, 1)) - timedelta(days=730),
        end_date=ends,
        status=status,
    )
