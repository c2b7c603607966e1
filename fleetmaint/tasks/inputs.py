"""What a service task is made of, as typed input: the one shape every face fills in.

The JSON API takes these models as request bodies, the task forms build them
from their cleaned data and the /v2 translator validates the vendor's task
object with them (its shape is the same). The services then only see typed
values: ``int``, ``Decimal``, ``datetime``, ``bool`` and checked lists.

A model that cannot be built raises ``ValidationFailed`` (not pydantic's
error) with one plain message naming the field's dotted path, so every face
answers a wrong value the same way and translates it into its own envelope.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fleetmaint import days
from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import CleanStr
from fleetmaint.notifications.phones import normalize_phone

MAX_TEXT = 255
MAX_COST = Decimal("999999999999.99")
MAX_DISTANCE = 10_000_000
MAX_DAYS = 36_500
MAX_HOURS = Decimal("1000000")
MAX_TARGETS = 20

# The task's information: what a create sets, an update replaces and a repetition copies.
INFO_FIELDS = (
    "description",
    "comment",
    "cost",
    "repeat",
    "unplanned",
    "sms_phones",
    "emails",
    "push_enabled",
)


# --- value types ----------------------------------------------------------------------


def _no_bool(value: Any) -> Any:
    # true is not 1: a client that sends a boolean for a number has the wrong field.
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "must be a number")
    return value


def _blank_is_none(value: Any) -> Any:
    # A form or a vendor client sends an empty text for an interval left out.
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _within(low: int | Decimal, high: int | Decimal) -> tuple:
    """The range check, and the same range said in the OpenAPI document."""

    def check(value: int | Decimal | None) -> int | Decimal | None:
        if value is not None and not low <= value <= high:
            raise PydanticCustomError(
                "out_of_range", "must be between {low} and {high}", {"low": low, "high": high}
            )
        return value

    number = int if isinstance(low, int) else float
    said = Field(json_schema_extra={"minimum": number(low), "maximum": number(high)})
    return AfterValidator(check), said


def _moment_only(value: Any) -> Any:
    # Numbers would be read as seconds since 1970: a date is written as a date.
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "must be a date and time")
    return value


def Whole(low: int, high: int) -> Any:  # a type, read as one
    return Annotated[int, BeforeValidator(_no_bool), *_within(low, high)]


def OptionalWhole(low: int, high: int) -> Any:
    return Annotated[
        int | None, BeforeValidator(_no_bool), BeforeValidator(_blank_is_none), *_within(low, high)
    ]


def Hours(low: Decimal, high: Decimal) -> Any:
    return Annotated[Decimal, BeforeValidator(_no_bool), *_within(low, high)]


def OptionalHours(low: Decimal, high: Decimal) -> Any:
    return Annotated[
        Decimal | None,
        BeforeValidator(_no_bool),
        BeforeValidator(_blank_is_none),
        *_within(low, high),
    ]


Distance = Whole(1, MAX_DISTANCE)
Days = OptionalWhole(1, MAX_DAYS)

Moment = Annotated[
    datetime,
    BeforeValidator(_moment_only),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 or 'YYYY-MM-DD hh:mm:ss'; without an offset, "
            "in the organization's time zone.",
        }
    ),
]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


Cost = Annotated[
    Decimal,
    BeforeValidator(lambda v: 0 if v is None else v),
    BeforeValidator(_no_bool),
    *_within(Decimal(0), MAX_COST),
    AfterValidator(_cents),
]
Text = Annotated[CleanStr, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Description = Annotated[
    CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]


def _phone_text(value: Any) -> Any:
    # The vendor's clients may send a phone number as a JSON number.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# An id of ours: a whole number, never a boolean.
Id = Annotated[int, BeforeValidator(_no_bool)]

Phone = Annotated[CleanStr, StringConstraints(max_length=MAX_TEXT), BeforeValidator(_phone_text)]
# The document promises addresses of a plain shape, a subset of what Django's
# validator takes, so every address a client builds from the schema is accepted.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,31})?"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,20}$"
)
Email = Annotated[
    CleanStr,
    StringConstraints(max_length=MAX_TEXT),
    Field(json_schema_extra={"pattern": EMAIL_PATTERN}),
]


# --- turning pydantic's errors into one plain message -------------------------------------

_WORDS = {
    "missing": "is required",
    "string_type": "must be text",
    "string_too_short": "is required",
    "string_too_long": "can be at most {max_length} characters",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_parsing_size": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "finite_number": "must be a number",
    "datetime_type": "must be a date and time like 2026-12-31 23:59:59",
    "datetime_parsing": "must be a date and time like 2026-12-31 23:59:59",
    "datetime_from_date_parsing": "must be a date and time like 2026-12-31 23:59:59",
    "datetime_object_invalid": "must be a date and time like 2026-12-31 23:59:59",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list; send lists as JSON arrays",
    "too_long": "can hold at most {max_length} items",
}


def plain_error(error: dict, prefix: str = "") -> ValidationFailed:
    """One of pydantic's errors as ValidationFailed: plain words and the field's path."""
    # A list's item is named by its list: "vehicle_ids", not "vehicle_ids.0".
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    path = ".".join(part for part in (*prefix.split("."), *loc) if part)
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error":
        words = str(context.get("error", error["msg"]))
    elif kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        words = "is required" if kind == "too_short" else f"can be at most {MAX_TEXT} characters"
    elif kind in _WORDS:
        words = _WORDS[kind].format(**context)
    else:
        words = error["msg"][:1].lower() + error["msg"][1:]
    field = path or None
    return ValidationFailed(f"{path or 'The input'} {words}.", field=field)


class Input(BaseModel):
    """A typed input whose failures are ``ValidationFailed`` naming the field's path.

    ``path`` is where the model sits in a task, so a nested model names its
    fields from the task's root (``conditions.mileage.limit``). Unknown keys are
    ignored: the vendor's update sends back the whole task object it read.
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True)
    path: ClassVar[str] = ""

    @model_validator(mode="wrap")
    @classmethod
    def _plain_errors(cls, data: Any, handler):
        try:
            return handler(data)
        except ValidationError as error:
            # ValidationFailed is no ValueError: pydantic lets it through every outer model.
            # A wrong value says more than a missing one, so it is told first.
            errors = sorted(error.errors(), key=lambda e: e["type"] == "missing")
            raise plain_error(errors[0], cls.path) from None


# --- the task -------------------------------------------------------------------------


def _number(value: int | Decimal) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value.normalize():,f}"


def reminder_refusal(
    path: str, reminder: int | Decimal | None, limit: int | Decimal, unit: str
) -> ValidationFailed | None:
    """A reminder as far before the limit as the limit itself is told at once: it cannot
    be meant. Zero or none means no reminder."""
    if not reminder or reminder < limit:
        return None
    unit = f" {unit}" if unit else ""
    return ValidationFailed(
        f"The reminder must come before the limit: a reminder {_number(reminder)}{unit} "
        f"before a limit of {_number(limit)}{unit} would make the task due soon the moment "
        f"it starts. Give a reminder smaller than {_number(limit)}{unit}, or none.",
        field=f"{path}.notification_interval",
    )


class _Reminded(Input):
    """A condition whose reminder must come before its limit."""

    unit: ClassVar[str] = ""

    @model_validator(mode="after")
    def _reminder_before_limit(self):
        refused = reminder_refusal(self.path, self.notification_interval, self.limit, self.unit)
        if refused:
            raise refused
        return self


class MileageCondition(_Reminded):
    path: ClassVar[str] = "conditions.mileage"

    limit: Distance = Field(description="Distance from the start odometer.")
    notification_interval: OptionalWhole(0, MAX_DISTANCE) = Field(
        None, description="Distance before the limit; smaller than the limit."
    )
    repeat_interval: OptionalWhole(1, MAX_DISTANCE) = None


class DateCondition(Input):
    path: ClassVar[str] = "conditions.date"

    end: Moment = Field(
        description=f"Within {days.HORIZON_WORDS} of today; a new task's end in the past "
        "needs already_overdue."
    )
    notification_interval: OptionalWhole(0, MAX_DAYS) = Field(
        None, description="Days before the end."
    )
    repeat_interval: Days = Field(None, description="Days from completion to the next end.")


class HoursCondition(_Reminded):
    path: ClassVar[str] = "conditions.engine_hours"
    unit: ClassVar[str] = "engine hours"

    limit: Hours(Decimal("0.1"), MAX_HOURS) = Field(description="Hours from the start hours.")
    notification_interval: OptionalHours(Decimal(0), MAX_HOURS) = Field(
        None, description="Hours before the limit; fewer than the limit."
    )
    repeat_interval: OptionalHours(Decimal("0.1"), MAX_HOURS) = None


CONDITION_NAMES = ("mileage", "date", "engine_hours")


class Conditions(Input):
    """When the task is due; the services require at least one."""

    # The document says "at least one condition" as JSON Schema can: one of them is an object.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "object"}}}
                for name in CONDITION_NAMES
            ]
        }
    )
    path: ClassVar[str] = "conditions"

    mileage: MileageCondition | None = None
    date: DateCondition | None = None
    engine_hours: HoursCondition | None = None

    def given(self) -> bool:
        return any(c is not None for c in (self.mileage, self.date, self.engine_hours))


class Notifications(Input):
    path: ClassVar[str] = "notifications"

    sms_phones: list[Phone] = Field(default_factory=list, max_length=MAX_TARGETS)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_TARGETS)
    push_enabled: StrictBool = True

    @field_validator("sms_phones")
    @classmethod
    def _phones(cls, phones: list[str]) -> list[str]:
        # The vendor writes numbers in international form without the plus sign.
        given = [p.strip() if p.strip().startswith("+") else f"+{p.strip()}" for p in phones]
        return sorted({normalize_phone(p, field="notifications.sms_phones") for p in given})

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        addresses = set()
        for raw in emails:
            address = raw.strip().lower()
            try:
                validate_email(address)
            except DjangoValidationError:
                raise ValidationFailed(
                    f"{raw!r} is not a valid e-mail address.", field="notifications.emails"
                ) from None
            addresses.add(address)
        return sorted(addresses)


class TaskInput(Input):
    """A task's information, conditions, notification targets and files."""

    description: Description
    comment: Text = ""
    cost: Cost = Decimal(0)
    repeat: StrictBool = False
    unplanned: StrictBool = False
    conditions: Conditions = Field(default_factory=Conditions)
    notifications: Notifications = Field(default_factory=Notifications)
    file_ids: list[Id] = Field(default_factory=list, max_length=1_000)
    already_overdue: StrictBool = Field(
        False,
        description="Confirms that a new task's date condition may end in the past: "
        "the task starts expired. Without it such a date is refused.",
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_notifications(cls, data: Any) -> Any:
        """Also takes the targets beside the other fields, as code that builds a task does."""
        flat = {"sms_phones", "emails", "push_enabled"}
        if isinstance(data, dict) and flat & data.keys():
            data = dict(data)
            given = data.get("notifications")
            targets = dict(given) if isinstance(given, dict) else {}
            targets.update({name: data.pop(name) for name in flat & data.keys()})
            data["notifications"] = targets
        return data

    @property
    def sms_phones(self) -> list[str]:
        return self.notifications.sms_phones

    @property
    def emails(self) -> list[str]:
        return self.notifications.emails

    @property
    def push_enabled(self) -> bool:
        return self.notifications.push_enabled


class DoneInput(Input):
    """The meters when a task is done; left out, the vehicle's current ones."""

    odometer: OptionalWhole(0, MAX_DISTANCE) = Field(
        None, description="Default: the vehicle's current odometer."
    )
    engine_hours: OptionalHours(Decimal(0), MAX_HOURS) = Field(
        None, description="Default: the vehicle's engine hours."
    )


# --- rules that need the organization's calendar ---------------------------------------

DATE_END = "conditions.date.end"


def check_date_condition(
    *,
    end: datetime | None,
    reminder_days: int | None,
    org: object,
    now: datetime,
    start: datetime | None = None,
    new: bool,
    already_overdue: bool = False,
) -> None:
    """A date condition's end and reminder as the fleet's calendar sees them.

    The end falls within ``days.HORIZON_YEARS`` of today, either way. A new
    task's end before today is refused unless ``already_overdue`` confirms it.
    A date's reminder may reach back before today: an end that is near is due
    soon, which is meant (unlike a distance reminder as long as its limit).
    """
    if end is None:
        return
    today = days.today(org, now)
    day = days.local_day(end, org)
    if day > days.horizon(today):
        raise ValidationFailed(
            f"The end date must be within {days.HORIZON_WORDS} from today, "
            f"by {days.horizon(today):%Y-%m-%d} at the latest.",
            field=DATE_END,
        )
    if day < days.horizon_start(today):
        raise ValidationFailed(
            f"The end date must be within {days.HORIZON_WORDS} of today, "
            f"not before {days.horizon_start(today):%Y-%m-%d}.",
            field=DATE_END,
        )
    if day < today and new and not already_overdue:
        raise ValidationFailed(
            f"The end date {day:%Y-%m-%d} is in the past. If the work is already overdue, "
            "confirm it (already overdue) and the task starts expired.",
            field=DATE_END,
        )


def check_new_task(data: TaskInput, *, end: datetime | None, org: object, now: datetime) -> None:
    """The calendar's rules for a task about to be created (``end``: the date condition's
    end, as the service reads it)."""
    date = data.conditions.date
    check_date_condition(
        end=end,
        reminder_days=date.notification_interval if date else None,
        org=org,
        now=now,
        new=True,
        already_overdue=data.already_overdue,
    )


def check_changed_task(
    data: TaskInput, *, end: datetime | None, org: object, now: datetime, start: datetime
) -> None:
    """The calendar's rules for a task's new conditions; an end already past may stay."""
    date = data.conditions.date
    check_date_condition(
        end=end,
        reminder_days=date.notification_interval if date else None,
        org=org,
        now=now,
        start=start,
        new=False,
    )
