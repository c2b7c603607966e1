"""The vendor lists read from rows: /v2 service tasks and vehicles, and seed 003's intervals.

Each listed object is exactly the object the vendor's read answers, in the
vendor's formats (local times, numbers, strings), and a list costs the same
statements whatever its length.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.intervals import services as intervals
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.compat.test_navixy import ok, send

NOW = datetime(2030, 1, 15, 10, 0, 0, 250_000, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def nvx(api_key):
    def call(action: str, **params) -> dict:
        return ok(send(Client(), action, {"hash": api_key, **params}))

    return call


@pytest.fixture
def loader(org) -> Vehicle:
    truck = vehicles.vehicle_create(
        org=org, label="Loader", vehicle_key="LOAD-1", tracks_engine_hours=True, year=2021
    )
    vehicles.reading_record(
        vehicle=truck, odometer=500, engine_hours=Decimal("50.5"), confirm_jump=True
    )
    return truck


@pytest.fixture
def worked(org, loader):
    shared = tasks.file_upload(org=org, upload=SimpleUploadedFile("manual.pdf", PDF))
    full = tasks.task_create(
        vehicle=loader,
        data=TaskInput(
            description="Hydraulic service",
            cost="45.50",
            conditions=Conditions(
                mileage={"limit": 1_000, "notification_interval": 100},
                date={"end": NOW + timedelta(days=30), "notification_interval": 3},
                engine_hours={"limit": "20.5", "notification_interval": "2.5"},
            ),
            sms_phones=["+4915112345678"],
            file_ids=[shared.pk],
        ),
    )
    vehicles.reading_record(
        vehicle=loader, odometer=800, engine_hours=Decimal("60.5"), confirm_jump=True
    )
    done = tasks.task_create(
        vehicle=loader,
        data=TaskInput(
            description="Wipers", conditions=Conditions(date={"end": NOW + timedelta(days=5)})
        ),
    )
    tasks.task_mark_done(task=done)
    return {"full": full, "done": done, "file": shared}


def test_a_listed_task_has_local_times_numbers_and_nulls(nvx, worked, loader):
    listed = nvx("vehicle/service_task/list", sort=["id=asc"])["list"]
    # Berlin is an hour ahead of UTC in January.
    assert listed[0] == {
        "id": worked["full"].pk,
        "repeat": False,
        "unplanned": False,
        "completion_date": None,
        "vehicle_id": loader.pk,
        "cost": 45.5,
        "start": {"mileage": 500, "date": "2030-01-15 11:00:00", "engine_hours": 50.5},
        "completion": None,
        "conditions": {
            "mileage": {"limit": 1000, "notification_interval": 100, "repeat_interval": None},
            "date": {
                "end": "2030-02-14 11:00:00",
                "notification_interval": 3,
                "repeat_interval": None,
            },
            "engine_hours": {"limit": 20.5, "notification_interval": 2.5, "repeat_interval": None},
        },
        "notifications": {"sms_phones": ["4915112345678"], "emails": [], "push_enabled": True},
        "status": "created",
        "description": "Hydraulic service",
        "comment": "",
        "file_ids": [worked["file"].pk],
        "vehicle_label": "Loader",
        # 300 of 1,000 km is 30%; 10 of 20.5 hours is 48.78%: the most used decides.
        "prediction": {"end_date": listed[0]["prediction"]["end_date"], "wear_percentage": 48},
        "current_position": {"mileage": 800, "date": "2030-01-15 11:00:00", "engine_hours": 60.5},
    }
    assert listed[1]["completion"] == {
        "mileage": 800,
        "date": "2030-01-15 11:00:00",
        "engine_hours": 60.5,
    }


@pytest.mark.parametrize("options", [{}, {"iso_datetime": True, "return_prediction": False}])
def test_each_listed_task_is_the_task_read_alone(nvx, worked, options):
    listed = nvx("vehicle/service_task/list", **options)["list"]
    assert len(listed) == 2
    for task in listed:
        assert task == nvx("vehicle/service_task/read", task_id=task["id"], **options)["value"]
    if options.get("iso_datetime"):
        assert listed[0]["start"]["date"] == "2030-01-15T11:00:00+01:00"


def test_each_listed_vehicle_is_the_vehicle_read_alone(nvx, loader, vehicle):
    listed = nvx("vehicle/list")["list"]
    assert [v["label"] for v in listed] == ["Loader", "Van 1"]
    for item in listed:
        assert item == nvx("vehicle/read", vehicle_id=item["id"])["value"]
    assert listed[0] == {
        "id": loader.pk,
        "label": "Loader",
        "model": "",
        "reg_number": "",
        "vin": "",
        "manufacture_year": 2021,
        "make": "",
        "vehicle_key": "LOAD-1",
        "archived": False,
    }


def count_statements(call) -> int:
    call()  # the key records its use once a minute; warm that up
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_the_vehicle_list_costs_the_same_statements_at_any_length(nvx, org, loader):
    few = count_statements(lambda: nvx("vehicle/list"))
    for number in range(10):
        vehicles.vehicle_create(org=org, label=f"Van {number}", vehicle_key=f"V{number}")
    assert count_statements(lambda: nvx("vehicle/list")) == few


# --- seed 003: service intervals -----------------------------------------------------------


def voyo(api_key: str, method: str, **data) -> dict:
    response = Client().post(
        f"/voyorequest/{method}", data, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_intervals_are_listed_in_utc_with_unset_fields_left_out(api_key, loader):
    due = intervals.interval_create(vehicle=loader, odometer=500, notes="Oil")
    dated = intervals.interval_create(vehicle=loader, time=NOW + timedelta(days=10))
    answer = voyo(api_key, "GetAllServiceIntervals")
    assert answer == {
        "error": "Success!",
        "service_intervals": [
            {
                "id": str(due.pk),
                "created_at": "2030-01-15 10:00:00",
                "last_updated": "2030-01-15 10:00:00",
                "notes": "Oil",
                "service_at_mileage": "500",
            },
            {
                "id": str(dated.pk),
                "created_at": "2030-01-15 10:00:00",
                "last_updated": "2030-01-15 10:00:00",
                "notes": "",
                "service_at_date": "2030-01-25 10:00:00",
            },
        ],
    }
    required = voyo(api_key, "GetAllServiceIntervals", maintenance_required="1")
    assert required["service_intervals"] == answer["service_intervals"][:1]
    by_vehicle = voyo(api_key, "GetServiceIntervals", vehicle_key="LOAD-1")
    assert by_vehicle == answer


def test_interval_lists_cost_the_same_statements_at_any_length(api_key, loader):
    def both() -> None:
        voyo(api_key, "GetAllServiceIntervals")
        voyo(api_key, "GetServiceIntervals", vehicle_key="LOAD-1")

    intervals.interval_create(vehicle=loader, odometer=900)
    few = count_statements(both)
    for number in range(10):
        intervals.interval_create(vehicle=loader, odometer=1_000 + number)
    assert count_statements(both) == few
