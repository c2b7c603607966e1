from django.conf import settings
from django.http import HttpRequest

from fleetmaint.notifications.queries import unread_count


def notifications(request: HttpRequest) -> dict:
    """The unread badge in the header; one count query, only for signed-in members."""
    org = getattr(request, "org", None)
    if org is None or getattr(request, "htmx", False):
        return {}
    return {
        "unread_notifications": unread_count(request.user, org),
        "poll_seconds": settings.NOTIFICATION_POLL_SECONDS,
    }
