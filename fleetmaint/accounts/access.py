"""Access checks shared by every page: who may see and who may change what.

Outsiders get 404 (a row of another fleet does not exist for them), viewers
get 403 when they try to change something, and members who are not admins get
403 on the admin pages. A 403 raised here is an ``AccessRefused`` carrying the
reason in plain words; the error page (fleetmaint/error_pages.py) shows it.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fleetmaint.accounts.models import Membership

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


class AccessRefused(PermissionDenied):
    """A 403 whose message is written for the person refused, shown on the error page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NO_ORGANIZATION_REASON = (
    "Your account no longer belongs to any fleet. Ask an admin of your organization "
    "to invite you again."
)


def member_required(view: View) -> View:
    """Signed in and a member of an organization; otherwise login or an explanation."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.org is None:
            if getattr(request.user, "servicer_staff", None) is not None:
                # Servicer staff work in their portal, never on fleet pages.
                return redirect("orders:portal")
            if request.htmx and not request.htmx.boosted:
                # htmx swaps a 403 in (base.html): the explanation, not a whole page.
                raise AccessRefused(NO_ORGANIZATION_REASON)
            return render(request, "accounts/no_organization.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def read_only_reason(membership: Membership) -> str:
    return (
        f"Your role is {membership.get_role_display()}: you can see this fleet but not "
        f"change it. Ask an admin of {membership.org.name} to change your role."
    )


def admin_only_reason(membership: Membership) -> str:
    return f"Only admins of {membership.org.name} can change these settings."


def ensure_can_write(request: HttpRequest) -> None:
    if not request.membership.can_write:
        raise AccessRefused(read_only_reason(request.membership))


def ensure_admin(request: HttpRequest) -> None:
    if not request.membership.is_admin:
        raise AccessRefused(admin_only_reason(request.membership))


def writer_required(view: View) -> View:
    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ensure_can_write(request)
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: View) -> View:
    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ensure_admin(request)
        return view(request, *args, **kwargs)

    return wrapper


def get_owned(request: HttpRequest, queryset: QuerySet[M], *, write: bool = False, **lookup) -> M:
    """The organization's object matching ``lookup``: 404 outside it, 403 for a viewer's write."""
    obj = queryset.filter(org=request.org, **lookup).first()
    if obj is None:
        raise Http404("Not found")
    if write:
        ensure_can_write(request)
    return obj
