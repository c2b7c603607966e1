"""Joining a fleet by invitation: the rules, with e-mails in a real SMTP receiver.

Nobody becomes a member without accepting a single-use, expiring link sent to
their address; the link's token is stored only as a digest.
"""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from fleetmaint.accounts import invitations
from fleetmaint.accounts.invitations import InvitationUnusable
from fleetmaint.accounts.models import Invitation, Membership, Role
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from tests.notifications.conftest import smtp, smtp_down  # noqa: F401  (the real SMTP receiver)

STRONG = "correct horse battery staple"


def text_of(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def token_in(message) -> str:
    match = re.search(r"/invitations/([A-Za-z0-9_-]+)/", text_of(message))
    assert match, "the e-mail holds the invitation link"
    return match.group(1)


@pytest.fixture
def invite(org, admin_user, smtp, django_capture_on_commit_callbacks):  # noqa: F811
    """Invites an address as the fleet's admin; returns the invitation and its token."""

    def invite(email="carla@example.com", role=Role.ADVISOR, by=admin_user, into=org):
        before = len(smtp.received)
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitations.invitation_create(
                org=into, email=email, role=role, invited_by=by
            )
        assert len(smtp.received) == before + 1
        return invitation, token_in(smtp.received[-1])

    return invite


# --- inviting -----------------------------------------------------------------------


def test_it_emails_a_link_and_stores_only_a_digest_of_its_token(org, invite, smtp, settings):  # noqa: F811
    invitation, token = invite("Carla@Example.com ")
    [mail] = smtp.to("carla@example.com")
    assert mail["Subject"] == "[Acme Logistics] You are invited to join Acme Logistics"
    assert f"{settings.SITE_URL}/invitations/{token}/" in text_of(mail)
    assert "alice invited you to join Acme Logistics on fleetmaint as advisor" in text_of(mail)

    invitation.refresh_from_db()
    assert invitation.email == "carla@example.com"
    assert invitation.token_digest == hashlib.sha256(token.encode()).hexdigest()
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert not any(token in str(value) for value in stored.values())
    assert invitation.sent_at is not None
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert not User.objects.filter(email="carla@example.com").exists()


def test_nothing_is_sent_before_the_invitation_is_committed(
    org,
    admin_user,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations.invitation_create(
            org=org, email="carla@example.com", role=Role.VIEWER, invited_by=admin_user
        )
    assert smtp.received == []
    for callback in callbacks:
        callback()
    assert len(smtp.to("carla@example.com")) == 1


def test_another_fleets_member_gets_an_invitation_never_a_silent_membership(
    org,
    outsider,
    invite,
    smtp,  # noqa: F811
):
    invite("oscar@example.com", role=Role.ADMIN)
    assert len(smtp.to("oscar@example.com")) == 1
    assert list(Membership.objects.filter(user=outsider).values_list("org__name", flat=True)) == [
        "Other Fleet"
    ]


def test_it_refuses_to_invite_a_member_of_the_same_fleet(org, advisor, admin_user, smtp):  # noqa: F811
    with pytest.raises(Conflict) as excinfo:
        invitations.invitation_create(
            org=org, email="BOB@example.com", role=Role.ADMIN, invited_by=admin_user
        )
    assert excinfo.value.field == "email"
    assert Membership.objects.get(user=advisor).role == Role.ADVISOR
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "email",
    ["", "   ", "not-an-address", "carla@", "a" * 250 + "@example.com", "car\x00la@example.com"],
)
def test_it_refuses_an_address_it_cannot_send_to(org, admin_user, email):
    with pytest.raises(ValidationFailed) as excinfo:
        invitations.invitation_create(org=org, email=email, role=Role.VIEWER, invited_by=admin_user)
    assert excinfo.value.field == "email"
    assert not Invitation.objects.exists()


def test_it_refuses_an_unknown_role(org, admin_user):
    with pytest.raises(ValidationFailed) as excinfo:
        invitations.invitation_create(
            org=org, email="carla@example.com", role="owner", invited_by=admin_user
        )
    assert excinfo.value.field == "role"


def test_inviting_again_renews_the_link_and_retires_the_old_one(org, invite):
    first, old_token = invite(role=Role.VIEWER)
    second, new_token = invite(role=Role.ADVISOR)
    assert second.pk == first.pk
    assert old_token != new_token
    assert Invitation.objects.get().role == Role.ADVISOR
    with pytest.raises(NotFound):
        invitations.invitation_for_token(old_token)
    assert invitations.invitation_for_token(new_token).pk == first.pk


def test_a_resent_invitation_gets_a_new_link_and_a_new_week(
    org,
    admin_user,
    invite,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    invitation, old_token = invite()
    later = timezone.now() + timedelta(days=6)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_resend(org=org, invitation_id=invitation.pk, actor=admin_user)
    new_token = token_in(smtp.received[-1])
    assert len(smtp.to("carla@example.com")) == 2
    invitation.refresh_from_db()
    assert invitation.expires_at > later + timedelta(days=6, hours=23)
    with pytest.raises(NotFound):
        invitations.invitation_for_token(old_token)
    with time_machine.travel(later + timedelta(days=3), tick=False):
        invitations.ensure_usable(invitations.invitation_for_token(new_token))


def test_the_email_is_not_sent_while_the_mail_server_is_down(
    org,
    admin_user,
    smtp_down,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invitation_create(
            org=org, email="carla@example.com", role=Role.VIEWER, invited_by=admin_user
        )
    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert invitation.is_open


def test_it_cannot_resend_or_revoke_another_fleets_invitation(org, other_org, outsider, invite):
    invitation, _ = invite(into=other_org, by=outsider)
    with pytest.raises(NotFound):
        invitations.invitation_resend(org=org, invitation_id=invitation.pk, actor=None)
    with pytest.raises(NotFound):
        invitations.invitation_revoke(org=org, invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.is_open


# --- accepting with a new account -----------------------------------------------------


def test_accepting_creates_the_account_with_its_own_password_and_joins_the_fleet(org, invite):
    invitation, token = invite(role=Role.VIEWER)
    user, membership = invitations.invitation_accept_new_account(
        token=token, username=" carla ", password=STRONG
    )
    assert (user.username, user.email) == ("carla", "carla@example.com")
    assert user.check_password(STRONG)
    assert (membership.org, membership.user, membership.role) == (org, user, Role.VIEWER)
    assert membership.last_used_at is not None
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user


def test_an_empty_username_signs_in_with_the_email_address(org, invite):
    _, token = invite()
    user, _ = invitations.invitation_accept_new_account(token=token, username="", password=STRONG)
    assert user.username == "carla@example.com"


@pytest.mark.parametrize(
    "password, words",
    [
        ("", "Choose a password."),
        ("short1!", "too short"),
        ("password123", "too common"),
        ("73829104657", "entirely numeric"),
        ("carla@example.com!", "too similar"),
        ("good pass\x00word", "null characters"),
    ],
)
def test_a_password_must_pass_the_password_validators(org, invite, password, words):
    invitation, token = invite()
    with pytest.raises(ValidationFailed) as excinfo:
        invitations.invitation_accept_new_account(token=token, username="carla", password=password)
    assert excinfo.value.field == "password"
    assert words in excinfo.value.message
    assert not User.objects.filter(username="carla").exists()
    invitation.refresh_from_db()
    assert invitation.is_open


@pytest.mark.parametrize(
    "username, error",
    [
        ("u" * 151, ValidationFailed),
        ("car la", ValidationFailed),
        ("car\x00la", ValidationFailed),
        ("BOB", Conflict),
    ],
)
def test_a_username_must_be_usable_and_free(org, advisor, invite, username, error):
    _, token = invite()
    with pytest.raises(error) as excinfo:
        invitations.invitation_accept_new_account(token=token, username=username, password=STRONG)
    assert excinfo.value.field == "username"
    assert not User.objects.filter(email="carla@example.com").exists()


def test_an_address_with_an_account_must_sign_in_to_accept(org, outsider, invite):
    _, token = invite("oscar@example.com")
    with pytest.raises(Conflict, match="sign in"):
        invitations.invitation_accept_new_account(token=token, username="oscar2", password=STRONG)
    assert not User.objects.filter(username="oscar2").exists()
    assert not Membership.objects.filter(org=org, user=outsider).exists()


def test_a_link_works_once(org, invite):
    _, token = invite()
    invitations.invitation_accept_new_account(token=token, username="carla", password=STRONG)
    with pytest.raises(InvitationUnusable) as excinfo:
        invitations.invitation_accept_new_account(token=token, username="carla2", password=STRONG)
    assert excinfo.value.code == "used"
    assert not User.objects.filter(username="carla2").exists()


def test_a_link_expires_after_seven_days(org, invite):
    _, token = invite()
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23), tick=False):
        invitations.ensure_usable(invitations.invitation_for_token(token))
    late = time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False)
    with late, pytest.raises(InvitationUnusable) as excinfo:
        invitations.invitation_accept_new_account(token=token, username="carla", password=STRONG)
    assert excinfo.value.code == "expired"
    assert not User.objects.filter(username="carla").exists()


def test_a_revoked_link_no_longer_works(org, invite):
    invitation, token = invite()
    invitations.invitation_revoke(org=org, invitation_id=invitation.pk)
    with pytest.raises(InvitationUnusable) as excinfo:
        invitations.invitation_accept_new_account(token=token, username="carla", password=STRONG)
    assert excinfo.value.code == "revoked"
    with pytest.raises(Conflict):
        invitations.invitation_revoke(org=org, invitation_id=invitation.pk)


@pytest.mark.parametrize("token", ["", "nope", "x" * 101, "abc\x00def"])
def test_a_made_up_link_is_not_found(db, token):
    with pytest.raises(NotFound):
        invitations.invitation_for_token(token)


# --- accepting with an existing account ----------------------------------------------------


def test_another_fleets_member_joins_only_by_accepting(org, outsider, invite):
    _, token = invite("oscar@example.com", role=Role.VIEWER)
    membership = invitations.invitation_accept(token=token, user=outsider)
    assert (membership.org, membership.role) == (org, Role.VIEWER)
    assert set(Membership.objects.filter(user=outsider).values_list("org__name", flat=True)) == {
        "Acme Logistics",
        "Other Fleet",
    }


def test_accepting_twice_answers_the_same_membership(org, outsider, invite):
    _, token = invite("oscar@example.com")
    first = invitations.invitation_accept(token=token, user=outsider)
    second = invitations.invitation_accept(token=token, user=outsider)
    assert first.pk == second.pk
    assert Membership.objects.filter(org=org, user=outsider).count() == 1


def test_someone_else_cannot_use_an_accepted_link(org, outsider, viewer, invite):
    _, token = invite("oscar@example.com")
    invitations.invitation_accept(token=token, user=outsider)
    stranger = User.objects.create_user("stranger", "s@example.com", "pw")
    with pytest.raises(InvitationUnusable):
        invitations.invitation_accept(token=token, user=stranger)
    assert not Membership.objects.filter(user=stranger).exists()


def test_a_member_who_accepts_keeps_the_role_they_have(org, advisor, invite):
    _, token = invite("someone-else@example.com", role=Role.VIEWER)
    membership = invitations.invitation_accept(token=token, user=advisor)
    assert membership.role == Role.ADVISOR
