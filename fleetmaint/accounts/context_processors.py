from django.http import HttpRequest


def organization(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can_write": bool(membership and membership.can_write),
        "is_org_admin": bool(membership and membership.is_admin),
    }
