"""Inviting from the settings page and accepting from the e-mailed link."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint.accounts import invitations
from fleetmaint.accounts.models import Invitation, Membership, Role
from tests.accounts.test_invitations import STRONG, token_in
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def post_invite(admin_client, smtp, django_capture_on_commit_callbacks):  # noqa: F811
    def post(email="carla@example.com", role="advisor", client=admin_client, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/settings/invitations/", {"email": email, "role": role}, **extra)

    return post


@pytest.fixture
def invited(post_invite, smtp):  # noqa: F811
    """An invitation to carla@example.com as advisor, and its link's path."""
    assert post_invite().status_code == 302
    return f"/invitations/{token_in(smtp.received[-1])}/"


# --- the settings page --------------------------------------------------------------


def test_an_admin_invites_by_email_and_sees_it_pending(admin_client, org, post_invite, smtp):  # noqa: F811
    response = post_invite()
    assert response.status_code == 302
    page = admin_client.get("/settings/").content.decode()
    assert "Invitation sent to carla@example.com. They join when they accept it." in page
    assert "Pending invitations" in page and "carla@example.com" in page
    assert len(smtp.to("carla@example.com")) == 1
    assert not Membership.objects.filter(user__email="carla@example.com").exists()


def test_the_invite_answers_the_same_whether_or_not_the_address_has_an_account(
    admin_client, org, outsider, post_invite
):
    def answer(email: str) -> str:
        response = post_invite(email=email)
        assert response.status_code == 302
        html = admin_client.get("/settings/").content.decode()
        messages = html.split('<ul class="messages"', 1)[1].split("</ul>", 1)[0]
        return f"{response['Location']} {messages}"

    known = answer("oscar@example.com")
    unknown = answer("nobody@example.com")
    assert "Invitation sent to" in known
    assert known.replace("oscar@example.com", "X") == unknown.replace("nobody@example.com", "X")
    assert list(Membership.objects.filter(user=outsider).values_list("org__name", flat=True)) == [
        "Other Fleet"
    ]


def test_posting_a_username_to_the_old_members_address_adds_nobody(admin_client, outsider):
    response = admin_client.post(
        "/settings/members/", {"username": "oscar", "email": "", "role": "admin"}
    )
    assert response.status_code == 404
    assert Membership.objects.filter(user=outsider).count() == 1


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Give the e-mail address to send the invitation to."),
        ("not-an-address", "That is not an e-mail address."),
        ("a" * 250 + "@example.com", "at most 254 characters"),
        ("car\x00la@example.com", "Null characters are not allowed."),
    ],
)
def test_an_unusable_address_is_shown_next_to_the_field(post_invite, email, message):
    response = post_invite(email=email, **HTMX)
    assert response.status_code == 422
    assert b"<html" not in response.content
    html = response.content.decode()
    assert message in html
    assert 'id="members"' in html
    assert not Invitation.objects.exists()


def test_inviting_a_member_of_this_fleet_is_refused_in_place(post_invite, advisor):
    response = post_invite(email="bob@example.com", **HTMX)
    assert response.status_code == 422
    assert "bob@example.com is already a member of Acme Logistics." in response.content.decode()


@pytest.mark.parametrize("persona", ["advisor_client", "viewer_client"])
def test_only_admins_invite(request, persona, post_invite, smtp):  # noqa: F811
    response = post_invite(client=request.getfixturevalue(persona))
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert smtp.received == []


def test_an_admin_resends_and_revokes_an_invitation(
    admin_client,
    invited,
    smtp,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/settings/invitations/{invitation.pk}/resend/", **HTMX)
    assert response.status_code == 200
    assert "A new link was sent to carla@example.com." in response.content.decode()
    new_link = f"/invitations/{token_in(smtp.received[-1])}/"
    assert new_link != invited
    assert client.get(invited).status_code == 404
    assert client.get(new_link).status_code == 200

    response = admin_client.post(f"/settings/invitations/{invitation.pk}/revoke/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The invitation for carla@example.com was withdrawn." in html
    assert "Pending invitations" not in html
    page = client.get(new_link)
    assert page.status_code == 410
    assert b"This invitation was withdrawn by the fleet&#x27;s admin." in page.content


def test_revoking_without_htmx_goes_back_to_the_settings_page(admin_client, invited):
    invitation = Invitation.objects.get()
    response = admin_client.post(f"/settings/invitations/{invitation.pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == "/settings/#members"
    assert b"was withdrawn" in response.content


def test_outsiders_and_readers_cannot_touch_invitations(
    invited, outsider_client, viewer_client, advisor_client
):
    invitation = Invitation.objects.get()
    for action in ("resend", "revoke"):
        url = f"/settings/invitations/{invitation.pk}/{action}/"
        assert outsider_client.post(url).status_code == 404
        assert viewer_client.post(url).status_code == 403
        assert advisor_client.post(url).status_code == 403
    assert Invitation.objects.get().is_open


def test_an_admin_gets_404_for_an_unknown_invitation(admin_client):
    assert admin_client.post("/settings/invitations/999999/revoke/").status_code == 404
    assert admin_client.post("/settings/invitations/999999/resend/").status_code == 404


def test_the_settings_page_does_not_query_per_invitation(admin_client, org, admin_user):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get("/settings/").status_code == 200
        return len(ctx.captured_queries)

    invitations.invitation_create(
        org=org, email="first@example.com", role=Role.VIEWER, invited_by=admin_user
    )
    few = count_queries()
    for number in range(10):
        invitations.invitation_create(
            org=org, email=f"n{number}@example.com", role=Role.VIEWER, invited_by=admin_user
        )
    assert count_queries() == few


# --- the link -------------------------------------------------------------------------


def test_a_new_person_sets_a_password_and_lands_in_the_fleet(invited, org):
    client = Client()
    page = client.get(invited)
    assert page.status_code == 200
    assert b"Join Acme Logistics" in page.content and b"Create your account" in page.content

    response = client.post(
        invited, {"username": "carla", "password": STRONG, "password_again": STRONG}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert b"Welcome to Acme Logistics." in home.content
    assert home.context["org"] == org
    assert Membership.objects.get(user__username="carla").role == Role.ADVISOR
    assert Client().login(username="carla", password=STRONG)


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({"username": "carla", "password": "", "password_again": ""}, "Choose a password."),
        (
            {"username": "carla", "password": STRONG, "password_again": STRONG + "!"},
            "The two passwords differ.",
        ),
        (
            {"username": "carla", "password": "password1", "password_again": "password1"},
            "This password is too common.",
        ),
        (
            {"username": "u" * 151, "password": STRONG, "password_again": STRONG},
            "A username can be at most 150 characters.",
        ),
        (
            {"username": "car\x00la", "password": STRONG, "password_again": STRONG},
            "Null characters are not allowed.",
        ),
        (
            {"username": "bob", "password": STRONG, "password_again": STRONG},
            "That username is taken; choose another.",
        ),
    ],
)
def test_the_account_form_explains_what_is_wrong(invited, advisor, data, field_error):
    response = Client().post(invited, data)
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not User.objects.filter(email="carla@example.com").exists()
    assert Invitation.objects.get().is_open


def test_a_double_submitted_acceptance_joins_once(invited):
    client = Client()
    data = {"username": "carla", "password": STRONG, "password_again": STRONG}
    assert client.post(invited, data).status_code == 302
    again = client.post(invited, data)
    assert again.status_code == 302 and again["Location"] == "/"
    assert Membership.objects.filter(user__username="carla").count() == 1
    assert User.objects.filter(email="carla@example.com").count() == 1


def test_a_link_used_twice_says_so(invited):
    data = {"username": "carla", "password": STRONG, "password_again": STRONG}
    assert Client().post(invited, data).status_code == 302
    response = Client().post(invited, {**data, "username": "carla2"})
    assert response.status_code == 410
    assert b"This invitation has already been used." in response.content
    assert Client().get(invited).status_code == 410
    assert not User.objects.filter(username="carla2").exists()


def test_an_expired_link_says_so(invited):
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        page = Client().get(invited)
        assert page.status_code == 410
        assert b"This invitation has expired." in page.content
        data = {"username": "carla", "password": STRONG, "password_again": STRONG}
        assert Client().post(invited, data).status_code == 410
    assert not User.objects.filter(username="carla").exists()


@pytest.mark.parametrize("path", ["/invitations/made-up/", "/invitations/" + "x" * 200 + "/"])
def test_a_made_up_link_gets_a_clear_404(db, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert b"This invitation link is not valid." in response.content


def test_another_fleets_member_signs_in_and_accepts(
    org,
    outsider,
    post_invite,
    smtp,  # noqa: F811
):
    post_invite(email="oscar@example.com", role="viewer")
    link = f"/invitations/{token_in(smtp.received[-1])}/"
    client = Client()
    page = client.get(link)
    assert b"There is already an account for oscar@example.com" in page.content
    assert f'href="/login/?next={link}"'.encode() in page.content

    client.post("/login/", {"username": "oscar", "password": "pw", "next": link})
    page = client.get(link)
    assert b"You are signed in as <strong>oscar</strong>" in page.content
    assert not Membership.objects.filter(org=org, user=outsider).exists()

    response = client.post(link)
    assert response.status_code == 302
    assert client.get("/").context["org"] == org
    assert Membership.objects.get(org=org, user=outsider).role == Role.VIEWER
    # Accepting again (a double click) lands in the same place.
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(org=org, user=outsider).count() == 1


def test_an_htmx_invite_answers_with_the_members_card(post_invite, smtp):  # noqa: F811
    response = post_invite(**HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="members"' in html
    assert "Invitation sent to carla@example.com. They join when they accept it." in html
    assert 'id="id_invite_email"' in html and 'value="carla@example.com"' not in html


def test_someone_signed_in_as_the_wrong_person_can_sign_out_and_come_back(invited, advisor_client):
    page = advisor_client.get(invited)
    assert b"You are signed in as <strong>bob</strong>" in page.content
    response = advisor_client.post("/logout/", {"next": invited})
    assert response.status_code == 302 and response["Location"] == invited
    assert b"Create your account" in advisor_client.get(invited).content


def test_the_operator_sees_invitations_in_the_django_admin_without_their_digest(invited):
    operator = User.objects.create_superuser("operator", "op@example.com", "pw")
    client = Client()
    client.force_login(operator)
    invitation = Invitation.objects.get()
    listing = client.get("/admin/accounts/invitation/")
    assert listing.status_code == 200 and b"carla@example.com" in listing.content
    page = client.get(f"/admin/accounts/invitation/{invitation.pk}/change/")
    assert page.status_code == 200
    assert invitation.token_digest.encode() not in page.content
