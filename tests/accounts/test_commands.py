"""The management commands an operator runs: createorg, createapikey, seed_demo."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from fleetmaint.accounts.models import ApiKey, Membership, Organization, Role
from fleetmaint.accounts.services import apikey_authenticate
from fleetmaint.vehicles.models import Reading, Vehicle


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- createorg ------------------------------------------------------------------


def test_createorg_creates_an_organization_with_the_given_options(db):
    out, _ = run(
        "createorg",
        "Fjord Transport",
        "--slug",
        "fjord",
        "--timezone",
        "Europe/Oslo",
        "--currency",
        "nok",
        "--distance-unit",
        "mi",
    )
    org = Organization.objects.get()
    assert (org.name, org.slug, org.time_zone, org.currency, org.distance_unit) == (
        "Fjord Transport",
        "fjord",
        "Europe/Oslo",
        "NOK",
        "mi",
    )
    assert "Created organization Fjord Transport (fjord)." in out


def test_createorg_uses_utc_eur_and_km_by_default(db):
    run("createorg", "Plain Fleet")
    org = Organization.objects.get()
    assert (org.slug, org.time_zone, org.currency, org.distance_unit) == (
        "plain-fleet",
        "UTC",
        "EUR",
        "km",
    )


def test_createorg_reports_an_unknown_time_zone(db):
    with pytest.raises(CommandError, match="Unknown time zone 'Nowhere/City'"):
        run("createorg", "Fleet", "--timezone", "Nowhere/City")
    assert not Organization.objects.exists()


def test_createorg_reports_a_taken_slug(org):
    with pytest.raises(CommandError, match="already exists"):
        run("createorg", "Another", "--slug", org.slug)
    assert Organization.objects.count() == 1


def test_createorg_refuses_an_unknown_distance_unit(db):
    with pytest.raises(CommandError):
        run("createorg", "Fleet", "--distance-unit", "yd")
    assert not Organization.objects.exists()


# --- createapikey ---------------------------------------------------------------


def test_createapikey_prints_a_key_that_authenticates_as_the_last_line(org):
    out, err = run("createapikey", org.slug, "--name", "telematics")
    raw = out.strip().splitlines()[-1]
    key = apikey_authenticate(raw)
    assert key is not None
    assert key.org == org
    assert key.name == "telematics"
    assert key.read_only is False
    assert "shown only once" in err
    assert raw not in err


def test_createapikey_can_create_a_read_only_key(org):
    out, _ = run("createapikey", org.slug, "--name", "dashboard", "--read-only")
    key = apikey_authenticate(out.strip().splitlines()[-1])
    assert key.read_only is True


def test_createapikey_reports_an_unknown_organization(org):
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        run("createapikey", "nope", "--name", "telematics")
    assert not ApiKey.objects.exists()


def test_createapikey_reports_an_empty_name(org):
    with pytest.raises(CommandError, match="Give the key a name"):
        run("createapikey", org.slug, "--name", "  ")
    assert not ApiKey.objects.exists()


# --- seed_demo ------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "vehicles": Vehicle.objects.count(),
        "readings": Reading.objects.count(),
    }


def test_seed_demo_refuses_to_run_outside_debug_without_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        run("seed_demo")
    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_loads_a_fleet_with_logins_and_readings(db):
    out, _ = run("seed_demo", "--force")
    org = Organization.objects.get(slug="demo-fleet")
    assert "25 new vehicle(s)" in out
    assert Vehicle.objects.filter(org=org).count() == 25
    roles = dict(Membership.objects.filter(org=org).values_list("user__username", "role"))
    assert roles == {"admin": Role.ADMIN, "advisor": Role.ADVISOR, "viewer": Role.VIEWER}
    assert User.objects.get(username="advisor").check_password("demo-advisor-pass")
    fleet_admin = User.objects.get(username="admin")
    assert (fleet_admin.is_staff, fleet_admin.is_superuser) == (False, False)
    operator = User.objects.get(username="operator")
    assert (operator.is_staff, operator.is_superuser) == (True, True)
    assert not Membership.objects.filter(user=operator).exists()
    assert "operator" in out
    for vehicle in Vehicle.objects.filter(org=org):
        newest = Reading.objects.filter(vehicle=vehicle).first()
        assert newest is not None
        assert vehicle.odometer == newest.odometer


def test_seed_demo_takes_the_admin_of_an_older_demo_out_of_the_django_admin(db):
    run("seed_demo", "--force")
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    run("seed_demo", "--force")
    fleet_admin = User.objects.get(username="admin")
    assert (fleet_admin.is_staff, fleet_admin.is_superuser) == (False, False)


def test_the_demo_fleet_admin_cannot_open_the_django_admin(db, client):
    run("seed_demo", "--force")
    client.login(username="admin", password="demo-admin-pass")
    assert client.get("/admin/").status_code == 302
    client.login(username="operator", password="demo-operator-pass")
    assert client.get("/admin/").status_code == 200


def test_seed_demo_is_idempotent(db):
    run("seed_demo", "--force")
    first = _counts()
    out, _ = run("seed_demo", "--force")
    assert _counts() == first
    assert first["vehicles"] == 25
    assert first["readings"] > first["vehicles"]
    assert "0 new vehicle(s)" in out
