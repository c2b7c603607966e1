from django import forms
from django.utils.html import format_html

from fleetmaint.notifications.models import EVENT_KINDS, event_label
from fleetmaint.web import CheckGrid


def _event_choice(name: str):
    """An event as a checkbox's label: its words, and the name receivers get in ``type``."""
    return format_html('{} <code class="muted small">{}</code>', event_label(name), name)


class WebhookForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    description = forms.CharField(max_length=120, required=False)
    events = forms.MultipleChoiceField(
        choices=[(name, _event_choice(name)) for name in EVENT_KINDS],
        required=False,
        widget=CheckGrid(attrs={"class": "checkgrid"}),
        help_text="None ticked: every event.",
    )
    active = forms.BooleanField(required=False, initial=True)
