"""The vehicle record's Costs tab: per month, per category and per km driven, for the
vehicle only, money shown only where there is some."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fleetmaint.orders.models import ServiceType
from fleetmaint.reports import vehicle_costs
from fleetmaint.reports.cost_queries import INTERVALS, TASKS
from fleetmaint.vehicles import services as vehicles
from tests.reports.history_support import garage, order
from tests.reports.record_support import at, count_queries, reading, serviced, story, task_done

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "costs"}


def url(vehicle, query: str = "") -> str:
    return f"/vehicles/{vehicle.pk}/costs/{query}"


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def test_it_sums_each_month_and_each_category(clock, vehicle, advisor):
    story(clock, vehicle, advisor)

    costs = vehicle_costs.vehicle_costs(vehicle, months=12)

    assert [(f"{m:%Y-%m}", a) for m, a in costs.months if a] == [
        ("2030-04", Decimal("260.50")),
        ("2030-05", Decimal("125.50")),
    ]
    assert len(costs.months) == 12 and f"{costs.months[0][0]:%Y-%m}" == "2029-07"
    assert [(c.category, c.amount, c.percent) for c in costs.categories] == [
        (f"orders:{ServiceType.SCHEDULED_MAINTENANCE}", Decimal("260.50"), 67),
        (INTERVALS, Decimal("80.00"), 21),
        (TASKS, Decimal("45.50"), 12),
    ]
    assert costs.total == Decimal("386.00")


def test_the_page_shows_the_chart_the_categories_and_cost_per_km(
    advisor_client, clock, vehicle, advisor
):
    story(clock, vehicle, advisor)

    html = advisor_client.get(url(vehicle)).content.decode()

    assert stat(html, "cost-total") == "386.00 EUR"
    # Readings of the year: 10,000 in January to 13,500 in May (the voided 19,000 aside).
    assert stat(html, "cost-distance") == "3,500 km"
    assert stat(html, "cost-per-distance") == "0.110 EUR"  # 386.00 / 3,500
    assert 'class="chart bar-chart"' in html
    # The months and their years on the axis; each bar names its month in full.
    assert ">Jul \u201929</text>" in html and ">Jun \u201930</text>" in html
    assert "<title>April 2030: 260 EUR</title>" in html
    for name in ["Orders: scheduled maintenance", "Scheduled services", "Tasks done"]:
        assert name in html


def test_cost_per_km_counts_the_distance_in_the_period_only(advisor_client, clock, vehicle):
    """Three months from 1 April (Berlin): a reading ten days before it and one ten days
    after count half their 2,000 km; 11 April to 1 June is 2,000 more; 3,000 in all."""
    reading(clock, vehicle, 10_000, datetime(2030, 3, 21, 22, tzinfo=UTC))
    reading(clock, vehicle, 12_000, datetime(2030, 4, 10, 22, tzinfo=UTC))
    reading(clock, vehicle, 14_000, datetime(2030, 6, 1, 9, tzinfo=UTC))
    # Before the period: costs nothing in it.
    task_done(clock, vehicle, "Old repair", on=at(3, 25), cost=Decimal("999"))
    order(clock, vehicle, garage(vehicle.org), "oil-change", on=at(5, 2))  # 89.00
    serviced(clock, vehicle, "Inspection", on=at(5, 3), cost=Decimal("211"))

    html = advisor_client.get(url(vehicle, "?months=3")).content.decode()

    assert stat(html, "cost-total") == "300.00 EUR"
    assert stat(html, "cost-distance") == "3,000 km"
    assert stat(html, "cost-per-distance") == "0.100 EUR"
    assert "2030-04-01 to 2030-06-15" in html


def test_a_new_meter_is_not_distance_driven(clock, vehicle):
    reading(clock, vehicle, 80_000, at(2, 1))
    reading(clock, vehicle, 81_000, at(3, 1))
    reading(clock, vehicle, 200, at(4, 1), is_correction=True, note="Cluster replaced")
    reading(clock, vehicle, 1_200, at(5, 1))

    assert vehicle_costs.vehicle_costs(vehicle, months=12).distance == 2_000


def test_money_is_shown_only_when_there_is_some(advisor_client, clock, vehicle):
    reading(clock, vehicle, 10_000, at(2, 1))
    reading(clock, vehicle, 11_000, at(3, 1))
    task_done(clock, vehicle, "Free check", on=at(3, 2), cost=Decimal("0"))

    html = advisor_client.get(url(vehicle)).content.decode()

    assert stat(html, "cost-total") == "—"
    assert stat(html, "cost-per-distance") == "—"
    assert stat(html, "cost-distance") == "1,000 km"
    assert "EUR" not in html.split('id="costs"')[1]
    assert "Nothing spent in the period." in html
    assert "No completed orders, done tasks or serviced intervals" in html


def test_without_readings_there_is_no_cost_per_km(advisor_client, clock, vehicle):
    order(clock, vehicle, garage(vehicle.org), "oil-change", on=at(5, 2))
    html = advisor_client.get(url(vehicle)).content.decode()
    assert stat(html, "cost-total") == "89.00 EUR"
    assert stat(html, "cost-per-distance") == "—"
    assert "no distance recorded in the period" in html


def test_only_this_vehicles_costs_count(advisor_client, org, clock, vehicle, advisor):
    story(clock, vehicle, advisor)
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    reading(clock, truck, 50_000, at(5, 1))
    task_done(clock, truck, "Truck tyres", on=at(5, 2), cost=Decimal("900"))

    assert stat(advisor_client.get(url(vehicle)).content.decode(), "cost-total") == "386.00 EUR"
    assert stat(advisor_client.get(url(truck)).content.decode(), "cost-total") == "900.00 EUR"


def test_another_fleet_gets_not_found_and_a_viewer_reads(outsider_client, viewer_client, vehicle):
    assert outsider_client.get(url(vehicle)).status_code == 404
    assert viewer_client.get(url(vehicle)).status_code == 200


def test_the_period_is_in_the_url_and_changes_in_place(advisor_client, clock, vehicle, advisor):
    story(clock, vehicle, advisor)
    response = advisor_client.get(url(vehicle, "?months=24"), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="costs">')
    assert 'href="?months=3" hx-get="?months=3" hx-target="#costs"' in html
    assert 'aria-current="true">24 months</a>' in html
    # Two years of bars, every second month named.
    assert html.count('class="column"') == 24 and ">Jul \u201928</text>" in html
    assert ">Aug \u201928</text>" not in html
    # A period not offered falls back to a year.
    assert (
        'aria-current="true">12 months</a>'
        in advisor_client.get(url(vehicle, "?months=7")).content.decode()
    )


def test_the_page_costs_the_same_however_much_was_spent(advisor_client, clock, vehicle, advisor):
    reading(clock, vehicle, 9_000, at(1, 2))
    few = count_queries(advisor_client, url(vehicle))
    story(clock, vehicle, advisor)
    for n in range(5):
        task_done(clock, vehicle, f"Job {n}", on=at(6, 1 + n), cost=Decimal("10"))
    assert count_queries(advisor_client, url(vehicle)) == few
