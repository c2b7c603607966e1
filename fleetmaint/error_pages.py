"""The pages shown when a request cannot be answered: 403, 404, 500 and a failed CSRF check.

Each says what happened in plain words and where to go next, inside the site's
layout (menu included), so nobody is left on a bare "Forbidden". A 403 raised
by ``accounts.access`` carries its reason (the person's role, the fleet's
admins); other 403s get a general one.

An htmx request refused with 403 gets only the explanation, which htmx puts in
the page's alert area (``#page-alert`` in base.html) instead of replacing the
part of the page it asked for.

The JSON API and the vendor-compatible endpoints keep Django's plain answers
for what their own handlers do not catch: their clients are programs. The 500
page is a standalone template rendered without the request, since what failed
may be the very thing the layout reads (the session, the organization).
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django_htmx.http import reswap, retarget

from fleetmaint.accounts.access import AccessRefused

logger = logging.getLogger(__name__)

PAGE = "errors/page.html"
REFUSAL = "errors/_refusal.html"
SERVER_ERROR = "errors/500.html"
ALERT_TARGET = "#page-alert"

# Paths answered to programs, not people: the JSON API and the vendor-compatible endpoints.
MACHINE_PREFIXES = ("/api/", "/voyorequest/", "/v2/", "/service-orders/")


@dataclass(frozen=True)
class Link:
    label: str
    url: str


# Where each part of the site keeps its objects: the list a missing or refused
# object would be in. Longer prefixes first.
LISTS: tuple[tuple[str, str, str], ...] = (
    ("/notifications/webhooks/", "Webhooks", "notifications:webhooks"),
    ("/notifications/", "Notifications", "notifications:inbox"),
    ("/settings/", "Settings", "accounts:settings"),
    ("/vehicles/", "Vehicles", "vehicles:list"),
    ("/tasks/", "Tasks", "tasks:list"),
    ("/quotes/", "Due", "intervals:due"),
    ("/schedule/", "Due", "intervals:due"),
    ("/due/", "Due", "intervals:due"),
    ("/orders/", "Orders", "orders:list"),
    ("/contracts/", "Contracts", "contracts:list"),
    ("/portal/", "Your orders", "orders:portal"),
)


def is_machine_path(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES)


def list_for(path: str) -> Link | None:
    """The list the object at ``path`` would be in, if the path is inside one."""
    for prefix, label, name in LISTS:
        if path.startswith(prefix):
            try:
                url = reverse(name)
            except NoReverseMatch:
                return None
            return None if url == path else Link(f"Back to {label}", url)
    return None


def previous_page(request: HttpRequest) -> Link | None:
    """The page the person came from, when it is on this site and not this very page."""
    referer = request.headers.get("referer", "")
    if not referer or referer == request.build_absolute_uri():
        return None
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return Link("Back to the previous page", referer)


def ways_back(request: HttpRequest) -> list[Link]:
    """Where to go next, the likeliest first: signing in for someone signed out, then
    the list, the previous page, and the dashboard."""
    if not request.user.is_authenticated:
        return [Link("Sign in", reverse("login"))]
    links = [link for link in (list_for(request.path), previous_page(request)) if link]
    return [*links, Link("Back to the dashboard", reverse("home"))]


def _wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _page(request: HttpRequest, status: int, context: dict) -> HttpResponse:
    context = {"code": status, "links": ways_back(request), **context}
    if status == 403 and _wants_fragment(request):
        response = render(request, REFUSAL, context, status=status)
        return reswap(retarget(response, ALERT_TARGET), "innerHTML")
    return render(request, PAGE, context, status=status)


def refusal_reason(exception: Exception | None) -> str:
    if isinstance(exception, AccessRefused):
        return exception.reason
    return "Your account does not have access to this page."


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: what the person may not do, and why."""
    if is_machine_path(request.path):
        return defaults.permission_denied(request, exception or PermissionDenied())
    context = {
        "title": "Not allowed",
        "heading": "You cannot do this here",
        "reason": refusal_reason(exception),
    }
    return _page(request, 403, context)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the address leads nowhere, or to another fleet's object."""
    if is_machine_path(request.path):
        return defaults.page_not_found(request, exception)
    context = {
        "title": "Not found",
        "heading": "This page does not exist",
        "reason": (
            "Nothing is at this address. It may have been removed, the link may be "
            "mistyped, or it belongs to a fleet you are not a member of."
        ),
    }
    return _page(request, 404, context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent with an outdated or missing security token."""
    if is_machine_path(request.path):
        return django_csrf_failure(request, reason)
    context = {
        "title": "Form expired",
        "heading": "The form could not be sent",
        "reason": csrf_explanation(request, reason),
    }
    return _page(request, 403, context)


def csrf_explanation(request: HttpRequest, reason: str) -> str:
    """Why the form failed its CSRF check, as the person can act on it."""
    no_cookie = reason == REASON_NO_CSRF_COOKIE
    if not request.user.is_authenticated:
        return (
            "Your session ended, so nothing was changed. "
            "Sign in again, then send the form once more."
            + (" If this keeps happening, allow cookies for this site." if no_cookie else "")
        )
    if no_cookie:
        return (
            "Your browser did not send the cookie that protects this form, so nothing was "
            "changed. Allow cookies for this site, load the page again and send the form "
            "once more."
        )
    return (
        "The form was sent with an outdated security token, usually because you signed "
        "out or in again in another tab. Nothing was changed: load the page again "
        "and send the form once more."
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: rendered without the request, so nothing the layout reads can fail it."""
    if is_machine_path(request.path):
        return defaults.server_error(request)
    try:
        body = loader.get_template(SERVER_ERROR).render({})
    except Exception:  # the error page must not fail in turn
        logger.exception("The 500 page could not be rendered")
        return defaults.server_error(request)
    return HttpResponseServerError(body)
