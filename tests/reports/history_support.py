"""Builders for the history and costs report tests: orders completed and tasks done on given days.

Plain functions, not fixtures, so both test modules share them without a conftest.
"""

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
from pypdf import PdfReader

from fleetmaint.accounts.models import Organization
from fleetmaint.orders import quotes, servicers
from fleetmaint.orders import services as orders
from fleetmaint.orders.models import CatalogItem, OrderStatus, ServiceOrder, Servicer, ServiceType
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW


def garage(org: Organization) -> Servicer:
    servicer = Servicer.objects.create(
        name="Bay Garage",
        service_types=["scheduled_maintenance", "repair_depot"],
        email="bay@example.net",
    )
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(servicer=servicer, code="oil-change", name="Oil change", price=89),
            CatalogItem(servicer=servicer, code="tire-rotation", name="Tire rotation", price=40),
            CatalogItem(servicer=servicer, code="brake-pads", name="Brake pads", price="220.50"),
        ]
    )
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


def order(
    clock,
    vehicle: Vehicle,
    servicer: Servicer,
    *codes: str,
    on: datetime,
    status: str = OrderStatus.COMPLETED,
    intervals=(),
) -> ServiceOrder:
    """An order for ``codes`` placed and taken to ``status`` on the day ``on``."""
    clock.move_to(on)
    quote = quotes.quote_create(
        org=vehicle.org,
        vehicle=vehicle,
        servicer=servicer,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code=code) for code in codes],
        interval_ids=[i.pk for i in intervals],
    )
    placed = quotes.quote_accept(quote=quote)
    steps = {
        OrderStatus.PENDING: [],
        OrderStatus.CANCELED: [OrderStatus.CANCELED],
        OrderStatus.IN_PROGRESS: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS],
        OrderStatus.COMPLETED: [
            OrderStatus.ACCEPTED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.COMPLETED,
        ],
    }[status]
    for step in steps:
        placed = orders.order_set_status(order=placed, status=step, reason=f"Test {step}")
    clock.move_to(NOW)
    placed.refresh_from_db()
    return placed


def done_task(clock, vehicle: Vehicle, description: str, cost: str, *, on: datetime) -> ServiceTask:
    """A task with a mileage limit, created and marked done on the day ``on``."""
    clock.move_to(on)
    vehicle.refresh_from_db()
    task = tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(
            description=description,
            cost=Decimal(cost),
            conditions=Conditions(mileage={"limit": 5_000, "notification_interval": 500}),
        ),
    )
    done, _ = tasks.task_mark_done(task=task)
    clock.move_to(NOW)
    return done


def open_task(vehicle: Vehicle, description: str, cost: str = "0") -> ServiceTask:
    vehicle.refresh_from_db()
    return tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(
            description=description,
            cost=Decimal(cost),
            conditions=Conditions(mileage={"limit": 1_000, "notification_interval": 100}),
        ),
    )


def workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(response) -> int:
    return len(PdfReader(io.BytesIO(response.content)).pages)


def sheet_rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True)]
