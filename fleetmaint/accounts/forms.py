import zoneinfo

from django import forms

from fleetmaint.accounts.models import DistanceUnit, Role

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES)
    currency = forms.CharField(
        min_length=3, max_length=3, help_text="ISO 4217 code, e.g. EUR, USD, GBP."
    )
    distance_unit = forms.ChoiceField(
        choices=DistanceUnit.choices, help_text="Default for new vehicles."
    )
    max_daily_distance = forms.IntegerField(
        min_value=1,
        max_value=100_000,
        label="Plausible daily distance",
        help_text="Readings implying more than this per day must be confirmed.",
    )
    contract_warning_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100_000,
        label="Warn before a contract ends (days)",
    )
    contract_warning_distance = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100_000,
        label="Warn when a contract has less distance left than",
    )


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="E-mail address",
        help_text="They receive a link to join; it works once, for 7 days.",
        error_messages={
            "required": "Give the e-mail address to send the invitation to.",
            "invalid": "That is not an e-mail address.",
        },
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ADVISOR)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_invite_%s")
        super().__init__(*args, **kwargs)


class InvitationAccountForm(forms.Form):
    """A new account for an invited person: their own username and password."""

    username = forms.CharField(
        max_length=150,
        required=False,
        help_text="Leave empty to sign in with your e-mail address.",
        error_messages={"max_length": "A username can be at most 150 characters."},
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=4096,
        error_messages={"required": "Choose a password."},
    )
    password_again = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=4096,
        error_messages={"required": "Type the password a second time."},
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") not in (None, data["password"]):
            self.add_error("password_again", "The two passwords differ.")
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Who or what uses this key.")
    read_only = forms.BooleanField(required=False, help_text="Only reads, no changes.")
    readings_only = forms.BooleanField(
        required=False,
        label="Readings only",
        help_text="For a GPS tracker: only sends odometer readings (docs/telematics.md).",
    )

    def __init__(self, *args, **kwargs):
        # The settings page also shows the organization form, which has a
        # "name" field too: distinct ids keep each label on its own input.
        kwargs.setdefault("auto_id", "id_apikey_%s")
        super().__init__(*args, **kwargs)
