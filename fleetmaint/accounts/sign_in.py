"""The sign-in page, slowed down for whoever keeps guessing (``attempts.services``)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from fleetmaint.attempts import services as attempts
from fleetmaint.errors import TooManyAttempts


class GuardedSignIn:
    """For Django's sign-in forms: refuses while the account or the address is locked,
    and counts each failure against both."""

    locked: TooManyAttempts | None = None

    def clean(self) -> dict:
        try:
            return attempts.guarded_sign_in(
                self.cleaned_data.get("username") or "",
                attempts.client_address(self.request),
                super().clean,
            )
        except TooManyAttempts as locked:
            self.locked = locked
            raise forms.ValidationError(locked.message, code="locked") from None


class SignInForm(GuardedSignIn, AuthenticationForm):
    pass


class AdminSignInForm(GuardedSignIn, AdminAuthenticationForm):
    """The Django admin's sign-in, under the same limits as the application's."""


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.locked is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.locked.retry_after)
        return response
