"""Reads about an organization's people that more than one page needs."""

from django.db.models import QuerySet

from fleetmaint.accounts.models import Invitation, Membership, Organization


def members(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(org=org).select_related("user").order_by("user__username")


def invitations_pending(org: Organization) -> QuerySet[Invitation]:
    """Invitations nobody has accepted or withdrawn yet, expired ones included (to resend)."""
    return (
        Invitation.objects.filter(org=org, accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("-created_at")
    )
