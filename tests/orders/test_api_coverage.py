"""Contract coverage on the API's quotes and orders: which item a contract pays, and the totals.

The same items and totals the quote page shows ("covered by ...", "Covered by contracts",
"You pay"), read from the coverage the quote recorded when it was made.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.contracts.models import ContractType, VehicleContract
from fleetmaint.orders import quotes
from fleetmaint.orders.models import Quote, Servicer, ServiceType
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.orders.api_support import make_servicer, post


@pytest.fixture
def shop(org) -> Servicer:
    return make_servicer(
        "Bay Garage",
        ["scheduled_maintenance"],
        [
            ("oil-change", "Oil change", "89.00", 45),
            ("tire-rotation", "Tire rotation", "40.00", 30),
        ],
        fleets=(org,),
    )


@pytest.fixture
def van(org) -> Vehicle:
    return vehicles.vehicle_create(org=org, label="Van 9", vehicle_key="VAN-9")


@pytest.fixture
def plan(org, van) -> VehicleContract:
    return VehicleContract.objects.create(
        org=org,
        vehicle=van,
        contract_type=ContractType.SERVICE_PLAN,
        number="SP-7",
        start_date=date(2020, 1, 1),
        covered_services=["oil-change"],
    )


def _quote(org, van, shop) -> Quote:
    return quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=shop,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[quotes.ItemRequest(code="oil-change"), quotes.ItemRequest(code="tire-rotation")],
    )


PLAN_REF = {"number": "SP-7", "contract_type": "service_plan"}


def _assert_covered(body: dict, plan: VehicleContract) -> None:
    oil, tires = body["items"]
    assert oil["covered_by"] == {"id": plan.pk, **PLAN_REF}
    assert tires["covered_by"] is None
    assert (body["total"], body["covered_total"], body["payable_total"]) == (
        "129.00",
        "89.00",
        "40.00",
    )


def test_a_new_quote_says_which_items_a_contract_pays(api, van, shop, plan):
    response = post(
        api, "/api/v1/quotes", {"vehicle_id": van.pk, "items": ["oil-change", "tire-rotation"]}
    )
    assert response.status_code == 201, response.content
    _assert_covered(response.json(), plan)


def test_a_quote_and_its_order_read_the_same_coverage_alone_and_in_lists(api, org, van, shop, plan):
    quote = _quote(org, van, shop)
    alone = api.get(f"/api/v1/quotes/{quote.pk}").json()
    _assert_covered(alone, plan)
    assert api.get("/api/v1/quotes").json()["items"] == [alone]

    placed = post(api, f"/api/v1/quotes/{quote.pk}/accept")
    assert placed.status_code == 201
    _assert_covered(placed.json(), plan)
    order = api.get(f"/api/v1/orders/{placed.json()['id']}").json()
    assert order == placed.json()
    assert api.get("/api/v1/orders").json()["items"] == [order]


def test_without_a_contract_the_fleet_pays_everything(api, org, van, shop):
    quote = _quote(org, van, shop)
    body = api.get(f"/api/v1/quotes/{quote.pk}").json()
    assert [item["covered_by"] for item in body["items"]] == [None, None]
    assert (body["covered_total"], body["payable_total"]) == ("0.00", "129.00")


def test_the_schema_documents_coverage(api):
    schemas = api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "covered_by" in schemas["ItemOut"]["properties"]
    for name in ("QuoteOut", "OrderOut"):
        assert {"covered_total", "payable_total"} <= set(schemas[name]["properties"])
        assert {"covered_total", "payable_total"} <= set(schemas[name]["required"])


@pytest.mark.parametrize("url", ["/api/v1/quotes", "/api/v1/orders"])
def test_lists_with_coverage_take_a_fixed_number_of_queries(api, org, van, shop, plan, url):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    quotes.quote_accept(quote=_quote(org, van, shop))
    count()  # records the key's use
    few = count()
    for n in range(4):
        other = VehicleContract.objects.create(
            org=org,
            vehicle=van,
            contract_type=ContractType.EXTENDED_WARRANTY,
            number=f"EW-{n}",
            start_date=date(2020, 1, 1),
            end_date=date(2099 - n, 1, 1),  # ends soonest, so it covers the new quote
            covered_services=["tire-rotation"],
        )
        quotes.quote_accept(quote=_quote(org, van, shop))
        assert other.covered_items.exists()
    assert count() == few
