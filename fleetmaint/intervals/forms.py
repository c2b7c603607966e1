from django import forms

from fleetmaint.days import HORIZON_WORDS
from fleetmaint.intervals.models import ROAD_KINDS, IntervalPreset, PresetMeter
from fleetmaint.intervals.preset_inputs import KIND_WORDS, METER_WORDS, PresetChanges
from fleetmaint.vehicles.models import Powertrain


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


# Short words for the kinds on the presets page, where five sit side by side.
KIND_LABELS = {
    Powertrain.COMBUSTION: "Petrol",
    Powertrain.DIESEL: "Diesel",
    Powertrain.ELECTRIC: "Electric",
    Powertrain.HYBRID: "Hybrid",
    Powertrain.EQUIPMENT: "Equipment",
}
PERIOD_UNITS = [("months", "months"), ("weeks", "weeks")]
LONGEST_NUMBER = 12  # beyond every limit, and too long for int()


class WholeNumberField(forms.Field):
    """Plain ASCII digits only: ``int()`` would also take "1_000" or Arabic-Indic digits."""

    def __init__(self, *, words: str, **kwargs) -> None:
        self.words = words
        super().__init__(**kwargs)

    def to_python(self, value: object) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        # isdecimal, not isdigit: int() cannot read digits such as "²".
        if not (text.isascii() and text.isdecimal()):
            raise forms.ValidationError(f"The {self.words} must be a whole number.")
        if len(text) > LONGEST_NUMBER:
            raise forms.ValidationError(f"The {self.words} is far too large.")
        return int(text)


class PresetForm(forms.Form):
    """One preset on the settings page: the kinds it fits, what it counts, how often.

    The form reads the values; ranges and the rules between them are the
    service's (``intervals.preset_settings``), shown next to the field they name.
    """

    kinds = forms.MultipleChoiceField(
        choices=list(KIND_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        label="Applies to",
        error_messages={
            "required": "Choose at least one kind of vehicle it applies to.",
            "invalid_choice": f"%(value)s is not a kind of vehicle; choose from {KIND_WORDS}.",
        },
    )
    meter = forms.ChoiceField(
        choices=PresetMeter.choices,
        label="Counts",
        error_messages={
            "required": f"Choose what it counts: {METER_WORDS}.",
            "invalid_choice": f"A preset counts in {METER_WORDS}; %(value)s is none of them.",
        },
    )
    distance = WholeNumberField(words="distance", required=False, label="Distance")
    hours = WholeNumberField(words="engine hours", required=False, label="Engine hours")
    period = WholeNumberField(words="period", required=False, label="Period")
    period_unit = forms.ChoiceField(
        choices=PERIOD_UNITS, initial="months", required=False, label="Period unit"
    )
    enabled = forms.BooleanField(required=False, label="In use")

    @staticmethod
    def initial_for(preset: IntervalPreset) -> dict:
        return {
            "kinds": list(preset.kinds),
            "meter": preset.meter,
            "distance": preset.distance,
            "hours": preset.hours,
            "period": preset.weeks or preset.months,
            "period_unit": "weeks" if preset.weeks else "months",
            "enabled": preset.enabled,
        }

    def changes(self) -> PresetChanges:
        """Every value of the row, as the service takes them: the page sends them all."""
        data = self.cleaned_data
        weeks = data["period_unit"] == "weeks"  # left out: months
        values = {
            "kinds": data["kinds"],
            "meter": data["meter"],
            "distance": data["distance"],
            "hours": data["hours"],
            "months": None if weeks else data["period"],
            "weeks": data["period"] if weeks else None,
        }
        if "enabled" in self.fields:
            values["enabled"] = data["enabled"]
        if "name" in self.fields:
            values["name"] = data["name"]
        return PresetChanges(**values)


class NewPresetForm(PresetForm):
    """A custom preset: a name, and the same values; it is in use from the start."""

    name = forms.CharField(max_length=120)
    field_order = ["name", "kinds", "meter", "distance", "hours", "period", "period_unit"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["enabled"]
        self.fields["kinds"].initial = list(ROAD_KINDS)
        self.fields["meter"].initial = PresetMeter.DISTANCE


# A service's refusal names the stored field; the page has one period field for both.
FORM_FIELDS = {"months": "period", "weeks": "period"}
