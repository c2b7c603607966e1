"""The files an import reads: XLSX workbooks, Excel dates, encodings and separators."""

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fleetmaint.errors import ValidationFailed
from fleetmaint.imports import services
from fleetmaint.imports.models import Upload
from fleetmaint.imports.readings import READINGS
from fleetmaint.imports.tables import (
    file_cell,
    parse_moment,
    read_upload,
    rejected_csv,
    sheet_cell,
)
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BERLIN = ZoneInfo("Europe/Berlin")


def workbook(*rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cell in sheet["B"][1:]:
        if isinstance(cell.value, datetime | date):
            cell.number_format = "dd.mm.yyyy hh:mm"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_is_read_with_its_dates_and_numbers():
    data = workbook(
        ["Vehicle", "When", "Km", "Hours", ""],
        ["VAN-1", datetime(2030, 3, 1, 8, 30), 1200, 10.5, None],
        [None, None, None, None, None],
        ["VAN-1", date(2030, 3, 2), 1300.0, None, None],
    )
    table = read_upload("fleet.xlsx", data)
    assert table.header == ["Vehicle", "When", "Km", "Hours"]
    # The blank row stays in its place, so that row numbers are the sheet's own.
    assert [row[:4] for row in table.rows] == [
        ["VAN-1", "2030-03-01 08:30:00", "1200", "10.5"],
        ["", "", "", ""],
        ["VAN-1", "2030-03-02", "1300", ""],
    ]
    assert table.filled == 2


def test_an_excel_day_number_is_read_as_a_date_in_the_fleets_zone():
    assert parse_moment("47178", BERLIN, field="taken_at") == datetime(2029, 3, 1, tzinfo=BERLIN)
    assert parse_moment("47178.5", BERLIN, field="taken_at") == datetime(
        2029, 3, 1, 12, tzinfo=BERLIN
    )
    # A number far from any plausible date stays an error, not a date in 1900.
    with pytest.raises(ValidationFailed, match="Cannot read the date '120'"):
        parse_moment("120", BERLIN, field="taken_at")


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.xlsx", b"PK\x03\x04not really", "not an XLSX workbook"),
        ("a.xlsx", b"", "not an XLSX workbook"),
        ("a.csv", b"\xef\xbb\xbf", "empty"),
        ("a.csv", "Fahrzeug;Datum\nVAN-1;\xe4\n".encode("cp1252"), "not UTF-8"),
        ("a.csv", b"vehicle_key,taken_at\x00\nVAN-1,2030\n", "not a CSV file"),
        ("a.csv", b"vehicle_key,taken_at\n", "no rows"),
        ("a.xls", b"\xd0\xcf\x11\xe0", ".xls"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(name, data, words):
    with pytest.raises(ValidationFailed, match=words):
        read_upload(name, data)


def test_an_empty_workbook_is_refused():
    with pytest.raises(ValidationFailed, match="first row must name the columns"):
        read_upload("a.xlsx", workbook())


def test_a_workbook_is_imported_through_the_api_and_again_adds_nothing(api, vehicle, clock):
    data = workbook(
        ["vehicle_key", "taken_at", "odometer", "note"],
        ["VAN-1", datetime(2030, 3, 1, 8, 0), 1200, "Workshop"],
        ["VAN-1", datetime(2030, 3, 2, 8, 0), 1250, None],
        ["VAN-1", "not a date", 1300, None],
    )
    first = api.post("/api/v1/imports/readings", data=data, content_type=XLSX)
    assert first.status_code == 200, first.content
    answer = first.json()
    assert (answer["imported"], answer["duplicates"]) == (2, 0)
    assert [r["row"] for r in answer["refused"]] == [4]
    stored = Reading.objects.get(vehicle=vehicle, odometer=1200)
    assert stored.recorded_at == datetime(2030, 3, 1, 8, 0, tzinfo=BERLIN)
    assert stored.note == "Workshop"
    again = api.post("/api/v1/imports/readings", data=data, content_type=XLSX).json()
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert Reading.objects.filter(vehicle=vehicle).count() == 2


def test_a_workbook_uploaded_on_the_page_is_kept_as_csv_and_imported(
    clock, advisor_client, org, vehicle, django_capture_on_commit_callbacks
):
    data = workbook(
        ["Van", "Datum", "Km"],
        ["VAN-1", datetime(2030, 3, 1, 8, 0), 1200],
    )
    file = io.BytesIO(data)
    file.name = "Fuhrpark.xlsx"
    response = advisor_client.post(reverse("imports:upload", args=["readings"]), {"file": file})
    assert response.status_code == 302
    upload = Upload.objects.get()
    assert upload.content.splitlines()[1] == "VAN-1,2030-03-01 08:00:00,1200"
    mapping = {"vehicle_key": "Van", "taken_at": "Datum", "odometer": "Km"}
    with django_capture_on_commit_callbacks(execute=True):
        advisor_client.post(response.url, mapping)
    assert b"1 stored" in advisor_client.get(response.url).content
    assert vehicle.readings.get().odometer == 1200


def test_a_semicolon_file_with_bom_excel_days_and_decimal_commas(api, org, clock):
    vehicles.vehicle_create(org=org, label="Digger", vehicle_key="D-1", tracks_engine_hours=True)
    body = "\ufeffvehicle_key;taken_at;engine_hours\nD-1;47178;1 234,5\n".encode()
    answer = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    assert answer == {"imported": 1, "duplicates": 0, "refused": []}
    reading = Reading.objects.get()
    assert reading.engine_hours == Decimal("1234.5")
    assert reading.recorded_at == datetime(2029, 3, 1, tzinfo=BERLIN)


def test_the_upload_of_another_kind_keeps_its_own_mapping(org, clock):
    services.mapping_remember(org=org, kind=READINGS, mapping={"odometer": "Km"})
    vehicles_kind = services.kind_named("vehicles")
    services.mapping_remember(org=org, kind=vehicles_kind, mapping={"label": "Name"})
    assert services.mapping_last(org, READINGS) == {"odometer": "Km"}
    assert services.mapping_last(org, vehicles_kind) == {"label": "Name"}


@pytest.mark.parametrize(
    "text", ["=1+1", "'=x", "''=y", "-5 litres", "@sum", "+49 30", "plain", "'quoted", "", "'"]
)
def test_an_export_cell_imports_as_the_value_it_came_from(text):
    exported = sheet_cell(text)
    assert file_cell(exported) == text
    # A spreadsheet would run none of them as a formula.
    assert not exported.startswith(("=", "+", "-", "@"))


def test_a_formula_like_label_is_exported_harmless_and_imported_back_as_typed(
    api, other_api, org, other_org, clock
):
    label = '=HYPERLINK("http://evil.example","x")'
    vehicles.vehicle_create(org=org, label=label, vehicle_key="EVIL-1")
    exported = b"".join(api.get("/api/v1/imports/vehicles/export").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["label"] == "'" + label
    workbook = api.get("/api/v1/imports/vehicles/export?format=xlsx")
    assert workbook["Content-Type"] == XLSX
    data = b"".join(workbook.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][:2] == ("vehicle_key", "label")
    assert cells[1][:2] == ("EVIL-1", "'" + label)
    answer = other_api.post("/api/v1/imports/vehicles", data=data, content_type=XLSX).json()
    assert answer == {"imported": 1, "duplicates": 0, "refused": []}
    assert Vehicle.objects.get(org=other_org).label == label


def test_a_readings_workbook_export_imports_again_as_duplicates(
    clock, advisor_client, api, vehicle
):
    first = "vehicle_key,taken_at,odometer,note\nVAN-1,2030-03-01 08:00:00.123456,1200,-oil\n"
    answer = api.post("/api/v1/imports/readings", data=first, content_type="text/csv").json()
    assert answer["imported"] == 1
    response = advisor_client.get(reverse("imports:export-xlsx", args=["readings"]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    again = api.post("/api/v1/imports/readings", data=data, content_type=XLSX).json()
    assert again == {"imported": 0, "duplicates": 1, "refused": []}
    assert Reading.objects.get().note == "-oil"


def _with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed, as a damaged or hostile file is."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


def test_a_sheet_claiming_sixteen_thousand_columns_is_read_as_wide_as_it_is():
    rows = [["vehicle_key", "taken_at", "odometer"]]
    rows += [["VAN-1", "2030-03-01", n] for n in range(50)]
    claim = b'<dimension ref="A1:XFD51"'
    data = _with_sheet_xml(
        workbook(*rows), lambda xml: re.sub(rb'<dimension ref="[^"]+"', claim, xml)
    )
    table = read_upload("wide.xlsx", data)
    assert table.header == ["vehicle_key", "taken_at", "odometer"]
    assert max(len(row) for row in table.rows) <= 3


def test_a_damaged_workbook_is_refused_in_plain_words():
    data = _with_sheet_xml(workbook(["a", "b"], ["1", "2"]), lambda xml: xml[: len(xml) // 2])
    with pytest.raises(ValidationFailed, match="cannot be read: it may be damaged"):
        read_upload("damaged.xlsx", data)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("vehicle_key,Date,Date", "Two columns are named 'Date'"),
        ("vehicle_key,,odometer", "Column 2 has no name"),
        (",,", "first row must name the columns"),
    ],
)
def test_a_header_whose_columns_cannot_be_told_apart_is_refused(header, words):
    with pytest.raises(ValidationFailed, match=words):
        read_upload("a.csv", f"{header}\nVAN-1,2030-03-01,1\n".encode())


def test_a_trailing_separator_on_the_header_is_not_a_column():
    table = read_upload("a.csv", b"vehicle_key,odometer,\nVAN-1,5,\n")
    assert table.header == ["vehicle_key", "odometer"]


def test_refused_rows_are_numbered_as_the_file_shows_them_blank_lines_included(api, vehicle, clock):
    body = "vehicle_key,taken_at,odometer\n\nVAN-1,2030-03-01,100\n,\nVAN-1,nonsense,200\n"
    answer = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    assert answer["imported"] == 1
    assert [r["row"] for r in answer["refused"]] == [5]


@pytest.mark.parametrize(
    ("odometer", "hours", "words"),
    [
        ("1E+20000000", "", "far too large"),
        ("", "1E+99999999", "far too large"),
        ("1,250", "", "write 1250 or 1.250"),
    ],
)
def test_numbers_that_cannot_be_meant_are_refused_at_once(api, org, clock, odometer, hours, words):
    vehicles.vehicle_create(org=org, label="Digger", vehicle_key="D-1", tracks_engine_hours=True)
    body = f"vehicle_key;taken_at;odometer;engine_hours\nD-1;2030-03-01;{odometer};{hours}\n"
    answer = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    assert answer["imported"] == 0
    assert words in answer["refused"][0]["reason"]


def test_engine_hours_given_to_the_hundredth_are_found_again_on_a_second_import(api, org, clock):
    vehicles.vehicle_create(org=org, label="Digger", vehicle_key="D-1", tracks_engine_hours=True)
    body = "vehicle_key;taken_at;engine_hours\nD-1;2030-03-01;100,25\n"
    first = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    again = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    assert (first["imported"], again["imported"], again["duplicates"]) == (1, 0, 1)


def test_a_plate_two_vehicles_share_names_neither(api, org, clock):
    vehicles.vehicle_create(org=org, label="A", vehicle_key="A", plate="B-X 1")
    vehicles.vehicle_create(org=org, label="B", vehicle_key="B", plate="B-X 1")
    body = "plate,taken_at,odometer\nB-X 1,2030-03-01,100\n"
    answer = api.post("/api/v1/imports/readings", data=body, content_type="text/csv").json()
    assert answer["imported"] == 0
    assert "More than one vehicle has the plate 'B-X 1'" in answer["refused"][0]["reason"]
    assert not Reading.objects.exists()


def test_a_workbook_with_semicolons_in_its_header_is_kept_and_read_back_whole(org, clock):
    data = workbook(["key;id", "label"], ["K1", "Van"])
    upload = services.upload_create(
        org=org, kind=services.kind_named("vehicles"), actor=None, name="v.xlsx", data=data
    )
    assert services.upload_table(upload).header == ["key;id", "label"]


def test_the_refused_rows_download_runs_no_formula():
    text = rejected_csv(["label"], [{"row": 2, "cells": ["=1+1"], "reason": "-bad"}])
    assert text.splitlines()[1] == "2,'=1+1,'-bad"


def test_the_page_refuses_a_file_over_the_limit_before_reading_it(advisor_client, monkeypatch):
    from fleetmaint.imports import tables

    monkeypatch.setattr(tables, "MAX_UPLOAD_BYTES", 10)
    file = io.BytesIO(b"vehicle_key,taken_at,odometer\nVAN-1,2030-03-01,1\n")
    file.name = "big.csv"
    response = advisor_client.post(reverse("imports:upload", args=["readings"]), {"file": file})
    assert response.status_code == 422
    assert b"larger than 50 MB" in response.content
    assert not Upload.objects.exists()
