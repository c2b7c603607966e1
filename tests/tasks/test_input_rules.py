"""A task's reminders come before its limits and its dates are meant, in every face."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from fleetmaint.errors import ValidationFailed
from fleetmaint.tasks import services
from fleetmaint.tasks.inputs import TaskInput
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.usefixtures("clock", "media")  # 2030-06-15 12:00 in Berlin

MILEAGE_REMINDER = (
    "The reminder must come before the limit: a reminder 6,000 before a limit of 5,000 would "
    "make the task due soon the moment it starts. Give a reminder smaller than 5,000, or none."
)
PAST_END = (
    "The end date 2030-06-14 is in the past. If the work is already overdue, "
    "confirm it (already overdue) and the task starts expired."
)
TOO_FAR = "The end date must be within ten years from today, by 2040-06-15 at the latest."


@pytest.fixture
def truck(org) -> Vehicle:
    truck = vehicles.vehicle_create(
        org=org, label="Actros 7", vehicle_key="ACT-7", tracks_engine_hours=True
    )
    vehicles.reading_record(vehicle=truck, odometer=200_000, engine_hours=5_000)
    truck.refresh_from_db()
    return truck


def task(**conditions) -> TaskInput:
    overdue = conditions.pop("already_overdue", False)
    return TaskInput(description="Check", conditions=conditions, already_overdue=overdue)


def end_on(day: str, notify: int | None = None) -> dict:
    return {"end": f"{day} 23:59:59", "notification_interval": notify}


# --- the typed input and the service ------------------------------------------------------


@pytest.mark.parametrize("reminder", [5_000, 6_000])
def test_a_distance_reminder_not_before_its_limit_is_refused(reminder):
    with pytest.raises(ValidationFailed) as error:
        task(mileage={"limit": 5_000, "notification_interval": reminder})
    assert error.value.field == "conditions.mileage.notification_interval"
    assert error.value.message.startswith("The reminder must come before the limit")
    if reminder == 6_000:
        assert error.value.message == MILEAGE_REMINDER


def test_an_hours_reminder_not_before_its_limit_is_refused():
    with pytest.raises(ValidationFailed) as error:
        task(engine_hours={"limit": "250", "notification_interval": "250.0"})
    assert error.value.field == "conditions.engine_hours.notification_interval"
    assert "a reminder 250 engine hours before a limit of 250 engine hours" in error.value.message


def test_reminders_before_their_limits_and_none_are_taken():
    task(mileage={"limit": 5_000, "notification_interval": 4_999})
    task(mileage={"limit": 5_000, "notification_interval": 0})
    task(engine_hours={"limit": "250", "notification_interval": "249.9"})


def test_a_date_reminder_reaching_before_today_is_meant_and_notifies(truck):
    made = services.task_create(vehicle=truck, data=task(date=end_on("2030-06-25", notify=10)))
    assert made.date_notify_days == 10


def test_a_new_task_ending_in_the_past_needs_already_overdue(truck):
    with pytest.raises(ValidationFailed) as error:
        services.task_create(vehicle=truck, data=task(date=end_on("2030-06-14")))
    assert (error.value.message, error.value.field) == (PAST_END, "conditions.date.end")
    made = services.task_create(
        vehicle=truck, data=task(date=end_on("2030-06-14"), already_overdue=True)
    )
    assert made.status == Status.EXPIRED


def test_a_task_ending_today_is_not_in_the_past(truck):
    made = services.task_create(vehicle=truck, data=task(date=end_on("2030-06-15")))
    assert made.status in (Status.CREATED, Status.NOTIFIED)


def test_end_dates_up_to_ten_years_ahead(truck):
    services.task_create(vehicle=truck, data=task(date=end_on("2040-06-15")))
    with pytest.raises(ValidationFailed) as error:
        services.task_create(vehicle=truck, data=task(date=end_on("2040-06-16")))
    assert (error.value.message, error.value.field) == (TOO_FAR, "conditions.date.end")


def test_a_batch_follows_the_same_rules(org, truck):
    with pytest.raises(ValidationFailed) as error:
        services.tasks_batch_create(
            org=org, vehicle_ids=[truck.pk], data=task(date=end_on("2030-06-14"))
        )
    assert error.value.message == PAST_END
    assert not ServiceTask.objects.exists()


def test_an_update_may_keep_an_end_already_past(truck, clock):
    made = services.task_create(vehicle=truck, data=task(date=end_on("2030-06-20")))
    clock.move_to(NOW + timedelta(days=10))
    changed = services.task_update(
        task=made,
        data=TaskInput(description="Renamed", conditions={"date": end_on("2030-06-20")}),
    )
    assert changed.description == "Renamed"


# --- the JSON API -----------------------------------------------------------------------


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "conditions, field, message",
    [
        (
            {"mileage": {"limit": 5_000, "notification_interval": 6_000}},
            "conditions.mileage.notification_interval",
            MILEAGE_REMINDER,
        ),
        ({"date": end_on("2030-06-14")}, "conditions.date.end", PAST_END),
        ({"date": end_on("2040-06-16")}, "conditions.date.end", TOO_FAR),
    ],
)
def test_the_api_refuses_what_cannot_be_meant(api, truck, conditions, field, message):
    body = {"vehicle_id": truck.pk, "description": "Check", "conditions": conditions}
    response = post(api, "/api/v1/tasks", body)
    assert response.status_code == 400, response.content
    assert response.json() == {"code": "invalid", "message": message, "field": field}


def test_the_api_takes_an_overdue_task_when_told(api, truck):
    body = {
        "vehicle_id": truck.pk,
        "description": "Check",
        "conditions": {"date": end_on("2030-06-14")},
        "already_overdue": True,
    }
    response = post(api, "/api/v1/tasks", body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.EXPIRED


def test_the_api_document_declares_already_overdue(api):
    schema = api.get("/api/v1/openapi.json").json()["components"]["schemas"]["TaskIn"]
    assert schema["properties"]["already_overdue"]["type"] == "boolean"


# --- the /v2 vendor endpoint (seed 004): the same rules, in its envelope ------------------


def test_the_vendor_endpoint_refuses_a_reminder_past_the_limit(api_key, truck):
    body = {
        "hash": api_key,
        "task": {
            "vehicle_id": truck.pk,
            "description": "Check",
            "conditions": {"mileage": {"limit": 5_000, "notification_interval": 6_000}},
        },
    }
    response = Client().post(
        "/v2/vehicle/service_task/create", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "status": {"code": 7, "description": MILEAGE_REMINDER},
    }


# --- the page -----------------------------------------------------------------------------


def field_errors(response, input_id: str) -> str:
    html = response.content.decode()
    for block in html.split('class="field')[1:]:
        if f'id="{input_id}"' in block:
            return block.split("</div>", 1)[0]
    raise AssertionError(f"no field {input_id!r} in the page")


def form(**fields) -> dict:
    return {"description": "Brake pads", "push_enabled": "on", **fields}


def test_the_page_shows_a_reminder_past_the_limit_next_to_the_reminder(advisor_client, truck):
    data = form(mileage_limit="5000", mileage_notify="6000")
    response = advisor_client.post(f"/tasks/new/?vehicle={truck.pk}", data, **HTMX)
    assert MILEAGE_REMINDER in field_errors(response, "id_mileage_notify")
    assert not ServiceTask.objects.exists()


def test_the_page_asks_to_confirm_a_past_end_date(advisor_client, truck):
    url = f"/tasks/new/?vehicle={truck.pk}"
    response = advisor_client.post(url, form(date_end="2030-06-14"), **HTMX)
    assert PAST_END in field_errors(response, "id_date_end")
    assert 'id="id_already_overdue"' in response.content.decode()
    response = advisor_client.post(url, form(date_end="2030-06-14", already_overdue="on"), **HTMX)
    assert response.status_code == 204, response.content[:300]
    assert ServiceTask.objects.get().status == Status.EXPIRED


def test_the_page_takes_an_end_years_ahead_and_says_how_far(advisor_client, truck):
    url = f"/tasks/new/?vehicle={truck.pk}"
    response = advisor_client.post(url, form(date_end="2040-06-16"), **HTMX)
    assert TOO_FAR in field_errors(response, "id_date_end")
    assert "Within ten years from today." in field_errors(response, "id_date_end")
    response = advisor_client.post(url, form(date_end="2034-06-01", date_notify="30"), **HTMX)
    assert response.status_code == 204
    assert ServiceTask.objects.get().hours_limit is None
    assert ServiceTask.objects.get().cost == Decimal("0")
