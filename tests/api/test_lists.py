"""The /api/v1 lists, read from rows: each item is exactly what the same object reads alone,
written with the API's formats, and a page costs the same statements whatever its length."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.intervals import services as intervals
from fleetmaint.orders import quotes
from fleetmaint.orders import services as orders
from fleetmaint.orders.models import OrderStatus, ServiceType
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.orders.api_support import make_order, make_servicer

NOW = datetime(2030, 6, 15, 10, 0, 0, 250_000, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def statements(client: Client, url: str) -> int:
    """How many statements one request of ``url`` costs, once the key's first use is past."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def items(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()["items"]


def assert_each_item_reads_alone(client: Client, url: str, item_url: str) -> list[dict]:
    """Every item of the list equals the object read alone (its schema's answer)."""
    listed = items(client, url)
    assert listed
    for item in listed:
        assert item == client.get(item_url.format(**item)).json()
    return listed


@pytest.fixture
def loader(org) -> Vehicle:
    truck = vehicles.vehicle_create(
        org=org,
        label="Loader",
        vehicle_key="LOAD-1",
        tracks_engine_hours=True,
        vin="WDB9066331S123456",
        year=2019,
    )
    vehicles.reading_record(
        vehicle=truck, odometer=5_000, engine_hours=Decimal("100.5"), confirm_jump=True
    )
    return truck


def make_task(vehicle: Vehicle, description: str, conditions: Conditions, **fields):
    return tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(description=description, conditions=conditions, **fields),
    )


# --- tasks ----------------------------------------------------------------------------


@pytest.fixture
def worked(org, loader):
    """A task with every kind of condition, notifications and a file, and a done one."""
    shared = tasks.file_upload(org=org, upload=SimpleUploadedFile("manual.pdf", PDF))
    full = make_task(
        loader,
        "Hydraulic service",
        Conditions(
            mileage={"limit": 2_000, "notification_interval": 100},
            date={"end": NOW + timedelta(days=30), "notification_interval": 3},
            engine_hours={"limit": "20.5", "notification_interval": "2.5"},
        ),
        comment="Filter and oil",
        cost="45.50",
        sms_phones=["+4915112345678"],
        emails=["fleet@example.com"],
        file_ids=[shared.pk],
    )
    vehicles.reading_record(
        vehicle=loader, odometer=5_500, engine_hours=Decimal("110.5"), confirm_jump=True
    )
    done = make_task(loader, "Wipers", Conditions(date={"end": NOW + timedelta(days=5)}))
    tasks.task_mark_done(task=done)
    full.refresh_from_db()
    return {"full": full, "done": done, "file": shared}


def test_a_task_is_listed_with_its_nulls_numbers_and_utc_times(api, worked):
    full = worked["full"]
    item = next(i for i in items(api, "/api/v1/tasks") if i["id"] == full.pk)
    created = full.created_at.isoformat().replace("+00:00", "Z")[:23] + "Z"
    assert item == {
        "id": full.pk,
        "vehicle_id": full.vehicle_id,
        "vehicle_label": "Loader",
        "description": "Hydraulic service",
        "comment": "Filter and oil",
        "cost": 45.5,
        "repeat": False,
        "unplanned": False,
        "status": "created",
        "status_condition": None,
        "conditions": {
            "mileage": {"limit": 2000, "notification_interval": 100, "repeat_interval": None},
            "date": {
                "end": "2030-07-15T10:00:00.250Z",
                "notification_interval": 3,
                "repeat_interval": None,
            },
            "engine_hours": {"limit": 20.5, "notification_interval": 2.5, "repeat_interval": None},
        },
        "notifications": {
            "sms_phones": ["+4915112345678"],
            "emails": ["fleet@example.com"],
            "push_enabled": True,
        },
        "start": {"mileage": 5000, "date": "2030-06-15T10:00:00.250Z", "engine_hours": 100.5},
        "completion": None,
        "completion_date": None,
        "current_position": {
            "mileage": 5500,
            "date": "2030-06-15T10:00:00.250Z",
            "engine_hours": 110.5,
        },
        # 500 of 2,000 km is 25%; 10 of 20.5 hours is 48.78%: the most used decides.
        "prediction": {"end_date": item["prediction"]["end_date"], "wear_percentage": 48},
        "file_ids": [worked["file"].pk],
        "created_at": created,
        "updated_at": item["updated_at"],
    }
    assert item["prediction"]["end_date"] is not None


def test_each_listed_task_is_the_task_read_alone(api, worked):
    listed = assert_each_item_reads_alone(api, "/api/v1/tasks", "/api/v1/tasks/{id}")
    done = next(i for i in listed if i["id"] == worked["done"].pk)
    assert done["completion"] == {
        "mileage": 5500,
        "date": "2030-06-15T10:00:00.250Z",
        "engine_hours": 110.5,
    }


def test_a_page_of_tasks_costs_the_same_statements_for_3_or_30_tasks(api, org, loader):
    shared = tasks.file_upload(org=org, upload=SimpleUploadedFile("a.pdf", PDF))

    def add(count: int) -> None:
        for number in range(count):
            make_task(
                loader,
                f"Task {number}",
                Conditions(mileage={"limit": 1_000 + number}, engine_hours={"limit": 50}),
                file_ids=[shared.pk],
            )

    add(3)
    few = statements(api, "/api/v1/tasks?limit=100&search=task")
    add(27)
    assert len(items(api, "/api/v1/tasks?limit=100&search=task")) == 30
    assert statements(api, "/api/v1/tasks?limit=100&search=task") == few


# --- vehicles and readings -----------------------------------------------------------


def test_a_vehicle_is_listed_with_its_meters_as_numbers(api, loader, vehicle):
    listed = assert_each_item_reads_alone(api, "/api/v1/vehicles", "/api/v1/vehicles/{id}")
    assert listed[0] == {
        "id": loader.pk,
        "vehicle_key": "LOAD-1",
        "label": "Loader",
        "vin": "WDB9066331S123456",
        "make": "",
        "model": "",
        "year": 2019,
        "plate": "",
        "distance_unit": "km",
        "tracks_engine_hours": True,
        "powertrain": "combustion",
        "notes": "",
        "archived": False,
        "device_id": "",
        "odometer": 5000,
        "engine_hours": 100.5,
    }
    assert listed[1]["odometer"] is None and listed[1]["engine_hours"] is None


def test_readings_are_listed_newest_first(api, loader, clock):
    clock.shift(timedelta(days=1))
    vehicles.reading_record(vehicle=loader, odometer=5_100, confirm_jump=True)
    listed = items(api, f"/api/v1/vehicles/{loader.pk}/readings")
    assert [(r["odometer"], r["engine_hours"]) for r in listed] == [(5100, None), (5000, 100.5)]
    assert listed[1] == {
        "id": listed[1]["id"],
        "odometer": 5000,
        "engine_hours": 100.5,
        "recorded_at": "2030-06-15T10:00:00.250Z",
        "source": "manual",
        "is_correction": False,
        "voided_at": None,
        "void_reason": "",
    }


def test_pages_of_vehicles_and_readings_cost_the_same_statements_at_any_length(api, org):
    def add(count: int, start: int) -> Vehicle:
        for number in range(start, start + count):
            van = vehicles.vehicle_create(org=org, label=f"Van {number}", vehicle_key=f"V{number}")
            vehicles.reading_record(vehicle=van, odometer=number, confirm_jump=True)
        return van

    first = add(2, 0)
    few = (
        statements(api, "/api/v1/vehicles"),
        statements(api, f"/api/v1/vehicles/{first.pk}/readings"),
    )
    add(20, 2)
    for number in range(10):
        vehicles.reading_record(vehicle=first, odometer=100 + number, confirm_jump=True)
    assert len(items(api, "/api/v1/vehicles")) == 22
    many = (
        statements(api, "/api/v1/vehicles"),
        statements(api, f"/api/v1/vehicles/{first.pk}/readings"),
    )
    assert many == few


# --- intervals ------------------------------------------------------------------------


def test_intervals_are_listed_with_their_state(api, loader, clock):
    due = intervals.interval_create(vehicle=loader, odometer=5_000, name="Oil")
    later = intervals.interval_create(
        vehicle=loader, time=NOW + timedelta(days=90), name="Inspection", notes="TÜV"
    )
    listed = assert_each_item_reads_alone(api, "/api/v1/intervals", "/api/v1/intervals/{id}")
    assert [(i["id"], i["maintenance_required"]) for i in listed] == [
        (due.pk, True),
        (later.pk, False),
    ]
    assert listed[1]["service_at_mileage"] is None
    assert listed[1]["service_at_date"] == "2030-09-13T10:00:00.250Z"
    assert listed[1]["preset"] is None and listed[1]["notes"] == "TÜV"
    by_vehicle = items(api, f"/api/v1/vehicles/{loader.pk}/intervals")
    assert by_vehicle == [listed[0], listed[1]]
    assert items(api, "/api/v1/intervals?maintenance_required=false") == [listed[1]]


def test_a_page_of_intervals_costs_the_same_statements_at_any_length(api, loader):
    intervals.interval_create(vehicle=loader, odometer=9_000)
    few = (
        statements(api, "/api/v1/intervals"),
        statements(api, f"/api/v1/vehicles/{loader.pk}/intervals"),
    )
    for number in range(12):
        intervals.interval_create(vehicle=loader, odometer=10_000 + number)
    many = (
        statements(api, "/api/v1/intervals"),
        statements(api, f"/api/v1/vehicles/{loader.pk}/intervals"),
    )
    assert many == few


# --- contracts ------------------------------------------------------------------------


def make_contract(vehicle: Vehicle, number: str, **values):
    values = {
        "contract_type": "service_plan",
        "number": number,
        "start_date": "2030-01-01",
        **values,
    }
    return contracts.contract_create(vehicle=vehicle, data=ContractInput(**values))


def test_contracts_are_listed_with_their_documents(api, loader):
    plan = make_contract(loader, "SP-1", price="1234.50", end_date="2031-12-31")
    contracts.document_attach(contract=plan, upload=SimpleUploadedFile("terms.pdf", PDF))
    contracts.document_attach(contract=plan, upload=SimpleUploadedFile("annex.pdf", PDF))
    open_ended = make_contract(loader, "SP-2", distance_limit=50_000)
    url = f"/api/v1/vehicles/{loader.pk}/contracts"
    # In the databases' order of an unknown end date: last on PostgreSQL, first on SQLite.
    listed = sorted(assert_each_item_reads_alone(api, url, url + "/{id}"), key=lambda c: c["id"])
    assert [c["id"] for c in listed] == [plan.pk, open_ended.pk]
    assert listed[0]["price"] == 1234.5 and listed[0]["end_date"] == "2031-12-31"
    assert listed[0]["documents"] == ["annex.pdf", "terms.pdf"]
    assert listed[1]["price"] is None and listed[1]["end_date"] is None
    assert listed[1]["ends_at_odometer"] == 55_000
    assert list(listed[0]) == list(api.get(f"{url}/{plan.pk}").json())


def test_a_list_of_contracts_costs_the_same_statements_at_any_length(api, loader):
    url = f"/api/v1/vehicles/{loader.pk}/contracts"
    make_contract(loader, "C-0")
    few = statements(api, url)
    for number in range(1, 8):
        contract = make_contract(loader, f"C-{number}")
        contracts.document_attach(contract=contract, upload=SimpleUploadedFile("d.pdf", PDF))
    assert statements(api, url) == few


# --- quotes and orders ----------------------------------------------------------------


@pytest.fixture
def garage(org):
    return make_servicer(
        "Garage",
        [ServiceType.SCHEDULED_MAINTENANCE],
        [("oil", "Oil change", "89.90", 45), ("brakes", "Brake pads", "210.00", 90)],
        fleets=(org,),
    )


def place(org, vehicle, garage, status: str = OrderStatus.PENDING):
    return make_order(
        status,
        org=org,
        vehicle=vehicle,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        code="oil",
        pre_authorized=Decimal("50.00"),
    )


def test_quotes_are_listed_as_read_alone_and_expire_when_past_valid_until(
    api, org, loader, garage, clock
):
    quote = quotes.quote_create(
        org=org,
        vehicle=loader,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code="oil", quantity=2), quotes.ItemRequest(code="brakes")],
        pre_authorized=Decimal("0"),
    )
    place(org, loader, garage)
    listed = assert_each_item_reads_alone(api, "/api/v1/quotes", "/api/v1/quotes/{id}")
    item = next(q for q in listed if q["id"] == quote.pk)
    assert item["total"] == "389.80" and item["order_id"] is None
    assert item["items"][0] == {
        "code": "oil",
        "name": "Oil change",
        "quantity": 2,
        "unit_price": "89.90",
        "total": "179.80",
        "covered_by": None,
    }
    assert item["vehicle"] == {
        "id": loader.pk,
        "label": "Loader",
        "vehicle_key": "LOAD-1",
        "vin": "WDB9066331S123456",
    }
    clock.shift(timedelta(days=30))
    assert {q["status"] for q in items(api, "/api/v1/quotes")} == {"expired", "accepted"}


def test_orders_are_listed_as_read_alone(api, org, loader, garage):
    place(org, loader, garage)
    place(org, loader, garage, OrderStatus.IN_PROGRESS)
    listed = assert_each_item_reads_alone(api, "/api/v1/orders", "/api/v1/orders/{id}")
    assert [o["status"] for o in listed] == ["in-progress", "pending"]
    assert listed[0]["total"] == "89.90" and listed[0]["preAuthorized"] == "50.00"
    assert listed[1]["acceptedAt"] is None and listed[1]["issues"] == []


def test_pages_of_quotes_and_orders_cost_the_same_statements_at_any_length(
    api, org, loader, garage
):
    place(org, loader, garage, OrderStatus.IN_PROGRESS)
    few = statements(api, "/api/v1/quotes"), statements(api, "/api/v1/orders")
    for _ in range(6):
        order = place(org, loader, garage, OrderStatus.IN_PROGRESS)
        orders.issue_report(order=order, description="Worn belt", cost=Decimal("20.00"))
    many = statements(api, "/api/v1/quotes"), statements(api, "/api/v1/orders")
    assert many == few
