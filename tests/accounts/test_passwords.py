"""People manage their own passwords: change them, reset them by e-mail, always validated."""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.test import Client

from fleetmaint import demo
from tests.accounts.test_invitations import STRONG, text_of
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)


def test_the_header_links_to_the_account_page(advisor_client):
    page = advisor_client.get("/vehicles/").content.decode()
    assert 'href="/account/"' in page


def test_the_account_page_lists_the_persons_fleets(advisor_client, other_org, advisor):
    from fleetmaint.accounts import services

    services.membership_set(org=other_org, user=advisor, role="viewer")
    page = advisor_client.get("/account/").content.decode()
    assert "Acme Logistics" in page and "Other Fleet" in page
    assert 'href="/account/password/"' in page


def test_the_account_page_needs_a_sign_in(db):
    response = Client().get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_someone_without_a_fleet_can_still_reach_their_account(db):
    client = Client()
    client.force_login(User.objects.create_user("loner", password="pw"))
    assert client.get("/account/").status_code == 200
    assert client.get("/account/password/").status_code == 200


# --- changing -----------------------------------------------------------------------


def _change(client, old, new, again=None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_a_member_changes_their_password_and_stays_signed_in(advisor_client, advisor):
    response = _change(advisor_client, "pw", STRONG)
    assert response.status_code == 302 and response["Location"] == "/account/"
    page = advisor_client.get("/account/")
    assert page.status_code == 200 and b"Your password was changed." in page.content
    assert Client().login(username="bob", password=STRONG)
    assert not Client().login(username="bob", password="pw")


@pytest.mark.parametrize(
    "old, new, again, message",
    [
        ("wrong", STRONG, None, "Your old password was entered incorrectly."),
        ("pw", "short", None, "This password is too short."),
        ("pw", "password123", None, "This password is too common."),
        ("pw", "90817263544", None, "This password is entirely numeric."),
        ("pw", STRONG, STRONG + "x", "The two password fields didn"),
    ],
)
def test_a_new_password_must_pass_the_validators(advisor_client, advisor, old, new, again, message):
    response = _change(advisor_client, old, new, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    advisor.refresh_from_db()
    assert advisor.check_password("pw")


# --- resetting by e-mail -----------------------------------------------------------------


def test_the_sign_in_page_offers_a_reset(db):
    page = Client().get("/login/").content.decode()
    assert 'href="/password-reset/"' in page
    assert "Forgot your password?" in page


def _reset_link(mail) -> str:
    match = re.search(r"https?://\S+(/password-reset/[^/\s]+/[^/\s]+/)", text_of(mail))
    assert match, "the e-mail holds the reset link"
    return match.group(1)


def test_a_member_resets_a_forgotten_password_by_email(advisor, smtp, settings):  # noqa: F811
    settings.SITE_URL = "https://fleet.example.com"
    client = Client()
    response = client.post("/password-reset/", {"email": "bob@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    [mail] = smtp.to("bob@example.com")
    assert mail["Subject"] == "Reset your fleetmaint password"
    assert "https://fleet.example.com/password-reset/" in text_of(mail)

    link = _reset_link(mail)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    set_url = form_page.redirect_chain[-1][0]

    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert b"This password is too common." in weak.content
    done = client.post(set_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert Client().login(username="bob", password=STRONG)

    # The link works once.
    again = Client().get(link, follow=True)
    assert b"This link does not work" in again.content


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(db, smtp):  # noqa: F811
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert smtp.received == []


@pytest.mark.parametrize("email", ["", "not-an-address", "bob\x00@example.com", "a" * 255])
def test_a_reset_asks_for_a_usable_address(advisor, smtp, email):  # noqa: F811
    response = Client().post("/password-reset/", {"email": email})
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert smtp.received == []


# --- the demo -------------------------------------------------------------------------


def test_the_demo_logins_pass_the_password_validators():
    logins = [(name, password) for name, (password, _) in demo.DEMO_USERS.items()]
    logins.append(demo.DEMO_SERVICER_LOGIN)
    for username, password in logins:
        validate_password(password, user=User(username=username, email=f"{username}@demo.invalid"))


def test_the_demo_refuses_a_password_the_validators_refuse(db, monkeypatch):
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(demo, "DEMO_USERS", {"weakling": ("password", "viewer")})
    with pytest.raises(ValidationError):
        demo.seed_demo(vehicle_count=0)
    assert not User.objects.filter(username="weakling").exists()
