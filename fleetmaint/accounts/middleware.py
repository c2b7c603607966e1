"""Puts the signed-in user's current organization on the request.

``request.org`` and ``request.membership`` are None for anonymous users and
for users without any membership. The current organization is the one chosen
in this session; a new session (the next sign-in) opens the fleet the person
chose last (``Membership.last_used_at``), and the first by name only for
someone who never chose. The organization's time zone is activated
so that pages show times where the fleet is.
"""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fleetmaint.accounts.models import Membership

SESSION_ORG_KEY = "org_id"


def last_used(memberships: list[Membership]) -> Membership:
    """The membership chosen most recently; ties (never chosen) keep the order by name."""
    chosen = [m for m in memberships if m.last_used_at is not None]
    if not chosen:
        return memberships[0]
    return max(chosen, key=lambda m: m.last_used_at)


class OrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None
        request.membership = None
        request.memberships = []
        if request.user.is_authenticated:
            memberships = list(Membership.objects.filter(user=request.user).select_related("org"))
            request.memberships = memberships
            if memberships:
                wanted = request.session.get(SESSION_ORG_KEY)
                current = next((m for m in memberships if m.org_id == wanted), None)
                if current is None:
                    current = last_used(memberships)
                request.membership = current
                request.org = current.org
        if request.org is not None:
            timezone.activate(zoneinfo.ZoneInfo(request.org.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
