"""The JSON API for service tasks, as an integration sees it."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services as accounts
from fleetmaint.notifications.models import Event
from fleetmaint.tasks import services
from fleetmaint.tasks.models import ServiceTask, Status, TaskFile
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests import hostile
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock", "media")

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def post(client: Client, url: str, body=None):
    """A JSON POST; without a body, an empty one, as a client with nothing to say sends."""
    data = "" if body is None else json.dumps(body)
    return client.post(url, data, content_type="application/json")


def put(client: Client, url: str, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """An error in the API's envelope: exactly code, message and field."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def read_only_api(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def read(vehicle: Vehicle, odometer=None, engine_hours=None):
    return vehicles.reading_record(
        vehicle=vehicle, odometer=odometer, engine_hours=engine_hours, confirm_jump=True
    )


@pytest.fixture
def van(vehicle) -> Vehicle:
    """The fleet's van at 10,000 km."""
    read(vehicle, odometer=10_000)
    return vehicle


@pytest.fixture
def loader(org) -> Vehicle:
    truck = vehicles.vehicle_create(
        org=org, label="Loader", vehicle_key="LOAD-1", tracks_engine_hours=True
    )
    read(truck, odometer=5_000, engine_hours=100)
    return truck


@pytest.fixture
def their_van(other_org) -> Vehicle:
    pickup = vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")
    read(pickup, odometer=1_000)
    return pickup


def make(vehicle: Vehicle, description: str = "Oil change", **fields) -> ServiceTask:
    """A task through the service; an end before NOW is confirmed as already overdue."""
    conditions = fields.pop("conditions", Conditions(mileage={"limit": 1_000}))
    if conditions.date is not None and conditions.date.end < NOW:
        fields.setdefault("already_overdue", True)
    return services.task_create(
        vehicle=vehicle,
        data=TaskInput(description=description, conditions=conditions, **fields),
    )


def body(**overrides) -> dict:
    task = {
        "description": "Oil change",
        "comment": "5W-30",
        "cost": 120.5,
        "repeat": True,
        "unplanned": False,
        "conditions": {
            "mileage": {"limit": 5_000, "notification_interval": 500, "repeat_interval": 6_000},
            "date": {
                "end": "2030-12-15T10:00:00Z",
                "notification_interval": 14,
                "repeat_interval": None,
            },
        },
        "notifications": {
            "sms_phones": ["4915112345678"],
            "emails": ["fleet@example.com"],
            "push_enabled": True,
        },
        "file_ids": [],
    }
    task.update(overrides)
    return task


# --- authentication, roles, tenancy ---------------------------------------------------


def test_a_request_without_a_key_is_401(db):
    assert_error(Client().get("/api/v1/tasks"), 401, "unauthorized")


def test_a_read_only_key_reads_but_cannot_write(read_only_api, van):
    task = make(van)
    assert read_only_api.get("/api/v1/tasks").status_code == 200
    assert read_only_api.get(f"/api/v1/tasks/{task.pk}").status_code == 200
    assert read_only_api.get(f"/api/v1/tasks/{task.pk}/files").status_code == 200
    url = f"/api/v1/tasks/{task.pk}"
    writes = [
        post(read_only_api, "/api/v1/tasks", {**body(), "vehicle_id": van.pk}),
        post(read_only_api, "/api/v1/tasks/batch", {"vehicle_ids": [van.pk], "task": body()}),
        put(read_only_api, url, body()),
        read_only_api.delete(url),
        post(read_only_api, f"{url}/done"),
        read_only_api.post(f"{url}/files", {"file": SimpleUploadedFile("a.pdf", PDF)}),
        read_only_api.delete(f"{url}/files/1"),
    ]
    for response in writes:
        assert_error(response, 403, "forbidden")
    assert ServiceTask.objects.get().status == Status.CREATED
    assert ServiceTask.objects.count() == 1
    assert not TaskFile.objects.exists()


def test_another_fleets_tasks_are_404_and_unlisted(other_api, van, their_van):
    task = make(van)
    url = f"/api/v1/tasks/{task.pk}"
    assert other_api.get("/api/v1/tasks").json() == {"count": 0, "items": []}
    assert_error(other_api.get(url), 404, "not_found", "task_id")
    assert_error(put(other_api, url, body()), 404, "not_found", "task_id")
    assert_error(other_api.delete(url), 404, "not_found", "task_id")
    assert_error(post(other_api, f"{url}/done"), 404, "not_found", "task_id")
    assert_error(other_api.get(f"{url}/files"), 404, "not_found", "task_id")
    upload = SimpleUploadedFile("a.pdf", PDF)
    assert_error(other_api.post(f"{url}/files", {"file": upload}), 404, "not_found", "task_id")
    assert ServiceTask.objects.get(pk=task.pk).status == Status.CREATED
    assert not TaskFile.objects.exists()


def test_a_task_cannot_be_created_on_another_fleets_vehicle(api, their_van):
    response = post(api, "/api/v1/tasks", {**body(), "vehicle_id": their_van.pk})
    assert_error(response, 404, "not_found", "vehicle_id")
    assert not ServiceTask.objects.exists()


def test_a_file_that_is_not_there_is_not_found(api, van):
    payload = {**body(conditions={"mileage": {"limit": 10}}), "vehicle_id": van.pk}
    response = post(api, "/api/v1/tasks", {**payload, "file_ids": [123456]})
    assert_error(response, 404, "not_found", "file_ids")
    assert not ServiceTask.objects.exists()


def test_another_fleets_file_cannot_be_attached_or_removed(api, org, other_org, van, their_van):
    theirs = services.file_upload(org=other_org, upload=SimpleUploadedFile("theirs.pdf", PDF))
    response = post(api, "/api/v1/tasks", {**body(), "vehicle_id": van.pk, "file_ids": [theirs.pk]})
    assert_error(response, 404, "not_found", "file_ids")
    task = make(van)
    assert_error(
        api.delete(f"/api/v1/tasks/{task.pk}/files/{theirs.pk}"), 404, "not_found", "file_id"
    )
    assert TaskFile.objects.filter(pk=theirs.pk).exists()


# --- create and read ------------------------------------------------------------------


def test_it_creates_a_task_and_returns_it_whole(api, van):
    response = post(api, "/api/v1/tasks", {**body(), "vehicle_id": van.pk})
    assert response.status_code == 201, response.content
    task = ServiceTask.objects.get()
    assert response.json() == {
        "id": task.pk,
        "vehicle_id": van.pk,
        "vehicle_label": "Van 1",
        "description": "Oil change",
        "comment": "5W-30",
        "cost": 120.5,
        "repeat": True,
        "unplanned": False,
        "status": "created",
        "status_condition": None,
        "conditions": {
            "mileage": {"limit": 5000, "notification_interval": 500, "repeat_interval": 6000},
            "date": {
                "end": "2030-12-15T10:00:00Z",
                "notification_interval": 14,
                "repeat_interval": None,
            },
            "engine_hours": None,
        },
        "notifications": {
            "sms_phones": ["+4915112345678"],
            "emails": ["fleet@example.com"],
            "push_enabled": True,
        },
        "start": {"mileage": 10_000, "date": "2030-06-15T10:00:00Z", "engine_hours": None},
        "completion": None,
        "completion_date": None,
        "current_position": {
            "mileage": 10_000,
            "date": "2030-06-15T10:00:00Z",
            "engine_hours": None,
        },
        "prediction": {"end_date": "2030-12-15T10:00:00Z", "wear_percentage": 0},
        "file_ids": [],
        "created_at": "2030-06-15T10:00:00Z",
        "updated_at": "2030-06-15T10:00:00Z",
    }
    assert api.get(f"/api/v1/tasks/{task.pk}").json() == response.json()


def test_a_new_task_already_in_its_reminder_window_is_notified(api, vehicle):
    response = post(
        api,
        "/api/v1/tasks",
        {
            "vehicle_id": vehicle.pk,
            "description": "Inspection",
            "conditions": {"date": {"end": "2030-06-17 12:00:00", "notification_interval": 3}},
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["status_condition"]) == ("notified", "date")
    # Without an offset, in the fleet's time zone (Europe/Berlin, UTC+2 in June).
    assert data["conditions"]["date"]["end"] == "2030-06-17T10:00:00Z"
    assert Event.objects.filter(name="task.notified").count() == 1


def test_engine_hours_are_shown_as_numbers(api, loader):
    response = post(
        api,
        "/api/v1/tasks",
        {
            "vehicle_id": loader.pk,
            "description": "Hydraulics",
            "conditions": {"engine_hours": {"limit": "250.5", "notification_interval": 10}},
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["conditions"]["engine_hours"] == {
        "limit": 250.5,
        "notification_interval": 10.0,
        "repeat_interval": None,
    }
    assert data["start"] == {
        "mileage": 5_000,
        "date": "2030-06-15T10:00:00Z",
        "engine_hours": 100.0,
    }
    assert data["current_position"]["engine_hours"] == 100.0


def test_engine_hours_on_a_vehicle_without_them_are_refused(api, van):
    response = post(
        api,
        "/api/v1/tasks",
        {"vehicle_id": van.pk, "description": "X", "conditions": {"engine_hours": {"limit": 5}}},
    )
    assert_error(response, 400, "engine_hours_not_tracked", "conditions.engine_hours")
    assert not ServiceTask.objects.exists()


def test_a_mileage_condition_without_an_odometer_reading_is_refused(api, vehicle):
    response = post(
        api,
        "/api/v1/tasks",
        {"vehicle_id": vehicle.pk, "description": "X", "conditions": {"mileage": {"limit": 5}}},
    )
    assert_error(response, 400, "meter_missing", "conditions.mileage")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"conditions": {}}, "conditions"),
        ({"conditions": {"mileage": {"limit": "ten"}}}, "conditions.mileage.limit"),
        ({"conditions": {"mileage": {"limit": 10.5}}}, "conditions.mileage.limit"),
        (
            {"conditions": {"mileage": {"limit": 10, "notification_interval": -1}}},
            "conditions.mileage.notification_interval",
        ),
        ({"conditions": {"date": {"end": "tomorrow"}}}, "conditions.date.end"),
        ({"conditions": {"date": {"end": 12}}}, "conditions.date.end"),
        ({"cost": "a lot"}, "cost"),
        ({"cost": [1]}, "cost"),
        ({"repeat": "yes"}, "repeat"),
        ({"description": 42}, "description"),
        ({"description": ""}, "description"),
        ({"comment": "x" * 256}, "comment"),
        ({"notifications": {"emails": "fleet@example.com"}}, "notifications.emails"),
        ({"notifications": {"emails": ["nobody"]}}, "notifications.emails"),
        ({"notifications": {"push_enabled": "on"}}, "notifications.push_enabled"),
        ({"file_ids": "1,2"}, "file_ids"),
    ],
)
def test_wrong_values_get_the_services_message_naming_the_field(api, van, change, field):
    payload = {**body(conditions={"mileage": {"limit": 10}}), "vehicle_id": van.pk, **change}
    assert_error(post(api, "/api/v1/tasks", payload), 400, "invalid", field)
    assert not ServiceTask.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"vehicle_id": None, "conditions": {"mileage": {"limit": 1}}}, "vehicle_id"),
        ({"vehicle_id": "van", "description": "X"}, "vehicle_id"),
        ({"conditions": {"mileage": "far"}}, "conditions.mileage"),
        ({"conditions": []}, "conditions"),
        ({"conditions": {"date": {"end": "2031-01-01"}}, "notifications": "all"}, "notifications"),
    ],
)
def test_a_malformed_body_is_400_with_the_field(api, van, payload, field):
    response = post(api, "/api/v1/tasks", {"vehicle_id": van.pk, **payload})
    assert_error(response, 400, "invalid", field)


def test_a_body_that_is_not_json_is_400(api, van):
    response = api.post("/api/v1/tasks", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- list -----------------------------------------------------------------------------


@pytest.fixture
def fleet(org, van, loader, clock):
    """Four tasks on two vehicles in every open status, and one done."""
    read(van, odometer=10_000)
    soon = make(
        van,
        "Brake pads",
        conditions=Conditions(date={"end": NOW + timedelta(days=2), "notification_interval": 5}),
        cost="300",
    )
    later = make(
        van,
        "Annual inspection",
        conditions=Conditions(date={"end": NOW + timedelta(days=200)}),
        comment="TÜV appointment",
        cost="80",
    )
    past = make(
        loader,
        "Hydraulic oil",
        conditions=Conditions(date={"end": NOW - timedelta(days=1)}),
        unplanned=True,
        cost="45.50",
    )
    no_date = make(loader, "Tyres", conditions=Conditions(mileage={"limit": 40_000}), cost="900")
    done = make(van, "Wipers", conditions=Conditions(date={"end": NOW + timedelta(days=20)}))
    services.task_mark_done(task=done)
    return {"soon": soon, "later": later, "past": past, "no_date": no_date, "done": done}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_list_is_ordered_by_predicted_date_with_unknown_dates_last(api, fleet):
    response = api.get("/api/v1/tasks")
    assert response.json()["count"] == 5
    assert ids(response) == [
        fleet["past"].pk,
        fleet["soon"].pk,
        fleet["later"].pk,
        fleet["no_date"].pk,
        fleet["done"].pk,
    ]


def test_the_list_filters_by_status(api, fleet):
    assert ids(api.get("/api/v1/tasks?status=expired")) == [fleet["past"].pk]
    assert ids(api.get("/api/v1/tasks?status=notified&status=done")) == [
        fleet["soon"].pk,
        fleet["done"].pk,
    ]
    assert_error(api.get("/api/v1/tasks?status=late"), 400, "invalid", "status.0")


def test_the_list_filters_by_vehicle_and_by_unplanned(api, fleet, van, loader):
    assert set(ids(api.get(f"/api/v1/tasks?vehicle_id={loader.pk}"))) == {
        fleet["past"].pk,
        fleet["no_date"].pk,
    }
    both = api.get(f"/api/v1/tasks?vehicle_id={loader.pk}&vehicle_id={van.pk}")
    assert both.json()["count"] == 5
    assert ids(api.get("/api/v1/tasks?unplanned=true")) == [fleet["past"].pk]
    assert api.get("/api/v1/tasks?unplanned=false").json()["count"] == 4


def test_a_vehicle_of_another_fleet_filters_to_nothing(api, fleet, their_van):
    assert api.get(f"/api/v1/tasks?vehicle_id={their_van.pk}").json()["count"] == 0


@pytest.mark.parametrize(
    ("term", "expected"),
    [("brake", ["soon"]), ("tüv", ["later"]), ("loader", ["past", "no_date"]), ("none", [])],
)
def test_the_list_searches_description_comment_and_vehicle(api, fleet, term, expected):
    assert ids(api.get("/api/v1/tasks", {"search": term})) == [fleet[n].pk for n in expected]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (["cost=desc"], ["no_date", "soon", "later", "past", "done"]),
        (["cost=asc"], ["done", "past", "later", "soon", "no_date"]),
        (["description=asc"], ["later", "soon", "past", "no_date", "done"]),
        (["id=desc"], ["done", "no_date", "past", "later", "soon"]),
        (["vehicle=asc", "cost=asc"], ["past", "no_date", "done", "later", "soon"]),
        (["vehicle=desc", "id=asc"], ["soon", "later", "done", "past", "no_date"]),
        (["status=asc", "id=asc"], ["later", "no_date", "soon", "past", "done"]),
        (["status=desc", "id=asc"], ["done", "past", "soon", "later", "no_date"]),
        (["predicted_date=desc"], ["later", "soon", "past", "no_date", "done"]),
    ],
)
def test_the_list_sorts(api, fleet, sort, expected):
    assert ids(api.get("/api/v1/tasks", {"sort": sort})) == [fleet[n].pk for n in expected]


@pytest.mark.parametrize("sort", ["colour=asc", "cost=sideways", "cost;drop"])
def test_an_unknown_sort_is_400(api, fleet, sort):
    body = assert_error(api.get("/api/v1/tasks", {"sort": sort}), 400, "invalid", "sort")
    assert "predicted_date" in body["message"]


def test_the_list_is_paged(api, fleet):
    page = api.get("/api/v1/tasks?limit=2&offset=1").json()
    assert page["count"] == 5
    assert [item["id"] for item in page["items"]] == [fleet["soon"].pk, fleet["later"].pk]
    assert api.get("/api/v1/tasks?offset=10").json() == {"count": 5, "items": []}
    assert_error(api.get("/api/v1/tasks?limit=0"), 400, "invalid", "limit")
    assert_error(api.get("/api/v1/tasks?offset=-1"), 400, "invalid", "offset")


def test_the_list_shows_each_tasks_files_and_wear(api, org, fleet, van, clock):
    shared = services.file_upload(org=org, upload=SimpleUploadedFile("a.pdf", PDF))
    services.task_attach(task=fleet["later"], files=[shared])
    item = next(i for i in api.get("/api/v1/tasks").json()["items"] if i["id"] == fleet["later"].pk)
    assert item["file_ids"] == [shared.pk]
    clock.shift(timedelta(days=50))
    item = api.get(f"/api/v1/tasks/{fleet['later'].pk}").json()
    assert item["prediction"]["wear_percentage"] == 25
    done = api.get(f"/api/v1/tasks/{fleet['done'].pk}").json()
    assert done["completion"] == {
        "mileage": 10_000,
        "date": "2030-06-15T10:00:00Z",
        "engine_hours": None,
    }
    assert done["completion_date"] == "2030-06-15T10:00:00Z"


def list_queries(client: Client) -> int:
    client.get("/api/v1/tasks")  # the key's first use of the minute is recorded
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/tasks?limit=100")
    assert response.status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_tasks(api, org, van, loader):
    shared = services.file_upload(org=org, upload=SimpleUploadedFile("a.pdf", PDF))

    def add(count: int) -> None:
        for number in range(count):
            make(
                van if number % 2 else loader,
                f"Task {number}",
                conditions=Conditions(
                    mileage={"limit": 1_000 + number},
                    date={"end": NOW + timedelta(days=number + 1)},
                ),
                file_ids=[shared.pk],
            )

    add(3)
    few = list_queries(api)
    add(27)
    assert api.get("/api/v1/tasks?limit=100").json()["count"] == 30
    assert list_queries(api) == few


# --- update ---------------------------------------------------------------------------


def test_put_replaces_the_task_and_follows_the_new_conditions(api, van):
    task = make(van, conditions=Conditions(mileage={"limit": 1_000, "notification_interval": 100}))
    read(van, odometer=van.odometer + 20)
    changed = body(
        description="Oil and filter",
        cost="99.90",
        repeat=False,
        conditions={"mileage": {"limit": 50, "notification_interval": 40}},
        notifications={"sms_phones": [], "emails": [], "push_enabled": False},
    )
    response = put(api, f"/api/v1/tasks/{task.pk}", changed)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["description"] == "Oil and filter"
    assert (data["cost"], data["repeat"], data["comment"]) == (99.9, False, "5W-30")
    assert data["conditions"] == {
        "mileage": {"limit": 50, "notification_interval": 40, "repeat_interval": None},
        "date": None,
        "engine_hours": None,
    }
    assert (data["status"], data["status_condition"]) == ("notified", "mileage")
    assert data["notifications"] == {"sms_phones": [], "emails": [], "push_enabled": False}


def test_put_with_a_raised_limit_reopens_the_task(api, van):
    task = make(van, conditions=Conditions(mileage={"limit": 1_000, "notification_interval": 100}))
    read(van, odometer=10_950)
    assert ServiceTask.objects.get().status == Status.NOTIFIED
    response = put(
        api,
        f"/api/v1/tasks/{task.pk}",
        body(conditions={"mileage": {"limit": 3_000, "notification_interval": 100}}),
    )
    assert response.json()["status"] == "created"
    assert ServiceTask.objects.get().cycle == 2


def test_put_cannot_move_a_task_to_another_vehicle(api, van, loader):
    task = make(van)
    response = put(api, f"/api/v1/tasks/{task.pk}", {**body(), "vehicle_id": loader.pk})
    assert_error(response, 400, "invalid", "vehicle_id")
    same = put(api, f"/api/v1/tasks/{task.pk}", {**body(), "vehicle_id": van.pk})
    assert same.status_code == 200, same.content


def test_put_on_a_done_task_is_a_conflict(api, van):
    task = make(van)
    services.task_mark_done(task=task)
    assert_error(put(api, f"/api/v1/tasks/{task.pk}", body()), 409, "conflict", "status")


def test_put_with_wrong_values_changes_nothing(api, van):
    task = make(van)
    response = put(api, f"/api/v1/tasks/{task.pk}", body(cost=-5))
    assert_error(response, 400, "invalid", "cost")
    assert ServiceTask.objects.get().description == "Oil change"


# --- delete ---------------------------------------------------------------------------


def test_delete_removes_the_task(api, van):
    task = make(van)
    response = api.delete(f"/api/v1/tasks/{task.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not ServiceTask.objects.exists()
    assert_error(api.get(f"/api/v1/tasks/{task.pk}"), 404, "not_found", "task_id")


# --- done -----------------------------------------------------------------------------


def test_done_returns_the_task_and_its_successor(api, van):
    task = make(
        van, conditions=Conditions(mileage={"limit": 1_000, "repeat_interval": 2_000}), repeat=True
    )
    response = post(api, f"/api/v1/tasks/{task.pk}/done", {"odometer": 10_400})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["task"]["status"] == "done"
    assert data["task"]["completion"] == {
        "mileage": 10_400,
        "date": "2030-06-15T10:00:00Z",
        "engine_hours": None,
    }
    assert data["task"]["prediction"]["wear_percentage"] == 40
    successor = data["next"]
    assert successor["status"] == "created"
    assert successor["start"]["mileage"] == 10_400
    assert successor["conditions"]["mileage"]["limit"] == 2_000

    again = post(api, f"/api/v1/tasks/{task.pk}/done")
    assert again.status_code == 200
    assert again.json()["next"]["id"] == successor["id"]
    assert again.json()["task"]["completion"]["mileage"] == 10_400
    assert ServiceTask.objects.count() == 2


def test_done_without_a_body_uses_the_vehicles_meters(api, loader):
    task = make(loader, conditions=Conditions(engine_hours={"limit": 50}))
    read(loader, engine_hours=Decimal("120.5"))
    data = post(api, f"/api/v1/tasks/{task.pk}/done").json()
    assert data["next"] is None
    assert data["task"]["completion"]["engine_hours"] == 120.5
    assert data["task"]["completion"]["mileage"] == 5_000


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"odometer": "lots"}, "odometer"),
        ({"odometer": -1}, "odometer"),
        ({"odometer": 10.5}, "odometer"),
        ({"engine_hours": "many"}, "engine_hours"),
        ({"engine_hours": -2}, "engine_hours"),
    ],
)
def test_done_with_wrong_meter_values_is_400_and_leaves_the_task_open(api, loader, payload, field):
    task = make(loader, conditions=Conditions(engine_hours={"limit": 50}))
    assert_error(post(api, f"/api/v1/tasks/{task.pk}/done", payload), 400, "invalid", field)
    assert ServiceTask.objects.get().status == Status.CREATED


def test_done_refuses_engine_hours_for_a_vehicle_without_them(api, van):
    task = make(van)
    response = post(api, f"/api/v1/tasks/{task.pk}/done", {"engine_hours": 5})
    assert_error(response, 400, "engine_hours_not_tracked", "engine_hours")
    assert ServiceTask.objects.get().status == Status.CREATED


# --- batch ----------------------------------------------------------------------------


def test_batch_creates_the_task_for_every_vehicle(api, van, loader):
    response = post(
        api, "/api/v1/tasks/batch", {"vehicle_ids": [van.pk, loader.pk], "task": body()}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["created"] == 2
    assert sorted(data["ids"]) == sorted(ServiceTask.objects.values_list("pk", flat=True))
    assert set(ServiceTask.objects.values_list("vehicle_id", flat=True)) == {van.pk, loader.pk}


def test_batch_with_an_unknown_vehicle_creates_nothing(api, van, their_van):
    for vehicle_ids in ([van.pk, 999_999], [van.pk, their_van.pk]):
        response = post(api, "/api/v1/tasks/batch", {"vehicle_ids": vehicle_ids, "task": body()})
        assert_error(response, 404, "unknown_vehicles", "vehicle_ids")
    assert not ServiceTask.objects.exists()


@pytest.mark.parametrize("vehicle_ids", [[], "1,2", [True], ["x"], None])
def test_batch_needs_a_list_of_vehicle_ids(api, van, vehicle_ids):
    response = post(api, "/api/v1/tasks/batch", {"vehicle_ids": vehicle_ids, "task": body()})
    assert_error(response, 400, "invalid", "vehicle_ids")
    assert not ServiceTask.objects.exists()


def test_batch_with_an_invalid_task_creates_nothing(api, van, loader):
    response = post(
        api,
        "/api/v1/tasks/batch",
        {
            "vehicle_ids": [loader.pk, van.pk],
            "task": body(conditions={"engine_hours": {"limit": 9}}),
        },
    )
    assert_error(response, 400, "engine_hours_not_tracked", "conditions.engine_hours")
    assert not ServiceTask.objects.exists()


# --- files ----------------------------------------------------------------------------


def test_files_are_uploaded_listed_and_removed(api, van):
    task = make(van)
    url = f"/api/v1/tasks/{task.pk}/files"
    response = api.post(url, {"file": SimpleUploadedFile("invoice.pdf", PDF)})
    assert response.status_code == 201, response.content
    stored = response.json()
    assert (stored["name"], stored["content_type"], stored["size"]) == (
        "invoice.pdf",
        "application/pdf",
        len(PDF),
    )
    photo = api.post(url, {"file": SimpleUploadedFile("photo.png", PNG)}).json()
    assert photo["content_type"] == "image/png"
    assert [f["id"] for f in api.get(url).json()] == [stored["id"], photo["id"]]
    assert api.get(f"/api/v1/tasks/{task.pk}").json()["file_ids"] == sorted(
        [stored["id"], photo["id"]]
    )

    assert api.delete(f"{url}/{stored['id']}").status_code == 204
    assert [f["id"] for f in api.get(url).json()] == [photo["id"]]
    assert not TaskFile.objects.filter(pk=stored["id"]).exists()
    assert_error(api.delete(f"{url}/{stored['id']}"), 404, "not_found", "file_id")


def test_an_upload_of_the_wrong_type_is_refused(api, van):
    task = make(van)
    response = api.post(
        f"/api/v1/tasks/{task.pk}/files",
        {"file": SimpleUploadedFile("invoice.pdf", b"#!/bin/sh\nrm -rf /\n")},
    )
    assert_error(response, 400, "invalid", "file")
    assert not TaskFile.objects.exists()


def test_an_upload_over_the_limit_is_refused(api, van, settings):
    settings.TASK_FILE_MAX_BYTES = 32
    task = make(van)
    response = api.post(
        f"/api/v1/tasks/{task.pk}/files", {"file": SimpleUploadedFile("big.pdf", PDF)}
    )
    body = assert_error(response, 400, "invalid", "file")
    assert "big.pdf" in body["message"]
    assert not TaskFile.objects.exists()


def test_an_upload_without_a_file_is_400(api, van):
    task = make(van)
    response = api.post(f"/api/v1/tasks/{task.pk}/files", {})
    assert_error(response, 400, "invalid", "file")


def test_a_file_shared_by_a_batch_survives_deleting_one_task(
    api, van, loader, django_capture_on_commit_callbacks
):
    first = make(van)
    stored = api.post(
        f"/api/v1/tasks/{first.pk}/files", {"file": SimpleUploadedFile("a.pdf", PDF)}
    ).json()
    created = post(
        api,
        "/api/v1/tasks/batch",
        {"vehicle_ids": [van.pk, loader.pk], "task": body(file_ids=[stored["id"]])},
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/tasks/{first.pk}").status_code == 204
        assert api.delete(f"/api/v1/tasks/{created['ids'][0]}").status_code == 204
    assert TaskFile.objects.filter(pk=stored["id"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/tasks/{created['ids'][1]}").status_code == 204
    assert not TaskFile.objects.exists()


# --- documentation --------------------------------------------------------------------


def test_the_task_endpoints_are_documented(api):
    schema = api.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/tasks",
        "/api/v1/tasks/batch",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/done",
        "/api/v1/tasks/{task_id}/files",
        "/api/v1/tasks/{task_id}/files/{file_id}",
    ]:
        assert path in schema["paths"]


@pytest.mark.parametrize("text", [hostile.NUL, hostile.LONE_SURROGATE])
@pytest.mark.parametrize("field", ["description", "comment"])
def test_text_that_cannot_be_stored_is_400_in_plain_words(api, van, field, text):
    payload = {**body(), "vehicle_id": van.pk, field: text}
    response = api.post("/api/v1/tasks", hostile.dumps(payload), content_type="application/json")
    error = assert_error(response, 400, "invalid", field)
    assert "Value error" not in error["message"] and "Input should" not in error["message"]
    assert not ServiceTask.objects.exists()


def test_wrong_values_are_told_in_plain_words(api, van):
    payload = {**body(conditions={"mileage": {"limit": 10.5}}), "vehicle_id": van.pk}
    error = assert_error(
        post(api, "/api/v1/tasks", payload), 400, "invalid", "conditions.mileage.limit"
    )
    assert error["message"] == "conditions.mileage.limit must be a whole number."
    payload = {**body(conditions={}), "vehicle_id": van.pk}
    error = assert_error(post(api, "/api/v1/tasks", payload), 400, "invalid", "conditions")
    assert error["message"] == "Give at least one condition: a mileage, a date or engine hours."


def test_an_empty_sort_is_the_default_order(api, fleet):
    default = ids(api.get("/api/v1/tasks"))
    assert ids(api.get("/api/v1/tasks", {"sort": ""})) == default
    assert ids(api.get("/api/v1/tasks", {"sort": ["", "cost=desc"]})) == ids(
        api.get("/api/v1/tasks", {"sort": "cost=desc"})
    )
