"""Importing readings from CSV: the page, the API, the export, and what is refused and why."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.accounts import services as accounts
from fleetmaint.imports import services
from fleetmaint.imports.kinds import guess_mapping
from fleetmaint.imports.models import ImportMapping, Upload
from fleetmaint.imports.readings import READINGS
from fleetmaint.imports.tables import parse_moment
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, ReadingSource

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/readings"


def post_csv(api, body: str | bytes, mapping: str | None = None):
    url = URL if mapping is None else f"{URL}?mapping={mapping}"
    return api.post(url, data=body, content_type="text/csv")


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def test_a_csv_with_bom_semicolons_and_decimal_commas_is_imported(api, org, clock):
    vehicle = vehicles.vehicle_create(
        org=org, label="Van 2", vehicle_key="VAN-2", tracks_engine_hours=True
    )
    body = "\ufeff" + lines(
        "Fahrzeug;Datum;Km;Stunden;Notiz",
        "VAN-2;01.03.2030 08:00;1200;10,5;Werkstatt",
        "VAN-2;02.03.2030;1300;11;",
    )
    response = post_csv(
        api,
        body.encode("utf-8"),
        "vehicle_key=Fahrzeug,taken_at=Datum,odometer=Km,engine_hours=Stunden,note=Notiz",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"imported": 2, "duplicates": 0, "refused": []}
    stored = list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at")
        .values_list("odometer", "engine_hours", "note", "source")
    )
    assert stored == [
        (1200, Decimal("10.5"), "Werkstatt", ReadingSource.IMPORT),
        (1300, Decimal("11.0"), "", ReadingSource.IMPORT),
    ]
    first = Reading.objects.filter(vehicle=vehicle).earliest("recorded_at")
    # A time without an offset is the fleet's own.
    assert first.recorded_at == parse_moment(
        "2030-03-01 08:00", ZoneInfo(org.time_zone), field="taken_at"
    )


def test_headers_named_as_the_fields_need_no_mapping(api, vehicle, clock):
    body = lines("vehicle_key,taken_at,odometer", "VAN-1,2030-03-01T08:00:00+00:00,1200")
    assert post_csv(api, body).json() == {"imported": 1, "duplicates": 0, "refused": []}


def test_bad_rows_are_reported_with_their_row_number_and_reason(api, vehicle, clock):
    body = lines(
        "vehicle_key,taken_at,odometer",
        "VAN-1,2030-03-01 08:00,1200",
        "VAN-1,yesterday,1300",
        "VAN-1,2030-03-03 08:00,lots",
        "NOPE,2030-03-04 08:00,1400",
        "VAN-1,2030-03-05 08:00,1500",
    )
    answer = post_csv(api, body).json()
    assert answer["imported"] == 2
    reasons = {item["row"]: item["reason"] for item in answer["refused"]}
    assert sorted(reasons) == [3, 4, 5]
    assert "Cannot read the date 'yesterday'" in reasons[3]
    assert "whole number" in reasons[4]
    assert "No vehicle of this fleet has the vehicle key 'NOPE'" in reasons[5]


def test_a_decreasing_odometer_is_refused_by_the_reading_rules(api, vehicle, clock):
    body = lines(
        "vehicle_key,taken_at,odometer",
        "VAN-1,2030-03-01 08:00,5000",
        "VAN-1,2030-03-02 08:00,4000",
        "VAN-1,2030-03-03 08:00,90000",
    )
    answer = post_csv(api, body).json()
    assert answer["imported"] == 1
    reasons = {item["row"]: item["reason"] for item in answer["refused"]}
    assert sorted(reasons) == [3, 4]
    assert "The odometer cannot go down" in reasons[3]
    assert "Check the value" in reasons[4]  # the implausible jump, in the rules' own words


def test_importing_the_same_file_twice_stores_nothing_new(api, vehicle, clock):
    body = lines(
        "vehicle_key,taken_at,odometer",
        "VAN-1,2030-03-01 08:00,1200",
        "VAN-1,2030-03-02 08:00,1300",
    )
    assert post_csv(api, body).json()["imported"] == 2
    assert post_csv(api, body).json() == {"imported": 0, "duplicates": 2, "refused": []}
    assert Reading.objects.filter(vehicle=vehicle).count() == 2


def test_an_export_imported_again_is_all_duplicates(clock, api, advisor_client, org):
    vehicle = vehicles.vehicle_create(
        org=org, label="Van 2", vehicle_key="VAN-2", tracks_engine_hours=True
    )
    body = lines(
        "vehicle_key,taken_at,odometer,engine_hours,note",
        'VAN-2,2030-03-01 08:00:30.250000,1200,10.5,first; with "quotes", and comma',
        "VAN-2,2030-03-02 08:00,,11.0,",
        "VAN-2,2030-03-03 08:00,1300,,",
    )
    first = post_csv(api, body).json()
    assert first["imported"] == 3, first
    response = advisor_client.get(reverse("imports:export", args=["readings"]))
    assert response.status_code == 200
    exported = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == list(READINGS.export_columns)
    assert len(rows) == 4
    assert post_csv(api, exported).json() == {"imported": 0, "duplicates": 3, "refused": []}
    assert Reading.objects.filter(vehicle=vehicle).count() == 3


def test_another_fleets_vehicles_are_never_matched(api, other_api, other_org, vehicle, clock):
    theirs = vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="THEIRS")
    body = lines("vehicle_key,taken_at,odometer", "THEIRS,2030-03-01 08:00,1200")
    answer = post_csv(api, body).json()
    assert answer["imported"] == 0
    assert answer["refused"][0]["row"] == 2
    assert not Reading.objects.filter(vehicle=theirs).exists()
    # Nor does the export of one fleet show the other's readings.
    assert post_csv(other_api, body).json()["imported"] == 1


def test_another_fleets_export_holds_none_of_ours(clock, api, outsider_client, vehicle):
    post_csv(api, lines("vehicle_key,taken_at,odometer", "VAN-1,2030-03-01 08:00,1200"))
    response = outsider_client.get(reverse("imports:export", args=["readings"]))
    assert b"".join(response.streaming_content).decode().strip().splitlines() == [
        ",".join(READINGS.export_columns)
    ]


def test_vehicles_are_found_by_vin_or_plate(api, org, clock):
    van = vehicles.vehicle_create(
        org=org, label="Van", vehicle_key="V", vin="WDB9066331S123456", plate="B-XY 12"
    )
    by_vin = lines("VIN,When,Km", "WDB9066331S123456,2030-03-01 08:00,100")
    assert post_csv(api, by_vin, "vin=VIN,taken_at=When,odometer=Km").json()["imported"] == 1
    by_plate = lines("Plate,When,Km", "B-XY 12,2030-03-02 08:00,200")
    assert post_csv(api, by_plate, "plate=Plate,taken_at=When,odometer=Km").json()["imported"] == 1
    assert Reading.objects.filter(vehicle=van).count() == 2


def test_a_mapping_without_a_vehicle_column_is_refused_as_a_whole(api, vehicle, clock):
    response = post_csv(api, lines("a,b", "1,2"), "odometer=a,taken_at=b")
    assert response.status_code in (400, 422)
    assert "vehicle" in response.json()["message"]


def test_a_viewer_cannot_open_the_import_page(viewer_client, advisor_client):
    assert viewer_client.get(reverse("imports:upload", args=["readings"])).status_code == 403
    assert advisor_client.get(reverse("imports:upload", args=["readings"])).status_code == 200


def test_the_vehicles_page_links_to_the_imports(advisor_client):
    assert reverse("imports:index").encode() in advisor_client.get("/vehicles/").content
    index = advisor_client.get(reverse("imports:index"))
    assert reverse("imports:upload", args=["readings"]).encode() in index.content


def _fleet_rows(org, count: int) -> str:
    keys = [f"K{n}" for n in range(5)]
    for key in keys:
        vehicles.vehicle_create(org=org, label=key, vehicle_key=key)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    rows = ["vehicle_key,taken_at,odometer"]
    for n in range(count):
        taken = (start + timedelta(hours=n)).isoformat()
        rows.append(f"{keys[n % len(keys)]},{taken},{n}")
    return lines(*rows)


def _statements(org, count: int) -> tuple[int, int]:
    table = services.read_csv(_fleet_rows(org, count))
    mapping = guess_mapping(READINGS, table.header)
    with CaptureQueriesContext(connection) as queries:
        outcome = services.readings_import(org=org, table=table, mapping=mapping)
    return len(queries), outcome.imported


def test_an_import_costs_the_same_statements_for_200_rows_as_for_10(org, other_org, clock):
    few, few_stored = _statements(org, 10)
    many, many_stored = _statements(other_org, 200)
    assert (few_stored, many_stored) == (10, 200)
    assert few == many


def test_the_page_maps_previews_imports_and_offers_the_refused_rows(
    clock, advisor_client, org, vehicle, django_capture_on_commit_callbacks
):
    ImportMapping.objects.create(
        org=org, mapping={"vehicle_key": "Van", "taken_at": "When", "odometer": "Km"}
    )
    content = lines("Van,When,Km", "VAN-1,2030-03-01 08:00,1200", "VAN-1,2030-03-02 08:00,100")
    upload = io.BytesIO(content.encode())
    upload.name = "readings.csv"
    response = advisor_client.post(reverse("imports:upload", args=["readings"]), {"file": upload})
    assert response.status_code == 302
    page = advisor_client.get(response.url)
    # The fleet's last mapping is chosen already.
    assert b'<option value="Km" selected>' in page.content
    mapping = {"vehicle_key": "Van", "taken_at": "When", "odometer": "Km"}
    preview = advisor_client.get(response.url, {**mapping, "preview": "1"})
    assert preview.status_code == 200
    assert b"refused" in preview.content
    assert not Reading.objects.exists()  # a preview stores nothing
    with django_capture_on_commit_callbacks(execute=True):
        queued = advisor_client.post(response.url, mapping)
    assert queued.status_code == 302
    done = advisor_client.get(response.url)
    assert b"1 stored" in done.content
    assert (
        b'id="import-status"'
        in advisor_client.get(response.url, headers={"HX-Request": "true"}).content
    )
    stored = Upload.objects.get()
    # The same file again: its preview says the good row is stored already.
    again = io.BytesIO(content.encode())
    again.name = "readings.csv"
    second = advisor_client.post(reverse("imports:upload", args=["readings"]), {"file": again})
    preview = advisor_client.get(second.url, {**mapping, "preview": "1"})
    assert b"already stored: skipped" in preview.content
    stored.refresh_from_db()
    assert stored.content == ""  # the file is not kept once imported
    rejected = advisor_client.get(reverse("imports:rejected", args=[stored.pk]))
    rows = list(csv.reader(io.StringIO(rejected.content.decode())))
    assert rows[0] == ["row", "Van", "When", "Km", "reason"]
    assert rows[1][:4] == ["3", "VAN-1", "2030-03-02 08:00", "100"]
    assert rows[1][4]


def test_an_upload_of_another_fleet_is_not_found(advisor_client, outsider, other_org):
    upload = Upload.objects.create(org=other_org, name="x.csv", content="a\n1\n")
    assert advisor_client.get(reverse("imports:map", args=[upload.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("latin1.csv", "Fahrzeug;Datum\nVAN-1;01.03.2030 \xe4\n".encode("latin-1"), b"not UTF-8"),
        ("sheet.xlsx", b"PK\x03\x04", b"not an XLSX workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0", b"save the sheet as .xlsx or CSV"),
        ("empty.csv", b"vehicle_key,taken_at,odometer\n", b"no rows"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_reason(
    advisor_client, name, content, words
):
    upload = io.BytesIO(content)
    upload.name = name
    response = advisor_client.post(reverse("imports:upload", args=["readings"]), {"file": upload})
    assert response.status_code == 422
    assert words in response.content
    assert not Upload.objects.exists()


def test_a_viewer_may_export_readings_but_not_open_an_upload(clock, viewer_client, vehicle):
    assert viewer_client.get(reverse("imports:export", args=["readings"])).status_code == 200
    upload = Upload.objects.create(org=vehicle.org, name="x.csv", content="a\n1\n")
    assert viewer_client.get(reverse("imports:map", args=[upload.pk])).status_code == 403


def test_an_import_in_progress_shows_how_far_it_is(clock, advisor_client, org, vehicle):
    content = lines("vehicle_key,taken_at,odometer", "VAN-1,2030-03-01 08:00,1200")
    upload = services.upload_create(
        org=org, kind=READINGS, actor=None, name="r.csv", data=content.encode()
    )
    mapping = guess_mapping(READINGS, services.read_csv(upload.content).header)
    services.upload_queue(upload=upload, mapping=mapping)  # no commit: no worker has it yet
    page = advisor_client.get(reverse("imports:map", args=[upload.pk]))
    assert b"Waiting for a worker" in page.content
    assert b'hx-trigger="every 1s"' in page.content
    services.upload_run(upload.pk)
    page = advisor_client.get(reverse("imports:map", args=[upload.pk]))
    assert b"1 stored" in page.content
    assert b"every 1s" not in page.content
    assert services.mapping_last(org, READINGS) == mapping


def test_a_read_only_key_cannot_import(org, vehicle, clock):
    _, raw = accounts.apikey_create(org=org, name="reader", read_only=True)
    reader = Client(headers={"Authorization": f"Bearer {raw}"})
    body = lines("vehicle_key,taken_at,odometer", "VAN-1,2030-03-01 08:00,1200")
    assert post_csv(reader, body).status_code == 403
    assert not Reading.objects.exists()


def test_an_import_nobody_takes_is_told_as_stopped_instead_of_polling_forever(
    clock, advisor_client, org, vehicle
):
    content = lines("vehicle_key,taken_at,odometer", "VAN-1,2030-03-01 08:00,1200")
    upload = services.upload_create(
        org=org, kind=READINGS, actor=None, name="r.csv", data=content.encode()
    )
    mapping = guess_mapping(READINGS, services.read_csv(upload.content).header)
    services.upload_queue(upload=upload, mapping=mapping)  # no commit: no worker has it
    clock.shift(timedelta(minutes=30))
    page = advisor_client.get(reverse("imports:map", args=[upload.pk]))
    assert b"Waiting for a worker" in page.content
    clock.shift(timedelta(minutes=40))
    page = advisor_client.get(reverse("imports:map", args=[upload.pk]))
    assert b"has not moved for over an hour" in page.content
    assert b"every 1s" not in page.content
    upload.refresh_from_db()
    assert upload.status == "failed"
    # A worker that takes it late finds it failed and leaves it.
    services.upload_run(upload.pk)
    assert not Reading.objects.exists()
