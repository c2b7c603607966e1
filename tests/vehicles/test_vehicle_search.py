"""The vehicle search field: suggestions over htmx, and typed text resolved without JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.vehicles import queries
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fleet(org) -> dict[str, Vehicle]:
    made = [
        ("Van 1", "VAN-1", "B-VA 1"),
        ("Van 2", "VAN-2", "B-VA 2"),
        ("Truck", "TR-7", "M-TR 7"),
        ("Truck", "TR-8", ""),
        ("Crane", "CR-1", ""),
    ]
    return {
        key: vehicles.vehicle_create(org=org, label=label, vehicle_key=key, plate=plate)
        for label, key, plate in made
    }


@pytest.fixture
def their_van(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Van 9", vehicle_key="VAN-9")


def options(response) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', response.content.decode())


def suggest(client, **params):
    return client.get(reverse("vehicles:suggest"), params, **HTMX)


def test_it_suggests_the_vehicles_whose_label_key_or_plate_holds_the_text(advisor_client, fleet):
    assert options(suggest(advisor_client, q="van")) == ["Van 1 (VAN-1)", "Van 2 (VAN-2)"]
    assert options(suggest(advisor_client, q="m-tr")) == ["Truck (TR-7)"]


def test_the_suggestions_are_only_options_for_the_datalist(advisor_client, fleet):
    response = suggest(advisor_client, q="van")
    assert b"<html" not in response.content
    assert response.content.decode().strip().startswith("<option")


def test_it_reads_the_field_named_by_the_include(advisor_client, fleet):
    assert options(suggest(advisor_client, field="vehicle", vehicle="crane")) == ["Crane (CR-1)"]


def test_empty_text_suggests_nothing(advisor_client, fleet):
    assert options(suggest(advisor_client, q="  ")) == []


def test_text_that_matches_nothing_suggests_nothing(advisor_client, fleet):
    assert options(suggest(advisor_client, q="zeppelin")) == []


def test_another_fleets_vehicle_is_never_suggested(advisor_client, fleet, their_van):
    assert "Van 9 (VAN-9)" not in options(suggest(advisor_client, q="van"))
    assert options(suggest(advisor_client, q="VAN-9")) == []


def test_it_suggests_at_most_twenty_in_one_query(advisor_client, org):
    for number in range(30):
        vehicles.vehicle_create(org=org, label=f"Bus {number:02}", vehicle_key=f"BUS-{number}")
    advisor_client.get(reverse("vehicles:suggest"), {"q": "bus"}, **HTMX)  # session warmed
    with CaptureQueriesContext(connection) as counted:
        response = suggest(advisor_client, q="bus")
    assert len(options(response)) == 20
    vehicle_reads = [q for q in counted.captured_queries if "vehicles_vehicle" in q["sql"]]
    assert len(vehicle_reads) == 1


def test_visited_directly_it_lists_matches_as_links(advisor_client, fleet):
    response = advisor_client.get(reverse("vehicles:suggest"), {"q": "crane"})
    assert b"<html" in response.content
    assert reverse("vehicles:detail", args=[fleet["CR-1"].pk]).encode() in response.content


def test_a_signed_out_visitor_gets_no_suggestions(client, fleet):
    response = client.get(reverse("vehicles:suggest"), {"q": "van"})
    assert response.status_code == 302


# --- resolving typed text -------------------------------------------------------------


def test_a_suggestions_text_resolves_to_its_vehicle(org, fleet):
    match = queries.vehicle_resolve(org, "Truck (TR-8)")
    assert match.vehicle == fleet["TR-8"] and not match.message


def test_a_key_resolves_whatever_its_case(org, fleet):
    assert queries.vehicle_resolve(org, "tr-7").vehicle == fleet["TR-7"]


def test_a_whole_label_resolves_before_a_part_of_others(org, fleet):
    vehicles.vehicle_create(org=org, label="Crane 2", vehicle_key="CR-2")
    assert queries.vehicle_resolve(org, "crane").vehicle == fleet["CR-1"]


def test_a_part_no_other_vehicle_shares_resolves(org, fleet):
    assert queries.vehicle_resolve(org, "B-VA 2").vehicle == fleet["VAN-2"]


def test_a_label_two_vehicles_share_asks_to_choose(org, fleet):
    match = queries.vehicle_resolve(org, "truck")
    assert match.vehicle is None
    assert match.message.startswith("2 vehicles match “truck”")
    assert [v.vehicle_key for v in match.candidates] == ["TR-7", "TR-8"]


def test_text_that_names_no_vehicle_says_so(org, fleet):
    match = queries.vehicle_resolve(org, "zeppelin")
    assert match.vehicle is None and match.message == "No vehicle matches “zeppelin”."


def test_empty_text_resolves_to_no_filter(org, fleet):
    assert queries.vehicle_resolve(org, "   ") == queries.VehicleMatch()


def test_another_fleets_vehicle_never_resolves(org, fleet, their_van):
    assert queries.vehicle_resolve(org, "VAN-9").vehicle is None
    assert queries.vehicle_resolve(org, "Van 9 (VAN-9)").vehicle is None


def test_text_with_nul_is_read_without_it(org, fleet):
    assert queries.vehicle_resolve(org, "CR-\x001").vehicle == fleet["CR-1"]


def test_resolving_takes_one_query(org, fleet, django_assert_num_queries):
    for text in ("TR-7", "Truck (TR-8)", "truck", "zeppelin", "van"):
        with django_assert_num_queries(1):
            queries.vehicle_resolve(org, text)
