"""Readings-only keys are made where other keys are: the settings page and createapikey."""

import io

from django.core.management import call_command
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import ApiKey


def test_an_admin_creates_a_readings_only_key_on_the_settings_page(admin_client, org):
    response = admin_client.post("/settings/api-keys/", {"name": "traccar", "readings_only": "on"})
    assert response.status_code == 200
    key = ApiKey.objects.get(org=org)
    assert (key.readings_only, key.read_only) == (True, False)
    assert b"readings only" in admin_client.get("/settings/").content


def test_a_key_both_read_only_and_readings_only_is_refused_on_the_form(admin_client, org):
    response = admin_client.post(
        "/settings/api-keys/", {"name": "both", "read_only": "on", "readings_only": "on"}
    )
    assert response.status_code == 422
    assert b"cannot be read-only" in response.content
    assert not ApiKey.objects.exists()


def test_createapikey_makes_a_readings_only_key(org):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "createapikey", org.slug, "--name", "traccar", "--readings-only", stdout=out, stderr=err
    )
    key = ApiKey.objects.get(org=org)
    assert key.readings_only is True
    assert out.getvalue().strip()


def test_the_vendor_endpoints_do_not_know_a_readings_only_key(org, vehicle):
    _, raw = accounts.apikey_create(org=org, name="traccar", readings_only=True)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = client.post("/voyorequest/GetAllServiceIntervals", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid Authorization!"}
    listed = client.get("/v2/vehicle/list", {"hash": raw})
    assert listed.json()["success"] is False
