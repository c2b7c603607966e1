"""A vehicle with a known story, for the vehicle record's tests: built through the services.

Plain functions, not fixtures, so the history, costs and coming-up tests share them.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.intervals import services as intervals
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.reading_void import reading_void
from tests.clock import NOW
from tests.reports.history_support import garage, order

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2030, month, day, hour, tzinfo=UTC)


def reading(clock, vehicle: Vehicle, odometer: int, on: datetime, **extra) -> Reading:
    clock.move_to(on)
    stored = vehicles.reading_record(vehicle=vehicle, odometer=odometer, **extra)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return stored


def task_done(
    clock, vehicle: Vehicle, description: str, *, on: datetime, actor=None, **completion
) -> ServiceTask:
    """A task created and marked done on ``on`` with what ``completion`` says."""
    clock.move_to(on)
    vehicle.refresh_from_db()
    task = tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(description=description, conditions=Conditions(mileage={"limit": 5_000})),
    )
    done, _ = tasks.task_mark_done(
        task=task, completion=CompletionInput(done_at=on, **completion), actor=actor
    )
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return done


def serviced(clock, vehicle: Vehicle, name: str, *, on: datetime, actor=None, **completion):
    """An interval made and serviced on ``on``."""
    clock.move_to(on)
    vehicle.refresh_from_db()
    interval = intervals.interval_create(
        vehicle=vehicle, name=name, odometer=(vehicle.odometer or 0) + 5_000
    )
    intervals.interval_mark_serviced(
        interval=interval, completion=CompletionInput(done_at=on, **completion), actor=actor
    )
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return interval


def contract(vehicle: Vehicle, number: str, **values) -> VehicleContract:
    data = {
        "contract_type": "service_plan",
        "number": number,
        "provider": "Ford Credit",
        "start_date": "2030-01-01",
        "end_date": "2031-12-31",
        **values,
    }
    return contracts.contract_create(vehicle=vehicle, data=ContractInput(**data))


def story(clock, vehicle: Vehicle, advisor) -> dict:
    """Van 1's first half of 2030, one of each kind of entry, oldest first:

    - 2030-01-01 service plan SP-1 starts (with its terms as a PDF)
    - 2030-01-10 reading 10,000 km; 2030-02-01 a mistyped 19,000 km, voided
    - 2030-02-15 warranty W-9 cancelled (it started 2030-01-05)
    - 2030-03-01 reading 12,000 km
    - 2030-04-10 order: tire rotation and brake pads (260.50 EUR)
    - 2030-05-02 oil change serviced at 13,000 km for 80 EUR by Depot North
    - 2030-05-20 brakes bled at 13,500 km for 45.50 EUR by Quick Lube (invoice.pdf attached)
    """
    plan = contract(vehicle, "SP-1")
    contracts.document_attach(
        contract=plan, upload=SimpleUploadedFile("terms.pdf", PDF, "application/pdf")
    )
    reading(clock, vehicle, 10_000, at(1, 10), actor=advisor)
    wrong = reading(clock, vehicle, 19_000, at(2, 1), confirm_jump=True)
    reading_void(reading=wrong, reason="Typed 19 for 10", actor=advisor)
    warranty = contract(vehicle, "W-9", contract_type="extended_warranty", start_date="2030-01-05")
    clock.move_to(at(2, 15))
    contracts.contract_cancel(contract=warranty, reason="Sold with the old trailer")
    clock.move_to(NOW)
    reading(clock, vehicle, 12_000, at(3, 1))
    shop = garage(vehicle.org)
    placed = order(clock, vehicle, shop, "tire-rotation", "brake-pads", on=at(4, 10))
    serviced(
        clock,
        vehicle,
        "Oil change",
        on=at(5, 2),
        actor=advisor,
        odometer=13_000,
        cost=Decimal("80"),
        servicer="Depot North",
    )
    brakes = task_done(
        clock,
        vehicle,
        "Bleed the brakes",
        on=at(5, 20),
        actor=advisor,
        odometer=13_500,
        cost=Decimal("45.50"),
        servicer="Quick Lube",
        notes="Fluid was dark.",
    )
    invoice = tasks.file_upload(
        org=vehicle.org, upload=SimpleUploadedFile("invoice.pdf", PDF, "application/pdf")
    )
    tasks.task_attach(task=brakes, files=[invoice])
    vehicle.refresh_from_db()
    return {"plan": plan, "warranty": warranty, "order": placed, "brakes": brakes, "wrong": wrong}


def count_queries(client: Client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured.captured_queries)
