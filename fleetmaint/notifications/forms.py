from django import forms

from fleetmaint.notifications.models import EVENT_KINDS


class WebhookForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    description = forms.CharField(max_length=120, required=False)
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkgrid"}),
        help_text="None ticked: every event.",
    )
    active = forms.BooleanField(required=False, initial=True)
