"""A serviced interval stays readable over the API: by id, and in the list with ?status=."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.intervals import services
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import quotes
from fleetmaint.orders import services as orders
from fleetmaint.orders.models import OrderStatus, ServiceType
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW
from tests.orders.api_support import ROUTES, make_servicer

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(van) -> ServiceInterval:
    return services.interval_create(vehicle=van, name="Oil Change", odometer=15_000)


@pytest.fixture
def brakes(van) -> ServiceInterval:
    return services.interval_create(vehicle=van, name="Brakes", odometer=12_000)


def _ids(api, query: str = "") -> list[int]:
    return [item["id"] for item in api.get(f"/api/v1/intervals{query}").json()["items"]]


def test_a_serviced_interval_reads_with_when_and_at_what_odometer(api, oil):
    services.interval_mark_serviced(interval=oil, odometer=10_400)
    body = api.get(f"/api/v1/intervals/{oil.pk}").json()
    assert body["id"] == oil.pk
    assert body["serviced_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert (body["serviced_odometer"], body["serviced_by_order_id"]) == (10_400, None)
    assert body["maintenance_required"] is False


def test_an_open_interval_reads_without_a_service(api, oil):
    body = api.get(f"/api/v1/intervals/{oil.pk}").json()
    assert (body["serviced_at"], body["serviced_odometer"], body["serviced_by_order_id"]) == (
        None,
        None,
        None,
    )


def test_a_removed_interval_is_404_but_a_serviced_one_is_not(api, oil, brakes):
    services.interval_mark_serviced(interval=oil)
    api.delete(f"/api/v1/intervals/{brakes.pk}")
    assert api.get(f"/api/v1/intervals/{oil.pk}").status_code == 200
    assert api.get(f"/api/v1/intervals/{brakes.pk}").status_code == 404


def test_the_list_takes_a_status_and_stays_open_by_default(api, oil, brakes):
    services.interval_mark_serviced(interval=oil)
    assert _ids(api) == [brakes.pk]
    assert _ids(api, "?status=open") == [brakes.pk]
    assert _ids(api, "?status=serviced") == [oil.pk]
    assert _ids(api, "?status=all") == [oil.pk, brakes.pk]
    assert _ids(api, "?status=all&maintenance_required=true") == []
    assert api.get("/api/v1/intervals?status=done").status_code == 400


def test_listed_intervals_read_as_they_read_alone(api, oil, brakes):
    services.interval_mark_serviced(interval=oil, odometer=10_100)
    listed = api.get("/api/v1/intervals?status=all").json()["items"]
    assert listed == [api.get(f"/api/v1/intervals/{i['id']}").json() for i in listed]


def test_an_interval_serviced_by_an_order_names_the_order(api, org, van, oil, brakes):
    garage = make_servicer(
        "Bay Garage", ["scheduled_maintenance"], [("oil-change", "Oil", "89.00", 45)], fleets=(org,)
    )
    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code="oil-change")],
        interval_ids=[oil.pk],
    )
    order = quotes.quote_accept(quote=quote)
    for step in ROUTES[OrderStatus.COMPLETED]:
        if step != order.status:
            order = orders.order_set_status(
                order=order, status=step, reason="done", odometer=10_500
            )
    # Serviced by hand, later: not the order's doing.
    services.interval_mark_serviced(interval=brakes)

    body = api.get(f"/api/v1/intervals/{oil.pk}").json()
    assert (body["serviced_by_order_id"], body["serviced_odometer"]) == (order.pk, 10_500)
    listed = {i["id"]: i for i in api.get("/api/v1/intervals?status=serviced").json()["items"]}
    assert listed[oil.pk]["serviced_by_order_id"] == order.pk
    assert listed[brakes.pk]["serviced_by_order_id"] is None


def test_serviced_lists_take_a_fixed_number_of_statements(api, van):
    for n in range(3):
        services.interval_mark_serviced(
            interval=services.interval_create(vehicle=van, name=f"Few {n}", odometer=12_000)
        )
    api.get("/api/v1/intervals?status=all")  # records the key's use
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/intervals?status=all")
    for n in range(20):
        services.interval_mark_serviced(
            interval=services.interval_create(vehicle=van, name=f"More {n}", odometer=12_000)
        )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/intervals?status=all").json()["items"]) == 23
    assert len(many) == len(few)
