"""Vehicle pages: who may see and change what, page and fragment, forms and their errors."""

import re
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint.vehicles import services
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle

HTMX = {"HTTP_HX_REQUEST": "true"}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def field_html(content: bytes, input_id: str) -> str:
    """The rendered block of one form field: its label, input, help and errors."""
    html = content.decode()
    for block in html.split('<div class="field')[1:]:
        block = block.split("</div>", 1)[0]
        if f'id="{input_id}"' in block:
            return block
    raise AssertionError(f"no field {input_id!r} in the page")


def is_full_page(response) -> bool:
    return b"<html" in response.content


def form_data(**overrides) -> dict:
    data = {
        "label": "Sprinter 3",
        "vehicle_key": "SPR-3",
        "make": "Mercedes-Benz",
        "model": "Sprinter",
        "year": "2021",
        "vin": "WDB9066331S123456",
        "plate": "B-SP 303",
        "distance_unit": "km",
        "powertrain": "diesel",
        "notes": "Has a tail lift.",
    }
    data.update(overrides)
    return data


def local_input(moment) -> str:
    """How the datetime-local input sends a moment, in the fleet's time zone."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def readings_of(vehicle) -> list[tuple]:
    return list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at", "id")
        .values_list("odometer", "engine_hours", "is_correction")
    )


@pytest.fixture
def their_vehicle(other_org):
    return services.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


# --- list -------------------------------------------------------------------------


def test_the_list_shows_the_fleets_vehicles_and_no_others(advisor_client, vehicle, their_vehicle):
    response = advisor_client.get("/vehicles/")
    assert response.status_code == 200
    assert is_full_page(response)
    assert b"Van 1" in response.content
    assert b"VAN-1" in response.content
    assert b"Their pickup" not in response.content


def test_a_viewer_sees_the_list_without_the_new_vehicle_button(viewer_client, vehicle):
    response = viewer_client.get("/vehicles/")
    assert response.status_code == 200
    assert b"Van 1" in response.content
    assert b"New vehicle" not in response.content


def test_an_advisor_sees_the_new_vehicle_button(advisor_client):
    assert b'href="/vehicles/new/"' in advisor_client.get("/vehicles/").content


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get("/vehicles/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/vehicles/"


def test_an_htmx_request_gets_only_the_results(advisor_client, vehicle):
    response = advisor_client.get("/vehicles/?q=van", **HTMX)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div id="results">')
    assert b"Van 1" in response.content


def test_a_boosted_htmx_navigation_gets_the_whole_page(advisor_client, vehicle):
    response = advisor_client.get("/vehicles/", HTTP_HX_BOOSTED="true", **HTMX)
    assert is_full_page(response)


@pytest.fixture
def small_fleet(org):
    services.vehicle_create(org=org, label="Alpha", make="Ford", plate="AA-1")
    services.vehicle_create(org=org, label="Bravo", make="Iveco", distance_unit="mi")
    charlie = services.vehicle_create(
        org=org, label="Charlie", make="Ford", vin="1FTFW1ET5DFC10312"
    )
    services.vehicle_set_archived(
        vehicle=services.vehicle_create(org=org, label="Delta", make="Ford"), archived=True
    )
    services.reading_record(vehicle=charlie, odometer=9_000)
    return org


def labels(response) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong></a>", response.content.decode())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha", "Bravo", "Charlie"]),
        ("?q=brav", ["Bravo"]),
        ("?q=dfc1031", ["Charlie"]),
        ("?q=aa-1", ["Alpha"]),
        ("?make=ford", ["Alpha", "Charlie"]),
        ("?unit=mi", ["Bravo"]),
        ("?archived=yes", ["Delta"]),
        ("?archived=all", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("?sort=-label", ["Charlie", "Bravo", "Alpha"]),
        ("?sort=-odometer", ["Charlie", "Alpha", "Bravo"]),
        ("?sort=nonsense&unit=parsecs&archived=maybe", ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_the_list_filters_and_sorts(advisor_client, small_fleet, query, expected):
    response = advisor_client.get(f"/vehicles/{query}")
    assert response.status_code == 200
    assert labels(response) == expected


@pytest.mark.parametrize("query", ["?q=%00", "?make=%00", "?page=99999999999999999999"])
def test_odd_list_parameters_do_not_break_the_list(advisor_client, small_fleet, query):
    response = advisor_client.get(f"/vehicles/{query}")
    assert response.status_code == 200


def test_the_list_pages_through_many_vehicles(advisor_client, org):
    for number in range(30):
        services.vehicle_create(org=org, label=f"Car {number:02d}")
    first = advisor_client.get("/vehicles/")
    assert len(labels(first)) == 25
    assert b"1\xe2\x80\x9325 of 30" in first.content
    second = advisor_client.get("/vehicles/?page=2", **HTMX)
    assert labels(second) == [f"Car {n}" for n in range(25, 30)]


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_vehicles(org, start: int, stop: int) -> None:
    for number in range(start, stop):
        vehicle = services.vehicle_create(
            org=org,
            label=f"Car {number:02d}",
            make=f"Make {number % 4}",
            tracks_engine_hours=True,
        )
        services.reading_record(vehicle=vehicle, odometer=1_000 + number, engine_hours=10)


def test_the_list_does_not_query_per_vehicle(advisor_client, org):
    _add_vehicles(org, 0, 3)
    few = _count_queries(advisor_client, "/vehicles/")
    _add_vehicles(org, 3, 30)
    assert _count_queries(advisor_client, "/vehicles/") == few
    assert _count_queries(advisor_client, "/vehicles/?page=2") == few


# --- detail -----------------------------------------------------------------------


def test_the_detail_page_shows_the_vehicle_and_its_readings(advisor_client, vehicle):
    services.reading_record(vehicle=vehicle, odometer=12_345, note="after service")
    response = advisor_client.get(f"/vehicles/{vehicle.pk}/")
    assert response.status_code == 200
    assert is_full_page(response)
    html = response.content.decode()
    assert "Van 1" in html and "VAN-1" in html
    assert re.search(r'id="current-odometer">12,345 km<', html)
    assert "after service" in html
    assert "Add a reading" in html


def test_a_viewer_sees_a_vehicle_but_cannot_change_it(viewer_client, vehicle):
    response = viewer_client.get(f"/vehicles/{vehicle.pk}/")
    assert response.status_code == 200
    assert b"Add a reading" not in response.content
    assert f'href="/vehicles/{vehicle.pk}/edit/"'.encode() not in response.content


def test_another_fleets_vehicle_does_not_exist_for_an_outsider(outsider_client, vehicle):
    assert outsider_client.get(f"/vehicles/{vehicle.pk}/").status_code == 404


def test_a_vehicle_that_does_not_exist_is_404(advisor_client, vehicle):
    assert advisor_client.get(f"/vehicles/{vehicle.pk + 1000}/").status_code == 404


def test_an_htmx_page_of_readings_gets_only_the_readings_table(advisor_client, vehicle):
    start = timezone.now() - timedelta(days=40)
    for day in range(20):
        services.reading_record(
            vehicle=vehicle, odometer=1_000 + day * 100, recorded_at=start + timedelta(days=day)
        )
    response = advisor_client.get(f"/vehicles/{vehicle.pk}/?page=2", **HTMX)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div class="card flush" id="readings">')
    assert b"1,400 km" in response.content
    assert b"1,500 km" not in response.content
    assert b"16\xe2\x80\x9320 of 20" in response.content


def test_the_detail_page_does_not_query_per_reading(advisor_client, advisor, org, vehicle):
    start = timezone.now() - timedelta(days=60)

    def add(first: int, last: int) -> None:
        for day in range(first, last):
            services.reading_record(
                vehicle=vehicle,
                odometer=1_000 + day * 100,
                recorded_at=start + timedelta(days=day),
                actor=advisor,
            )

    add(0, 3)
    few = _count_queries(advisor_client, f"/vehicles/{vehicle.pk}/")
    add(3, 30)
    assert _count_queries(advisor_client, f"/vehicles/{vehicle.pk}/") == few


# --- create -----------------------------------------------------------------------


def test_the_new_vehicle_form_starts_with_the_fleets_distance_unit(advisor_client, org):
    org.distance_unit = "mi"
    org.save()
    response = advisor_client.get("/vehicles/new/")
    assert response.status_code == 200
    assert is_full_page(response)
    assert '<option value="mi" selected>' in field_html(response.content, "id_distance_unit")


def test_an_htmx_request_for_the_form_gets_only_the_form(advisor_client, vehicle):
    for url in ("/vehicles/new/", f"/vehicles/{vehicle.pk}/edit/"):
        response = advisor_client.get(url, **HTMX)
        assert response.status_code == 200
        assert not is_full_page(response)
        assert response.content.lstrip().startswith(b'<form id="vehicle-form"')


def test_an_advisor_creates_a_vehicle(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(tracks_engine_hours="on"))
    vehicle = Vehicle.objects.get(org=org)
    assert response.status_code == 302
    assert response["Location"] == f"/vehicles/{vehicle.pk}/"
    assert (vehicle.label, vehicle.vehicle_key, vehicle.vin, vehicle.year) == (
        "Sprinter 3",
        "SPR-3",
        "WDB9066331S123456",
        2021,
    )
    assert vehicle.tracks_engine_hours is True
    assert vehicle.powertrain == "diesel"
    page = advisor_client.get(response["Location"])
    assert b"Vehicle Sprinter 3 created." in page.content
    assert b'<dd id="vehicle-powertrain">Diesel</dd>' in page.content


def test_an_unknown_powertrain_is_shown_next_to_the_field_and_nothing_is_stored(
    advisor_client, org
):
    response = advisor_client.post("/vehicles/new/", form_data(powertrain="steam"), **HTMX)
    assert response.status_code == 422
    assert "Choose a powertrain from the list" in field_html(response.content, "id_powertrain")
    assert not Vehicle.objects.filter(org=org).exists()


def test_a_vehicle_created_without_a_key_gets_one(advisor_client, org):
    advisor_client.post("/vehicles/new/", form_data(vehicle_key=""))
    assert Vehicle.objects.get(org=org).vehicle_key.startswith("V")


def test_an_htmx_create_redirects_the_whole_page(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(), **HTMX)
    vehicle = Vehicle.objects.get(org=org)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/vehicles/{vehicle.pk}/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_cannot_create_a_vehicle(viewer_client, org, method):
    response = getattr(viewer_client, method)("/vehicles/new/", form_data())
    assert response.status_code == 403
    assert not Vehicle.objects.exists()


def test_an_invalid_vin_is_shown_next_to_the_field_and_nothing_is_stored(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(vin="WDB9066331S12345O"))
    assert response.status_code == 422
    assert is_full_page(response)
    vin = field_html(response.content, "id_vin")
    assert "has-error" in vin
    assert "A VIN has 17 letters and digits, without I, O or Q." in vin
    assert 'value="Sprinter 3"' in field_html(response.content, "id_label")
    assert not Vehicle.objects.exists()


def test_an_invalid_htmx_create_returns_only_the_form(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(label=""), **HTMX)
    assert response.status_code == 422
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<form id="vehicle-form"')
    assert "This field is required." in field_html(response.content, "id_label")
    assert not Vehicle.objects.exists()


def test_a_taken_key_is_shown_next_to_the_key(advisor_client, org, vehicle):
    response = advisor_client.post("/vehicles/new/", form_data(vehicle_key="VAN-1"))
    assert response.status_code == 422
    assert "already uses the key" in field_html(response.content, "id_vehicle_key")
    assert Vehicle.objects.count() == 1


def test_a_year_out_of_range_is_refused(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(year="1850"))
    assert response.status_code == 422
    assert "has-error" in field_html(response.content, "id_year")
    assert not Vehicle.objects.exists()


def test_a_label_that_is_too_long_is_refused(advisor_client, org):
    response = advisor_client.post("/vehicles/new/", form_data(label="L" * 121))
    assert response.status_code == 422
    assert "at most 120 characters" in field_html(response.content, "id_label")
    assert not Vehicle.objects.exists()


# --- edit -------------------------------------------------------------------------


def test_the_edit_form_shows_the_vehicles_values(advisor_client, vehicle):
    response = advisor_client.get(f"/vehicles/{vehicle.pk}/edit/")
    assert response.status_code == 200
    assert 'value="Van 1"' in field_html(response.content, "id_label")
    assert 'value="VAN-1"' in field_html(response.content, "id_vehicle_key")
    assert 'value="Ford"' in field_html(response.content, "id_make")


def test_an_advisor_edits_a_vehicle(advisor_client, vehicle):
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/edit/", form_data(label="Van One", vehicle_key="VAN-1")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/vehicles/{vehicle.pk}/"
    vehicle.refresh_from_db()
    assert (vehicle.label, vehicle.vehicle_key, vehicle.plate) == ("Van One", "VAN-1", "B-SP 303")


def test_an_invalid_edit_changes_nothing(advisor_client, vehicle):
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/edit/", form_data(label="Van One", vin="SHORT")
    )
    assert response.status_code == 422
    assert "has-error" in field_html(response.content, "id_vin")
    vehicle.refresh_from_db()
    assert vehicle.label == "Van 1"


def test_an_htmx_edit_with_errors_returns_only_the_form(advisor_client, vehicle):
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/edit/", form_data(year="abc"), **HTMX)
    assert response.status_code == 422
    assert not is_full_page(response)
    assert "Enter a whole number." in field_html(response.content, "id_year")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_cannot_edit_a_vehicle(viewer_client, vehicle, method):
    response = getattr(viewer_client, method)(f"/vehicles/{vehicle.pk}/edit/", form_data())
    assert response.status_code == 403
    assert Vehicle.objects.get(pk=vehicle.pk).label == "Van 1"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_cannot_edit_a_vehicle(outsider_client, vehicle, method):
    response = getattr(outsider_client, method)(f"/vehicles/{vehicle.pk}/edit/", form_data())
    assert response.status_code == 404
    assert Vehicle.objects.get(pk=vehicle.pk).label == "Van 1"


# --- archive ----------------------------------------------------------------------


def test_an_advisor_archives_and_restores_a_vehicle(advisor_client, vehicle):
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/archive/", {"archived": "true"})
    assert response.status_code == 302
    assert Vehicle.objects.get(pk=vehicle.pk).archived is True
    assert "Van 1" not in labels(advisor_client.get("/vehicles/"))
    assert labels(advisor_client.get("/vehicles/?archived=yes")) == ["Van 1"]
    assert b"archived" in advisor_client.get(f"/vehicles/{vehicle.pk}/").content

    advisor_client.post(f"/vehicles/{vehicle.pk}/archive/", {"archived": "false"})
    assert Vehicle.objects.get(pk=vehicle.pk).archived is False


def test_a_viewer_cannot_archive_a_vehicle(viewer_client, vehicle):
    assert viewer_client.post(f"/vehicles/{vehicle.pk}/archive/").status_code == 403
    assert Vehicle.objects.get(pk=vehicle.pk).archived is False


def test_an_outsider_cannot_archive_a_vehicle(outsider_client, vehicle):
    assert outsider_client.post(f"/vehicles/{vehicle.pk}/archive/").status_code == 404
    assert Vehicle.objects.get(pk=vehicle.pk).archived is False


def test_archiving_needs_a_post(advisor_client, vehicle):
    assert advisor_client.get(f"/vehicles/{vehicle.pk}/archive/").status_code == 405
    assert Vehicle.objects.get(pk=vehicle.pk).archived is False


# --- readings ---------------------------------------------------------------------


def test_an_advisor_adds_a_reading(advisor_client, advisor, vehicle):
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": "12500"})
    assert response.status_code == 302
    assert response["Location"] == f"/vehicles/{vehicle.pk}/"
    reading = Reading.objects.get(vehicle=vehicle)
    assert (reading.odometer, reading.source, reading.created_by) == (
        12_500,
        ReadingSource.MANUAL,
        advisor,
    )
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 12_500
    page = advisor_client.get(response["Location"]).content.decode()
    assert "Reading saved." in page
    assert re.search(r'id="current-odometer">12,500 km<', page)


def test_an_htmx_reading_returns_the_updated_meters(advisor_client, vehicle):
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/readings/", {"odometer": "12500"}, **HTMX
    )
    assert response.status_code == 200
    assert not is_full_page(response)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="meters"')
    assert "Reading saved." in html
    assert re.search(r'id="current-odometer">12,500 km<', html)
    assert 'value="12500"' not in html, "the form starts empty again"
    assert readings_of(vehicle) == [(12_500, None, False)]


def test_a_viewer_cannot_add_a_reading(viewer_client, vehicle):
    response = viewer_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": "100"})
    assert response.status_code == 403
    assert readings_of(vehicle) == []


def test_an_outsider_cannot_add_a_reading(outsider_client, vehicle):
    response = outsider_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": "100"})
    assert response.status_code == 404
    assert readings_of(vehicle) == []


def test_adding_a_reading_needs_a_post(advisor_client, vehicle):
    assert advisor_client.get(f"/vehicles/{vehicle.pk}/readings/").status_code == 405


def test_a_reading_below_the_previous_one_re_renders_the_form_with_the_error(
    advisor_client, vehicle
):
    services.reading_record(
        vehicle=vehicle, odometer=20_000, recorded_at=timezone.now() - timedelta(days=1)
    )
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": "19000"})
    assert response.status_code == 422
    assert is_full_page(response)
    odometer = field_html(response.content, "id_odometer")
    assert "The odometer cannot go down: the previous reading was 20,000 km" in odometer
    assert 'value="19000"' in odometer
    assert readings_of(vehicle) == [(20_000, None, False)]


def test_an_htmx_reading_with_errors_returns_only_the_meters(advisor_client, vehicle):
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": "-5"}, **HTMX)
    assert response.status_code == 422
    assert not is_full_page(response)
    assert response.content.decode().lstrip().startswith('<div id="meters"')
    assert "has-error" in field_html(response.content, "id_odometer")
    assert readings_of(vehicle) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Give an odometer value, engine hours, or both."),
        ({"odometer": "lots"}, "Enter a whole number."),
        ({"odometer": "100", "recorded_at": "yesterday"}, "Enter a valid date/time."),
        ({"odometer": "100", "note": "n" * 256}, "Ensure this value has at most 255 characters"),
    ],
)
def test_a_malformed_reading_is_refused_with_a_message(advisor_client, vehicle, data, message):
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/readings/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert readings_of(vehicle) == []


def test_a_reading_in_the_future_is_refused_next_to_its_time(advisor_client, vehicle):
    tomorrow = local_input(timezone.now() + timedelta(days=1))
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/readings/", {"odometer": "100", "recorded_at": tomorrow}
    )
    assert response.status_code == 422
    assert "A reading cannot be in the future." in field_html(response.content, "id_recorded_at")
    assert readings_of(vehicle) == []


def test_the_time_of_a_reading_is_read_in_the_fleets_time_zone(advisor_client, vehicle):
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/readings/", {"odometer": "100", "recorded_at": "2024-01-15T09:30"}
    )
    assert response.status_code == 302
    recorded_at = Reading.objects.get(vehicle=vehicle).recorded_at
    assert recorded_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2024-01-15 09:30"
    assert recorded_at.astimezone(zoneinfo.ZoneInfo("UTC")).hour == 8


def test_a_large_jump_asks_for_confirmation_before_it_is_stored(advisor_client, vehicle):
    services.reading_record(
        vehicle=vehicle, odometer=10_000, recorded_at=timezone.now() - timedelta(days=1)
    )
    url = f"/vehicles/{vehicle.pk}/readings/"
    first_page = advisor_client.get(f"/vehicles/{vehicle.pk}/").content
    assert b'name="confirm_jump"' not in first_page

    refused = advisor_client.post(url, {"odometer": "100000"})
    assert refused.status_code == 422
    assert "more than the previous reading" in field_html(refused.content, "id_odometer")
    assert "The value is right: save it anyway" in field_html(refused.content, "id_confirm_jump")
    assert readings_of(vehicle) == [(10_000, None, False)]

    confirmed = advisor_client.post(url, {"odometer": "100000", "confirm_jump": "on"})
    assert confirmed.status_code == 302
    assert readings_of(vehicle) == [(10_000, None, False), (100_000, None, False)]
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 100_000


def test_a_correction_may_record_a_lower_value(advisor_client, vehicle):
    services.reading_record(
        vehicle=vehicle, odometer=999_000, recorded_at=timezone.now() - timedelta(days=1)
    )
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/readings/",
        {"odometer": "12", "is_correction": "on", "note": "odometer replaced"},
    )
    assert response.status_code == 302
    assert readings_of(vehicle)[-1] == (12, None, True)
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 12
    assert b"correction" in response.client.get(f"/vehicles/{vehicle.pk}/").content


def test_engine_hours_are_recorded_for_a_vehicle_that_tracks_them(advisor_client, org):
    truck = services.vehicle_create(org=org, label="Loader", tracks_engine_hours=True)
    page = advisor_client.get(f"/vehicles/{truck.pk}/")
    assert b'name="engine_hours"' in page.content
    response = advisor_client.post(
        f"/vehicles/{truck.pk}/readings/", {"engine_hours": "1234.5"}, **HTMX
    )
    assert response.status_code == 200
    assert re.search(r'id="current-engine-hours">1,234.5 h<', response.content.decode())
    assert readings_of(truck)[0][1] == Decimal("1234.5")


def test_engine_hours_sent_for_a_vehicle_that_does_not_track_them_are_refused_visibly(
    advisor_client, vehicle
):
    assert b'name="engine_hours"' not in advisor_client.get(f"/vehicles/{vehicle.pk}/").content
    response = advisor_client.post(
        f"/vehicles/{vehicle.pk}/readings/", {"odometer": "100", "engine_hours": "5"}
    )
    assert response.status_code == 422
    assert "This vehicle does not track engine hours." in response.content.decode()
    assert readings_of(vehicle) == []


def test_an_empty_fleet_is_told_to_add_its_first_vehicle_not_that_filters_match_nothing(
    advisor_client, viewer_client, org
):
    html = advisor_client.get("/vehicles/").content.decode()
    assert "No vehicles yet." in html and "Add the first one" in html
    assert "match these filters" not in html
    assert "Add the first one" not in viewer_client.get("/vehicles/").content.decode()
    assert (
        "No vehicles match these filters." in advisor_client.get("/vehicles/?q=zz").content.decode()
    )
