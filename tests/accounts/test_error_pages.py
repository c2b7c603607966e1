"""What a person sees when a request cannot be answered: 403, 404, 500 and an expired form.

Each page is inside the site's layout (the menu is there), says what happened in
plain words and links somewhere useful. htmx requests refused with 403 get the
explanation alone, aimed at the page's alert area. Programs (the JSON API and
the vendor-compatible endpoints) keep their own answers.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from fleetmaint.error_pages import server_error
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

HTMX = {"HX-Request": "true"}
VIEWER_REASON = (
    "Your role is Viewer: you can see this fleet but not change it. "
    "Ask an admin of Acme Logistics to change your role."
)
ADMIN_REASON = "Only admins of Acme Logistics can change these settings."


def text(response) -> str:
    """The page's words, tags and repeated spaces taken out, entities left as they are."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def links(response) -> dict[str, str]:
    """Each link in the error page's "where to go next": its words and address."""
    html = response.content.decode()
    nav = html.split('aria-label="Where to go next"', 1)[1].split("</nav>", 1)[0]
    return {label.strip(): href for href, label in re.findall(r'href="([^"]*)"[^>]*>([^<]+)<', nav)}


def has_the_layout(response) -> bool:
    html = response.content.decode()
    return "<html" in html and 'aria-label="Main"' in html and "/static/css/app.css" in html


# --- 403 ----------------------------------------------------------------------


def test_a_viewer_refused_a_change_is_told_why_inside_the_layout(viewer_client, vehicle):
    response = viewer_client.get(f"/vehicles/{vehicle.pk}/edit/")
    assert response.status_code == 403
    assert has_the_layout(response)
    assert "You cannot do this here" in text(response)
    assert VIEWER_REASON in text(response)
    assert links(response) == {"Back to Vehicles": "/vehicles/", "Back to the dashboard": "/"}


def test_a_viewers_post_is_refused_with_the_same_explanation(viewer_client, vehicle):
    response = viewer_client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": 100})
    assert response.status_code == 403
    assert has_the_layout(response)
    assert VIEWER_REASON in text(response)
    assert not vehicle.readings.exists()


def test_the_page_offers_the_way_back_the_person_came(viewer_client, vehicle):
    came_from = f"http://testserver/vehicles/{vehicle.pk}/"
    response = viewer_client.get(f"/vehicles/{vehicle.pk}/edit/", headers={"Referer": came_from})
    assert links(response)["Back to the previous page"] == came_from


def test_a_way_back_to_another_site_is_not_offered(viewer_client, vehicle):
    response = viewer_client.get(
        f"/vehicles/{vehicle.pk}/edit/", headers={"Referer": "https://elsewhere.example/"}
    )
    assert "elsewhere.example" not in response.content.decode()


def test_an_advisor_on_an_admin_page_is_told_only_admins_may(advisor_client):
    response = advisor_client.get("/notifications/webhooks/")
    assert response.status_code == 403
    assert has_the_layout(response)
    assert ADMIN_REASON in text(response)
    assert "Back to the dashboard" in links(response)


def test_an_htmx_refusal_is_the_explanation_alone_aimed_at_the_alert_area(viewer_client, vehicle):
    response = viewer_client.post(
        f"/vehicles/{vehicle.pk}/schedule/new/", {"name": "Oil"}, headers=HTMX
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#page-alert"
    assert response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "<html" not in html
    assert 'role="alert"' in html
    assert VIEWER_REASON in text(response)
    assert not ServiceInterval.objects.exists()


def test_someone_removed_from_the_fleet_is_told_in_place_on_their_next_htmx_request(db):
    client = Client()
    client.force_login(User.objects.create_user(username="nomad", password="pw"))
    response = client.get("/notifications/panel/", headers=HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#page-alert"
    assert "no longer belongs to any fleet" in text(response)


def test_a_boosted_htmx_refusal_gets_the_whole_page(viewer_client, vehicle):
    response = viewer_client.get(
        f"/vehicles/{vehicle.pk}/edit/", headers={**HTMX, "HX-Boosted": "true"}
    )
    assert response.status_code == 403
    assert has_the_layout(response)
    assert "HX-Retarget" not in response


def test_every_page_has_the_alert_area_htmx_refusals_go_to(viewer_client):
    assert 'id="page-alert"' in viewer_client.get("/vehicles/").content.decode()


# --- 404 ----------------------------------------------------------------------


def test_another_fleets_vehicle_is_not_found_with_a_way_to_the_list(outsider_client, vehicle):
    response = outsider_client.get(f"/vehicles/{vehicle.pk}/")
    assert response.status_code == 404
    assert has_the_layout(response)
    assert "This page does not exist" in text(response)
    assert "Acme" not in text(response)
    assert links(response) == {"Back to Vehicles": "/vehicles/", "Back to the dashboard": "/"}


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/tasks/999999/", ("Back to Tasks", "/tasks/")),
        ("/orders/999999/", ("Back to Orders", "/orders/")),
        ("/quotes/999999/", ("Back to Due", "/due/")),
        ("/notifications/webhooks/999999/", ("Back to Webhooks", "/notifications/webhooks/")),
    ],
)
def test_a_missing_object_links_to_the_list_it_would_be_in(admin_client, path, back):
    response = admin_client.get(path)
    assert response.status_code == 404
    label, url = back
    assert links(response)[label] == url


def test_an_unknown_address_is_not_found_inside_the_layout(advisor_client):
    response = advisor_client.get("/no-such-page/")
    assert response.status_code == 404
    assert has_the_layout(response)
    assert links(response) == {"Back to the dashboard": "/"}


def test_a_visitor_who_is_not_signed_in_is_offered_to_sign_in(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert links(response) == {"Sign in": "/login/"}


# --- a form that fails its CSRF check -----------------------------------------


def _strict(client: Client, user) -> Client:
    strict = Client(enforce_csrf_checks=True)
    if user is not None:
        strict.force_login(user)
    return strict


def test_an_expired_form_says_nothing_was_changed_and_to_send_it_again(advisor, vehicle):
    client = _strict(Client(), advisor)
    client.get("/vehicles/")  # the browser holds a CSRF cookie
    response = client.post(f"/vehicles/{vehicle.pk}/readings/", {"odometer": 100})
    assert response.status_code == 403
    assert has_the_layout(response)
    assert "The form could not be sent" in text(response)
    assert "Nothing was changed" in text(response)
    assert not vehicle.readings.exists()


def test_a_form_sent_after_the_session_ended_asks_to_sign_in_again(db):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    response = client.post("/login/", {"username": "bob", "password": "pw"})
    assert response.status_code == 403
    assert "Sign in again" in text(response)
    assert links(response)["Sign in"] == "/login/"


def test_an_htmx_post_with_an_outdated_token_shows_the_explanation_in_place(advisor, vehicle):
    client = _strict(Client(), advisor)
    client.get("/vehicles/")
    response = client.post(
        f"/vehicles/{vehicle.pk}/readings/",
        {"odometer": 100},
        headers={**HTMX, "X-CSRFToken": "outdated" * 4},
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#page-alert"
    assert "The form could not be sent" in text(response)


# --- 500 ----------------------------------------------------------------------


@pytest.mark.urls("tests.accounts.failing_urls")
def test_a_fault_shows_a_styled_page_that_blames_the_system(advisor_client):
    advisor_client.raise_request_exception = False
    response = advisor_client.get("/failing/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "/static/css/app.css" in html
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html


def test_the_500_page_needs_nothing_from_the_request(db):
    request = RequestFactory().get("/vehicles/")  # no session, no user, no organization
    response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


# --- programs keep their own answers ------------------------------------------


def test_the_api_keeps_its_json_errors(api, other_org):
    theirs = vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="T-1")
    response = api.get(f"/api/v1/vehicles/{theirs.pk}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert Vehicle.objects.filter(pk=theirs.pk).exists()


def test_an_unknown_api_address_gets_no_page_for_people(api):
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert "Where to go next" not in response.content.decode()
    assert 'aria-label="Main"' not in response.content.decode()
