"""Signing in, switching fleets, and the settings page: all of it for admins, the feed for all."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services
from fleetmaint.accounts.models import ApiKey, Membership, Organization, Role
from fleetmaint.vehicles import services as vehicles

HTMX = {"HTTP_HX_REQUEST": "true"}


def field_html(content: bytes, input_id: str) -> str:
    """The rendered block of one form field: its label, input, help and errors."""
    html = content.decode()
    for block in html.split('<div class="field')[1:]:
        block = block.split("</div>", 1)[0]
        if f'id="{input_id}"' in block:
            return block
    raise AssertionError(f"no field {input_id!r} in the page")


def is_full_page(response) -> bool:
    return b"<html" in response.content


# --- sign-in and home -----------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get("/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_sign_in_page_signs_a_member_in(advisor):
    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "bob", "password": "pw"})
    assert response.status_code == 302
    assert client.get("/vehicles/").status_code == 200


def test_home_is_the_dashboard(advisor_client):
    response = advisor_client.get("/")
    assert response.status_code == 200
    assert b"Needs attention" in response.content


def test_home_sends_a_visitor_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_without_an_organization_is_told_so(db):
    client = Client()
    client.force_login(User.objects.create_user("loner"))
    response = client.get("/vehicles/")
    assert response.status_code == 403
    assert b"No organization yet" in response.content


def test_a_member_of_two_fleets_can_switch_between_them(org, other_org, advisor):
    services.membership_set(org=other_org, user=advisor, role=Role.VIEWER)
    vehicles.vehicle_create(org=org, label="Acme Van")
    vehicles.vehicle_create(org=other_org, label="Other Truck")
    client = Client()
    client.force_login(advisor)
    page = client.get("/vehicles/")
    assert b"Acme Van" in page.content and b"Other Truck" not in page.content

    response = client.post("/settings/switch/", {"org": other_org.pk})
    assert response.status_code == 302
    page = client.get("/vehicles/")
    assert b"Other Truck" in page.content and b"Acme Van" not in page.content


def test_the_fleet_chosen_last_opens_at_the_next_sign_in(org, other_org, advisor):
    services.membership_set(org=other_org, user=advisor, role=Role.VIEWER)
    first = Client()
    first.post("/login/", {"username": "bob", "password": "pw"})
    assert first.get("/").context["org"] == org  # never chose: the first by name
    first.post("/settings/switch/", {"org": other_org.pk})
    first.post("/logout/")

    later = Client()
    later.post("/login/", {"username": "bob", "password": "pw"})
    assert later.get("/").context["org"] == other_org
    assert first.get("/").status_code == 302  # signed out for good

    later.post("/settings/switch/", {"org": org.pk})
    again = Client()
    again.post("/login/", {"username": "bob", "password": "pw"})
    assert again.get("/").context["org"] == org


def test_switching_remembers_only_the_persons_own_choice(org, other_org, advisor, admin_user):
    services.membership_set(org=other_org, user=advisor, role=Role.VIEWER)
    services.membership_set(org=other_org, user=admin_user, role=Role.VIEWER)
    bob = Client()
    bob.force_login(advisor)
    bob.post("/settings/switch/", {"org": other_org.pk})
    alice = Client()
    alice.force_login(admin_user)
    assert alice.get("/").context["org"] == org


def test_a_member_cannot_switch_to_a_fleet_they_do_not_belong_to(advisor_client, other_org):
    assert advisor_client.post("/settings/switch/", {"org": other_org.pk}).status_code == 404
    assert advisor_client.post("/settings/switch/", {"org": "abc"}).status_code == 404
    page = advisor_client.get("/vehicles/")
    assert b"Acme Logistics" in page.content


# --- the settings page ------------------------------------------------------------


def test_an_admin_sees_the_settings_page(admin_client, admin_user, advisor):
    response = admin_client.get("/settings/")
    assert response.status_code == 200
    assert is_full_page(response)
    assert b"Acme Logistics" in response.content
    assert b"bob" in response.content
    assert 'value="EUR"' in field_html(response.content, "id_currency")


@pytest.mark.parametrize("persona", ["advisor_client", "viewer_client"])
def test_a_member_who_is_not_an_admin_sees_the_feed_and_not_the_admin_parts(
    request, persona, org, admin_user
):
    response = request.getfixturevalue(persona).get("/settings/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/calendar/{org.calendar_token}.ics" in html
    assert 'href="/notifications/preferences/"' in html
    assert "alice" in html  # who to ask: the fleet's admins
    for admin_part in (
        'id="org-form"',
        'id="members"',
        'id="api-keys"',
        "/settings/invitations/",
        "/settings/calendar/rotate/",
        "Rotate address",
    ):
        assert admin_part not in html
    assert not re.findall(r'<form[^>]*method="post"[^>]*action="/settings/', html)


@pytest.mark.parametrize("persona", ["advisor_client", "viewer_client"])
def test_only_admins_change_the_organization(request, persona):
    response = request.getfixturevalue(persona).post(
        "/settings/",
        {
            "name": "Hijacked",
            "time_zone": "UTC",
            "currency": "USD",
            "distance_unit": "mi",
            "max_daily_distance": 10,
        },
    )
    assert response.status_code == 403
    assert b"Only admins of Acme Logistics can change these settings." in response.content
    assert Organization.objects.get(slug="acme-logistics").name == "Acme Logistics"


def test_every_member_sees_the_settings_link_and_only_admins_the_webhooks(
    admin_client, advisor_client, viewer_client
):
    for client in (admin_client, advisor_client, viewer_client):
        assert b'href="/settings/"' in client.get("/vehicles/").content
    assert b'href="/notifications/webhooks/"' in admin_client.get("/vehicles/").content
    assert b'href="/notifications/webhooks/"' not in advisor_client.get("/vehicles/").content


def _org_post(**overrides) -> dict:
    data = {
        "name": "Acme Europe",
        "time_zone": "Europe/Paris",
        "currency": "CHF",
        "distance_unit": "mi",
        "max_daily_distance": 800,
    }
    data.update(overrides)
    return data


def test_an_admin_updates_the_organization(admin_client, org):
    response = admin_client.post("/settings/", _org_post())
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    org.refresh_from_db()
    assert (org.name, org.time_zone, org.currency, org.distance_unit, org.max_daily_distance) == (
        "Acme Europe",
        "Europe/Paris",
        "CHF",
        "mi",
        800,
    )
    assert b"Settings saved." in admin_client.get("/settings/").content


def test_an_htmx_update_redirects_the_whole_page(admin_client, org):
    response = admin_client.post("/settings/", _org_post(), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/settings/"
    org.refresh_from_db()
    assert org.name == "Acme Europe"


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("E1R", "Use a three-letter ISO 4217 currency code, e.g. EUR."),
        ("EU", "Ensure this value has at least 3 characters"),
    ],
)
def test_an_invalid_currency_is_shown_next_to_the_field_and_nothing_changes(
    admin_client, org, currency, message
):
    response = admin_client.post("/settings/", _org_post(currency=currency))
    assert response.status_code == 422
    assert is_full_page(response)
    currency_field = field_html(response.content, "id_currency")
    assert "has-error" in currency_field
    assert message in currency_field
    assert "has-error" not in field_html(response.content, "id_name")
    org.refresh_from_db()
    assert (org.name, org.currency, org.distance_unit) == ("Acme Logistics", "EUR", "km")


def test_an_invalid_htmx_update_returns_only_the_form(admin_client, org):
    response = admin_client.post("/settings/", _org_post(currency="E1R"), **HTMX)
    assert response.status_code == 422
    assert not is_full_page(response)
    assert b'id="org-form"' in response.content
    assert b'id="api-keys"' not in response.content
    assert "three-letter" in field_html(response.content, "id_currency")
    org.refresh_from_db()
    assert org.currency == "EUR"


def test_an_unknown_time_zone_is_refused(admin_client, org):
    response = admin_client.post("/settings/", _org_post(time_zone="Mars/Base"))
    assert response.status_code == 422
    assert "has-error" in field_html(response.content, "id_time_zone")
    org.refresh_from_db()
    assert org.time_zone == "Europe/Berlin"


def test_the_settings_page_does_not_query_per_member_or_key(admin_client, org, admin_user):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get("/settings/").status_code == 200
        return len(ctx.captured_queries)

    services.apikey_create(org=org, name="k0", created_by=admin_user)
    few = count_queries()
    for number in range(1, 10):
        user = User.objects.create_user(f"member{number}")
        services.membership_set(org=org, user=user, role=Role.VIEWER)
        services.apikey_create(org=org, name=f"k{number}", created_by=user)
    assert count_queries() == few


# --- members ----------------------------------------------------------------------


def test_an_admin_changes_a_members_role(admin_client, org, advisor):
    membership = Membership.objects.get(org=org, user=advisor)
    response = admin_client.post(f"/settings/members/{membership.pk}/role/", {"role": "viewer"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_the_last_admin_cannot_demote_themselves(admin_client, org, admin_user):
    membership = Membership.objects.get(org=org, user=admin_user)
    response = admin_client.post(
        f"/settings/members/{membership.pk}/role/", {"role": "viewer"}, follow=True
    )
    assert b"An organization needs at least one admin." in response.content
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_an_admin_removes_a_member(admin_client, org, viewer):
    membership = Membership.objects.get(org=org, user=viewer)
    response = admin_client.post(f"/settings/members/{membership.pk}/remove/", follow=True)
    assert b"Member removed." in response.content
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_admin_cannot_remove_themselves(admin_client, org, admin_user):
    membership = Membership.objects.get(org=org, user=admin_user)
    response = admin_client.post(f"/settings/members/{membership.pk}/remove/", follow=True)
    assert b"An organization needs at least one admin." in response.content
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_cannot_touch_members_of_another_fleet(admin_client, other_org, outsider):
    membership = Membership.objects.get(org=other_org, user=outsider)
    role_url = f"/settings/members/{membership.pk}/role/"
    assert admin_client.post(role_url, {"role": "viewer"}).status_code == 404
    remove_url = f"/settings/members/{membership.pk}/remove/"
    assert admin_client.post(remove_url).status_code == 404
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


# --- API keys ---------------------------------------------------------------------


def test_an_admin_creates_an_api_key_and_sees_it_once(admin_client, org, admin_user):
    response = admin_client.post("/settings/api-keys/", {"name": "telematics"})
    assert response.status_code == 200
    match = re.search(r'id="new-api-key">([^<]+)<', response.content.decode())
    assert match, "the new key is shown"
    raw = match.group(1)
    key = services.apikey_authenticate(raw)
    assert key.org == org
    assert key.name == "telematics"
    assert key.created_by == admin_user
    assert key.read_only is False
    later = admin_client.get("/settings/")
    assert raw.encode() not in later.content
    assert b"telematics" in later.content


def test_an_htmx_api_key_request_returns_only_the_keys_card(admin_client, org):
    response = admin_client.post(
        "/settings/api-keys/", {"name": "dashboard", "read_only": "on"}, **HTMX
    )
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div class="card" id="api-keys">')
    assert b'id="new-api-key"' in response.content
    assert ApiKey.objects.get(org=org).read_only is True


def test_an_api_key_without_a_name_is_refused(admin_client, org):
    response = admin_client.post("/settings/api-keys/", {"name": ""})
    assert response.status_code == 422
    assert "This field is required." in field_html(response.content, "id_apikey_name")
    assert b'id="new-api-key"' not in response.content
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("persona", ["advisor_client", "viewer_client"])
def test_only_admins_create_api_keys(request, persona, org):
    client = request.getfixturevalue(persona)
    assert client.post("/settings/api-keys/", {"name": "sneaky"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_an_admin_revokes_an_api_key(admin_client, org, api_key):
    key = services.apikey_authenticate(api_key)
    response = admin_client.post(f"/settings/api-keys/{key.pk}/revoke/", **HTMX)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert b"revoked" in response.content
    assert services.apikey_authenticate(api_key) is None
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_an_advisor_cannot_revoke_an_api_key(advisor_client, api_key):
    key = services.apikey_authenticate(api_key)
    assert advisor_client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 403
    assert services.apikey_authenticate(api_key) is not None


def test_an_admin_cannot_revoke_another_fleets_key(admin_client, other_org):
    key, raw = services.apikey_create(org=other_org, name="theirs")
    assert admin_client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 404
    assert services.apikey_authenticate(raw) is not None


@pytest.mark.parametrize(
    "url",
    [
        "/settings/switch/",
        "/settings/invitations/",
        "/settings/invitations/1/resend/",
        "/settings/invitations/1/revoke/",
        "/settings/api-keys/",
        "/settings/api-keys/1/revoke/",
    ],
)
def test_changes_are_only_accepted_as_posts(admin_client, url):
    assert admin_client.get(url).status_code == 405
