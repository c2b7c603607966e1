"""The pages' form for what happened when work was done (a task or an interval)."""

from datetime import date, datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone

from fleetmaint.tasks.completion import MAX_NOTES, MAX_SERVICER, CompletionInput
from fleetmaint.tasks.inputs import MAX_COST, MAX_DISTANCE, MAX_HOURS

# The service's names for the fields, and the form's.
FORM_FIELDS = {"done_at": "date", "serviced_at": "date"}


def local_moment(day: date | None) -> datetime | None:
    """A day from a form as a moment: its start in the current time zone, or now for today."""
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return max(moment, timezone.now()) if day == timezone.localdate() else moment


class CompletionForm(forms.Form):
    date = forms.DateField(
        required=False,
        label="Done on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today when left empty.",
    )
    odometer = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_DISTANCE, label="Odometer"
    )
    engine_hours = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_HOURS,
        decimal_places=1,
        label="Engine hours",
    )
    cost = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_COST, decimal_places=2, label="Cost"
    )
    servicer = forms.CharField(
        required=False,
        max_length=MAX_SERVICER,
        label="Done by",
        help_text="A servicer of the fleet, or any name.",
        widget=forms.TextInput(attrs={"list": "servicer-choices", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        required=False, max_length=MAX_NOTES, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm_jump = forms.BooleanField(
        required=False, label="The meter values are right although they jumped far"
    )

    def __init__(self, *args, tracks_engine_hours: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        if not tracks_engine_hours:
            del self.fields["engine_hours"]
        self.needs_confirmation = False

    def completion_input(self) -> CompletionInput:
        data = self.cleaned_data
        hours: Decimal | None = data.get("engine_hours")
        return CompletionInput(
            done_at=local_moment(data.get("date")),
            odometer=data.get("odometer"),
            engine_hours=hours,
            cost=data.get("cost"),
            servicer=data.get("servicer") or "",
            notes=data.get("notes") or "",
            confirm_jump=bool(data.get("confirm_jump")),
        )
