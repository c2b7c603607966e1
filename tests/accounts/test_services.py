"""Organizations, memberships and API keys: the rules every face relies on."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from fleetmaint.accounts import services
from fleetmaint.accounts.models import ApiKey, Membership, Organization, Role
from fleetmaint.errors import Conflict, NotFound, ValidationFailed

# --- organizations ------------------------------------------------------------


def test_it_creates_an_organization_with_a_slug_from_its_name(db):
    org = services.org_create(name="  Nordic Haulage AB ", time_zone="Europe/Stockholm")
    org.refresh_from_db()
    assert org.name == "Nordic Haulage AB"
    assert org.slug == "nordic-haulage-ab"
    assert org.time_zone == "Europe/Stockholm"
    assert org.currency == "EUR"
    assert org.distance_unit == "km"
    assert org.max_daily_distance == 1500


def test_it_slugifies_a_given_slug_and_uppercases_the_currency(db):
    org = services.org_create(name="Fleet", slug="My Fleet!", currency="sek", distance_unit="mi")
    assert org.slug == "my-fleet"
    assert org.currency == "SEK"
    assert org.distance_unit == "mi"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_it_refuses_an_organization_without_a_name(db, name):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name=name)
    assert excinfo.value.field == "name"
    assert excinfo.value.message == "Give the organization a name."
    assert not Organization.objects.exists()


def test_it_refuses_a_name_longer_than_120_characters(db):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="x" * 121)
    assert excinfo.value.field == "name"
    assert not Organization.objects.exists()


@pytest.mark.parametrize("time_zone", ["Mars/Olympus", "europe/berlin", "", "CET+1"])
def test_it_refuses_an_unknown_time_zone(db, time_zone):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="Fleet", time_zone=time_zone)
    assert excinfo.value.field == "time_zone"
    assert "Unknown time zone" in excinfo.value.message
    assert not Organization.objects.exists()


@pytest.mark.parametrize("currency", ["EU", "EURO", "E1R", "€UR", "", "ÄÖÜ"])
def test_it_refuses_a_currency_that_is_not_three_letters(db, currency):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="Fleet", currency=currency)
    assert excinfo.value.field == "currency"
    assert "three-letter ISO 4217" in excinfo.value.message
    assert not Organization.objects.exists()


def test_it_refuses_an_unknown_distance_unit(db):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="Fleet", distance_unit="yd")
    assert excinfo.value.field == "distance_unit"


def test_it_refuses_a_plausible_daily_distance_below_one(db):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="Fleet", max_daily_distance=0)
    assert excinfo.value.field == "max_daily_distance"


def test_it_refuses_a_duplicate_slug(org):
    with pytest.raises(Conflict) as excinfo:
        services.org_create(name="Acme  Logistics")
    assert excinfo.value.field == "slug"
    assert "acme-logistics" in excinfo.value.message
    assert Organization.objects.count() == 1


def test_it_refuses_a_slug_without_letters_or_digits(db):
    with pytest.raises(ValidationFailed) as excinfo:
        services.org_create(name="!!!")
    assert excinfo.value.field == "slug"


def test_it_updates_an_organizations_settings(org):
    services.org_update(
        org=org,
        name="Acme Europe",
        time_zone="Europe/Paris",
        currency="chf",
        distance_unit="mi",
        max_daily_distance=900,
    )
    org.refresh_from_db()
    assert (org.name, org.time_zone, org.currency, org.distance_unit, org.max_daily_distance) == (
        "Acme Europe",
        "Europe/Paris",
        "CHF",
        "mi",
        900,
    )
    assert org.slug == "acme-logistics"


def test_an_invalid_update_leaves_the_organization_unchanged(org):
    with pytest.raises(ValidationFailed):
        services.org_update(
            org=Organization.objects.get(pk=org.pk),
            name="Renamed",
            time_zone="Europe/Paris",
            currency="E1R",
            distance_unit="km",
            max_daily_distance=900,
        )
    org.refresh_from_db()
    assert org.name == "Acme Logistics"
    assert org.currency == "EUR"


# --- memberships ----------------------------------------------------------------


def test_it_adds_a_user_with_a_role(org):
    user = User.objects.create_user("dora")
    membership = services.membership_set(org=org, user=user, role=Role.ADVISOR)
    assert Membership.objects.get(org=org, user=user).role == Role.ADVISOR
    assert membership.can_write and not membership.is_admin


def test_it_changes_a_members_role_without_adding_a_second_membership(org, advisor):
    services.membership_set(org=org, user=advisor, role=Role.VIEWER)
    assert list(Membership.objects.filter(user=advisor).values_list("role", flat=True)) == [
        Role.VIEWER
    ]


def test_it_refuses_an_unknown_role(org):
    user = User.objects.create_user("dora")
    with pytest.raises(ValidationFailed) as excinfo:
        services.membership_set(org=org, user=user, role="owner")
    assert excinfo.value.field == "role"
    assert not Membership.objects.filter(user=user).exists()


def test_it_refuses_to_demote_the_last_admin(org, admin_user):
    with pytest.raises(Conflict) as excinfo:
        services.membership_set(org=org, user=admin_user, role=Role.ADVISOR)
    assert excinfo.value.message == "An organization needs at least one admin."
    assert Membership.objects.get(org=org, user=admin_user).role == Role.ADMIN


def test_it_demotes_an_admin_when_another_admin_remains(org, admin_user, advisor):
    services.membership_set(org=org, user=advisor, role=Role.ADMIN)
    services.membership_set(org=org, user=admin_user, role=Role.VIEWER)
    assert Membership.objects.get(org=org, user=admin_user).role == Role.VIEWER


def test_an_admin_of_another_fleet_does_not_count_as_an_admin_here(org, admin_user, outsider):
    with pytest.raises(Conflict):
        services.membership_set(org=org, user=admin_user, role=Role.VIEWER)


def test_it_refuses_to_remove_the_last_admin(org, admin_user, advisor):
    membership = Membership.objects.get(org=org, user=admin_user)
    with pytest.raises(Conflict):
        services.membership_remove(org=org, membership_id=membership.pk)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_it_removes_a_member(org, admin_user, advisor):
    membership = Membership.objects.get(org=org, user=advisor)
    services.membership_remove(org=org, membership_id=membership.pk)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=advisor.pk).exists()


def test_it_does_not_remove_a_member_of_another_fleet(org, admin_user, outsider, other_org):
    membership = Membership.objects.get(org=other_org, user=outsider)
    with pytest.raises(NotFound):
        services.membership_remove(org=org, membership_id=membership.pk)
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- API keys -------------------------------------------------------------------


def test_an_api_key_is_stored_only_as_a_digest(org, admin_user):
    key, raw = services.apikey_create(org=org, name="telematics", created_by=admin_user)
    assert raw.startswith("fm_")
    assert len(raw) > 40
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in [str(value) for value in row.values()]
    assert row["prefix"] == raw[:10]
    assert row["created_by_id"] == admin_user.pk
    assert len(row["key_hash"]) == 64


def test_every_api_key_is_different(org):
    _, first = services.apikey_create(org=org, name="a")
    _, second = services.apikey_create(org=org, name="b")
    assert first != second


@pytest.mark.parametrize("name", ["", "   ", "n" * 81])
def test_it_refuses_an_api_key_without_a_usable_name(org, name):
    with pytest.raises(ValidationFailed) as excinfo:
        services.apikey_create(org=org, name=name)
    assert excinfo.value.field == "name"
    assert not ApiKey.objects.exists()


def test_a_raw_key_authenticates_as_its_organization(org):
    key, raw = services.apikey_create(org=org, name="telematics", read_only=True)
    found = services.apikey_authenticate(raw)
    assert found == key
    assert found.org == org
    assert found.read_only is True


def test_surrounding_whitespace_does_not_stop_a_key_from_authenticating(org, api_key):
    assert services.apikey_authenticate(f"  {api_key}\n") is not None


@pytest.mark.parametrize("raw", ["", "fm_not-a-real-key", "Bearer fm_x"])
def test_an_unknown_key_does_not_authenticate(org, api_key, raw):
    assert services.apikey_authenticate(raw) is None


def test_a_revoked_key_no_longer_authenticates(org):
    key, raw = services.apikey_create(org=org, name="old")
    services.apikey_revoke(org=org, key_id=key.pk)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert not key.is_active
    assert services.apikey_authenticate(raw) is None


def test_revoking_twice_keeps_the_first_revocation_time(org):
    key, _ = services.apikey_create(org=org, name="old")
    with time_machine.travel(datetime(2030, 1, 1, 12, tzinfo=UTC), tick=False):
        services.apikey_revoke(org=org, key_id=key.pk)
    with time_machine.travel(datetime(2030, 2, 1, 12, tzinfo=UTC), tick=False):
        services.apikey_revoke(org=org, key_id=key.pk)
    key.refresh_from_db()
    assert key.revoked_at == datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_it_cannot_revoke_another_fleets_key(org, other_org):
    key, raw = services.apikey_create(org=other_org, name="theirs")
    with pytest.raises(NotFound):
        services.apikey_revoke(org=org, key_id=key.pk)
    assert services.apikey_authenticate(raw) is not None


def test_authenticating_records_when_the_key_was_last_used(org):
    key, raw = services.apikey_create(org=org, name="telematics")
    assert key.last_used_at is None
    start = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        services.apikey_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used_at == start


def test_last_use_is_written_at_most_once_a_minute(org):
    key, raw = services.apikey_create(org=org, name="telematics")
    start = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        services.apikey_authenticate(raw)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        services.apikey_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        services.apikey_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used_at == start + timedelta(seconds=61)
