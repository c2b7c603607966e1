"""Switching organization, and the settings page: members, invitations, keys, the feed.

Every member opens the settings page for the calendar feed; the organization's
settings, members, invitations and API keys are shown to admins only, and only
admins may change them.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fleetmaint.accounts import invitations, queries, services
from fleetmaint.accounts.access import admin_required, ensure_admin, member_required
from fleetmaint.accounts.forms import ApiKeyForm, MemberInviteForm, MemberRoleForm, OrganizationForm
from fleetmaint.accounts.middleware import SESSION_ORG_KEY
from fleetmaint.accounts.models import ApiKey, Membership
from fleetmaint.errors import DomainError
from fleetmaint.links import absolute_url
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page


@member_required
@require_POST
def switch_org(request: HttpRequest) -> HttpResponse:
    try:
        org_id = int(request.POST.get("org", ""))
    except ValueError:
        raise Http404("Unknown organization") from None
    if not any(m.org_id == org_id for m in request.memberships):
        raise Http404("Unknown organization")
    services.membership_choose(user=request.user, org_id=org_id)
    request.session[SESSION_ORG_KEY] = org_id
    return redirect("home")


def _calendar_url(request: HttpRequest) -> str:
    return absolute_url(reverse("calendar:feed", args=[request.org.calendar_token]))


def _member_context(request: HttpRequest) -> dict:
    """What every member sees on the settings page: the calendar feed and who the admins are."""
    return {
        "calendar_url": _calendar_url(request),
        "admins": [m for m in queries.members(request.org) if m.is_admin],
    }


def _settings_context(request: HttpRequest, **overrides) -> dict:
    """The whole page as an admin sees it: the organization, members, keys and the feed."""
    org = request.org
    context = {
        "org_form": OrganizationForm(
            initial={
                "name": org.name,
                "time_zone": org.time_zone,
                "currency": org.currency,
                "distance_unit": org.distance_unit,
                "max_daily_distance": org.max_daily_distance,
                "contract_warning_days": org.contract_warning_days,
                "contract_warning_distance": org.contract_warning_distance,
            }
        ),
        "invite_form": MemberInviteForm(),
        "apikey_form": ApiKeyForm(),
        "members": queries.members(org),
        "invitations": queries.invitations_pending(org),
        "now": timezone.now(),
        "api_keys": ApiKey.objects.filter(org=org).select_related("created_by"),
        "role_form": MemberRoleForm(),
        "calendar_url": _calendar_url(request),
    }
    context.update(overrides)
    return context


@member_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Every member sees the calendar feed; only admins see and change the rest."""
    if request.method == "POST":
        ensure_admin(request)
        return _org_save(request)
    if not request.membership.is_admin:
        return render_page(request, "accounts/settings.html", _member_context(request))
    return render_page(request, "accounts/settings.html", _settings_context(request))


def _org_save(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            services.org_update(org=request.org, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect_page(request, reverse("accounts:settings"))
    return render_page(
        request,
        "accounts/settings.html",
        _settings_context(request, org_form=form),
        partial="org-form",
        status=INVALID,
    )


@admin_required
@require_POST
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = MemberInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitations.invitation_create(
                org=request.org, invited_by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The same answer whether or not the address has an account anywhere.
            return _members_card(
                request, f"Invitation sent to {invitation.email}. They join when they accept it."
            )
    return render_page(
        request,
        "accounts/settings.html",
        _settings_context(request, invite_form=form),
        partial="members",
        status=INVALID,
    )


def _members_card(request: HttpRequest, notice: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("accounts:settings") + "#members")
    return render_page(
        request,
        "accounts/settings.html",
        _settings_context(request, members_notice=notice),
        partial="members",
    )


@admin_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = invitations.invitation_resend(
            org=request.org, invitation_id=invitation_id, actor=request.user
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from None
        return _members_card(request, error.message)
    return _members_card(request, f"A new link was sent to {invitation.email}.")


@admin_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = invitations.invitation_revoke(org=request.org, invitation_id=invitation_id)
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from None
        return _members_card(request, error.message)
    return _members_card(request, f"The invitation for {invitation.email} was withdrawn.")


@admin_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = Membership.objects.filter(org=request.org, pk=membership_id).first()
    if membership is None:
        raise Http404("Unknown member")
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set(
                org=request.org, user=membership.user, role=form.cleaned_data["role"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{membership.user.username} is now {form.cleaned_data['role']}."
            )
    return redirect("accounts:settings")


@admin_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        services.membership_remove(org=request.org, membership_id=membership_id)
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, "Member removed.")
    return redirect("accounts:settings")


@admin_required
@require_POST
def apikey_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    new_key = None
    if form.is_valid():
        try:
            key, raw = services.apikey_create(
                org=request.org, created_by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            new_key = {"key": key, "raw": raw}
            form = ApiKeyForm()
    status = 200 if new_key else INVALID
    return render_page(
        request,
        "accounts/settings.html",
        _settings_context(request, apikey_form=form, new_key=new_key),
        partial="api-keys",
        status=status,
    )


@admin_required
@require_POST
def apikey_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        services.apikey_revoke(org=request.org, key_id=key_id)
    except DomainError as error:
        raise Http404(error.message) from None
    return render_page(
        request, "accounts/settings.html", _settings_context(request), partial="api-keys"
    )


@admin_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    services.calendar_token_rotate(request.org)
    if not request.htmx:
        messages.success(request, "The calendar feed has a new address; the old one is retired.")
        return redirect("accounts:settings")
    return render_page(
        request,
        "accounts/settings.html",
        _settings_context(request, calendar_rotated=True),
        partial="calendar-feed",
    )
