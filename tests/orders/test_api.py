"""Servicers, quotes and service orders over the JSON API, as a fleet and as a servicer."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services as accounts
from fleetmaint.errors import ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.orders import quotes, services
from fleetmaint.orders.models import (
    FoundIssue,
    IssueStatus,
    OrderEvent,
    OrderStatus,
    Quote,
    QuoteStatus,
    ServiceOrder,
    Servicer,
    ServicerApiKey,
    ServiceType,
)
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from tests.orders.api_support import (
    assert_error,
    bearer,
    make_order,
    make_servicer,
    post,
    post_event,
    servicer_key,
)

NOW = datetime(2030, 6, 15, 10, 0, tzinfo=UTC)
VIN = "1FTBW2CM5HKA12345"


# --- personas -------------------------------------------------------------------------


@pytest.fixture
def api_garage(org) -> Servicer:
    """The fleet's garage: scheduled maintenance and depot repairs."""
    return make_servicer(
        "Bay Garage",
        ["scheduled_maintenance", "repair_depot"],
        [
            ("oil-change", "Oil change, 5W-30", "89.00", 45),
            ("tire-rotation", "Tire rotation", "40.00", 30),
        ],
        fleets=(org,),
    )


@pytest.fixture
def api_mobile(org) -> Servicer:
    """The fleet's mobile mechanics: onsite repairs only."""
    return make_servicer(
        "RoadReady Mobile",
        ["repair_onsite"],
        [("diagnostics", "On-site diagnostics", "95.00", 60)],
        fleets=(org,),
    )


@pytest.fixture
def api_stranger(other_org) -> Servicer:
    """Works for the other fleet only."""
    return make_servicer(
        "Far Away Motors",
        ["scheduled_maintenance", "repair_depot"],
        [("oil-change", "Oil", "50.00", 30)],
        fleets=(other_org,),
    )


@pytest.fixture
def api_garage_api(api_garage) -> Client:
    return bearer(servicer_key(api_garage))


@pytest.fixture
def api_mobile_api(api_mobile) -> Client:
    return bearer(servicer_key(api_mobile))


@pytest.fixture
def api_stranger_api(api_stranger) -> Client:
    return bearer(servicer_key(api_stranger))


@pytest.fixture
def api_read_only(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return bearer(raw)


@pytest.fixture
def api_van(org) -> Vehicle:
    return vehicles.vehicle_create(org=org, label="Van 9", vehicle_key="VAN-9", vin=VIN)


@pytest.fixture
def api_their_van(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="THEIR-1")


@pytest.fixture
def api_order(org, api_van, api_garage):
    """An order of the fleet at the garage, walked to the given status."""

    def make(status: str = OrderStatus.PENDING, **fields) -> ServiceOrder:
        return make_order(
            status,
            org=org,
            vehicle=api_van,
            servicer=api_garage,
            service_type=fields.pop("service_type", ServiceType.REPAIR_DEPOT),
            code=fields.pop("code", "oil-change"),
            **fields,
        )

    return make


@pytest.fixture
def api_onsite_order(org, api_van, api_mobile):
    def make(status: str = OrderStatus.PENDING) -> ServiceOrder:
        return make_order(
            status,
            org=org,
            vehicle=api_van,
            servicer=api_mobile,
            service_type=ServiceType.REPAIR_ONSITE,
            code="diagnostics",
        )

    return make


@pytest.fixture
def api_their_order(other_org, api_their_van, api_stranger):
    def make(status: str = OrderStatus.PENDING) -> ServiceOrder:
        return make_order(
            status,
            org=other_org,
            vehicle=api_their_van,
            servicer=api_stranger,
            service_type=ServiceType.REPAIR_DEPOT,
            code="oil-change",
        )

    return make


def _quote(org, vehicle, servicer, codes=("oil-change",), **fields) -> Quote:
    return quotes.quote_create(
        org=org,
        vehicle=vehicle,
        servicer=servicer,
        service_type=fields.pop("service_type", ServiceType.SCHEDULED_MAINTENANCE),
        items=[quotes.ItemRequest(code=code) for code in codes],
        **fields,
    )


# --- authentication -------------------------------------------------------------------


def test_a_request_without_a_key_is_401(db):
    for url in ("/api/v1/servicers", "/api/v1/orders", "/api/v1/quotes"):
        assert_error(Client().get(url), 401, "unauthorized")
    assert_error(post(Client(), "/api/v1/orders/1/events", {"event": "x"}), 401, "unauthorized")


def test_a_revoked_servicer_key_is_401(api_garage, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    raw = servicer_key(api_garage)
    client = bearer(raw)
    assert client.get(f"/api/v1/orders/{order.pk}").status_code == 200
    ServicerApiKey.objects.filter(servicer=api_garage).update(revoked_at=NOW)
    assert_error(client.get(f"/api/v1/orders/{order.pk}"), 401, "unauthorized")


def test_an_inactive_servicers_key_is_401(api_garage, api_garage_api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    Servicer.objects.filter(pk=api_garage.pk).update(active=False)
    assert_error(api_garage_api.get(f"/api/v1/orders/{order.pk}"), 401, "unauthorized")


def test_a_servicer_key_records_when_it_was_used(api_garage, api_garage_api):
    with time_machine.travel(NOW, tick=False):
        api_garage_api.get("/api/v1/orders")
    assert ServicerApiKey.objects.get(servicer=api_garage).last_used_at == NOW


def test_fleet_endpoints_refuse_a_servicer_key(api_garage_api, api_order, api_van):
    order = api_order(OrderStatus.IN_PROGRESS)
    quote = Quote.objects.get(order=order)
    issue = services.issue_report(order=order, description="Belt", cost=Decimal("500"))
    responses = [
        api_garage_api.get("/api/v1/servicers"),
        api_garage_api.get("/api/v1/quotes"),
        api_garage_api.get(f"/api/v1/quotes/{quote.pk}"),
        post(api_garage_api, "/api/v1/quotes", {"vehicle_id": api_van.pk, "items": ["x"]}),
        post(api_garage_api, f"/api/v1/quotes/{quote.pk}/accept"),
        post(api_garage_api, f"/api/v1/quotes/{quote.pk}/decline"),
        post(api_garage_api, f"/api/v1/orders/{order.pk}/cancel", {"reason": "No"}),
        post(api_garage_api, f"/api/v1/orders/{order.pk}/close"),
        post(api_garage_api, f"/api/v1/orders/{order.pk}/issues/{issue.pk}/approve"),
        post(api_garage_api, f"/api/v1/orders/{order.pk}/issues/{issue.pk}/decline"),
        # The fleet's other resources too.
        api_garage_api.get("/api/v1/vehicles"),
        api_garage_api.get(f"/api/v1/vehicles/{api_van.pk}"),
        api_garage_api.get("/api/v1/tasks"),
    ]
    for response in responses:
        body = assert_error(response, 403, "forbidden")
        assert body["message"] == "This endpoint takes an organization's API key."
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert FoundIssue.objects.get().status == IssueStatus.AWAITING


def test_servicer_endpoints_refuse_an_organization_key(api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    url = f"/api/v1/orders/{order.pk}"
    responses = [
        post(api, f"{url}/events", {"event": "repair_started"}),
        post(api, f"{url}/issues", {"description": "Belt", "cost": 10}),
        post(api, f"{url}/accept", {"accepted": True}),
        post(api, f"{url}/status", {"status": "in-progress"}),
    ]
    for response in responses:
        body = assert_error(response, 403, "forbidden")
        assert body["message"] == "This endpoint takes a servicer's API key."
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert not OrderEvent.objects.filter(kind="depot").exists()


def test_a_read_only_key_may_read(api_read_only, api_order, api_garage):
    order = api_order(OrderStatus.ACCEPTED)
    assert api_read_only.get("/api/v1/servicers").status_code == 200
    assert api_read_only.get("/api/v1/quotes").json()["count"] == 1
    assert api_read_only.get("/api/v1/orders").json()["count"] == 1
    assert api_read_only.get(f"/api/v1/orders/{order.pk}").status_code == 200
    assert api_read_only.get(f"/api/v1/orders/{order.pk}/events").status_code == 200


def test_a_read_only_key_cannot_write(api_read_only, api_order, api_van, api_garage, org):
    order = api_order(OrderStatus.IN_PROGRESS)
    issue = services.issue_report(order=order, description="Belt", cost=Decimal("500"))
    quote = _quote(org, api_van, api_garage)
    responses = [
        post(api_read_only, "/api/v1/quotes", {"vehicle_id": api_van.pk, "items": ["oil-change"]}),
        post(api_read_only, f"/api/v1/quotes/{quote.pk}/accept"),
        post(api_read_only, f"/api/v1/quotes/{quote.pk}/decline"),
        post(api_read_only, f"/api/v1/orders/{order.pk}/cancel", {"reason": "No"}),
        post(api_read_only, f"/api/v1/orders/{order.pk}/close"),
        post(api_read_only, f"/api/v1/orders/{order.pk}/issues/{issue.pk}/approve"),
    ]
    for response in responses:
        body = assert_error(response, 403, "forbidden")
        assert body["message"] == "This API key is read-only."
    assert Quote.objects.count() == 2
    assert ServiceOrder.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


def test_the_openapi_document_lists_the_order_endpoints(db):
    document = Client().get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path, methods in {
        "/api/v1/servicers": {"get"},
        "/api/v1/quotes": {"get", "post"},
        "/api/v1/quotes/{quote_id}": {"get"},
        "/api/v1/quotes/{quote_id}/accept": {"post"},
        "/api/v1/orders": {"get"},
        "/api/v1/orders/{order_id}": {"get"},
        "/api/v1/orders/{order_id}/cancel": {"post"},
        "/api/v1/orders/{order_id}/close": {"post"},
        "/api/v1/orders/{order_id}/events": {"get", "post"},
        "/api/v1/orders/{order_id}/issues": {"post"},
        "/api/v1/orders/{order_id}/issues/{issue_id}/approve": {"post"},
        "/api/v1/orders/{order_id}/issues/{issue_id}/decline": {"post"},
        "/api/v1/orders/{order_id}/accept": {"post"},
        "/api/v1/orders/{order_id}/status": {"post"},
    }.items():
        assert set(paths[path]) == methods, path


# --- servicers ------------------------------------------------------------------------


def test_it_lists_the_servicers_the_fleet_works_with(api, api_garage, api_mobile, api_stranger):
    Servicer.objects.create(name="Retired Garage", service_types=["repair_depot"], active=False)
    response = api.get("/api/v1/servicers")
    assert response.status_code == 200
    body = response.json()
    assert [s["name"] for s in body] == ["Bay Garage", "RoadReady Mobile"]
    garage = body[0]
    assert garage["id"] == api_garage.pk
    assert garage["service_types"] == ["scheduled_maintenance", "repair_depot"]
    assert garage["catalog"] == [
        {
            "code": "oil-change",
            "name": "Oil change, 5W-30",
            "price": "89.00",
            "duration_minutes": 45,
        },
        {
            "code": "tire-rotation",
            "name": "Tire rotation",
            "price": "40.00",
            "duration_minutes": 30,
        },
    ]


def test_the_servicer_list_takes_a_fixed_number_of_queries(api, org):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/servicers").status_code == 200
        return len(captured)

    make_servicer("One", ["repair_depot"], [("a", "A", "1.00", 5)], fleets=(org,))
    count()  # records the key's use
    few = count()
    for n in range(5):
        make_servicer(
            f"More {n}",
            ["repair_depot"],
            [("a", "A", "1.00", 5), ("b", "B", "2", 5)],
            fleets=(org,),
        )
    assert count() == few


# --- quotes ---------------------------------------------------------------------------


def test_it_quotes_the_seeds_request(api, api_van, api_garage, api_mobile):
    """The seed's shape: a type, the vehicle, catalogue codes and a pre-authorised amount."""
    with time_machine.travel(NOW, tick=False):
        response = post(
            api,
            "/api/v1/quotes",
            {
                "type": "scheduled-maintenance",
                "vehicle_id": api_van.pk,
                "items": ["oil-change", "tire-rotation"],
                "preAuthorized": 200,
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    quote = Quote.objects.get()
    assert body == {
        "id": quote.pk,
        "status": "pending",
        "type": "scheduled_maintenance",
        "vehicle": {"id": api_van.pk, "label": "Van 9", "vehicle_key": "VAN-9", "vin": VIN},
        "servicer": {"id": api_garage.pk, "name": "Bay Garage"},
        "estimatedTime": 75,
        "total": "129.00",
        "covered_total": "0.00",
        "payable_total": "129.00",
        "items": [
            {
                "code": "oil-change",
                "name": "Oil change, 5W-30",
                "quantity": 1,
                "unit_price": "89.00",
                "total": "89.00",
                "covered_by": None,
            },
            {
                "code": "tire-rotation",
                "name": "Tire rotation",
                "quantity": 1,
                "unit_price": "40.00",
                "total": "40.00",
                "covered_by": None,
            },
        ],
        "preAuthorized": "200.00",
        "validUntil": "2030-06-29T10:00:00Z",
        "createdAt": "2030-06-15T10:00:00Z",
        "order_id": None,
    }
    assert quote.pre_authorized == Decimal("200.00")
    assert quote.servicer == api_garage


def test_it_finds_the_vehicle_by_vin(api, api_van, api_garage):
    response = post(api, "/api/v1/quotes", {"vin": VIN.lower(), "items": ["oil-change"]})
    assert response.status_code == 201, response.content
    assert response.json()["vehicle"]["id"] == api_van.pk


def test_items_may_be_objects_with_a_quantity(api, api_van, api_garage):
    response = post(
        api,
        "/api/v1/quotes",
        {
            "vehicle_id": api_van.pk,
            "items": [{"code": "tire-rotation", "quantity": 4}, {"code": "oil-change"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(i["code"], i["quantity"], i["total"]) for i in body["items"]] == [
        ("tire-rotation", 4, "160.00"),
        ("oil-change", 1, "89.00"),
    ]
    assert body["total"] == "249.00"
    assert body["estimatedTime"] == 4 * 30 + 45


def test_without_items_it_asks_for_the_chosen_due_work_by_name(api, org, api_van, api_garage):
    intervals.presets_ensure(org)
    oil = intervals.interval_create(vehicle=api_van, name="Oil Change", odometer=15_000)
    washer = intervals.interval_create(vehicle=api_van, name="Washer fluid", odometer=12_000)
    response = post(
        api, "/api/v1/quotes", {"vehicle_id": api_van.pk, "interval_ids": [oil.pk, washer.pk]}
    )
    assert response.status_code == 201, response.content
    items = response.json()["items"]
    assert [(i["code"], i["unit_price"]) for i in items] == [
        ("oil-change", "89.00"),
        ("washer-fluid", "0.00"),
    ]
    assert set(Quote.objects.get().intervals.all()) == {oil, washer}


def test_the_servicer_must_be_chosen_when_several_offer_the_type(api, org, api_van, api_garage):
    make_servicer(
        "Second Garage", ["scheduled_maintenance"], [("oil-change", "Oil", "70", 30)], fleets=(org,)
    )
    body = {"vehicle_id": api_van.pk, "items": ["oil-change"]}
    error = assert_error(post(api, "/api/v1/quotes", body), 400, "invalid", "servicer_id")
    assert "2 servicers" in error["message"]
    response = post(api, "/api/v1/quotes", {**body, "servicer_id": api_garage.pk})
    assert response.status_code == 201
    assert response.json()["servicer"]["name"] == "Bay Garage"


def test_the_only_servicer_offering_the_type_is_chosen(api, api_van, api_garage, api_mobile):
    response = post(
        api,
        "/api/v1/quotes",
        {"type": "repair-onsite", "vehicle_id": api_van.pk, "items": ["diagnostics"]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["servicer"]["name"] == "RoadReady Mobile"
    assert response.json()["type"] == "repair_onsite"


def test_a_quote_needs_a_servicer_offering_the_type(api, api_van, api_mobile):
    assert_error(
        post(api, "/api/v1/quotes", {"vehicle_id": api_van.pk, "items": ["oil-change"]}),
        400,
        "invalid",
        "servicer_id",
    )


def test_a_servicer_the_fleet_does_not_work_with_is_404(api, api_van, api_garage, api_stranger):
    body = {"vehicle_id": api_van.pk, "items": ["oil-change"], "servicer_id": api_stranger.pk}
    assert_error(post(api, "/api/v1/quotes", body), 404, "not_found", "servicer_id")
    assert not Quote.objects.exists()


def test_a_servicer_that_does_not_offer_the_type_is_refused(api, api_van, api_mobile):
    body = {"vehicle_id": api_van.pk, "items": ["diagnostics"], "servicer_id": api_mobile.pk}
    assert_error(post(api, "/api/v1/quotes", body), 400, "invalid", "type")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "oil"}, "type"),
        ({"type": 5}, "type"),
        ({"items": ["no-such-work"]}, "items"),
        ({"items": []}, "items"),
        ({"items": "oil-change"}, "items"),
        ({"items": [5]}, "items.0"),
        ({"items": [{"quantity": 2}]}, "items.0.code"),
        ({"items": [{"code": "oil-change", "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"code": "oil-change", "quantity": True}]}, "items.0.quantity"),
        ({"items": [{"code": "oil-change", "quantity": "2"}]}, "items.0.quantity"),
        ({"items": ["oil-change"] * 101}, "items"),
        ({"preAuthorized": -1}, "preAuthorized"),
        ({"preAuthorized": "lots"}, "preAuthorized"),
        ({"preAuthorized": True}, "preAuthorized"),
        ({"servicer_id": "garage"}, "servicer_id"),
        ({"vehicle_id": "van"}, "vehicle_id"),
        ({"vehicle_id": None, "vin": None}, "vehicle_id"),
        ({"vehicle_id": None, "vin": 12}, "vin"),
        ({"interval_ids": "1"}, "interval_ids"),
        ({"task_ids": ["a"]}, "task_ids.0"),
        ({"interval_ids": [999_999]}, "items"),
    ],
)
def test_a_bad_quote_request_is_400_naming_the_field(api, api_van, api_garage, change, field):
    body = {"vehicle_id": api_van.pk, "items": ["oil-change"], **change}
    assert_error(post(api, "/api/v1/quotes", body), 400, "invalid", field)
    assert not Quote.objects.exists()


def test_malformed_json_is_400(api, api_garage):
    response = api.post("/api/v1/quotes", "{not json", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_another_fleets_vehicle_cannot_be_quoted(api, api_garage, api_their_van):
    body = {"vehicle_id": api_their_van.pk, "items": ["oil-change"]}
    assert_error(post(api, "/api/v1/quotes", body), 404, "not_found", "vehicle_id")
    assert_error(
        post(api, "/api/v1/quotes", {"vin": VIN, "items": ["oil-change"]}),
        404,
        "not_found",
        "vin",
    )


@pytest.fixture
def api_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_it_lists_the_fleets_quotes_newest_first(
    api, org, other_org, api_van, api_garage, api_their_van, api_stranger, api_clock
):
    api_clock.move_to(NOW - timedelta(days=30))
    old = _quote(org, api_van, api_garage)
    api_clock.move_to(NOW)
    first = _quote(org, api_van, api_garage)
    second = _quote(org, api_van, api_garage, codes=("tire-rotation",))
    quotes.quote_decline(quote=first)
    _quote(other_org, api_their_van, api_stranger)
    body = api.get("/api/v1/quotes").json()
    assert body["count"] == 3
    assert [q["id"] for q in body["items"]] == [second.pk, first.pk, old.pk]
    assert [q["status"] for q in body["items"]] == ["pending", "declined", "expired"]

    def ids(query: str) -> list[int]:
        return [q["id"] for q in api.get(f"/api/v1/quotes?{query}").json()["items"]]

    assert ids("status=pending") == [second.pk]
    assert ids("status=expired") == [old.pk]
    assert ids("status=declined") == [first.pk]
    assert ids("limit=1&offset=1") == [first.pk]
    assert ids(f"vehicle_id={api_van.pk}") == [second.pk, first.pk, old.pk]
    assert_error(api.get("/api/v1/quotes?status=lost"), 400, "invalid", "status")


def test_the_quote_list_takes_a_fixed_number_of_queries(api, org, api_van, api_garage):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/quotes").status_code == 200
        return len(captured)

    quotes.quote_accept(quote=_quote(org, api_van, api_garage))
    count()  # records the key's use
    few = count()
    for _ in range(4):
        quotes.quote_accept(quote=_quote(org, api_van, api_garage, ("oil-change", "tire-rotation")))
        _quote(org, api_van, api_garage)
    assert count() == few


def test_it_reads_a_quote(api, org, api_van, api_garage):
    quote = _quote(org, api_van, api_garage)
    body = api.get(f"/api/v1/quotes/{quote.pk}").json()
    assert body["id"] == quote.pk
    assert body["total"] == "89.00"


def test_another_fleets_quote_is_404(api, other_org, api_their_van, api_stranger):
    theirs = _quote(other_org, api_their_van, api_stranger)
    assert_error(api.get(f"/api/v1/quotes/{theirs.pk}"), 404, "not_found")
    assert_error(post(api, f"/api/v1/quotes/{theirs.pk}/accept"), 404, "not_found")
    assert_error(post(api, f"/api/v1/quotes/{theirs.pk}/decline"), 404, "not_found")
    assert_error(api.get("/api/v1/quotes/99999999999999999999"), 404, "not_found")
    assert Quote.objects.get(pk=theirs.pk).status == QuoteStatus.PENDING


def test_accepting_a_quote_places_the_order(api, org, api_van, api_garage):
    quote = _quote(
        org, api_van, api_garage, ("oil-change", "tire-rotation"), pre_authorized=Decimal(150)
    )
    response = post(api, f"/api/v1/quotes/{quote.pk}/accept")
    assert response.status_code == 201, response.content
    body = response.json()
    order = ServiceOrder.objects.get()
    assert body["id"] == order.pk
    assert body["quote_id"] == quote.pk
    assert body["status"] == "pending"
    assert body["total"] == "129.00"
    assert body["preAuthorized"] == "150.00"
    assert [i["code"] for i in body["items"]] == ["oil-change", "tire-rotation"]
    assert body["issues"] == []
    assert api.get(f"/api/v1/quotes/{quote.pk}").json()["status"] == "accepted"
    assert api.get(f"/api/v1/quotes/{quote.pk}").json()["order_id"] == order.pk
    again = post(api, f"/api/v1/quotes/{quote.pk}/accept")
    assert again.status_code == 201
    assert again.json()["id"] == order.pk
    assert ServiceOrder.objects.count() == 1


def test_a_declined_or_expired_quote_cannot_be_accepted(api, org, api_van, api_garage):
    declined = _quote(org, api_van, api_garage)
    response = post(api, f"/api/v1/quotes/{declined.pk}/decline")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert_error(post(api, f"/api/v1/quotes/{declined.pk}/accept"), 409, "conflict", "status")
    assert_error(post(api, f"/api/v1/quotes/{declined.pk}/decline"), 409, "conflict", "status")
    expired = _quote(org, api_van, api_garage)
    with time_machine.travel(timedelta(days=15)):
        assert api.get(f"/api/v1/quotes/{expired.pk}").json()["status"] == "expired"
        assert_error(post(api, f"/api/v1/quotes/{expired.pk}/accept"), 409, "conflict", "status")
    assert not ServiceOrder.objects.exists()


# --- orders, fleet side -----------------------------------------------------------------


def test_it_lists_the_fleets_orders(api, api_order, api_their_order):
    pending = api_order()
    started = api_order(OrderStatus.IN_PROGRESS)
    closed = api_order(OrderStatus.CLOSED)
    api_their_order()
    body = api.get("/api/v1/orders").json()
    assert body["count"] == 3
    assert [o["id"] for o in body["items"]] == [closed.pk, started.pk, pending.pk]

    def ids(query: str) -> list[int]:
        return [o["id"] for o in api.get(f"/api/v1/orders?{query}").json()["items"]]

    assert ids("status=active") == [started.pk, pending.pk]
    assert ids("status=in-progress") == [started.pk]
    assert ids("status=closed") == [closed.pk]
    assert ids("limit=2&offset=1") == [started.pk, pending.pk]
    assert_error(api.get("/api/v1/orders?status=lost"), 400, "invalid", "status")


def test_the_order_list_takes_a_fixed_number_of_queries(api, api_garage_api, api_order):
    def count(client: Client) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/orders").status_code == 200
        return len(captured)

    api_order(OrderStatus.IN_PROGRESS)
    count(api), count(api_garage_api)  # records the keys' use
    few_fleet, few_servicer = count(api), count(api_garage_api)
    for _ in range(4):
        order = api_order(OrderStatus.IN_PROGRESS, pre_authorized=Decimal("100"))
        services.issue_report(order=order, description="Hose", cost=Decimal("20"))
        services.issue_report(order=order, description="Belt", cost=Decimal("500"))
    assert count(api) == few_fleet
    assert count(api_garage_api) == few_servicer


def test_it_reads_an_order(api, api_order, api_van, api_garage):
    order = api_order(OrderStatus.ACCEPTED)
    response = api.get(f"/api/v1/orders/{order.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == order.pk
    assert body["type"] == "repair_depot"
    assert body["vehicle"]["id"] == api_van.pk
    assert body["servicer"] == {"id": api_garage.pk, "name": "Bay Garage"}
    assert body["status"] == "accepted"
    assert body["acceptedAt"] is not None
    assert body["completedAt"] is None
    assert body["estimatedCompletion"] is not None


def test_another_fleets_order_is_404(api, api_their_order):
    theirs = api_their_order(OrderStatus.IN_PROGRESS)
    url = f"/api/v1/orders/{theirs.pk}"
    assert_error(api.get(url), 404, "not_found")
    assert_error(api.get(f"{url}/events"), 404, "not_found")
    assert_error(post(api, f"{url}/cancel", {"reason": "Mine now"}), 404, "not_found")
    assert_error(post(api, f"{url}/close"), 404, "not_found")
    issue = services.issue_report(order=theirs, description="Belt", cost=Decimal("500"))
    assert_error(post(api, f"{url}/issues/{issue.pk}/approve"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.IN_PROGRESS
    assert FoundIssue.objects.get().status == IssueStatus.AWAITING


def test_the_fleet_cancels_an_order_saying_why(api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    url = f"/api/v1/orders/{order.pk}/cancel"
    assert_error(post(api, url, {}), 400, "invalid", "reason")
    assert_error(post(api, url, {"reason": 5}), 400, "invalid", "reason")
    response = post(api, url, {"reason": "The van was sold."})
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert response.json()["status_reason"] == "The van was sold."
    assert_error(post(api, url, {"reason": "Again"}), 409, "illegal_transition", "status")


def test_a_completed_order_cannot_be_canceled(api, api_order):
    order = api_order(OrderStatus.COMPLETED)
    response = post(api, f"/api/v1/orders/{order.pk}/cancel", {"reason": "Too late"})
    assert_error(response, 409, "illegal_transition", "status")


def test_the_fleet_closes_a_completed_order(api, api_order):
    pending = api_order()
    assert_error(
        post(api, f"/api/v1/orders/{pending.pk}/close"), 409, "illegal_transition", "status"
    )
    done = api_order(OrderStatus.COMPLETED)
    response = post(api, f"/api/v1/orders/{done.pk}/close")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


# --- orders, servicer side ----------------------------------------------------------------


def test_a_servicer_lists_only_the_orders_sent_to_it(
    api_garage_api, api_mobile_api, api_order, api_onsite_order, api_their_order
):
    depot = api_order()
    onsite = api_onsite_order()
    api_their_order()
    assert [o["id"] for o in api_garage_api.get("/api/v1/orders").json()["items"]] == [depot.pk]
    assert [o["id"] for o in api_mobile_api.get("/api/v1/orders").json()["items"]] == [onsite.pk]


def test_a_servicer_cannot_see_or_touch_another_servicers_order(
    api_mobile_api, api_stranger_api, api_order, api_garage_api
):
    order = api_order(OrderStatus.IN_PROGRESS)
    assert api_garage_api.get(f"/api/v1/orders/{order.pk}").status_code == 200
    url = f"/api/v1/orders/{order.pk}"
    for client in (api_mobile_api, api_stranger_api):
        assert_error(client.get(url), 404, "not_found")
        assert_error(client.get(f"{url}/events"), 404, "not_found")
        assert_error(post(client, f"{url}/events", {"event": "repair_completed"}), 404, "not_found")
        assert_error(
            post(client, f"{url}/issues", {"description": "Belt", "cost": 1}), 404, "not_found"
        )
        assert_error(post(client, f"{url}/accept", {"accepted": True}), 404, "not_found")
        assert_error(post(client, f"{url}/status", {"status": "completed"}), 404, "not_found")
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert not FoundIssue.objects.exists()
    assert not OrderEvent.objects.exclude(kind="status").exists()


def test_the_servicer_accepts_a_pending_order(api_garage_api, api_order, api):
    order = api_order()
    url = f"/api/v1/orders/{order.pk}/accept"
    response = post(api_garage_api, url, {"accepted": True})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    again = post(api_garage_api, url, {"accepted": True})
    assert again.status_code == 200
    assert again.json()["version"] == response.json()["version"]
    events = [e["event"] for e in api.get(f"/api/v1/orders/{order.pk}/events").json()]
    assert events == ["order_placed", "status_accepted"]


def test_the_servicer_declines_an_order_saying_why(api_garage_api, api_order):
    order = api_order()
    url = f"/api/v1/orders/{order.pk}/accept"
    assert_error(post(api_garage_api, url, {"accepted": False}), 400, "invalid", "reason")
    assert_error(post(api_garage_api, url, {}), 400, "invalid", "accepted")
    assert_error(post(api_garage_api, url, {"accepted": "yes"}), 400, "invalid", "accepted")
    response = post(api_garage_api, url, {"accepted": False, "reason": "Fully booked."})
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert response.json()["status_reason"] == "Fully booked."
    assert_error(post(api_garage_api, url, {"accepted": True}), 409, "illegal_transition", "status")


def test_only_a_pending_order_can_be_accepted(api_garage_api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    response = post(api_garage_api, f"/api/v1/orders/{order.pk}/accept", {"accepted": True})
    assert_error(response, 409, "illegal_transition", "status")


def test_the_servicer_moves_the_order_along(api_garage_api, api_order, api_van):
    order = api_order(OrderStatus.ACCEPTED)
    url = f"/api/v1/orders/{order.pk}/status"

    def move(body: dict) -> dict:
        response = post(api_garage_api, url, body)
        assert response.status_code == 200, response.content
        return response.json()

    assert move({"status": "in-progress"})["status"] == "in-progress"
    assert_error(post(api_garage_api, url, {"status": "delayed"}), 400, "invalid", "reason")
    delayed = move({"status": "delayed", "reason": "Parts on back order."})
    assert (delayed["status"], delayed["status_reason"]) == ("delayed", "Parts on back order.")
    assert move({"status": "in-progress"})["status"] == "in-progress"
    done = move({"status": "completed", "odometer": 12_345})
    assert done["status"] == "completed"
    assert done["completionOdometer"] == 12_345
    assert done["completedAt"] is not None
    assert Reading.objects.get(vehicle=api_van).odometer == 12_345
    assert_error(
        post(api_garage_api, url, {"status": "in-progress"}), 409, "illegal_transition", "status"
    )


@pytest.mark.parametrize("status", ["closed", "accepted", "pending", "done", 5, None])
def test_a_servicer_cannot_set_other_statuses(api_garage_api, api_order, status):
    order = api_order(OrderStatus.COMPLETED)
    response = post(api_garage_api, f"/api/v1/orders/{order.pk}/status", {"status": status})
    assert_error(response, 400, "invalid", "status")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_the_servicer_cancels_with_a_reason(api_garage_api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    url = f"/api/v1/orders/{order.pk}/status"
    assert_error(post(api_garage_api, url, {"status": "canceled"}), 400, "invalid", "reason")
    response = post(api_garage_api, url, {"status": "canceled", "reason": "Vehicle not on site."})
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"


def test_a_bad_odometer_on_completion_is_400(api_garage_api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    response = post(
        api_garage_api,
        f"/api/v1/orders/{order.pk}/status",
        {"status": "completed", "odometer": "x"},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "odometer"
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


# --- timeline and events ----------------------------------------------------------------


def test_the_servicer_posts_an_event(api_garage_api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    response = post(
        api_garage_api,
        f"/api/v1/orders/{order.pk}/events",
        {"event": "repair_started", "repairStartedAt": 1_700_000_000_000, "notes": "On the lift."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    stored = OrderEvent.objects.get(kind="depot")
    assert body == {
        "id": stored.pk,
        "order_id": order.pk,
        "event": "repair_started",
        "kind": "depot",
        "body": {
            "event": "repair_started",
            "repairStartedAt": 1_700_000_000_000,
            "notes": "On the lift.",
        },
        "notes": "On the lift.",
        "eventDate": "2023-11-14T22:13:20Z",
        "eventDateReceived": False,
        "status": "in-progress",
        "createdAt": body["createdAt"],
    }
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


def test_a_bad_event_is_400_naming_the_field(api_garage_api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    url = f"/api/v1/orders/{order.pk}/events"
    assert_error(
        post(api_garage_api, url, {"event": "repair_started", "repairStartedAt": "today"}),
        400,
        "invalid",
        "repairStartedAt",
    )
    assert_error(post(api_garage_api, url, {"event": "resolved"}), 400, "invalid", "event")
    assert_error(post(api_garage_api, url, {"notes": "no name"}), 400, "invalid", "event")
    assert_error(post(api_garage_api, url, ["repair_started"]), 400, "invalid")
    response = api_garage_api.post(url, "{oops", content_type="application/json")
    assert_error(response, 400, "invalid")
    assert not OrderEvent.objects.exclude(kind="status").exists()


def test_events_wait_for_acceptance_and_stop_at_closing(api_garage_api, api_order):
    for status in (OrderStatus.PENDING, OrderStatus.CANCELED, OrderStatus.CLOSED):
        order = api_order(status)
        response = post(api_garage_api, f"/api/v1/orders/{order.pk}/events", {"event": "note"})
        assert_error(response, 409, "illegal_transition", "status")
    assert not OrderEvent.objects.exclude(kind="status").exists()


def test_the_timeline_shows_every_entry_to_both_sides(api, api_garage_api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    post_event(order, {"event": "product_received", "receivedBy": "Gus"})
    post_event(order, {"event": "repair_eta", "isDelayed": True, "delayReason": "Parts"})
    for client in (api, api_garage_api):
        timeline = client.get(f"/api/v1/orders/{order.pk}/events").json()
        assert [(e["event"], e["kind"], e["status"]) for e in timeline] == [
            ("order_placed", "status", "pending"),
            ("status_accepted", "status", "accepted"),
            ("product_received", "depot", "accepted"),
            ("repair_eta", "depot", "delayed"),
            ("status_delayed", "status", "delayed"),
        ]
        assert timeline[2]["body"] == {"event": "product_received", "receivedBy": "Gus"}


def test_the_timeline_takes_a_fixed_number_of_queries(api, api_order):
    order = api_order(OrderStatus.ACCEPTED)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"/api/v1/orders/{order.pk}/events").status_code == 200
        return len(captured)

    count()  # records the key's use
    few = count()
    for n in range(5):
        post_event(order, {"event": f"note_{n}", "notes": "x"})
    assert count() == few


# --- found issues -----------------------------------------------------------------------


def test_an_issue_within_the_pre_authorized_amount_is_done_at_once(api_garage_api, api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS, pre_authorized=Decimal("200"))
    url = f"/api/v1/orders/{order.pk}/issues"
    response = post(api_garage_api, url, {"description": "Worn belt", "cost": 150})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["cost"], body["order_id"]) == ("authorized", "150.00", order.pk)
    over = post(api_garage_api, url, {"description": "Leaky hose", "cost": "60"}).json()
    assert over["status"] == "awaiting"
    order_body = api.get(f"/api/v1/orders/{order.pk}").json()
    assert [i["status"] for i in order_body["issues"]] == ["authorized", "awaiting"]
    assert order_body["total"] == str(Decimal("89.00") + Decimal("150.00"))


def test_the_fleet_approves_or_declines_an_awaiting_issue(api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    belt = services.issue_report(order=order, description="Belt", cost=Decimal("80"))
    hose = services.issue_report(order=order, description="Hose", cost=Decimal("30"))
    base = f"/api/v1/orders/{order.pk}/issues"
    approved = post(api, f"{base}/{belt.pk}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decidedAt"] is not None
    declined = post(api, f"{base}/{hose.pk}/decline")
    assert declined.json()["status"] == "declined"
    assert_error(post(api, f"{base}/{belt.pk}/decline"), 409, "conflict")
    assert api.get(f"/api/v1/orders/{order.pk}").json()["total"] == "169.00"


def test_an_issue_of_another_order_is_404(api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    other = api_order(OrderStatus.IN_PROGRESS)
    issue = services.issue_report(order=other, description="Belt", cost=Decimal("80"))
    response = post(api, f"/api/v1/orders/{order.pk}/issues/{issue.pk}/approve")
    assert_error(response, 404, "not_found")
    assert FoundIssue.objects.get().status == IssueStatus.AWAITING


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cost": 10}, "description"),
        ({"description": "", "cost": 10}, "description"),
        ({"description": 5, "cost": 10}, "description"),
        ({"description": "Belt", "cost": -1}, "cost"),
        ({"description": "Belt", "cost": "cheap"}, "cost"),
    ],
)
def test_a_bad_issue_is_400(api_garage_api, api_order, body, field):
    order = api_order(OrderStatus.IN_PROGRESS)
    response = post(api_garage_api, f"/api/v1/orders/{order.pk}/issues", body)
    assert_error(response, 400, "invalid", field)


def test_issues_are_reported_while_the_work_is_in_progress(api_garage_api, api_order):
    order = api_order(OrderStatus.ACCEPTED)
    response = post(
        api_garage_api, f"/api/v1/orders/{order.pk}/issues", {"description": "Belt", "cost": 1}
    )
    assert_error(response, 409, "illegal_transition", "status")


def test_the_status_and_issue_bodies_must_be_json_objects(api_garage_api, api_order):
    order = api_order(OrderStatus.IN_PROGRESS)
    response = api_garage_api.post(
        f"/api/v1/orders/{order.pk}/issues", json.dumps([1]), content_type="application/json"
    )
    assert_error(response, 400, "invalid")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_outside_the_standard_are_400(api_garage_api, api_order, constant):
    order = api_order(OrderStatus.ACCEPTED)
    raw = '{"event": "custom", "metadata": {"x": CONSTANT}}'.replace("CONSTANT", constant)
    response = api_garage_api.post(
        f"/api/v1/orders/{order.pk}/events", raw, content_type="application/json"
    )
    assert_error(response, 400, "invalid")
    assert not OrderEvent.objects.exclude(kind="status").exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"deep": [float("-inf")]}])
def test_a_non_finite_number_in_any_field_is_refused_by_the_rules_too(api_order, value):
    """Whichever face parsed the body (the portal reads metadata with json.loads)."""
    order = api_order(OrderStatus.ACCEPTED)
    with pytest.raises(ValidationFailed) as caught:
        post_event(order, {"event": "custom", "metadata": {"x": value}})
    assert caught.value.field == "metadata"
    assert not OrderEvent.objects.exclude(kind="status").exists()
