"""The Vehicles page and a vehicle's tabs cost the same few queries whatever the fleet's size."""

import pytest
from django.urls import reverse

from tests.page_rows import counts_as_the_fleet_grows, grow

MAX_STATEMENTS = 10


@pytest.mark.parametrize(
    "params", ["", "?sort=make", "?sort=-odometer", "?archived=all", "?q=grown"]
)
def test_the_vehicles_page_takes_as_many_queries_for_63_vehicles_as_for_3(
    advisor_client, org, params
):
    url = reverse("vehicles:list") + params
    small, large = counts_as_the_fleet_grows(advisor_client, org, lambda _: url)
    assert small == large <= MAX_STATEMENTS


@pytest.mark.parametrize("name", ["vehicles:detail", "intervals:schedule", "contracts:vehicle"])
def test_a_vehicles_tabs_cost_the_same_in_a_larger_fleet(advisor_client, org, name):
    small, large = counts_as_the_fleet_grows(
        advisor_client, org, lambda grown: reverse(name, args=[grown[0].pk])
    )
    assert small == large <= MAX_STATEMENTS


def test_many_makes_become_a_field_with_suggestions(advisor_client, org):
    from fleetmaint.vehicles.models import Vehicle
    from fleetmaint.vehicles.queries import MAKES_SHOWN

    grow(org, 3)
    Vehicle.objects.bulk_create(
        Vehicle(org=org, vehicle_key=f"M-{n}", label=f"M {n}", make=f"Make {n:03}")
        for n in range(MAKES_SHOWN + 5)
    )
    html = advisor_client.get(reverse("vehicles:list"), {"make": "Make 007"}).content.decode()
    assert '<select name="make">' not in html
    assert 'name="make" value="Make 007" list="make-suggestions"' in html
    assert html.count('<option value="Make ') == MAKES_SHOWN
    assert "M 7</strong>" in html


def test_a_few_makes_stay_a_drop_down(advisor_client, org):
    grow(org, 3)
    html = advisor_client.get(reverse("vehicles:list")).content.decode()
    assert '<select name="make">' in html
