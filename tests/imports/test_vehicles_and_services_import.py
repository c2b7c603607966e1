"""Importing vehicles and past service records: rows' rules, duplicates, exports, scope, cost."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.imports import services
from fleetmaint.imports.tables import read_csv
from fleetmaint.intervals import services as intervals
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Powertrain, Vehicle

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def post(api, kind: str, body: str, mapping: str | None = None):
    url = f"/api/v1/imports/{kind}" + (f"?mapping={mapping}" if mapping else "")
    return api.post(url, data=body.encode(), content_type="text/csv")


# --- vehicles ---------------------------------------------------------------------------

VEHICLES = lines(
    "Key;Name;VIN;Plate;Make;Year;Unit;Powertrain;Engine hours;Device",
    "VAN-7;Van 7;WDB9066331S123456;B-FM 7;Mercedes;2021;km;Diesel;no;trk-7",
    "EV-1;City EV;;B-FM 8;Renault;2023;mi;electric;;",
    ";Digger;;DIG 1;CAT;2019;;Equipment;yes;",
    "BAD;;;;;;;;;",
    "YR;Old;;;;1850;;;;",
    "PT;Odd;;;;;;steam;;",
    "DEV;Second tracker;;;;;;;;trk-7",
    "VAN-7;Van 7 again;;;;;;;;",
)


def test_vehicles_are_imported_with_their_values_and_bad_rows_are_told(api, org, clock):
    answer = post(api, "vehicles", VEHICLES).json()
    assert answer["imported"] == 3
    assert answer["duplicates"] == 1  # VAN-7 twice in the file
    reasons = {r["row"]: r["reason"] for r in answer["refused"]}
    assert sorted(reasons) == [5, 6, 7, 8]
    assert "name" in reasons[5] or "label" in reasons[5]
    assert "year" in reasons[6]
    assert "powertrain" in reasons[7]
    assert "trk-7" in reasons[8]
    van = Vehicle.objects.get(org=org, vehicle_key="VAN-7")
    assert (van.label, van.vin, van.plate, van.make, van.year) == (
        "Van 7",
        "WDB9066331S123456",
        "B-FM 7",
        "Mercedes",
        2021,
    )
    assert (van.powertrain, van.distance_unit, van.device_id) == (Powertrain.DIESEL, "km", "trk-7")
    ev = Vehicle.objects.get(org=org, vehicle_key="EV-1")
    assert (ev.powertrain, ev.distance_unit) == (Powertrain.ELECTRIC, "mi")
    digger = Vehicle.objects.get(org=org, label="Digger")
    assert digger.tracks_engine_hours and digger.powertrain == Powertrain.EQUIPMENT
    assert digger.vehicle_key  # generated


def test_a_vehicle_without_key_vin_or_plate_is_refused_so_that_a_second_import_cannot_double_it(
    api, clock
):
    body = lines("label,make", "Nameless,Ford")
    response = post(api, "vehicles", body, "label=label,make=make")
    assert response.status_code == 400
    assert "key, VIN or plate" in response.json()["message"]


def test_importing_vehicles_twice_adds_nothing_and_changes_nothing(api, org, clock):
    post(api, "vehicles", VEHICLES)
    Vehicle.objects.filter(vehicle_key="VAN-7").update(label="Renamed")
    before = Vehicle.objects.filter(org=org).count()
    again = post(api, "vehicles", VEHICLES).json()
    assert again["imported"] == 0
    assert again["duplicates"] == 4  # three stored, and VAN-7 twice
    assert Vehicle.objects.filter(org=org).count() == before
    assert Vehicle.objects.get(vehicle_key="VAN-7").label == "Renamed"


def test_a_vehicle_export_imported_into_another_fleet_gives_the_same_vehicles(
    api, other_api, org, other_org, clock
):
    post(api, "vehicles", VEHICLES)
    exported = b"".join(api.get("/api/v1/imports/vehicles/export").streaming_content).decode()
    answer = other_api.post(
        "/api/v1/imports/vehicles", data=exported.encode(), content_type="text/csv"
    ).json()
    assert answer == {"imported": 3, "duplicates": 0, "refused": []}
    columns = ["vehicle_key", "label", "vin", "plate", "powertrain", "tracks_engine_hours"]
    ours = list(Vehicle.objects.filter(org=org).order_by("vehicle_key").values_list(*columns))
    theirs = list(
        Vehicle.objects.filter(org=other_org).order_by("vehicle_key").values_list(*columns)
    )
    assert ours == theirs
    # Again into the same fleet: all there.
    again = api.post("/api/v1/imports/vehicles", data=exported.encode(), content_type="text/csv")
    assert again.json() == {"imported": 0, "duplicates": 3, "refused": []}


def test_another_fleets_vehicle_with_the_same_key_is_not_a_duplicate(
    api, other_api, other_org, clock
):
    post(api, "vehicles", VEHICLES)
    answer = post(other_api, "vehicles", VEHICLES).json()
    assert answer["imported"] == 3
    assert Vehicle.objects.filter(org=other_org, vehicle_key="VAN-7").exists()


def _fleet_file(count: int) -> str:
    rows = [f"K{n},Vehicle {n},P-{n}" for n in range(count)]
    return lines("vehicle_key,label,plate", *rows)


def test_a_vehicle_import_costs_the_same_statements_for_many_rows_as_for_10(org, other_org, clock):
    def statements(target, count: int) -> int:
        table = read_csv(_fleet_file(count))
        kind = services.kind_named("vehicles")
        mapping = {"vehicle_key": "vehicle_key", "label": "label", "plate": "plate"}
        with CaptureQueriesContext(connection) as captured:
            outcome = services.rows_import(kind=kind, org=target, table=table, mapping=mapping)
        assert outcome.imported == count
        return len(captured)

    # SQLite takes at most 999 values a statement, so Django splits its inserts sooner.
    many = 200 if connection.vendor == "postgresql" else 40
    assert statements(org, 10) == statements(other_org, many)


# --- service records --------------------------------------------------------------------


@pytest.fixture
def truck(org):
    return vehicles.vehicle_create(
        org=org, label="Truck", vehicle_key="TR-1", tracks_engine_hours=True
    )


SERVICES = lines(
    "vehicle;date;description;mileage;hours;cost;shop;notes",
    "TR-1;2029-03-01;Oil change;45000;1200,5;189,90;Garage Nord;Synthetic 5W-30",
    "TR-1;12.09.2029 14:30;Brake pads front;52000;;420;Garage Nord;",
    "TR-1;2029-03-01;Oil change;45000;1200,5;189,90;Garage Nord;Synthetic 5W-30",
    "TR-1;2031-01-01;Future work;;;;;",
    "NOPE;2029-03-01;Oil change;;;;;",
    "TR-1;2029-04-01;;;;;;",
    "TR-1;2029-05-01;Tyres;-5;;;;",
    "TR-1;2029-05-02;Tyres;;;-10;;",
    "TR-1;2029-05-03;Tyres;;;1.234;;",
)


def test_past_services_become_done_tasks_in_the_vehicles_history(api, truck, clock):
    answer = post(api, "service-records", SERVICES).json()
    assert answer["imported"] == 2
    assert answer["duplicates"] == 1
    reasons = {r["row"]: r["reason"] for r in answer["refused"]}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10]
    assert "future" in reasons[5]
    assert "No vehicle of this fleet has the vehicle key 'NOPE'" in reasons[6]
    assert "what was done" in reasons[7]
    assert "odometer" in reasons[8].lower()
    assert "negative" in reasons[9]
    assert "two decimals" in reasons[10]
    oil = TaskCompletion.objects.get(task__description="Oil change")
    assert oil.done_at == datetime(2029, 3, 1, tzinfo=BERLIN)
    assert (oil.odometer, oil.engine_hours, oil.cost) == (
        45000,
        Decimal("1200.5"),
        Decimal("189.90"),
    )
    assert (oil.servicer, oil.notes) == ("Garage Nord", "Synthetic 5W-30")
    assert oil.task.status == Status.DONE
    brakes = ServiceTask.objects.get(description="Brake pads front")
    assert brakes.completion_date == datetime(2029, 9, 12, 14, 30, tzinfo=BERLIN)
    # Nothing falls due from history, and the vehicle's page shows it.
    assert not ServiceTask.objects.open().exists()


def test_the_vehicle_history_shows_imported_services(clock, api, advisor_client, truck):
    post(api, "service-records", SERVICES)
    history = advisor_client.get(f"/vehicles/{truck.pk}/history/")
    assert b"Brake pads front" in history.content


def test_engine_hours_on_a_vehicle_without_them_are_refused(api, vehicle, clock):
    body = lines("vehicle_key,done_at,service,engine_hours", "VAN-1,2029-03-01,Oil,100")
    answer = post(api, "service-records", body).json()
    assert answer["imported"] == 0
    assert "does not track engine hours" in answer["refused"][0]["reason"]


def test_service_records_imported_twice_or_from_their_export_add_nothing(api, org, truck, clock):
    post(api, "service-records", SERVICES)
    interval = intervals.interval_create(vehicle=truck, name="Inspection", odometer=60000)
    intervals.interval_mark_serviced(
        interval=interval, odometer=50000, serviced_at=datetime(2029, 8, 1, tzinfo=BERLIN)
    )
    exported = b"".join(
        api.get("/api/v1/imports/service-records/export").streaming_content
    ).decode()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == [
        "vehicle_key",
        "done_at",
        "service",
        "odometer",
        "engine_hours",
        "cost",
        "servicer",
        "notes",
    ]
    assert {row[2] for row in rows[1:]} == {"Oil change", "Brake pads front", "Inspection"}
    tasks_before = ServiceTask.objects.count()
    again = api.post(
        "/api/v1/imports/service-records", data=exported.encode(), content_type="text/csv"
    ).json()
    assert again == {"imported": 0, "duplicates": 3, "refused": []}
    assert ServiceTask.objects.count() == tasks_before


def test_another_fleets_vehicle_is_never_given_a_service(api, other_api, truck, clock):
    answer = post(other_api, "service-records", SERVICES).json()
    assert answer["imported"] == 0
    assert not TaskCompletion.objects.exists()


def test_the_page_imports_service_records_in_the_background(
    clock, advisor_client, truck, django_capture_on_commit_callbacks
):
    file = io.BytesIO(SERVICES.encode())
    file.name = "history.csv"
    response = advisor_client.post(
        reverse("imports:upload", args=["service-records"]), {"file": file}
    )
    assert response.status_code == 302
    page = advisor_client.get(response.url)
    assert b"Import service records" in page.content
    # The header's names are recognised: date, description, mileage, shop.
    assert b'<option value="description" selected>' in page.content
    mapping = {
        "vehicle_key": "vehicle",
        "done_at": "date",
        "service": "description",
        "odometer": "mileage",
        "engine_hours": "hours",
        "cost": "cost",
        "servicer": "shop",
        "notes": "notes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        advisor_client.post(response.url, mapping)
    done = advisor_client.get(response.url)
    assert b"Service records imported." in done.content
    assert b"2 stored" in done.content
    assert TaskCompletion.objects.get(task__description="Oil change").recorded_by is not None


def test_the_import_pages_of_an_unknown_kind_are_not_found(advisor_client, api):
    assert advisor_client.get("/imports/tyres/").status_code == 404
    answer = api.post("/api/v1/imports/tyres", data=b"a\n1\n", content_type="text/csv")
    assert answer.status_code == 400
    assert "kind" in answer.json()["message"]


def test_the_preview_checks_every_row_of_a_small_file_and_lists_each_refused_one(
    clock, advisor_client, truck
):
    good = [f"TR-1;2029-01-{day:02d} 08:00;Check {day}" for day in range(1, 29)] * 3
    bad = "TR-1;2029-02-30;Impossible date"
    content = lines("vehicle;date;description", *good, bad, "TR-1;2029-03-01;Oil")
    file = io.BytesIO(content.encode())
    file.name = "history.csv"
    response = advisor_client.post(
        reverse("imports:upload", args=["service-records"]), {"file": file}
    )
    mapping = {"vehicle_key": "vehicle", "done_at": "date", "service": "description"}
    page = advisor_client.get(response.url, {**mapping, "preview": "1"}).content.decode()
    # 86 rows: 29 new, 56 repeating earlier rows of the file, one refused beyond the first 50.
    assert "All 86 rows checked:" in page
    assert "29 would be stored, 56 already stored (skipped), 1 refused." in page
    assert "<td>86</td>" in page and "Cannot read the date &#x27;2029-02-30&#x27;" in page
    assert "<td>60</td>" not in page  # a good row beyond the first 50 is not listed
    assert not TaskCompletion.objects.exists()
