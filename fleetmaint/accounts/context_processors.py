from django.http import HttpRequest


def organization(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    portal = None
    user = getattr(request, "user", None)
    if getattr(request, "org", None) is None and user is not None and user.is_authenticated:
        staff = getattr(user, "servicer_staff", None)
        portal = staff.servicer if staff else None
    return {
        "portal_servicer": portal,
        "org": getattr(request, "org", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can_write": bool(membership and membership.can_write),
        "is_org_admin": bool(membership and membership.is_admin),
    }
