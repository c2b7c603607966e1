"""Servicers a fleet works with, and a servicer's own API keys, over /api/v1."""

import pytest
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.idempotency.models import StoredAnswer
from fleetmaint.orders import servicers
from fleetmaint.orders.models import ServicerApiKey
from tests.orders.api_support import bearer, make_servicer, servicer_key


@pytest.fixture
def garage(org):
    """Works with the fleet; not open to new fleets."""
    return make_servicer(
        "Bay Garage", ["scheduled_maintenance"], [("oil-change", "Oil", "89.00", 45)], fleets=(org,)
    )


@pytest.fixture
def open_shop(db):
    """Takes any fleet that asks; the fleet does not work with it yet."""
    return make_servicer("Corner Tyres", ["repair_depot"], [], open_to_new_fleets=True)


@pytest.fixture
def closed_shop(other_org):
    """Works for the other fleet only, and takes no new fleets."""
    return make_servicer("Far Away Motors", ["repair_onsite"], [], fleets=(other_org,))


@pytest.fixture
def read_only(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return bearer(raw)


@pytest.fixture
def garage_api(garage) -> Client:
    return bearer(servicer_key(garage))


def _names(api: Client) -> dict[str, bool]:
    response = api.get("/api/v1/servicers")
    assert response.status_code == 200
    return {row["name"]: row["partner"] for row in response.json()}


# --- fleet side -------------------------------------------------------------------------


def test_it_lists_partners_and_servicers_open_to_new_fleets(api, garage, open_shop, closed_shop):
    response = api.get("/api/v1/servicers")
    assert response.status_code == 200
    body = response.json()
    assert [(s["name"], s["partner"]) for s in body] == [
        ("Bay Garage", True),
        ("Corner Tyres", False),
    ]
    assert body[0]["service_types"] == ["scheduled_maintenance"]
    assert body[0]["catalog"][0]["code"] == "oil-change"


def test_it_starts_and_ends_a_partnership(api, admin_client, garage, open_shop):
    response = api.post(f"/api/v1/servicers/{open_shop.pk}/partnership")
    assert response.status_code == 200
    assert response.json()["partner"] is True
    assert _names(api) == {"Bay Garage": True, "Corner Tyres": True}
    page = admin_client.get("/settings/servicers/").content.decode()
    assert f'value="{open_shop.pk}" aria-label="Work with Corner Tyres" checked' in page

    again = api.post(f"/api/v1/servicers/{open_shop.pk}/partnership")
    assert again.status_code == 200

    assert api.delete(f"/api/v1/servicers/{garage.pk}/partnership").status_code == 204
    assert api.delete(f"/api/v1/servicers/{open_shop.pk}/partnership").status_code == 204
    # A closed servicer the fleet stopped working with is no longer offered to it.
    assert _names(api) == {"Corner Tyres": False}
    page = admin_client.get("/settings/servicers/").content.decode()
    assert "Bay Garage" not in page
    assert f'value="{open_shop.pk}" aria-label="Work with Corner Tyres" >' in page


def test_a_servicer_the_fleet_is_not_offered_is_not_found(api, closed_shop):
    for method in (api.post, api.delete):
        response = method(f"/api/v1/servicers/{closed_shop.pk}/partnership")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert _names(api) == {}


def test_a_read_only_key_reads_but_does_not_change_partnerships(read_only, garage, open_shop):
    assert read_only.get("/api/v1/servicers").status_code == 200
    for method in (read_only.post, read_only.delete):
        response = method(f"/api/v1/servicers/{open_shop.pk}/partnership")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert read_only.delete(f"/api/v1/servicers/{garage.pk}/partnership").status_code == 403


def test_a_servicer_key_is_refused_on_the_fleet_side(garage_api, open_shop):
    for response in (
        garage_api.get("/api/v1/servicers"),
        garage_api.post(f"/api/v1/servicers/{open_shop.pk}/partnership"),
    ):
        assert response.status_code == 403
        assert response.json() == {
            "code": "forbidden",
            "message": "This endpoint takes an organization's API key.",
            "field": None,
        }


# --- servicer side ----------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_opens_the_servicer_side(garage, garage_api):
    response = garage_api.post(
        "/api/v1/servicer/keys", {"name": "  dispatch "}, content_type="application/json"
    )
    assert response.status_code == 201
    created = response.json()
    raw = created["key"]
    assert created["name"] == "dispatch"
    assert raw.startswith(created["prefix"])
    stored = ServicerApiKey.objects.get(pk=created["id"])
    assert stored.servicer == garage
    assert raw not in (stored.key_hash, stored.prefix)

    listed = bearer(raw).get("/api/v1/servicer/keys")
    assert listed.status_code == 200
    rows = listed.json()
    assert [row["name"] for row in rows] == ["dispatch", "integration"]
    assert all("key" not in row for row in rows)
    assert rows[0]["last_used_at"] is not None


def test_a_revoked_key_is_locked_out_at_once(garage, garage_api):
    _, raw = servicers.servicer_apikey_create(servicer=garage, name="old")
    doomed = bearer(raw)
    assert doomed.get("/api/v1/servicer/keys").status_code == 200
    key_id = ServicerApiKey.objects.get(name="old").pk

    assert garage_api.delete(f"/api/v1/servicer/keys/{key_id}").status_code == 204
    refused = doomed.get("/api/v1/servicer/keys")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthorized"
    assert garage_api.delete(f"/api/v1/servicer/keys/{key_id}").status_code == 204
    row = next(r for r in garage_api.get("/api/v1/servicer/keys").json() if r["id"] == key_id)
    assert row["revoked_at"] is not None


def test_another_servicers_key_is_not_found(garage_api, closed_shop):
    servicer_key(closed_shop)
    other = ServicerApiKey.objects.get(servicer=closed_shop)
    response = garage_api.delete(f"/api/v1/servicer/keys/{other.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ServicerApiKey.objects.get(pk=other.pk).revoked_at is None
    assert [r["id"] for r in garage_api.get("/api/v1/servicer/keys").json()] != [other.pk]


def test_an_organization_key_is_refused_on_the_servicer_side(api, garage):
    servicer_key(garage)
    key = ServicerApiKey.objects.get(servicer=garage)
    for response in (
        api.get("/api/v1/servicer/keys"),
        api.post("/api/v1/servicer/keys", {"name": "x"}, content_type="application/json"),
        api.delete(f"/api/v1/servicer/keys/{key.pk}"),
    ):
        assert response.status_code == 403
        assert response.json() == {
            "code": "forbidden",
            "message": "This endpoint takes a servicer's API key.",
            "field": None,
        }
    assert ServicerApiKey.objects.get(pk=key.pk).revoked_at is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_key_needs_a_name(garage_api, name):
    response = garage_api.post(
        "/api/v1/servicer/keys", {"name": name}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "name"


def test_a_new_key_is_never_kept_for_a_retry(garage_api, client):
    send = {"name": "dispatch"}
    headers = {"Idempotency-Key": "same-key-twice"}
    first = garage_api.post(
        "/api/v1/servicer/keys", send, content_type="application/json", headers=headers
    )
    second = garage_api.post(
        "/api/v1/servicer/keys", send, content_type="application/json", headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["key"] != second.json()["key"]
    assert "Idempotent-Replayed" not in second.headers
    assert not StoredAnswer.objects.exists()
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/servicer/keys"]
    assert "Idempotency-Key" not in [p["name"] for p in operation["post"].get("parameters", [])]
