"""Reads of notifications: who looks after a fleet, and a person's in-app inbox."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from fleetmaint.accounts.models import Membership, Organization, Role
from fleetmaint.notifications.models import Channel, Message, MessageStatus


def advisors_of(org: Organization) -> list[User]:
    """The people who look after the fleet: its admins and advisors."""
    return [
        m.user
        for m in Membership.objects.filter(org=org, role__in=[Role.ADMIN, Role.ADVISOR])
        .select_related("user", "user__notification_preference")
        .order_by("user_id")
    ]


def inbox(user: User, org: Organization) -> QuerySet[Message]:
    """The person's in-app notifications in this fleet, as delivered."""
    return Message.objects.filter(
        org=org, user=user, channel=Channel.PUSH, status=MessageStatus.SENT
    ).select_related("event")


def unread_count(user: User, org: Organization) -> int:
    return inbox(user, org).filter(read_at=None).count()
