"""``?changed_since=<cursor>`` on the lists: a client syncs every changed row exactly once."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.api import changes
from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.intervals import services as intervals
from fleetmaint.orders.models import OrderStatus, Servicer, ServiceType
from fleetmaint.sweeps import sweep_dates
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.orders.api_support import make_order, make_servicer

NOW = datetime(2030, 6, 15, 10, 0, 0, 250_000, tzinfo=UTC)
LATER = changes.SETTLE + timedelta(seconds=1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sync(client: Client, url: str, cursor: str = "0", limit: int = 2) -> tuple[list[dict], str]:
    """Every item changed after ``cursor``, page by page; and the cursor to keep."""
    seen: list[dict] = []
    joiner = "&" if "?" in url else "?"
    for _ in range(100):
        response = client.get(f"{url}{joiner}changed_since={cursor}&limit={limit}")
        assert response.status_code == 200, response.content
        body = response.json()
        seen += body["items"]
        assert body["next_cursor"]
        if not body["items"]:
            return seen, cursor
        assert body["count"] >= len(body["items"])
        cursor = body["next_cursor"]
    raise AssertionError("The sync did not end.")


def ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def make_task(vehicle: Vehicle, number: int):
    return tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(
            description=f"Task {number}",
            conditions=Conditions(date={"end": NOW + timedelta(days=30 + number)}),
        ),
    )


def make_contract(vehicle: Vehicle, number: int):
    return contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="service_plan", number=f"SP-{number}", start_date="2030-01-01"
        ),
    )


LISTS = {
    "vehicles": "/api/v1/vehicles",
    "readings": "/api/v1/vehicles/{vehicle}/readings",
    "tasks": "/api/v1/tasks",
    "intervals": "/api/v1/intervals",
    "contracts": "/api/v1/vehicles/{vehicle}/contracts",
    "orders": "/api/v1/orders",
}


def make(kind: str, vehicle: Vehicle, number: int) -> int:
    if kind == "vehicles":
        made = vehicles.vehicle_create(
            org=vehicle.org, label=f"V{number}", vehicle_key=f"K{number}"
        )
    elif kind == "readings":
        made = vehicles.reading_record(vehicle=vehicle, odometer=1_000 + number)
    elif kind == "tasks":
        made = make_task(vehicle, number)
    elif kind == "intervals":
        made = intervals.interval_create(vehicle=vehicle, odometer=50_000 + number)
    elif kind == "contracts":
        made = make_contract(vehicle, number)
    else:
        made = make_order(
            OrderStatus.PENDING,
            org=vehicle.org,
            vehicle=vehicle,
            servicer=garage(vehicle),
            service_type=ServiceType.SCHEDULED_MAINTENANCE,
            code="oil",
        )
    return made.pk


def garage(vehicle: Vehicle) -> Servicer:
    return Servicer.objects.filter(name="Garage").first() or make_servicer(
        "Garage",
        [ServiceType.SCHEDULED_MAINTENANCE],
        [("oil", "Oil change", "89.90", 45)],
        fleets=(vehicle.org,),
    )


def change(client: Client, kind: str, vehicle: Vehicle, pk: int) -> None:
    """One change of the row ``pk`` through the API."""
    if kind == "vehicles":
        url, body = f"/api/v1/vehicles/{pk}", {"notes": "moved"}
    elif kind == "readings":
        url, body = f"/api/v1/vehicles/{vehicle.pk}/readings/{pk}/void", {"reason": "typo"}
    elif kind == "tasks":
        url, body = f"/api/v1/tasks/{pk}/done", {}
    elif kind == "intervals":
        url, body = f"/api/v1/intervals/{pk}", {"notes": "moved"}
    elif kind == "contracts":
        url, body = f"/api/v1/vehicles/{vehicle.pk}/contracts/{pk}/cancel", {"reason": "sold"}
    else:
        url, body = f"/api/v1/orders/{pk}/cancel", {"reason": "sold"}
    method = client.patch if kind in ("vehicles", "intervals") else client.post
    response = method(url, json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("kind", LISTS)
def test_a_sync_reads_every_changed_row_once_and_then_only_what_changed(api, vehicle, kind, clock):
    url = LISTS[kind].format(vehicle=vehicle.pk)
    made = [make(kind, vehicle, number) for number in range(5)]
    clock.shift(LATER)

    first, cursor = sync(api, url)
    assert sorted(ids(first)) == sorted(set(ids(first)))
    assert set(made) <= set(ids(first))
    # Each item is the list's own item.
    plain = {item["id"]: item for item in api.get(f"{url}?limit=100").json()["items"]}
    assert all(item == plain[item["id"]] for item in first)

    assert sync(api, url, cursor) == ([], cursor)

    change(api, kind, vehicle, made[1])
    new = make(kind, vehicle, 9)
    clock.shift(LATER)
    second, _ = sync(api, url, cursor)
    assert ids(second) == [made[1], new]


def test_rows_changed_in_the_last_seconds_wait_for_the_next_call(api, vehicle, clock):
    clock.shift(LATER)
    seen, cursor = sync(api, "/api/v1/vehicles")
    assert ids(seen) == [vehicle.pk]
    truck = vehicles.vehicle_create(org=vehicle.org, label="Truck", vehicle_key="T1")

    assert sync(api, "/api/v1/vehicles", cursor) == ([], cursor)
    clock.shift(LATER)
    assert ids(sync(api, "/api/v1/vehicles", cursor)[0]) == [truck.pk]


def test_rows_changed_at_the_same_moment_are_paged_by_id(api, org, clock):
    made = [make("vehicles", Vehicle(org=org), n) for n in range(7)]
    clock.shift(LATER)

    seen, _ = sync(api, "/api/v1/vehicles", limit=3)

    assert ids(seen) == sorted(made)


def test_the_list_filters_still_hold(api, vehicle, clock):
    make("vehicles", vehicle, 1)
    archived = make("vehicles", vehicle, 2)
    Vehicle.objects.filter(pk=archived).update(archived=True)
    clock.shift(LATER)

    seen, _ = sync(api, "/api/v1/vehicles?archived=true")

    assert ids(seen) == [archived]


def test_another_fleets_changes_are_not_read(api, vehicle, other_org, clock):
    vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="T9")
    clock.shift(LATER)

    assert ids(sync(api, "/api/v1/vehicles")[0]) == [vehicle.pk]


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "MQ", "bm90fGEgY3Vyc29y", changes.encode(NOW, 1).replace("M", "Q"), "%00"],
)
def test_a_bad_cursor_is_refused_naming_the_parameter(api, vehicle, cursor):
    for url in ("/api/v1/vehicles", "/api/v1/tasks", f"/api/v1/vehicles/{vehicle.pk}/readings"):
        response = api.get(f"{url}?changed_since={cursor}")

        assert response.status_code == 400, (url, response.content)
        assert response.json()["field"] == "changed_since"


def test_a_cursor_holds_its_moment_and_id():
    assert changes.decode(changes.encode(NOW, 42)) == (NOW, 42)
    assert changes.decode("0") is None


def statements(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("kind", LISTS)
def test_a_page_of_changes_costs_the_same_statements_for_3_or_30_rows(api, vehicle, kind, clock):
    url = LISTS[kind].format(vehicle=vehicle.pk) + "?changed_since=0&limit=100"
    for number in range(3):
        make(kind, vehicle, number)
    clock.shift(LATER)
    few = statements(api, url)
    for number in range(3, 30):
        make(kind, vehicle, number)
    with time_machine.travel(NOW + 2 * LATER, tick=False):
        assert len(api.get(url).json()["items"]) >= 30
        assert statements(api, url) == few


def test_a_status_moved_by_a_reading_or_the_calendar_is_a_change(api, vehicle, clock):
    vehicles.reading_record(vehicle=vehicle, odometer=1_000)
    task = tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(description="Oil", conditions=Conditions(mileage={"limit": 500})),
    )
    interval = intervals.interval_create(vehicle=vehicle, odometer=1_400)
    contract = contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="manufacturer_warranty",
            number="W-1",
            start_date="2030-01-01",
            end_date="2030-06-20",
        ),
    )
    clock.shift(LATER)
    cursors = {
        kind: sync(api, LISTS[kind].format(vehicle=vehicle.pk))[1]
        for kind in ("tasks", "intervals", "contracts")
    }

    clock.shift(timedelta(days=6))
    vehicles.reading_record(vehicle=vehicle, odometer=1_600)
    sweep_dates()
    clock.shift(LATER)

    for kind, expected in (("tasks", task), ("intervals", interval), ("contracts", contract)):
        moved, _ = sync(api, LISTS[kind].format(vehicle=vehicle.pk), cursors[kind])
        assert ids(moved) == [expected.pk], kind
    assert moved[0]["status"] == "expired"


def test_a_serviced_interval_is_a_change_of_the_list_of_all(api, vehicle, clock):
    vehicles.reading_record(vehicle=vehicle, odometer=1_000)
    interval = intervals.interval_create(vehicle=vehicle, odometer=1_400)
    clock.shift(LATER)
    _, cursor = sync(api, "/api/v1/intervals?status=all")

    serviced = api.post(
        f"/api/v1/intervals/{interval.pk}/serviced", "{}", content_type="application/json"
    )
    assert serviced.status_code == 200, serviced.content
    clock.shift(LATER)

    moved, _ = sync(api, "/api/v1/intervals?status=all", cursor)
    assert interval.pk in ids(moved)
    assert next(i for i in moved if i["id"] == interval.pk)["serviced_at"] is not None
