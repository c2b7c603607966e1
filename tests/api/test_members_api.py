"""Members and invitations through the API: role changes, removal, the last admin,
invitations sent and revoked, outsiders and read-only keys."""

import json

import pytest
from django.core import mail
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def _member_id(org, user) -> int:
    return Membership.objects.get(org=org, user=user).pk


def _patch(client: Client, path: str, body: dict):
    return client.patch(path, json.dumps(body), content_type="application/json")


def test_members_are_listed(api, org, admin_user, advisor, viewer):
    page = api.get("/api/v1/members").json()
    assert page["count"] == 3
    assert {(m["username"], m["role"]) for m in page["items"]} == {
        ("alice", "admin"),
        ("bob", "advisor"),
        (viewer.username, "viewer"),
    }


def test_a_role_changes(api, org, admin_user, advisor):
    response = _patch(api, f"/api/v1/members/{_member_id(org, advisor)}", {"role": "viewer"})
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert Membership.objects.get(org=org, user=advisor).role == "viewer"
    bad = _patch(api, f"/api/v1/members/{_member_id(org, advisor)}", {"role": "owner"})
    assert bad.status_code in (400, 422)


def test_a_member_is_removed(api, org, admin_user, advisor):
    response = api.delete(f"/api/v1/members/{_member_id(org, advisor)}")
    assert response.status_code == 204
    assert not Membership.objects.filter(org=org, user=advisor).exists()


def test_the_last_admin_stays(api, org, admin_user, advisor):
    member = _member_id(org, admin_user)
    assert api.delete(f"/api/v1/members/{member}").status_code == 409
    demoted = _patch(api, f"/api/v1/members/{member}", {"role": "advisor"})
    assert demoted.status_code == 409
    assert "at least one admin" in demoted.json()["message"]
    assert Membership.objects.get(pk=member).role == "admin"


def test_invitations_are_sent_and_revoked(api, org, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/invitations",
            json.dumps({"email": "Carol@Example.com", "role": "viewer"}),
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert (invitation["email"], invitation["role"]) == ("carol@example.com", "viewer")
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]
    assert api.get("/api/v1/invitations").json()["count"] == 1

    assert api.delete(f"/api/v1/invitations/{invitation['id']}").status_code == 204
    assert Invitation.objects.get(pk=invitation["id"]).revoked_at is not None
    assert api.get("/api/v1/invitations").json()["count"] == 0


def test_outsiders_get_404(other_api, org, admin_user, advisor):
    member = _member_id(org, advisor)
    assert _patch(other_api, f"/api/v1/members/{member}", {"role": "viewer"}).status_code == 404
    assert other_api.delete(f"/api/v1/members/{member}").status_code == 404
    invitation = Invitation.objects.create(
        org=org, email="x@example.com", token_digest="0" * 64, expires_at="2099-01-01T00:00Z"
    )
    assert other_api.delete(f"/api/v1/invitations/{invitation.pk}").status_code == 404
    assert other_api.get("/api/v1/members").json()["count"] == 0
    assert Membership.objects.get(pk=member).role == "advisor"


def test_read_only_keys_are_refused(org, advisor):
    _, raw = accounts.apikey_create(org=org, name="reader", read_only=True)
    reader = Client(headers={"Authorization": f"Bearer {raw}"})
    assert reader.get("/api/v1/members").status_code == 403
    assert reader.get("/api/v1/invitations").status_code == 403
    member = _member_id(org, advisor)
    assert _patch(reader, f"/api/v1/members/{member}", {"role": "viewer"}).status_code == 403
