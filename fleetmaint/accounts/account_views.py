"""A person's own account: their fleets, their password, and joining by invitation.

These pages work for anyone signed in, with or without a fleet; the
invitation page also works for visitors, who create their account there.
Password change and reset are Django's own views with the project's
templates.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy

from fleetmaint.accounts import invitations
from fleetmaint.accounts.forms import InvitationAccountForm
from fleetmaint.accounts.middleware import SESSION_ORG_KEY
from fleetmaint.accounts.models import Invitation, Membership
from fleetmaint.attempts import services as attempts
from fleetmaint.errors import DomainError, TooManyAttempts
from fleetmaint.links import absolute_url
from fleetmaint.web import INVALID, add_domain_error


@login_required
def account(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("org")
    return render(request, "accounts/account.html", {"account_memberships": memberships})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail; the link in it points at ``SITE_URL``, not the Host header."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form):
        try:
            attempts.use(attempts.RESET_FROM_ADDRESS, attempts.client_address(self.request))
        except TooManyAttempts as locked:
            form.add_error(None, locked.message)
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(locked.retry_after)
            return response
        try:
            attempts.use(attempts.RESET_TO_EMAIL, attempts.account_key(form.cleaned_data["email"]))
        except TooManyAttempts:
            # Answered as if sent: the limit must not tell whether the address has an account.
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_url": absolute_url()}
        return super().form_valid(form)


password_change = PasswordChangeView.as_view()
password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


def _unusable(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"reason": error.message, "code": error.code},
        status=error.status,
    )


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    request.session[SESSION_ORG_KEY] = membership.org_id
    messages.success(request, f"Welcome to {membership.org.name}.")
    return redirect("home")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation e-mail links to: create an account, or accept as yourself."""
    try:
        found = invitations.invitation_for_token(token)
        if not (request.method == "POST" and request.user.is_authenticated):
            # A double-submitted acceptance answers with the membership it made.
            invitations.ensure_usable(found)
    except DomainError as error:
        if error.status == 404:
            return _unusable(request, error)
        if request.user.is_authenticated and found.accepted_by_id == request.user.pk:
            return redirect("home")
        return _unusable(request, error)

    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = invitations.invitation_accept(token=token, user=request.user)
            except DomainError as error:
                return _unusable(request, error)
            return _welcome(request, membership)
        return _invitation_page(request, found, form=None)

    form = InvitationAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, membership = invitations.invitation_accept_new_account(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except invitations.InvitationUnusable as error:
            return _unusable(request, error)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _sign_in(request, user)
            return _welcome(request, membership)
    status = INVALID if request.method == "POST" else 200
    return _invitation_page(request, found, form=form, status=status)


def _sign_in(request: HttpRequest, user: AbstractBaseUser) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


def _invitation_page(
    request: HttpRequest, found: Invitation, *, form: InvitationAccountForm | None, status=200
) -> HttpResponse:
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": found,
            # Only the holder of the link sees this: the e-mail went to that address.
            "has_account": form is not None and invitations.address_has_account(found.email),
            "form": form,
            "login_url": f"{reverse('login')}?next={request.path}",
        },
        status=status,
    )
