"""The JSON API for vehicle contracts (seed 002), as an integration sees it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint import sweeps
from fleetmaint.accounts import services as accounts
from fleetmaint.contracts import services
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.notifications.models import Event
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock", "media")

BODY = {
    "contract_type": "service_plan",
    "number": "SP-2030-1",
    "provider": "Ford Credit",
    "description": "Three years of servicing",
    "start_date": "2030-06-01",
    "end_date": "2033-05-31",
    "distance_limit": 60_000,
    "price": "1299.00",
    "currency": "EUR",
    "covered_services": ["oil-change", "Wiper blades"],
    "terms": "Only at partner garages.",
}
FIELDS = {
    "id",
    "vehicle_id",
    "contract_type",
    "number",
    "provider",
    "description",
    "start_date",
    "end_date",
    "start_odometer",
    "distance_limit",
    "ends_at_odometer",
    "price",
    "currency",
    "covered_services",
    "terms",
    "status",
    "cancel_reason",
    "documents",
    "created_at",
    "updated_at",
}


def post(client: Client, url: str, body=None):
    data = "" if body is None else json.dumps(body)
    return client.post(url, data, content_type="application/json")


def put(client: Client, url: str, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """An error in the API's envelope: exactly code, message and field."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert (body["code"], body["field"]) == (code, field)
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def read_only_api(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def van(vehicle) -> Vehicle:
    """The fleet's van at 10,000 km."""
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    vehicle.refresh_from_db()
    return vehicle


def make(vehicle: Vehicle, **values) -> VehicleContract:
    given = {"contract_type": "extended_warranty", "number": "EW-1", "start_date": "2030-01-01"}
    given.update(values)
    return services.contract_create(vehicle=vehicle, data=ContractInput(**given))


def url(vehicle: Vehicle, contract: VehicleContract | int | None = None, tail: str = "") -> str:
    base = f"/api/v1/vehicles/{vehicle.pk}/contracts"
    if contract is None:
        return base
    pk = contract if isinstance(contract, int) else contract.pk
    return f"{base}/{pk}{tail}"


# --- create and read ------------------------------------------------------------------


def test_a_contract_is_created_and_read_back(api, van):
    response = post(api, url(van), BODY)
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == FIELDS
    assert created["vehicle_id"] == van.pk
    assert created["status"] == "active"
    assert created["start_odometer"] == 10_000
    assert created["ends_at_odometer"] == 70_000
    assert created["price"] == 1299.0
    assert created["covered_services"] == ["oil-change", "Wiper blades"]
    assert created["documents"] == []
    contract = VehicleContract.objects.get()
    assert contract.number == "SP-2030-1"

    read = api.get(url(van, contract))
    assert read.status_code == 200
    assert read.json() == created


def test_only_the_type_number_and_start_are_needed(api, van):
    response = post(
        api,
        url(van),
        {"contract_type": "roadside_assistance", "number": "RA-1", "start_date": "2030-01-01"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["end_date"], body["distance_limit"], body["currency"]) == (None, None, "EUR")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2030-05-31"}, "end_date"),
        ({"distance_limit": -1}, "distance_limit"),
        ({"start_odometer": -1}, "start_odometer"),
        ({"distance_limit": "a lot"}, "distance_limit"),
        ({"contract_type": "insurance"}, "contract_type"),
        ({"number": ""}, "number"),
        ({"start_date": None}, "start_date"),
        ({"start_date": "2030-13-01"}, "start_date"),
        ({"end_date": "2030-02-30"}, "end_date"),
        ({"price": -5}, "price"),
        ({"currency": "EU"}, "currency"),
        ({"covered_services": "x" * 121}, "covered_services"),
        ({"status": "expired"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, van, change, field):
    body = {**BODY, **change}
    if change.get("start_date", "") is None:
        body["start_date"] = None
    response = post(api, url(van), body)
    assert_error(response, 400, "invalid", field)
    assert not VehicleContract.objects.exists()


def test_a_missing_body_or_type_is_refused(api, van):
    assert_error(
        post(api, url(van), {"number": "X", "start_date": "2030-01-01"}),
        400,
        "invalid",
        "contract_type",
    )
    assert post(api, url(van)).status_code == 400


def test_a_duplicate_number_is_a_conflict_on_the_number(api, van, org):
    assert post(api, url(van), BODY).status_code == 201
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    body = assert_error(
        post(api, url(truck), {**BODY, "start_odometer": 0}), 409, "conflict", "number"
    )
    assert "SP-2030-1" in body["message"]
    assert VehicleContract.objects.count() == 1


def test_the_end_date_must_not_be_before_the_start(api, van):
    body = assert_error(
        post(api, url(van), {**BODY, "start_date": "2031-01-01", "end_date": "2030-12-31"}),
        400,
        "invalid",
        "end_date",
    )
    assert body["message"] == "The contract cannot end before it starts."


def test_a_contract_created_past_its_end_is_expired_and_told_once(api, van):
    response = post(api, url(van), {**BODY, "start_date": "2029-01-01", "end_date": "2030-06-01"})
    assert response.json()["status"] == "expired"
    assert list(Event.objects.values_list("name", flat=True)) == ["contract.expired"]


# --- list -----------------------------------------------------------------------------


def test_the_list_shows_the_vehicles_contracts_with_filters(api, van, org):
    warranty = make(van, number="MW-1", contract_type="manufacturer_warranty")
    plan = make(van, number="SP-1", contract_type="service_plan", end_date="2031-01-01")
    old = make(
        van,
        number="SP-0",
        contract_type="service_plan",
        start_date="2028-01-01",
        end_date="2029-01-01",
    )
    services.contract_cancel(
        contract=make(van, number="RA-1", contract_type="roadside_assistance"), reason="Sold"
    )
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    make(truck, number="TR-1")

    everything = api.get(url(van)).json()
    assert everything["count"] == 4
    assert {c["number"] for c in everything["items"]} == {"MW-1", "SP-1", "SP-0", "RA-1"}

    plans = api.get(url(van), {"type": "service_plan"}).json()
    assert [c["id"] for c in plans["items"]] == [old.pk, plan.pk]
    expired = api.get(url(van), {"status": "expired"}).json()
    assert [c["id"] for c in expired["items"]] == [old.pk]
    cancelled = api.get(url(van), {"status": "cancelled"}).json()
    assert [c["number"] for c in cancelled["items"]] == ["RA-1"]
    active_plans = api.get(url(van), {"type": "service_plan", "status": "active"}).json()
    assert [c["id"] for c in active_plans["items"]] == [plan.pk]
    warranties = api.get(url(van), {"type": "manufacturer_warranty"}).json()
    assert [c["id"] for c in warranties["items"]] == [warranty.pk]


@pytest.mark.parametrize(("name", "value"), [("type", "insurance"), ("status", "void")])
def test_an_unknown_filter_value_is_refused(api, van, name, value):
    assert_error(api.get(url(van), {name: value}), 400, "invalid", name)


def test_the_list_takes_the_same_queries_whatever_its_length(api, van):
    make(van, number="A")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url(van)).status_code == 200
        return len(queries)

    api.get(url(van))  # the key's first use of the minute is noted once
    few = count()
    for n in range(8):
        contract = make(van, number=f"N-{n}")
        services.document_attach(
            contract=contract,
            upload=SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4\n%%EOF\n"),
        )
    assert api.get(url(van)).json()["count"] == 9
    assert count() == few


# --- update ---------------------------------------------------------------------------


def test_patch_changes_only_what_it_is_sent(api, van):
    contract = make(van, provider="Ford", end_date="2032-01-01", distance_limit=50_000, terms="T")
    response = patch(api, url(van, contract), {"end_date": "2033-01-01", "provider": "Ford Credit"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["end_date"], body["provider"]) == ("2033-01-01", "Ford Credit")
    assert (body["distance_limit"], body["terms"], body["number"]) == (50_000, "T", "EW-1")


def test_patch_refuses_bad_values_naming_the_field(api, van):
    contract = make(van)
    assert_error(
        patch(api, url(van, contract), {"end_date": "2029-01-01"}), 400, "invalid", "end_date"
    )
    assert_error(
        patch(api, url(van, contract), {"distance_limit": -3}), 400, "invalid", "distance_limit"
    )
    assert_error(patch(api, url(van, contract), {"status": "cancelled"}), 400, "invalid", "status")
    assert_error(patch(api, url(van, contract), {"nickname": "x"}), 400, "invalid", "nickname")
    make(van, number="EW-2")
    assert_error(patch(api, url(van, contract), {"number": "EW-2"}), 409, "conflict", "number")
    assert VehicleContract.objects.get(pk=contract.pk).number == "EW-1"


def test_put_replaces_the_whole_contract(api, van):
    contract = make(van, provider="Ford", end_date="2032-01-01", distance_limit=50_000, terms="T")
    response = put(
        api,
        url(van, contract),
        {"contract_type": "maintenance_contract", "number": "MC-1", "start_date": "2030-02-01"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["contract_type"], body["number"], body["start_date"]) == (
        "maintenance_contract",
        "MC-1",
        "2030-02-01",
    )
    assert (body["provider"], body["end_date"], body["distance_limit"], body["terms"]) == (
        "",
        None,
        None,
        "",
    )


def test_put_needs_the_required_fields(api, van):
    contract = make(van)
    assert_error(
        put(api, url(van, contract), {"number": "X", "start_date": "2030-01-01"}),
        400,
        "invalid",
        "contract_type",
    )
    assert_error(
        put(api, url(van, contract), {"contract_type": "other", "start_date": "2030-01-01"}),
        400,
        "invalid",
        "number",
    )
    assert_error(
        put(api, url(van, contract), {"contract_type": "other", "number": "X"}),
        400,
        "invalid",
        "start_date",
    )


def test_a_new_end_date_revives_an_expired_contract_whose_next_end_is_told(api, van, clock):
    contract = make(van, end_date="2030-06-20")
    clock.move_to(datetime(2030, 6, 21, 10, tzinfo=UTC))
    sweeps.sweep_dates()
    assert api.get(url(van, contract)).json()["status"] == "expired"

    response = patch(api, url(van, contract), {"end_date": "2030-07-10", "status": "active"})
    assert response.json()["status"] == "active"
    clock.move_to(datetime(2030, 7, 11, 10, tzinfo=UTC))
    sweeps.sweep_dates()
    assert api.get(url(van, contract)).json()["status"] == "expired"
    assert Event.objects.filter(name="contract.expired").count() == 2


# --- cancel ---------------------------------------------------------------------------


def test_cancel_needs_a_reason(api, van, clock):
    contract = make(van)
    clock.shift(60)
    assert_error(post(api, url(van, contract, "/cancel"), {}), 400, "invalid", "reason")
    assert_error(
        post(api, url(van, contract, "/cancel"), {"reason": "  "}), 400, "invalid", "reason"
    )
    assert_error(post(api, url(van, contract, "/cancel"), {"reason": 7}), 400, "invalid", "reason")
    response = post(api, url(van, contract, "/cancel"), {"reason": "Vehicle sold"})
    assert response.status_code == 200, response.content
    assert datetime.fromisoformat(response.json()["updated_at"]) == NOW + timedelta(seconds=60)
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "Vehicle sold",
    )
    assert_error(
        post(api, url(van, contract, "/cancel"), {"reason": "Again"}), 409, "conflict", "status"
    )


def test_a_cancelled_contract_cannot_be_changed(api, van):
    contract = make(van)
    services.contract_cancel(contract=contract, reason="Sold")
    assert_error(patch(api, url(van, contract), {"terms": "x"}), 409, "conflict", "status")
    assert_error(put(api, url(van, contract), {**BODY}), 409, "conflict", "status")
    assert VehicleContract.objects.get(pk=contract.pk).status == ContractStatus.CANCELLED


# --- who may -------------------------------------------------------------------------


def test_a_read_only_key_reads_but_cannot_write(read_only_api, van):
    contract = make(van)
    assert read_only_api.get(url(van)).status_code == 200
    assert read_only_api.get(url(van, contract)).status_code == 200
    for response in (
        post(read_only_api, url(van), BODY),
        patch(read_only_api, url(van, contract), {"terms": "x"}),
        put(read_only_api, url(van, contract), BODY),
        post(read_only_api, url(van, contract, "/cancel"), {"reason": "x"}),
    ):
        assert_error(response, 403, "forbidden")
    contract.refresh_from_db()
    assert (contract.status, contract.terms, VehicleContract.objects.count()) == ("active", "", 1)


def test_without_a_key_nothing_is_answered(van, client):
    make(van)
    assert_error(client.get(url(van)), 401, "unauthorized")
    assert_error(post(client, url(van), BODY), 401, "unauthorized")


def test_another_fleets_vehicle_and_contract_do_not_exist(api, other_api, van, other_org):
    mine = make(van)
    theirs_van = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    theirs = make(theirs_van, number="THEIRS")
    for response in (
        api.get(url(theirs_van)),
        api.get(url(theirs_van, theirs)),
        post(api, url(theirs_van), BODY),
        patch(api, url(theirs_van, theirs), {"terms": "x"}),
        put(api, url(theirs_van, theirs), BODY),
        post(api, url(theirs_van, theirs, "/cancel"), {"reason": "x"}),
        # Their contract under my vehicle, and mine seen by them.
        api.get(url(van, theirs.pk)),
        patch(api, url(van, theirs.pk), {"terms": "x"}),
        other_api.get(url(van)),
        other_api.get(url(van, mine)),
        post(other_api, url(van, mine, "/cancel"), {"reason": "x"}),
    ):
        assert_error(response, 404, "not_found")
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.status, theirs.terms, mine.status) == ("active", "", "active")
    assert VehicleContract.objects.filter(vehicle=theirs_van).count() == 1


def test_another_vehicles_contract_is_not_found_under_this_vehicle(api, van, org):
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    contract = make(truck)
    assert_error(api.get(url(van, contract)), 404, "not_found")
    assert_error(patch(api, url(van, contract), {"terms": "x"}), 404, "not_found")
    assert api.get(url(truck, contract)).status_code == 200
    assert_error(api.get(url(van, 999_999)), 404, "not_found")
