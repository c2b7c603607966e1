"""What is coming for a vehicle, and the header every tab of it shows: the meters, the
status and the next thing due, with when and why."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fleetmaint.intervals import services as intervals
from fleetmaint.reports import coming
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from tests.reports.record_support import at, contract, count_queries, reading

pytestmark = pytest.mark.usefixtures("clock")


def glance(html: str) -> str:
    return html[html.index('id="vehicle-glance"') : html.index("</dl>")]


def next_due_text(html: str) -> str:
    match = re.search(r'id="next-due">(.*?)</dd>', html, re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


@pytest.fixture
def driven(clock, vehicle):
    """Van 1 driving 100 km a day: 13,000 km in mid-April, 19,000 km yesterday."""
    reading(clock, vehicle, 13_000, at(4, 15))
    reading(clock, vehicle, 19_000, at(6, 14))
    return vehicle


def task(vehicle, description: str, cost: str = "0", **conditions):
    vehicle.refresh_from_db()
    return tasks.task_create(
        vehicle=vehicle,
        data=TaskInput(
            description=description, cost=Decimal(cost), conditions=Conditions(**conditions)
        ),
    )


def test_coming_is_next_first_and_says_why(driven):
    now = timezone.now()
    intervals.interval_create(
        vehicle=driven, name="Tachograph check", time=now + timedelta(days=40)
    )
    intervals.interval_create(vehicle=driven, name="Oil change", odometer=21_000)
    task(driven, "Replace wipers", "12.50", date={"end": (now + timedelta(days=90)).isoformat()})
    contract(driven, "SP-1", end_date="2030-07-31")

    found = coming.vehicle_coming(driven)

    assert [(c.name, c.basis) for c in found] == [
        # 2,000 km at about 100 km a day: some 20 days off.
        ("Oil change", coming.FROM_USE),
        ("Tachograph check", coming.BY_DATE),
        ("Service plan SP-1 ends", coming.BY_DATE),
        ("Replace wipers", coming.BY_DATE),
    ]
    assert found[0].mileage == 21_000 and found[3].cost == Decimal("12.50")


def test_without_use_to_go_by_a_mileage_is_all_there_is(clock, vehicle):
    reading(clock, vehicle, 5_000, at(6, 1))
    intervals.interval_create(vehicle=vehicle, name="Oil change", odometer=15_000)
    task(vehicle, "Check the belt", mileage={"limit": 20_000})

    found = coming.vehicle_coming(vehicle)

    assert [(c.name, c.when, c.basis, c.mileage) for c in found] == [
        ("Oil change", None, coming.AT_MILEAGE, 15_000),
        ("Check the belt", None, coming.AT_MILEAGE, 25_000),
    ]


def test_the_overdue_come_first(driven):
    intervals.interval_create(
        vehicle=driven, name="Annual inspection", time=timezone.now() + timedelta(days=3)
    )
    overdue = intervals.interval_create(vehicle=driven, name="Brake check", odometer=19_500)
    vehicles.reading_record(vehicle=driven, odometer=19_600)
    driven.refresh_from_db()

    found = coming.vehicle_coming(driven)

    assert [(c.name, c.state) for c in found][:2] == [
        (overdue.name, coming.OVERDUE),
        ("Annual inspection", coming.PLANNED),
    ]


def test_every_tab_names_the_next_thing_due(advisor_client, driven):
    intervals.interval_create(vehicle=driven, name="Oil change", odometer=21_000)
    pages = ["", "schedule/", "tasks/", "history/", "costs/", "contracts/"]
    for page in pages:
        html = advisor_client.get(f"/vehicles/{driven.pk}/{page}").content.decode()
        assert next_due_text(html).startswith(
            "Oil change · 2030-07-05 (predicted from use, at 21,000 km)"
        ), page
        assert "19,000 km" in glance(html) and "Kilometres" in glance(html)
        assert ">active<" in glance(html)


def test_the_header_says_nothing_is_due_and_an_archived_vehicle_says_so(advisor_client, vehicle):
    html = advisor_client.get(f"/vehicles/{vehicle.pk}/history/").content.decode()
    assert next_due_text(html) == "nothing due"
    assert "Engine hours" not in glance(html)
    vehicles.vehicle_set_archived(vehicle=vehicle, archived=True)
    html = advisor_client.get(f"/vehicles/{vehicle.pk}/history/").content.decode()
    assert ">archived<" in glance(html)


def test_engine_hours_are_in_the_header_when_tracked(advisor_client, org):
    digger = vehicles.vehicle_create(
        org=org, label="Digger", vehicle_key="DIG", tracks_engine_hours=True
    )
    vehicles.reading_record(vehicle=digger, engine_hours=Decimal("1234.5"))
    html = advisor_client.get(f"/vehicles/{digger.pk}/costs/").content.decode()
    assert "Engine hours" in glance(html) and "1,234.5 h" in glance(html)


def test_the_header_costs_the_same_however_much_is_coming(advisor_client, driven):
    intervals.interval_create(vehicle=driven, name="Oil change", odometer=21_000)
    few = count_queries(advisor_client, f"/vehicles/{driven.pk}/costs/")
    for n in range(12):
        intervals.interval_create(vehicle=driven, name=f"Check {n}", odometer=22_000 + n)
        task(driven, f"Task {n}", mileage={"limit": 3_000 + n})
        contract(driven, f"C-{n}", end_date="2031-01-31")
    assert count_queries(advisor_client, f"/vehicles/{driven.pk}/costs/") == few


def test_the_overview_lists_what_is_coming(advisor_client, driven):
    intervals.interval_create(vehicle=driven, name="Oil change", odometer=21_000)
    task(driven, "Replace wipers", "12.50", mileage={"limit": 5_000})
    html = advisor_client.get(f"/vehicles/{driven.pk}/").content.decode()
    card = html[html.index('id="coming-up"') :]
    card = card[: card.index("</section>")]
    assert card.index("Oil change") < card.index("Replace wipers")
    assert "planned 12.50 EUR" in card


def test_the_overview_says_when_nothing_is_coming(advisor_client, vehicle):
    html = advisor_client.get(f"/vehicles/{vehicle.pk}/").content.decode()
    assert "Nothing coming: no open service intervals, open tasks or contracts ending." in html
    assert "EUR" not in html[html.index('id="coming-up"') :].split("</section>")[0]


def test_a_reading_saved_in_place_refreshes_the_header(advisor_client, driven):
    intervals.interval_create(vehicle=driven, name="Oil change", odometer=19_500)
    response = advisor_client.post(
        f"/vehicles/{driven.pk}/readings/",
        {"odometer": "19600", "recorded_at": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="meters",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="vehicle-glance" hx-swap-oob="true"' in html
    assert "19,600 km" in glance(html)
    assert next_due_text(html).startswith("Oil change")
    assert "overdue" in next_due_text(html)
