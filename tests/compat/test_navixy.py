"""The vendor API of seed 004 (service tasks and vehicles), as an integration sees it.

Every action is driven the three ways the vendor's clients send requests:
POST with a JSON body, POST with a form body (objects and lists as JSON
text), and GET with a query string.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services as accounts
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW  # 12:00 in Berlin (summer time), the organization's zone

VIA = ["json", "form", "get"]
WRITES_VIA = VIA  # the vendor's GET examples include writes (delete, set_status)

TASK_KEYS = [
    "id",
    "repeat",
    "unplanned",
    "completion_date",
    "vehicle_id",
    "cost",
    "start",
    "completion",
    "conditions",
    "notifications",
    "status",
    "description",
    "comment",
    "file_ids",
    "vehicle_label",
    "prediction",
    "current_position",
]
METER_KEYS = {"mileage", "date", "engine_hours"}


def send(client: Client, action: str, params: dict, via: str = "json"):
    url = f"/v2/{action}"
    if via == "json":
        return client.post(url, json.dumps(params), content_type="application/json")
    text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    if via == "form":
        return client.post(url, text)
    return client.get(url, text)


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is True
    return body


def failed(response, http: int, code: int) -> str:
    assert response.status_code == http, response.content
    body = response.json()
    assert set(body) == {"success", "status"}
    assert body["success"] is False
    assert set(body["status"]) == {"code", "description"}
    assert body["status"]["code"] == code, body
    assert isinstance(body["status"]["description"], str) and body["status"]["description"]
    return body["status"]["description"]


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def nvx(api_key):
    """Calls an action with the organization's key as ``hash``."""

    def call(action: str, via: str = "json", **params):
        return send(Client(), action, {"hash": api_key, **params}, via)

    return call


@pytest.fixture
def van(vehicle) -> Vehicle:
    vehicles.reading_record(vehicle=vehicle, odometer=1230, recorded_at=NOW - timedelta(hours=1))
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def loader(org) -> Vehicle:
    loader = vehicles.vehicle_create(
        org=org, label="Loader", vehicle_key="LOAD-1", tracks_engine_hours=True, year=2021
    )
    vehicles.reading_record(
        vehicle=loader, odometer=500, engine_hours=50, recorded_at=NOW - timedelta(hours=1)
    )
    loader.refresh_from_db()
    return loader


@pytest.fixture
def their_vehicle(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


def date_task(vehicle: Vehicle, days: int = 30, **fields) -> ServiceTask:
    values = {
        "description": "Brake check",
        "conditions": tasks.Conditions(
            date={"end": (NOW + timedelta(days=days)).isoformat(), "notification_interval": 3}
        ),
        "already_overdue": days < 0,
        **fields,
    }
    return tasks.task_create(vehicle=vehicle, data=tasks.TaskInput(**values))


@pytest.fixture
def task(van) -> ServiceTask:
    return date_task(van)


@pytest.fixture
def their_task(their_vehicle) -> ServiceTask:
    return date_task(their_vehicle)


def vendor_task(vehicle_id: int | None = None, **overrides) -> dict:
    body = {
        "comment": "",
        "conditions": {"date": {"end": "2030-12-10 23:59:59", "notification_interval": 3}},
        "cost": 100,
        "description": "service1",
        "file_ids": [],
        "notifications": {"sms_phones": [], "emails": [], "push_enabled": True},
        "repeat": False,
        "unplanned": False,
    }
    if vehicle_id is not None:
        body["vehicle_id"] = vehicle_id
    body.update(overrides)
    return body


# --- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_the_key_is_taken_from_hash(nvx, via):
    assert ok(nvx("vehicle/list", via)) == {"success": True, "list": []}


def test_the_key_is_taken_from_the_query_when_the_body_has_none(api_key):
    response = Client().post(
        f"/v2/vehicle/list?hash={api_key}", "{}", content_type="application/json"
    )
    ok(response)


def test_the_hash_in_the_body_comes_before_the_one_in_the_query(api_key):
    response = Client().post(
        "/v2/vehicle/list?hash=fm_" + "x" * 43,
        json.dumps({"hash": api_key}),
        content_type="application/json",
    )
    ok(response)


@pytest.mark.parametrize("via", VIA)
def test_the_key_is_taken_from_the_nvx_authorization_header(api_key, via):
    client = Client(headers={"Authorization": f"NVX {api_key}"})
    ok(send(client, "vehicle/list", {}, via))


@pytest.mark.parametrize("via", VIA)
def test_a_missing_key_is_a_wrong_hash(db, via):
    failed(send(Client(), "vehicle/list", {}, via), 400, 3)


@pytest.mark.parametrize("raw", ["a6aa75587e5c59c32d347da438505fc3", "fm_short", "fm_" + "!" * 43])
def test_a_malformed_key_is_a_wrong_hash(db, raw):
    failed(send(Client(), "vehicle/list", {"hash": raw}), 400, 3)


def test_a_key_that_is_not_text_is_a_wrong_hash(db):
    failed(send(Client(), "vehicle/list", {"hash": 12345}), 400, 3)


def test_a_bearer_header_is_not_the_vendors_scheme(api_key):
    client = Client(headers={"Authorization": f"Bearer {api_key}"})
    failed(send(client, "vehicle/list", {}), 400, 3)


def test_a_well_formed_unknown_key_is_not_found(db):
    failed(send(Client(), "vehicle/list", {"hash": "fm_" + "A" * 43}), 400, 4)


def test_a_revoked_key_is_not_found(org):
    key, raw = accounts.apikey_create(org=org, name="old")
    accounts.apikey_revoke(org=org, key_id=key.pk)
    failed(send(Client(), "vehicle/list", {"hash": raw}), 400, 4)


@pytest.fixture
def read_only_key(org) -> str:
    return accounts.apikey_create(org=org, name="dashboard", read_only=True)[1]


def test_a_read_only_key_reads(read_only_key, task):
    ok(send(Client(), "vehicle/service_task/list", {"hash": read_only_key}))
    ok(send(Client(), "vehicle/service_task/read", {"hash": read_only_key, "task_id": task.pk}))


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("vehicle/service_task/create", {"task": vendor_task(1)}),
        ("vehicle/service_task/batch/create", {"vehicle_ids": [1], "task": vendor_task()}),
        ("vehicle/service_task/update", {"task": vendor_task(id=1)}),
        ("vehicle/service_task/delete", {"task_id": 1}),
        ("vehicle/service_task/set_status", {"task_id": 1, "status": "done"}),
    ],
)
def test_a_read_only_key_may_not_write(read_only_key, task, action, params):
    failed(send(Client(), action, {"hash": read_only_key, **params}), 403, 11)
    task.refresh_from_db()
    assert task.status == Status.CREATED
    assert ServiceTask.objects.count() == 1


def test_it_needs_no_csrf_token(api_key, van):
    client = Client(enforce_csrf_checks=True)
    body = {"hash": api_key, "task": vendor_task(van.pk)}
    ok(send(client, "vehicle/service_task/create", body, "json"))
    ok(send(client, "vehicle/service_task/create", body, "form"))


def test_other_http_methods_are_refused(api_key):
    assert Client().put(f"/v2/vehicle/list?hash={api_key}").status_code == 405


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_creates_a_task(nvx, van, via):
    body = ok(
        nvx(
            "vehicle/service_task/create",
            via,
            task=vendor_task(
                van.pk,
                cost=10050.5,
                comment="Front axle",
                repeat=True,
                conditions={
                    "mileage": {"limit": 100, "notification_interval": 10, "repeat_interval": 42},
                    "date": {"end": "2030-12-10 23:59:59", "notification_interval": 3},
                },
                notifications={
                    "sms_phones": ["79221234567"],
                    "emails": ["Fleet@Example.com"],
                    "push_enabled": False,
                },
            ),
        )
    )
    assert set(body) == {"success", "id"}
    created = ServiceTask.objects.get(pk=body["id"])
    assert created.vehicle == van
    assert created.description == "service1"
    assert created.comment == "Front axle"
    assert created.cost == Decimal("10050.50")
    assert created.repeat is True
    assert created.mileage_limit == 100
    assert created.mileage_expire_at == 1330
    # "yyyy-MM-dd HH:mm:ss" is read in the organization's time zone (Berlin, UTC+1 in winter).
    assert created.date_end == datetime(2030, 12, 10, 22, 59, 59, tzinfo=UTC)
    assert created.sms_phones == ["+79221234567"]
    assert created.emails == ["fleet@example.com"]
    assert created.push_enabled is False
    assert created.status == Status.CREATED


def test_an_iso_end_date_is_accepted(nvx, van):
    conditions = {"date": {"end": "2030-12-10T08:00:00Z"}}
    body = ok(nvx("vehicle/service_task/create", task=vendor_task(van.pk, conditions=conditions)))
    created = ServiceTask.objects.get(pk=body["id"])
    assert created.date_end == datetime(2030, 12, 10, 8, 0, tzinfo=UTC)


def test_the_task_may_carry_files(nvx, org, van):
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    stored = tasks.file_upload(org=org, upload=upload)
    body = ok(nvx("vehicle/service_task/create", task=vendor_task(van.pk, file_ids=[stored.pk])))
    value = ok(nvx("vehicle/service_task/read", task_id=body["id"]))["value"]
    assert value["file_ids"] == [stored.pk]


@pytest.mark.parametrize("via", VIA)
def test_a_task_without_conditions_is_invalid(nvx, van, via):
    task = vendor_task(van.pk)
    del task["conditions"]
    message = failed(nvx("vehicle/service_task/create", via, task=task), 400, 7)
    assert "condition" in message
    assert not ServiceTask.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"description": "x" * 256}, "at most 255"),
        ({"comment": "x" * 256}, "at most 255"),
        ({"description": ""}, "required"),
        ({"cost": "lots"}, "number"),
        ({"cost": -1}, "between"),
        ({"repeat": "yes"}, "true or false"),
        ({"conditions": "soon"}, "object"),
        ({"conditions": {"mileage": {"limit": "far"}}}, "number"),
        ({"conditions": {"date": {"end": "next week"}}}, "date"),
        ({"notifications": {"sms_phones": "79221234567"}}, "lists"),
        ({"notifications": {"sms_phones": ["12"]}}, "phone"),
        ({"file_ids": [999999]}, "files"),
    ],
)
def test_invalid_task_fields_are_invalid_parameters(nvx, van, overrides, words):
    message = failed(
        nvx("vehicle/service_task/create", task=vendor_task(van.pk, **overrides)), 400, 7
    )
    assert words in message
    assert not ServiceTask.objects.exists()


def test_a_task_that_is_not_an_object_is_invalid(nvx, van):
    failed(nvx("vehicle/service_task/create", task=[1, 2]), 400, 7)
    failed(nvx("vehicle/service_task/create"), 400, 7)


def test_a_vehicle_id_that_is_not_a_number_is_invalid(nvx, van):
    failed(nvx("vehicle/service_task/create", task=vendor_task("one")), 400, 7)
    failed(nvx("vehicle/service_task/create", task=vendor_task()), 400, 7)


def test_malformed_json_in_a_form_field_is_invalid(nvx, van):
    failed(nvx("vehicle/service_task/create", "form", task='{"vehicle_id": '), 400, 7)


def test_a_malformed_json_body_is_invalid(api_key, van):
    response = Client().post(
        f"/v2/vehicle/service_task/create?hash={api_key}",
        '{"task": {"vehicle_id": 1',
        content_type="application/json",
    )
    failed(response, 400, 7)
    response = Client().post(
        f"/v2/vehicle/service_task/create?hash={api_key}", "[1]", content_type="application/json"
    )
    failed(response, 400, 7)


@pytest.mark.parametrize("via", VIA)
def test_another_fleets_vehicle_is_not_found(nvx, their_vehicle, via):
    message = failed(
        nvx("vehicle/service_task/create", via, task=vendor_task(their_vehicle.pk)), 400, 201
    )
    assert str(their_vehicle.pk) in message
    assert not ServiceTask.objects.exists()


def test_an_unknown_vehicle_is_not_found(nvx, db):
    failed(nvx("vehicle/service_task/create", task=vendor_task(987654)), 400, 201)


def test_a_missing_meter_reading_is_not_in_the_database(nvx, vehicle):
    # The vehicle has no odometer reading, which a mileage condition needs.
    conditions = {"mileage": {"limit": 1000}}
    message = failed(
        nvx("vehicle/service_task/create", task=vendor_task(vehicle.pk, conditions=conditions)),
        400,
        201,
    )
    assert "no odometer reading" in message


@pytest.mark.parametrize("via", VIA)
def test_engine_hours_on_a_vehicle_without_them_is_not_supported(nvx, van, via):
    conditions = {"engine_hours": {"limit": 100}}
    message = failed(
        nvx("vehicle/service_task/create", via, task=vendor_task(van.pk, conditions=conditions)),
        400,
        214,
    )
    assert "engine hours" in message
    assert not ServiceTask.objects.exists()


def test_engine_hours_on_a_vehicle_with_them(nvx, loader):
    conditions = {"engine_hours": {"limit": 100, "notification_interval": 10.5}}
    body = ok(
        nvx("vehicle/service_task/create", task=vendor_task(loader.pk, conditions=conditions))
    )
    created = ServiceTask.objects.get(pk=body["id"])
    assert created.hours_expire_at == Decimal("150.0")


# --- batch create -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["batch/create", "batch_create"])
@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_creates_the_same_task_for_many_vehicles(nvx, van, loader, action, via):
    body = ok(
        nvx(
            f"vehicle/service_task/{action}",
            via,
            vehicle_ids=[van.pk, loader.pk],
            task=vendor_task(description="Winter tyres"),
        )
    )
    assert body == {"success": True}
    created = ServiceTask.objects.order_by("vehicle__label")
    assert [(t.vehicle_id, t.description) for t in created] == [
        (loader.pk, "Winter tyres"),
        (van.pk, "Winter tyres"),
    ]


@pytest.mark.parametrize("via", VIA)
def test_a_batch_naming_an_unknown_vehicle_creates_nothing(nvx, van, their_vehicle, via):
    for missing in (987654, their_vehicle.pk):
        message = failed(
            nvx(
                "vehicle/service_task/batch/create",
                via,
                vehicle_ids=[van.pk, missing],
                task=vendor_task(),
            ),
            400,
            217,
        )
        assert str(missing) in message
    assert not ServiceTask.objects.exists()


def test_a_batch_needs_a_list_of_vehicle_ids(nvx, van):
    failed(nvx("vehicle/service_task/batch/create", vehicle_ids=van.pk, task=vendor_task()), 400, 7)
    failed(nvx("vehicle/service_task/batch/create", vehicle_ids=[], task=vendor_task()), 400, 7)
    failed(
        nvx("vehicle/service_task/batch/create", "form", vehicle_ids="1,2", task=vendor_task()),
        400,
        7,
    )
    failed(nvx("vehicle/service_task/batch/create", task=vendor_task()), 400, 7)
    assert not ServiceTask.objects.exists()


def test_a_batch_with_engine_hours_for_a_vehicle_without_them_creates_nothing(nvx, van, loader):
    task = vendor_task(conditions={"engine_hours": {"limit": 100}})
    failed(
        nvx("vehicle/service_task/batch/create", vehicle_ids=[loader.pk, van.pk], task=task),
        400,
        214,
    )
    assert not ServiceTask.objects.exists()


# --- update -------------------------------------------------------------------------------


@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_updates_a_task(nvx, task, via):
    given = vendor_task(
        task.vehicle_id,
        id=task.pk,
        description="Brake pads",
        cost=250.75,
        conditions={"mileage": {"limit": 5000, "notification_interval": 500}},
        notifications={"sms_phones": ["+4915112345678"], "emails": [], "push_enabled": True},
    )
    assert ok(nvx("vehicle/service_task/update", via, task=given)) == {"success": True}
    task.refresh_from_db()
    assert task.description == "Brake pads"
    assert task.cost == Decimal("250.75")
    assert task.mileage_limit == 5000
    assert task.date_end is None
    assert task.sms_phones == ["+4915112345678"]


def test_what_read_returns_can_be_sent_back_to_update(nvx, task):
    value = ok(nvx("vehicle/service_task/read", task_id=task.pk))["value"]
    before = task.date_end
    ok(nvx("vehicle/service_task/update", task={**value, "comment": "checked"}))
    task.refresh_from_db()
    assert task.comment == "checked"
    assert task.date_end == before


@pytest.mark.parametrize("via", VIA)
def test_updating_another_fleets_task_is_not_found(nvx, their_task, via):
    given = vendor_task(id=their_task.pk, description="Mine now")
    failed(nvx("vehicle/service_task/update", via, task=given), 404, 204)
    their_task.refresh_from_db()
    assert their_task.description == "Brake check"


def test_updating_an_unknown_task_is_not_found(nvx, task):
    failed(nvx("vehicle/service_task/update", task=vendor_task(id=987654)), 404, 204)


def test_an_update_needs_the_task_id(nvx, task):
    failed(nvx("vehicle/service_task/update", task=vendor_task(task.vehicle_id)), 400, 7)


def test_an_update_does_not_move_a_task_to_another_vehicle(nvx, task, loader):
    failed(nvx("vehicle/service_task/update", task=vendor_task(loader.pk, id=task.pk)), 400, 7)
    task.refresh_from_db()
    assert task.vehicle_id != loader.pk


def test_an_update_with_engine_hours_on_a_vehicle_without_them_is_not_supported(nvx, task):
    given = vendor_task(id=task.pk, conditions={"engine_hours": {"limit": 10}})
    failed(nvx("vehicle/service_task/update", task=given), 400, 214)


def test_a_task_that_is_done_cannot_be_updated(nvx, task):
    tasks.task_mark_done(task=task)
    message = failed(nvx("vehicle/service_task/update", task=vendor_task(id=task.pk)), 400, 7)
    assert "done" in message


# --- delete -------------------------------------------------------------------------------


@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_deletes_a_task(nvx, task, via):
    assert ok(nvx("vehicle/service_task/delete", via, task_id=task.pk)) == {"success": True}
    assert not ServiceTask.objects.exists()


@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_deletes_several_tasks(nvx, van, via):
    first, second, kept = date_task(van), date_task(van), date_task(van)
    ok(nvx("vehicle/service_task/delete", via, task_ids=[first.pk, second.pk]))
    assert list(ServiceTask.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize("via", VIA)
def test_deleting_another_fleets_task_is_not_found(nvx, task, their_task, via):
    failed(nvx("vehicle/service_task/delete", via, task_ids=[task.pk, their_task.pk]), 404, 204)
    assert ServiceTask.objects.count() == 2


def test_a_delete_names_what_to_delete(nvx, task):
    failed(nvx("vehicle/service_task/delete"), 400, 7)
    failed(nvx("vehicle/service_task/delete", task_ids=[]), 400, 7)
    failed(nvx("vehicle/service_task/delete", task_id="first"), 400, 7)
    failed(nvx("vehicle/service_task/delete", task_ids=["1"]), 400, 7)
    assert ServiceTask.objects.count() == 1


# --- read: the task object ----------------------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_it_reads_a_task_with_exactly_the_vendors_fields(nvx, task, via):
    body = ok(nvx("vehicle/service_task/read", via, task_id=task.pk))
    assert set(body) == {"success", "value"}
    value = body["value"]
    assert list(value) == TASK_KEYS
    assert set(value["start"]) == METER_KEYS
    assert set(value["current_position"]) == METER_KEYS
    assert set(value["notifications"]) == {"sms_phones", "emails", "push_enabled"}
    assert set(value["prediction"]) == {"end_date", "wear_percentage"}
    assert value["id"] == task.pk
    assert value["vehicle_id"] == task.vehicle_id
    assert value["vehicle_label"] == "Van 1"


def test_the_task_object_renders_every_value(nvx, loader):
    created = tasks.task_create(
        vehicle=loader,
        data=tasks.TaskInput(
            description="Full service",
            comment="Every year",
            cost="100500",
            repeat=True,
            unplanned=True,
            conditions=tasks.Conditions(
                mileage={"limit": 100, "notification_interval": 10, "repeat_interval": 42},
                date={"end": "2030-07-15 09:35:00", "notification_interval": 3},
                engine_hours={"limit": "100", "notification_interval": "10.5"},
            ),
            sms_phones=["79221234567", "+79227654321"],
            emails=["email@domain.tld"],
            push_enabled=True,
        ),
    )
    value = ok(nvx("vehicle/service_task/read", task_id=created.pk))["value"]
    assert value == {
        "id": created.pk,
        "repeat": True,
        "unplanned": True,
        "completion_date": None,
        "vehicle_id": loader.pk,
        "cost": 100500.0,
        "start": {"mileage": 500, "date": "2030-06-15 12:00:00", "engine_hours": 50.0},
        "completion": None,
        "conditions": {
            "mileage": {"limit": 100, "notification_interval": 10, "repeat_interval": 42},
            "date": {
                "end": "2030-07-15 09:35:00",
                "notification_interval": 3,
                "repeat_interval": None,
            },
            "engine_hours": {
                "limit": 100.0,
                "notification_interval": 10.5,
                "repeat_interval": None,
            },
        },
        "notifications": {
            "sms_phones": ["79221234567", "79227654321"],
            "emails": ["email@domain.tld"],
            "push_enabled": True,
        },
        "status": "created",
        "description": "Full service",
        "comment": "Every year",
        "file_ids": [],
        "vehicle_label": "Loader",
        "prediction": {"end_date": "2030-07-15 09:35:00", "wear_percentage": 0},
        "current_position": {"mileage": 500, "date": "2030-06-15 12:00:00", "engine_hours": 50.0},
    }
    assert isinstance(value["cost"], float)


def test_absent_conditions_are_left_out(nvx, task):
    value = ok(nvx("vehicle/service_task/read", task_id=task.pk))["value"]
    assert list(value["conditions"]) == ["date"]


def test_phones_are_written_without_the_plus_sign(nvx, van):
    created = date_task(van, sms_phones=["+4915112345678", "79221234567"])
    value = ok(nvx("vehicle/service_task/read", task_id=created.pk))["value"]
    assert sorted(value["notifications"]["sms_phones"]) == ["4915112345678", "79221234567"]
    listed = ok(nvx("vehicle/service_task/list"))["list"][0]
    assert all(not p.startswith("+") for p in listed["notifications"]["sms_phones"])


@pytest.mark.parametrize("via", VIA)
def test_iso_datetime_writes_iso_8601_in_the_organizations_zone(nvx, task, via):
    value = ok(nvx("vehicle/service_task/read", via, task_id=task.pk, iso_datetime=True))["value"]
    assert value["start"]["date"] == "2030-06-15T12:00:00+02:00"
    assert value["conditions"]["date"]["end"] == "2030-07-15T12:00:00+02:00"
    assert value["current_position"]["date"] == "2030-06-15T12:00:00+02:00"
    assert datetime.fromisoformat(value["prediction"]["end_date"]) == NOW + timedelta(days=30)


def test_dates_use_the_vendor_format_by_default(nvx, task):
    value = ok(nvx("vehicle/service_task/read", task_id=task.pk, iso_datetime=False))["value"]
    assert value["start"]["date"] == "2030-06-15 12:00:00"
    assert value["conditions"]["date"]["end"] == "2030-07-15 12:00:00"


@pytest.mark.parametrize("via", VIA)
def test_return_prediction_false_leaves_the_prediction_out(nvx, task, via):
    value = ok(nvx("vehicle/service_task/read", via, task_id=task.pk, return_prediction=False))[
        "value"
    ]
    assert "prediction" not in value
    assert list(value) == [k for k in TASK_KEYS if k != "prediction"]


def test_a_done_task_shows_its_completion(nvx, van, task):
    with time_machine.travel(NOW + timedelta(days=15), tick=False):
        vehicles.reading_record(vehicle=van, odometer=1500)
        tasks.task_mark_done(task=task)
    value = ok(nvx("vehicle/service_task/read", task_id=task.pk))["value"]
    assert value["status"] == "done"
    assert value["completion_date"] == "2030-06-30 12:00:00"
    assert value["completion"] == {
        "mileage": 1500,
        "date": "2030-06-30 12:00:00",
        "engine_hours": None,
    }
    assert value["prediction"] == {"end_date": None, "wear_percentage": 50}


@pytest.mark.parametrize("via", VIA)
def test_reading_another_fleets_task_is_not_found(nvx, their_task, via):
    failed(nvx("vehicle/service_task/read", via, task_id=their_task.pk), 404, 204)


def test_a_read_needs_a_task_id(nvx, task):
    failed(nvx("vehicle/service_task/read"), 400, 7)
    failed(nvx("vehicle/service_task/read", task_id="seven"), 400, 7)
    failed(nvx("vehicle/service_task/read", task_id=True), 400, 7)
    failed(nvx("vehicle/service_task/read", task_id=task.pk, return_prediction="maybe"), 400, 7)


# --- set_status ---------------------------------------------------------------------------


@pytest.mark.parametrize("via", WRITES_VIA)
def test_it_marks_a_task_done(nvx, van, task, via):
    body = ok(nvx("vehicle/service_task/set_status", via, task_id=task.pk, status="done"))
    assert body == {"success": True}
    task.refresh_from_db()
    assert task.status == Status.DONE
    assert task.completion_mileage == 1230
    assert task.completion_date == NOW


def test_a_repeating_task_marked_done_starts_the_next(nvx, van):
    repeating = date_task(van, repeat=True)
    ok(nvx("vehicle/service_task/set_status", task_id=repeating.pk, status="done"))
    listed = ok(nvx("vehicle/service_task/list", sort=["id=asc"]))["list"]
    assert [t["status"] for t in listed] == ["done", "created"]


@pytest.mark.parametrize("via", VIA)
def test_only_done_can_be_set(nvx, task, via):
    for status in ("expired", "created", "DONE"):
        message = failed(
            nvx("vehicle/service_task/set_status", via, task_id=task.pk, status=status), 400, 7
        )
        assert "done" in message
    failed(nvx("vehicle/service_task/set_status", via, task_id=task.pk), 400, 7)
    task.refresh_from_db()
    assert task.status == Status.CREATED


@pytest.mark.parametrize("via", VIA)
def test_setting_the_status_of_another_fleets_task_is_not_found(nvx, their_task, via):
    failed(
        nvx("vehicle/service_task/set_status", via, task_id=their_task.pk, status="done"), 404, 204
    )
    their_task.refresh_from_db()
    assert their_task.status == Status.CREATED


# --- list ---------------------------------------------------------------------------------


@pytest.fixture
def fleet_tasks(van, loader, their_task):
    """Tasks in every open status, on two vehicles, one of them unplanned."""
    return {
        "far": date_task(van, days=60, description="Alpha", cost="10"),
        "soon": date_task(loader, days=2, description="bravo", cost="30", unplanned=True),
        "past": date_task(van, days=-1, description="Charlie", cost="20"),
    }


@pytest.mark.parametrize("via", VIA)
def test_it_lists_the_fleets_tasks(nvx, fleet_tasks, via):
    body = ok(nvx("vehicle/service_task/list", via))
    assert set(body) == {"success", "list"}
    listed = body["list"]
    # Another fleet's task is not listed; the default order is the predicted date.
    assert [t["description"] for t in listed] == ["Charlie", "bravo", "Alpha"]
    assert [t["status"] for t in listed] == ["expired", "notified", "created"]
    assert all(list(t) == TASK_KEYS for t in listed)


@pytest.mark.parametrize("via", VIA)
def test_the_list_filters(nvx, van, fleet_tasks, via):
    def descriptions(**params):
        return [
            t["description"] for t in ok(nvx("vehicle/service_task/list", via, **params))["list"]
        ]

    assert descriptions(statuses=["created", "expired"]) == ["Charlie", "Alpha"]
    assert descriptions(vehicle_ids=[van.pk]) == ["Charlie", "Alpha"]
    assert descriptions(only_unplanned=True) == ["bravo"]
    assert descriptions(only_unplanned=False) == ["Charlie", "bravo", "Alpha"]
    assert descriptions(statuses=["done"]) == []


@pytest.mark.parametrize("via", VIA)
def test_the_list_sorts(nvx, fleet_tasks, via):
    def ids(*sort):
        return [t["id"] for t in ok(nvx("vehicle/service_task/list", via, sort=list(sort)))["list"]]

    far, soon, past = fleet_tasks["far"].pk, fleet_tasks["soon"].pk, fleet_tasks["past"].pk
    assert ids("cost=desc") == [soon, past, far]
    assert ids("cost=asc") == [far, past, soon]
    assert ids("description=asc") == [far, soon, past]
    assert ids("vehicle=desc", "cost=desc") == [past, far, soon]
    assert ids("vehicle", "id=desc") == [soon, past, far]
    assert ids("predicted_date=desc") == [far, soon, past]
    assert ids("id=asc") == sorted([far, soon, past])
    lifecycle = ["created", "notified", "expired", "done"]
    assert ids("status=asc", "cost=desc") == [
        t["id"]
        for t in sorted(
            ok(nvx("vehicle/service_task/list"))["list"],
            key=lambda t: (lifecycle.index(t["status"]), -t["cost"]),
        )
    ]


@pytest.mark.parametrize("via", VIA)
def test_the_list_pages(nvx, fleet_tasks, via):
    def ids(**params):
        listed = ok(nvx("vehicle/service_task/list", via, sort=["id=asc"], **params))["list"]
        return [t["id"] for t in listed]

    every = ids()
    assert ids(limit=2) == every[:2]
    assert ids(limit=2, offset=2) == every[2:]
    assert ids(offset=1) == every[1:]


@pytest.mark.parametrize("via", VIA)
def test_the_list_can_leave_the_prediction_out(nvx, fleet_tasks, via):
    listed = ok(nvx("vehicle/service_task/list", via, return_prediction=False))["list"]
    assert listed and all("prediction" not in t for t in listed)
    listed = ok(nvx("vehicle/service_task/list", via))["list"]
    assert all("prediction" in t for t in listed)


def test_the_list_refuses_nonsense(nvx, fleet_tasks):
    failed(nvx("vehicle/service_task/list", sort=["colour=asc"]), 400, 7)
    failed(nvx("vehicle/service_task/list", sort=["cost=up"]), 400, 7)
    failed(nvx("vehicle/service_task/list", sort="cost=desc"), 400, 7)
    failed(nvx("vehicle/service_task/list", statuses=["finished"]), 400, 7)
    failed(nvx("vehicle/service_task/list", limit=-1), 400, 7)
    failed(nvx("vehicle/service_task/list", limit=10**30), 400, 7)
    failed(nvx("vehicle/service_task/list", "get", offset="many"), 400, 7)
    failed(nvx("vehicle/service_task/list", "get", vehicle_ids="[1,"), 400, 7)


def test_the_list_with_another_fleets_vehicle_is_not_found(nvx, fleet_tasks, their_vehicle):
    failed(nvx("vehicle/service_task/list", vehicle_ids=[their_vehicle.pk]), 400, 201)


def test_the_list_takes_a_fixed_number_of_queries(nvx, van, loader):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            ok(nvx("vehicle/service_task/list"))
        return len(queries)

    date_task(van)
    count()  # the key records its use once a minute; warm that up
    few = count()
    for _ in range(5):
        date_task(van, sms_phones=["79221234567"])
        date_task(loader)
    assert count() == few


# --- vehicles -----------------------------------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_it_lists_the_fleets_vehicles(nvx, org, their_vehicle, via):
    truck = vehicles.vehicle_create(
        org=org,
        label="Truck",
        vehicle_key="TRK-1",
        vin="1HGCM82633A004352",
        make="MAN",
        model="TGX",
        year=2019,
        plate="B-FM 123",
    )
    listed = ok(nvx("vehicle/list", via))["list"]
    assert listed == [
        {
            "id": truck.pk,
            "label": "Truck",
            "model": "TGX",
            "reg_number": "B-FM 123",
            "vin": "1HGCM82633A004352",
            "manufacture_year": 2019,
            "make": "MAN",
            "vehicle_key": "TRK-1",
            "archived": False,
        }
    ]


@pytest.mark.parametrize("via", VIA)
def test_it_reads_a_vehicle(nvx, loader, via):
    body = ok(nvx("vehicle/read", via, vehicle_id=loader.pk))
    assert body["value"]["id"] == loader.pk
    assert body["value"]["label"] == "Loader"
    assert body["value"]["manufacture_year"] == 2021


@pytest.mark.parametrize("via", VIA)
def test_reading_another_fleets_vehicle_is_not_found(nvx, their_vehicle, via):
    failed(nvx("vehicle/read", via, vehicle_id=their_vehicle.pk), 400, 201)


def test_a_vehicle_read_needs_a_vehicle_id(nvx, loader):
    failed(nvx("vehicle/read"), 400, 7)
    failed(nvx("vehicle/read", vehicle_id="LOAD-1"), 400, 7)
