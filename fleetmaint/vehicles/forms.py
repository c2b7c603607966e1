from django import forms

from fleetmaint.accounts.models import DistanceUnit
from fleetmaint.vehicles.models import Powertrain


class VehicleForm(forms.Form):
    label = forms.CharField(max_length=120, help_text="How people call it, e.g. “Van 12”.")
    vehicle_key = forms.CharField(
        max_length=40,
        required=False,
        help_text="Your own unique key; left empty, one is generated.",
    )
    make = forms.CharField(max_length=60, required=False)
    model = forms.CharField(max_length=60, required=False)
    year = forms.IntegerField(required=False, min_value=1900, max_value=2100)
    vin = forms.CharField(label="VIN", max_length=17, required=False)
    plate = forms.CharField(label="Registration plate", max_length=20, required=False)
    distance_unit = forms.ChoiceField(choices=DistanceUnit.choices)
    powertrain = forms.ChoiceField(
        choices=Powertrain.choices,
        initial=Powertrain.COMBUSTION,
        help_text="Decides which presets its schedule takes.",
        error_messages={
            "invalid_choice": "Choose a powertrain from the list: "
            + ", ".join(Powertrain.values)
            + "."
        },
    )
    tracks_engine_hours = forms.BooleanField(required=False, label="Tracks engine hours")
    device_id = forms.CharField(
        max_length=64,
        required=False,
        label="Telematics device",
        help_text="The GPS tracker's identifier (Traccar's uniqueId), if one sends its readings.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReadingForm(forms.Form):
    odometer = forms.IntegerField(required=False, min_value=0)
    engine_hours = forms.DecimalField(required=False, min_value=0, max_digits=9, decimal_places=1)
    recorded_at = forms.DateTimeField(
        required=False,
        label="Taken at",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    note = forms.CharField(max_length=255, required=False)
    is_correction = forms.BooleanField(
        required=False, label="Meter replaced or rolled over (correction)"
    )
    confirm_jump = forms.BooleanField(required=False, label="The value is right: save it anyway")

    def clean(self):
        data = super().clean()
        if data.get("odometer") is None and data.get("engine_hours") is None and not self.errors:
            raise forms.ValidationError("Give an odometer value, engine hours, or both.")
        return data
