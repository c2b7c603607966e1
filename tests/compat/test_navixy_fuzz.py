"""Hostile input on every /v2 action: a 4xx in the vendor's envelope, never a 500, no change.

Each action starts from a valid request. Every parameter and every field of
its objects is then replaced by each hostile value of ``tests.hostile`` (wrong
types, huge and negative numbers, NUL bytes, lone surrogates, 1 MB strings,
arrays for objects). The answer is either the action's success or the
vendor's failure envelope with a 4xx; after a failure no row has changed.
Whole bodies that are not JSON, nested 100,000 levels deep, or too wide are
refused the same way.
"""

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import TaskInput
from fleetmaint.tasks.models import ServiceTask, TaskFile
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests import hostile
from tests.clock import NOW

VENDOR_TASK = {
    "comment": "",
    "conditions": {
        "mileage": {"limit": 100, "notification_interval": 10, "repeat_interval": 42},
        "date": {"end": "2030-12-10 23:59:59", "notification_interval": 3, "repeat_interval": 9},
    },
    "cost": 100,
    "description": "service1",
    "file_ids": [],
    "notifications": {"sms_phones": ["79221234567"], "emails": ["a@b.tld"], "push_enabled": True},
    "repeat": False,
    "unplanned": False,
}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def van(vehicle) -> Vehicle:
    vehicles.reading_record(vehicle=vehicle, odometer=1230, recorded_at=NOW - timedelta(hours=1))
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def task(van) -> ServiceTask:
    data = TaskInput(description="Brake check", conditions={"mileage": {"limit": 500}})
    return tasks.task_create(vehicle=van, data=data)


@pytest.fixture
def client(api_key) -> Client:
    # The key in the header, so that every hostile body is read past authentication.
    return Client(HTTP_AUTHORIZATION=f"NVX {api_key}")


def valid_params(action: str, van: Vehicle, task: ServiceTask) -> dict:
    return {
        "vehicle/service_task/create": {"task": {**VENDOR_TASK, "vehicle_id": van.pk}},
        "vehicle/service_task/batch/create": {"vehicle_ids": [van.pk], "task": VENDOR_TASK},
        "vehicle/service_task/update": {
            "task": {**VENDOR_TASK, "id": task.pk, "vehicle_id": van.pk}
        },
        "vehicle/service_task/delete": {"task_id": task.pk, "task_ids": [task.pk]},
        "vehicle/service_task/read": {"task_id": task.pk, "return_prediction": False},
        "vehicle/service_task/set_status": {"task_id": task.pk, "status": "done"},
        "vehicle/service_task/list": {
            "only_unplanned": False,
            "vehicle_ids": [van.pk],
            "statuses": ["created"],
            "sort": ["cost=desc"],
            "limit": 5,
            "offset": 0,
            "return_prediction": True,
            "iso_datetime": False,
        },
        "vehicle/service_task/download": {
            "vehicle_ids": [van.pk],
            "statuses": ["created"],
            "sort": ["status=asc"],
            "format": "csv",
            "group_by": "vehicle",
            "add_filename_header": True,
            "limit": 5,
        },
        "vehicle/list": {},
        "vehicle/read": {"vehicle_id": van.pk},
    }[action]


ACTIONS = [
    "vehicle/service_task/create",
    "vehicle/service_task/batch/create",
    "vehicle/service_task/update",
    "vehicle/service_task/delete",
    "vehicle/service_task/read",
    "vehicle/service_task/set_status",
    "vehicle/service_task/list",
    "vehicle/service_task/download",
    "vehicle/list",
    "vehicle/read",
]


def paths(value: object, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path of a parameter set: objects themselves and their fields."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))


def replaced(params: dict, path: tuple, value: object) -> dict:
    copy = json.loads(json.dumps(params))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def state() -> list:
    """Every row an action could change."""
    return [
        list(ServiceTask.objects.order_by("pk").values()),
        list(TaskFile.objects.order_by("pk").values_list("pk", flat=True)),
        list(Vehicle.objects.order_by("pk").values()),
    ]


def post_json(client: Client, action: str, body: str):
    return client.post(f"/v2/{action}", body, content_type="application/json")


def assert_answer(response, before: list) -> None:
    """Success, or a 4xx in the vendor's envelope that changed nothing."""
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 200:
        if response["Content-Type"].startswith("application/json"):
            assert response.json()["success"] is True
        return
    assert 400 <= response.status_code < 500, response.content[:300]
    body = response.json()
    assert set(body) == {"success", "status"}
    assert body["success"] is False
    assert set(body["status"]) == {"code", "description"}
    assert isinstance(body["status"]["code"], int)
    assert isinstance(body["status"]["description"], str) and body["status"]["description"]
    assert state() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_every_field_with_every_hostile_value(client, van, task, action):
    params = valid_params(action, van, task)
    for path in list(paths(params)):
        for value in hostile.EVERYTHING:
            before = state()
            body = hostile.dumps(replaced(params, path, value))
            response = post_json(client, action, body)
            assert_answer(response, before)
            if response.status_code == 200 and action.endswith(("delete", "set_status")):
                return  # the task is gone or done: the valid request no longer is one


@pytest.mark.parametrize("action", ACTIONS)
def test_every_parameter_as_hostile_form_text(client, van, task, action):
    """Form fields and query parameters carry objects and lists as JSON text."""
    params = valid_params(action, van, task)
    texts = [hostile.NUL, hostile.deep(), hostile.deep_object(), "[1,", "1e400", "-1"]
    for name in params:
        for text in texts:
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            form[name] = text
            before = state()
            assert_answer(client.post(f"/v2/{action}", form), before)
            assert_answer(client.get(f"/v2/{action}", form), before)
            if ServiceTask.objects.filter(pk=task.pk, status="created").count() == 0:
                return


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "body",
    [
        *hostile.BROKEN_BODIES,
        hostile.deep(),
        hostile.deep_object(),
        hostile.wide_object(),
        hostile.LONG_KEY_OBJECT,
        '{"task": ' + hostile.deep() + "}",
        '{"task": ' + hostile.deep_object() + "}",
        b'{"task": "\xff\xfe"}',
        '{"task_id": 1, "\\u0000": 1}',
        '{"task": {"description": "\\ud800"}}',
    ],
    ids=lambda body: str(body)[:20],
)
def test_a_hostile_body_is_refused_in_the_envelope(client, van, task, action, body):
    before = state()
    response = post_json(client, action, body)
    assert_answer(response, before)
    if response.status_code == 200:
        # Only an empty body is a valid request, to the actions that need no parameter.
        assert body == "" and action in (
            "vehicle/list",
            "vehicle/service_task/list",
            "vehicle/service_task/download",
        )


def test_a_task_of_the_wrong_shape_creates_nothing(client, van):
    for shape in ([VENDOR_TASK], "task", 1, None, True, [[]]):
        before = state()
        body = json.dumps({"task": shape, "vehicle_ids": [van.pk]})
        for action in ("vehicle/service_task/create", "vehicle/service_task/batch/create"):
            assert_answer(post_json(client, action, body), before)
        assert not ServiceTask.objects.filter(description="service1").exists()
