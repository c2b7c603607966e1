"""Access checks shared by every page: who may see and who may change what.

Outsiders get 404 (a row of another fleet does not exist for them), viewers
get 403 when they try to change something.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


def member_required(view: View) -> View:
    """Signed in and a member of an organization; otherwise login or an explanation."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.org is None:
            if getattr(request.user, "servicer_staff", None) is not None:
                # Servicer staff work in their portal, never on fleet pages.
                return redirect("orders:portal")
            return render(request, "accounts/no_organization.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def ensure_can_write(request: HttpRequest) -> None:
    if not request.membership.can_write:
        raise PermissionDenied("Viewers cannot change anything.")


def ensure_admin(request: HttpRequest) -> None:
    if not request.membership.is_admin:
        raise PermissionDenied("Only admins can do this.")


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
