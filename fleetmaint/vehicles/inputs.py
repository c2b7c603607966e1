"""What a vehicle is made of, as typed input: the one shape every face fills in.

The JSON API takes these models as request bodies (``VehicleInput`` to create,
``VehicleChanges`` for a partial update), the vehicle form builds them from its
cleaned data and the demo data from plain values. The services then only see
checked values: texts stripped and bounded, a VIN in capitals, a year in range,
the distance unit. A value that does not fit is ``ValidationFailed`` with a
plain message naming the field.

Readings are typed too (``int`` odometers, ``Decimal`` hours): ``reading_meters``
reads them from loose values at the edges that take them so (the bulk upload,
whose items are reported one by one).
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.utils import timezone
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from fleetmaint.accounts.models import DistanceUnit
from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import NO_NUL_PATTERN, TypedInput, text_problem
from fleetmaint.vehicles.models import Powertrain

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
SOME_TEXT = r"^[^\x00]*\S[^\x00]*$"  # a label is more than blanks
EARLIEST_YEAR = 1900


def _plain(words: str) -> PydanticCustomError:
    return PydanticCustomError("plain", words)


def _words(name: str) -> str:
    return name.replace("_", " ")


def _text(name: str, limit: int | None) -> Any:
    def check(value: str) -> str:
        value = value.strip()
        if text_problem(value):
            raise _plain(f"The {_words(name)} cannot contain NUL characters.")
        if limit is not None and len(value) > limit:
            raise _plain(f"The {_words(name)} can be at most {limit} characters.")
        return value

    return check


def Text(name: str, limit: int | None, *, required: bool = False) -> Any:  # a type, read as one
    said: dict[str, Any] = {"pattern": SOME_TEXT if required else NO_NUL_PATTERN}
    if limit is not None:
        said["maxLength"] = limit
    if required:
        said["minLength"] = 1
    return Annotated[str, AfterValidator(_text(name, limit)), Field(json_schema_extra=said)]


def _label(value: str) -> str:
    if not value:
        raise _plain("Give the vehicle a label.")
    return value


def _key(value: str) -> str:
    if value and not value.isprintable():
        raise _plain("The vehicle key must be printable text.")
    return value


def _vin(value: str) -> str:
    value = value.upper().replace(" ", "")
    if value and not VIN_PATTERN.match(value):
        raise _plain("A VIN has 17 letters and digits, without I, O or Q.")
    return value


def _year(value: int | None) -> int | None:
    latest = timezone.now().year + 1
    if value is not None and not EARLIEST_YEAR <= value <= latest:
        raise _plain(f"The year must be between {EARLIEST_YEAR} and {latest}.")
    return value


def _unit(value: Any) -> Any:
    if value not in DistanceUnit.values:
        raise _plain("The distance unit must be km or mi.")
    return DistanceUnit(value)


def _powertrain(value: Any) -> Any:
    if value not in Powertrain.values:
        raise _plain(f"The powertrain must be one of: {', '.join(Powertrain.values)}.")
    return Powertrain(value)


Label = Annotated[Text("label", 120, required=True), AfterValidator(_label)]
Key = Annotated[Text("vehicle_key", 40), AfterValidator(_key)]
Vin = Annotated[Text("vin", None), AfterValidator(_vin)]
Year = Annotated[
    StrictInt | None,
    AfterValidator(_year),
    Field(json_schema_extra={"minimum": EARLIEST_YEAR}),
]
Unit = Annotated[
    DistanceUnit,
    BeforeValidator(_unit),
    WithJsonSchema({"type": "string", "enum": list(DistanceUnit.values)}),
]
PowertrainKind = Annotated[
    Powertrain,
    BeforeValidator(_powertrain),
    WithJsonSchema({"type": "string", "enum": list(Powertrain.values)}),
]


class VehicleInput(TypedInput):
    """A new vehicle. Left out, the key is generated and the unit is the organization's."""

    label: Label
    vehicle_key: Key | None = Field(None, description="Left out or blank: one is generated.")
    vin: Vin = ""
    make: Text("make", 60) = ""
    model: Text("model", 60) = ""
    year: Year = None
    plate: Text("plate", 20) = ""
    distance_unit: Unit | None = Field(None, description="Left out: the organization's unit.")
    tracks_engine_hours: StrictBool = False
    powertrain: PowertrainKind = Field(
        Powertrain.COMBUSTION, description="What drives it; decides which presets apply."
    )
    notes: Text("notes", None) = ""
    device_id: Text("device_id", 64) = Field(
        "",
        description="The GPS tracker sending its readings (Traccar's uniqueId); "
        "unique in the fleet (docs/telematics.md).",
    )


class VehicleChanges(VehicleInput):
    """Some of a vehicle's values: a partial update changes the ones given (``given()``)."""

    label: Label = None
    vehicle_key: Key = None
    distance_unit: Unit = None
    tracks_engine_hours: StrictBool = None
    powertrain: PowertrainKind = None
    archived: StrictBool = None
    convert_distances: StrictBool = Field(
        False,
        description="Confirms a change of distance_unit on a vehicle that holds distances: "
        "its readings, odometer, intervals, tasks, contracts and orders are converted. "
        "Without it such a change is refused (409) saying what would change.",
    )

    def given(self) -> dict[str, Any]:
        """The vehicle's values to change; ``convert_distances`` is how, not a value."""
        changes = super().given()
        changes.pop("convert_distances", None)
        if changes.get("vehicle_key") == "":
            raise ValidationFailed("The vehicle key cannot be empty.", field="vehicle_key")
        return changes


# --- readings from loose values ------------------------------------------------------


# Digits before the point beyond which a meter is refused before any arithmetic.
_MAX_DIGITS = 12


def reading_odometer(value: object) -> int | None:
    """An odometer sent as a JSON number or a form's text: a whole number, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("The odometer must be a whole number.", field="odometer") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    if number.adjusted() > _MAX_DIGITS:
        # Turning 1E+20000000 into an int would take minutes; no odometer is near it.
        raise ValidationFailed("The odometer is far too large.", field="odometer")
    return int(number)


def reading_engine_hours(value: object) -> Decimal | None:
    """Engine hours sent as a JSON number or text: a Decimal, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationFailed("Engine hours must be a number.", field="engine_hours") from None
    if not number.is_finite():
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    if number.adjusted() > _MAX_DIGITS:
        raise ValidationFailed("Engine hours are far too large.", field="engine_hours")
    return number
