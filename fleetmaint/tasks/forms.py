from django import forms

from fleetmaint.tasks.models import Status


def _number(label: str, *, whole: bool = True, help_text: str = "") -> forms.Field:
    field_class = forms.IntegerField if whole else forms.DecimalField
    extra = {} if whole else {"max_digits": 9, "decimal_places": 1}
    return field_class(required=False, min_value=0, label=label, help_text=help_text, **extra)


class TaskForm(forms.Form):
    description = forms.CharField(max_length=255)
    comment = forms.CharField(max_length=255, required=False)
    cost = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
    repeat = forms.BooleanField(required=False, help_text="Create the next one when done.")
    unplanned = forms.BooleanField(required=False, help_text="A repair rather than maintenance.")

    mileage_limit = _number("Distance limit", help_text="From the current odometer.")
    mileage_notify = _number("Remind before (distance)")
    mileage_repeat = _number("Repeat every (distance)")
    date_end = forms.DateField(
        required=False, label="End date", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_notify = _number("Remind before (days)")
    date_repeat = _number("Repeat every (days)")
    hours_limit = _number("Engine-hours limit", whole=False, help_text="From the current hours.")
    hours_notify = _number("Remind before (hours)", whole=False)
    hours_repeat = _number("Repeat every (hours)", whole=False)

    emails = forms.CharField(
        required=False, label="Also e-mail", help_text="Comma-separated addresses."
    )
    sms_phones = forms.CharField(
        required=False, label="Also text", help_text="Comma-separated, e.g. +49 151 12345678."
    )
    push_enabled = forms.BooleanField(required=False, initial=True, label="In-app notifications")
    attachment = forms.FileField(required=False, help_text="PDF or image.")


class CheckGrid(forms.CheckboxSelectMultiple):
    """Checkboxes in a grid: the class is the container's, not each checkbox's."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"].pop("class", None)
        return option


class BatchTaskForm(TaskForm):
    vehicles = forms.MultipleChoiceField(
        choices=(),
        widget=CheckGrid(attrs={"class": "checkgrid"}),
        label="Vehicles",
    )

    def __init__(self, *args, vehicle_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicles"].choices = vehicle_choices


class DoneForm(forms.Form):
    odometer = forms.IntegerField(required=False, min_value=0)


STATUS_CHOICES = [("", "Open")] + [(s.value, s.label) for s in Status] + [("all", "All")]
