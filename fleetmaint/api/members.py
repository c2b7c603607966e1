"""The fleet's members and invitations over JSON, for its admin (a full organization key).

Roles, the last-admin rule and the invitation e-mail live in ``accounts.services``
and ``accounts.invitations``, the same ones the settings page uses.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from fleetmaint.accounts import invitations, services
from fleetmaint.accounts.models import Invitation, Membership, Role
from fleetmaint.api.admin_keys import AdminKeyAuth

router = Router(tags=["members"], auth=AdminKeyAuth())

RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]
ROLE_HELP = "admin (people, settings, keys, webhooks), advisor (edits) or viewer (reads)."


class MemberOut(Schema):
    id: int = Field(description="The membership's id.")
    user_id: int
    username: str
    email: str
    role: RoleName = Field(description=ROLE_HELP)
    created_at: datetime = Field(description="When they joined.")


class MemberPage(Schema):
    count: int
    items: list[MemberOut]


class RoleIn(Schema):
    role: RoleName = Field(description=ROLE_HELP)


class InvitationOut(Schema):
    id: int
    email: str
    role: RoleName = Field(description=ROLE_HELP)
    created_at: datetime
    sent_at: datetime | None = Field(description="When the e-mail with the link went out.")
    expires_at: datetime = Field(description="When the link stops working.")


class InvitationPage(Schema):
    count: int
    items: list[InvitationOut]


class InvitationIn(Schema):
    email: str = Field(min_length=3, max_length=254, description="Where the link is sent.")
    role: RoleName = Field(Role.ADVISOR, description=ROLE_HELP)


def _member_row(membership: Membership) -> dict:
    return {
        "id": membership.pk,
        "user_id": membership.user_id,
        "username": membership.user.username,
        "email": membership.user.email,
        "role": membership.role,
        "created_at": membership.created_at,
    }


def _membership(request: HttpRequest, member_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"), org=request.org, pk=member_id
    )


@router.get("/members", response=MemberPage, summary="List the organization's members")
def list_members(request: HttpRequest):
    rows = Membership.objects.filter(org=request.org).select_related("user").order_by("id")
    items = [_member_row(m) for m in rows]
    return {"count": len(items), "items": items}


@router.patch("/members/{member_id}", response=MemberOut, summary="Change a member's role")
def change_role(request: HttpRequest, member_id: int, payload: RoleIn):
    membership = _membership(request, member_id)
    membership = services.membership_set(org=request.org, user=membership.user, role=payload.role)
    return _member_row(_membership(request, membership.pk))


@router.delete(
    "/members/{member_id}",
    response={204: None},
    summary="Remove a member (an organization keeps at least one admin)",
)
def remove_member(request: HttpRequest, member_id: int):
    services.membership_remove(org=request.org, membership_id=member_id)
    return Status(204, None)


def _open_invitations(request: HttpRequest):
    return Invitation.objects.filter(org=request.org, accepted_at=None, revoked_at=None)


@router.get("/invitations", response=InvitationPage, summary="List pending invitations")
def list_invitations(request: HttpRequest):
    rows = list(_open_invitations(request).order_by("-created_at", "-id"))
    return {"count": len(rows), "items": rows}


@router.post(
    "/invitations",
    response={201: InvitationOut},
    summary="Invite an e-mail address; it receives a link to join",
)
def create_invitation(request: HttpRequest, payload: InvitationIn):
    invitation = invitations.invitation_create(
        org=request.org, email=payload.email, role=payload.role, invited_by=None
    )
    return Status(201, invitation)


@router.delete(
    "/invitations/{invitation_id}", response={204: None}, summary="Revoke a pending invitation"
)
def revoke_invitation(request: HttpRequest, invitation_id: int):
    invitations.invitation_revoke(org=request.org, invitation_id=invitation_id)
    return Status(204, None)
