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
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ADVISOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Who or what uses this key.")
    read_only = forms.BooleanField(required=False, help_text="Only reads, no changes.")

    def __init__(self, *args, **kwargs):
        # The settings page also shows the organization form, which has a
        # "name" field too: distinct ids keep each label on its own input.
        kwargs.setdefault("auto_id", "id_apikey_%s")
        super().__init__(*args, **kwargs)
