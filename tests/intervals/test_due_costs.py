"""The Due page costs the same few queries whatever the fleet's size, and filters by a
vehicle typed into its search field."""

import pytest
from django.urls import reverse

from fleetmaint.vehicles import services as vehicles
from tests.page_rows import counts_as_the_fleet_grows, grow

HTMX = {"HTTP_HX_REQUEST": "true"}
MAX_STATEMENTS = 10


@pytest.mark.parametrize(
    "params",
    [
        "",
        "?sort=vehicle",
        "?sort=name",
        "?sort=created",
        "?state=required",
        "?state=soon",
        "?vehicle=G-1",
        "?vehicle=Grown",
    ],
)
def test_the_due_page_takes_as_many_queries_for_63_vehicles_as_for_3(advisor_client, org, params):
    url = reverse("intervals:due") + params
    small, large = counts_as_the_fleet_grows(advisor_client, org, lambda _: url)
    assert small == large <= MAX_STATEMENTS


def test_its_htmx_fragment_does_too(advisor_client, org):
    url = reverse("intervals:due")
    small, large = counts_as_the_fleet_grows(advisor_client, org, lambda _: url, **HTMX)
    assert small == large <= MAX_STATEMENTS


def test_it_shows_one_page_of_intervals_and_at_most_fifty_tasks(advisor_client, org):
    grow(org, 60)
    html = advisor_client.get(reverse("intervals:due")).content.decode()
    assert html.count('name="interval"') == 25
    assert html.count('name="task"') == 50


def test_the_default_order_puts_required_intervals_first_across_pages(advisor_client, org):
    grown = grow(org, 60)
    # Required by distance: past its mileage, though expected later than others.
    late = grown[-1]
    late.intervals.update(service_at_mileage=late.odometer - 1)
    html = advisor_client.get(reverse("intervals:due")).content.decode()
    assert html.index(late.label) < html.index(grown[1].label)
    second = advisor_client.get(reverse("intervals:due") + "?page=2").content.decode()
    assert late.label not in second


def test_a_typed_key_filters_the_page_without_javascript(advisor_client, org):
    grown = grow(org, 5)
    html = advisor_client.get(reverse("intervals:due"), {"vehicle": "G-2"}).content.decode()
    assert html.count('name="interval"') == 1
    assert grown[2].label in html and grown[3].label not in html
    assert 'value="G-2"' in html  # the field keeps what was typed


def test_a_chosen_suggestion_filters_the_htmx_fragment(advisor_client, org):
    grown = grow(org, 5)
    text = f"{grown[1].label} ({grown[1].vehicle_key})"
    response = advisor_client.get(reverse("intervals:due"), {"vehicle": text}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('name="interval"') == 1 and grown[1].label in html


def test_text_naming_several_vehicles_says_so_and_offers_them(advisor_client, org):
    grow(org, 5)
    html = advisor_client.get(reverse("intervals:due"), {"vehicle": "grown"}).content.decode()
    assert "5 vehicles match “grown”" in html
    assert 'name="interval"' not in html
    assert html.count('<option value="Grown ') == 5  # the datalist, for browsers without JS


def test_text_naming_no_vehicle_says_so(advisor_client, org):
    grow(org, 2)
    response = advisor_client.get(reverse("intervals:due"), {"vehicle": "zeppelin"}, **HTMX)
    assert "No vehicle matches “zeppelin”." in response.content.decode()
    assert 'name="interval"' not in response.content.decode()


def test_another_fleets_vehicle_cannot_be_chosen(advisor_client, org, other_org):
    grow(org, 2)
    vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="THEIRS")
    html = advisor_client.get(reverse("intervals:due"), {"vehicle": "THEIRS"}).content.decode()
    assert "No vehicle matches “THEIRS”." in html
