"""The task dialog's forms: they read the page's fields and build the typed task input."""

from datetime import datetime, time

from django import forms

from fleetmaint.days import HORIZON_WORDS
from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import clean_text
from fleetmaint.tasks.inputs import MAX_DISTANCE, TaskInput
from fleetmaint.tasks.models import Status
from fleetmaint.web import CheckGrid

# The text fields a person types; each is checked with the one text rule.
TEXT_FIELDS = ("description", "comment", "emails", "sms_phones")
# A date condition's end from a page is the end of that day, in the fleet's time zone.
END_OF_DAY = time(23, 59, 59)


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
        required=False,
        label="End date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Within {HORIZON_WORDS} from today.",
    )
    already_overdue = forms.BooleanField(
        required=False,
        label="Already overdue",
        help_text="Tick to give a new task an end date that has passed; it starts overdue.",
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

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in TEXT_FIELDS:
            if cleaned.get(name):
                try:
                    clean_text(cleaned[name], field=name)
                except ValidationFailed:
                    self.add_error(name, "Remove the control characters from this text.")
        return cleaned

    def task_input(self, file_ids: list[int]) -> TaskInput:
        """The cleaned fields as the task's typed input; the service checks the rest."""
        data = self.cleaned_data
        conditions = {}
        if data.get("mileage_limit") is not None:
            conditions["mileage"] = {
                "limit": data["mileage_limit"],
                "notification_interval": data.get("mileage_notify"),
                "repeat_interval": data.get("mileage_repeat"),
            }
        if data.get("date_end") is not None:
            conditions["date"] = {
                "end": datetime.combine(data["date_end"], END_OF_DAY),
                "notification_interval": data.get("date_notify"),
                "repeat_interval": data.get("date_repeat"),
            }
        if data.get("hours_limit") is not None:
            conditions["engine_hours"] = {
                "limit": data["hours_limit"],
                "notification_interval": data.get("hours_notify"),
                "repeat_interval": data.get("hours_repeat"),
            }
        return TaskInput(
            description=data.get("description", ""),
            comment=data.get("comment", ""),
            cost=data.get("cost") or 0,
            repeat=bool(data.get("repeat")),
            unplanned=bool(data.get("unplanned")),
            conditions=conditions,
            notifications={
                "sms_phones": _split(data.get("sms_phones", "")),
                "emails": _split(data.get("emails", "")),
                "push_enabled": bool(data.get("push_enabled")),
            },
            file_ids=file_ids,
            already_overdue=bool(data.get("already_overdue")),
        )


def _split(raw: str) -> list[str]:
    return [part.strip() for part in (raw or "").replace(";", ",").split(",") if part.strip()]


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
    odometer = forms.IntegerField(required=False, min_value=0, max_value=MAX_DISTANCE)


STATUS_CHOICES = [("", "Open")] + [(s.value, s.label) for s in Status] + [("all", "All")]
