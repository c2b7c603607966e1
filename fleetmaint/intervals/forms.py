from django import forms

from fleetmaint.days import HORIZON_WORDS


class IntervalForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. “Oil Change” or “Annual inspection”.")
    odometer = forms.IntegerField(
        required=False, min_value=0, label="Due at odometer", help_text="In the vehicle's unit."
    )
    date = forms.DateField(
        required=False,
        label="Due on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Within {HORIZON_WORDS} from today.",
    )
    already_overdue = forms.BooleanField(
        required=False,
        label="Already overdue",
        help_text="Tick to add a service whose date has passed; it is required at once.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Add a note")


class ServicedForm(forms.Form):
    odometer = forms.IntegerField(required=False, min_value=0, label="Odometer at service")
    date = forms.DateField(
        required=False, label="Serviced on", widget=forms.DateInput(attrs={"type": "date"})
    )


class PresetForm(forms.Form):
    name = forms.CharField(max_length=120)
    distance = forms.IntegerField(min_value=1, max_value=1_000_000)
    months = forms.IntegerField(min_value=1, max_value=240)
